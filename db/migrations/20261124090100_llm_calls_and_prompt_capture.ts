/**
 * The log of every model call (spec/003: persist every AI generation with its model, tokens and
 * response time) and the prompt-capture log of intent predictions (spec/004: prediction, confidence,
 * source, workflow outcome, human corrections), adapted to Teams: the "user" is the tester and the
 * "conversation" is the tuning session.
 *
 * Call rows outlive what they point at (ON DELETE SET NULL): they are the spend record. Prediction rows
 * are part of a session's data and go with it (ON DELETE CASCADE).
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE llm_calls (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at TIMESTAMP NOT NULL DEFAULT NOW(),
  purpose TEXT NOT NULL
    CONSTRAINT chk_llm_calls_purpose CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite')),
  provider TEXT NOT NULL DEFAULT 'anthropic',
  model TEXT NOT NULL,
  prompt_version TEXT,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  latency_ms INTEGER,
  cost_usd NUMERIC(12, 6),
  price_date DATE,
  stop_reason TEXT,
  status TEXT NOT NULL
    CONSTRAINT chk_llm_calls_status CHECK (status IN ('ok', 'error')),
  error TEXT,
  request_id TEXT,
  session_id UUID
    CONSTRAINT fk_llm_calls_session REFERENCES prompt_tuning_sessions(id) ON DELETE SET NULL,
  turn_id UUID
    CONSTRAINT fk_llm_calls_turn REFERENCES tuning_conversation_turns(id) ON DELETE SET NULL,
  tester_id TEXT,
  metadata JSONB DEFAULT '{}'::jsonb,
  CONSTRAINT chk_llm_calls_tokens_non_negative
    CHECK (input_tokens >= 0 AND output_tokens >= 0 AND cache_read_tokens >= 0 AND cache_write_tokens >= 0)
);

CREATE INDEX idx_llm_calls_created ON llm_calls(created_at DESC);
CREATE INDEX idx_llm_calls_session ON llm_calls(session_id);
CREATE INDEX idx_llm_calls_turn ON llm_calls(turn_id);
CREATE INDEX idx_llm_calls_purpose_created ON llm_calls(purpose, created_at);
CREATE INDEX idx_llm_calls_model ON llm_calls(model);

COMMENT ON TABLE llm_calls IS
  'One row per model call (answers, intent classification, generation, judging, rewrites): model, tokens, latency, cost';
COMMENT ON COLUMN llm_calls.purpose IS
  'Why the call was made: answer (ERA), intent (prompt capture), generation, judging, rewrite';
COMMENT ON COLUMN llm_calls.input_tokens IS
  'Uncached input tokens as billed; cached ones are in cache_read_tokens and cache_write_tokens';
COMMENT ON COLUMN llm_calls.cost_usd IS
  'Estimated cost from the dated price table; NULL when the model has no price';
COMMENT ON COLUMN llm_calls.price_date IS
  'The effective date of the price entry used for cost_usd';
COMMENT ON COLUMN llm_calls.request_id IS
  'Anthropic request-id header, for support tickets';
COMMENT ON COLUMN llm_calls.metadata IS
  'Additional call data: stream, retries, parse outcome, etc.';

CREATE TABLE nlu_prompt_logs (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at TIMESTAMP NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
  user_id TEXT NOT NULL,
  conversation_id UUID
    CONSTRAINT fk_nlu_prompt_logs_session REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  message_index INTEGER,
  turn_id UUID
    CONSTRAINT fk_nlu_prompt_logs_turn REFERENCES tuning_conversation_turns(id) ON DELETE CASCADE,
  prompt TEXT NOT NULL,
  predicted_intent TEXT NOT NULL,
  confidence DOUBLE PRECISION NOT NULL
    CONSTRAINT chk_nlu_prompt_logs_confidence CHECK (confidence >= 0 AND confidence <= 1),
  source TEXT NOT NULL
    CONSTRAINT chk_nlu_prompt_logs_source CHECK (source IN ('rule', 'classifier', 'fallback')),
  rule_name TEXT,
  was_successful BOOLEAN,
  workflow_type TEXT,
  execution_error TEXT,
  corrected_intent TEXT,
  corrected_by TEXT,
  corrected_at TIMESTAMP,
  notes TEXT,
  metadata JSONB DEFAULT '{}'::jsonb,
  CONSTRAINT chk_nlu_prompt_logs_correction_complete
    CHECK ((corrected_intent IS NULL) = (corrected_at IS NULL) AND (corrected_intent IS NULL) = (corrected_by IS NULL))
);

CREATE INDEX idx_nlu_prompt_logs_user_created ON nlu_prompt_logs(user_id, created_at DESC);
CREATE INDEX idx_nlu_prompt_logs_created ON nlu_prompt_logs(created_at DESC);
CREATE INDEX idx_nlu_prompt_logs_confidence ON nlu_prompt_logs(confidence);
CREATE INDEX idx_nlu_prompt_logs_corrected ON nlu_prompt_logs(corrected_intent)
  WHERE corrected_intent IS NOT NULL;
CREATE UNIQUE INDEX uq_nlu_prompt_logs_turn ON nlu_prompt_logs(turn_id)
  WHERE turn_id IS NOT NULL;

CREATE TRIGGER update_nlu_prompt_logs_updated_at
  BEFORE UPDATE ON nlu_prompt_logs
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE nlu_prompt_logs IS
  'Prompt capture: every tester message with its predicted intent, outcome and human correction, for review and retraining';
COMMENT ON COLUMN nlu_prompt_logs.user_id IS
  'The tester (Teams AAD object id)';
COMMENT ON COLUMN nlu_prompt_logs.conversation_id IS
  'The tuning session the message belongs to';
COMMENT ON COLUMN nlu_prompt_logs.message_index IS
  'The turn number within the session';
COMMENT ON COLUMN nlu_prompt_logs.source IS
  'Who predicted: rule (keyword rules), classifier (a model call), fallback (neither was available)';
COMMENT ON COLUMN nlu_prompt_logs.was_successful IS
  'Workflow outcome: true after Looks good or thumbs up, false after an improvement note or thumbs down; the latest signal wins';
COMMENT ON COLUMN nlu_prompt_logs.corrected_intent IS
  'The topic a human says is right; set together with corrected_by and corrected_at';
COMMENT ON INDEX uq_nlu_prompt_logs_turn IS
  'One prediction per turn';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TABLE IF EXISTS nlu_prompt_logs;
DROP TABLE IF EXISTS llm_calls;
`.execute(db);
}
