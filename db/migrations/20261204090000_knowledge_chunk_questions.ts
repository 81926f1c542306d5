/**
 * Document expansion for retrieval (issue 12): each chunk keeps the questions a manager would ask
 * that its section answers ("doc2query"), read from the document's `<name>.questions.json` beside it.
 * The retrieval index scores them as a field of the chunk, so a manager's words ("she ghosted us")
 * meet the policy's ("no-call/no-show") without a model at question time.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
ALTER TABLE knowledge_chunks ADD COLUMN questions TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE knowledge_chunks ADD CONSTRAINT chk_knowledge_chunks_questions_no_nulls CHECK (array_position(questions, NULL) IS NULL);
COMMENT ON COLUMN knowledge_chunks.questions IS
  'Questions managers would ask that this chunk''s section answers (the document''s .questions.json); scored by retrieval as a field, never shown';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE knowledge_chunks DROP COLUMN IF EXISTS questions;`.execute(db);
}
