/**
 * Issue 12, topics: a prediction made offline by the topic model (src/intent/topic-model.ts) is its own
 * source, `model`, so a reviewer and the exports can tell a model's guess (a topic at most 0.5, sent to
 * review) from the fallback (`other`, nothing could tell). Down: model guesses become `fallback`, as
 * they were stored before.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
ALTER TABLE nlu_prompt_logs DROP CONSTRAINT chk_nlu_prompt_logs_source;
ALTER TABLE nlu_prompt_logs ADD CONSTRAINT chk_nlu_prompt_logs_source CHECK (source IN ('rule', 'classifier', 'model', 'fallback'));
COMMENT ON COLUMN nlu_prompt_logs.source IS
  'Who predicted: rule (keyword rules, with the topic model agreeing), classifier (a model call), model (the offline topic model), fallback (neither could tell)';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
UPDATE nlu_prompt_logs SET source = 'fallback' WHERE source = 'model';
ALTER TABLE nlu_prompt_logs DROP CONSTRAINT chk_nlu_prompt_logs_source;
ALTER TABLE nlu_prompt_logs ADD CONSTRAINT chk_nlu_prompt_logs_source CHECK (source IN ('rule', 'classifier', 'fallback'));
COMMENT ON COLUMN nlu_prompt_logs.source IS
  'Who predicted: rule (keyword rules), classifier (a model call), fallback (neither was available)';
`.execute(db);
}
