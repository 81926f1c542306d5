/**
 * What the bot adds to the spec's tables to tie Teams to rows, and its state store.
 * - one open session per tester, enforced by a partial unique index;
 * - turns found by the Teams id of their reply card (card actions, feedback loop);
 * - a double-clicked note stored once: a card render's submission_id is unique per turn;
 * - bot_state: Bot Framework Storage for dialog state, so any instance can serve any turn.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE UNIQUE INDEX uq_tuning_sessions_one_open_per_tester
  ON prompt_tuning_sessions(tester_id) WHERE session_end IS NULL;
COMMENT ON INDEX uq_tuning_sessions_one_open_per_tester IS
  'A tester has at most one open session';

CREATE INDEX idx_tuning_turns_reply_activity
  ON tuning_conversation_turns ((metadata->>'reply_activity_id'))
  WHERE metadata ? 'reply_activity_id';

CREATE UNIQUE INDEX uq_tuning_improvements_submission
  ON tuning_improvements (turn_id, (metadata->>'submission_id'))
  WHERE metadata ? 'submission_id';
COMMENT ON INDEX uq_tuning_improvements_submission IS
  'One note per card submission: a double click stores it once';

CREATE TABLE bot_state (
  key TEXT PRIMARY KEY,
  data JSONB NOT NULL,
  etag TEXT NOT NULL,
  updated_at TIMESTAMP NOT NULL DEFAULT NOW()
);
COMMENT ON TABLE bot_state IS
  'Bot Framework storage (dialog and conversation state) with optimistic concurrency by etag';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TABLE IF EXISTS bot_state;
DROP INDEX IF EXISTS uq_tuning_improvements_submission;
DROP INDEX IF EXISTS idx_tuning_turns_reply_activity;
DROP INDEX IF EXISTS uq_tuning_sessions_one_open_per_tester;
`.execute(db);
}
