/**
 * The tuning loop (issue 10): per-turn metrics, the judge's provenance, prompt suggestions, replays of
 * recorded sessions on a candidate prompt, the Message Batches they send, and spec 000's
 * prompt_version_comparisons.
 *
 * From spec 000 ("Future Schema Enhancements"), exactly: the six metric columns of
 * tuning_conversation_turns with their CHECKs (named here), and prompt_version_comparisons with its seven
 * columns. Our additions, each named as such below:
 * - prompt_version_comparisons: which replay and sessions a row compares, and the number of turns behind
 *   each side's score (a mean of 3 turns is not a mean of 300);
 * - turn_judgements: every judging of a turn (rubric version, judge model, the three scores, a short
 *   rationale per score, Anthropic's request id or the batch and custom id). The spec's score columns hold
 *   the latest successful judging; this table keeps history, so a new rubric version re-judges without
 *   losing the old scores, and "judged under rubric v, model m" is one unique key (rescoring is idempotent);
 * - prompt_suggestions, prompt_replays: state, progress, candidate and errors, so a restart carries on;
 * - insight_batches, insight_batch_requests: each Message Batches batch and its requests, written before
 *   the create call, so a restart polls a batch instead of sending it again;
 * - llm_calls.purpose gains 'suggestion' (a prompt-edit proposal is neither an answer nor a rewrite).
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
ALTER TABLE tuning_conversation_turns
  ADD COLUMN has_policy_citation BOOLEAN,
  ADD COLUMN appropriate_action_suggested BOOLEAN,
  ADD COLUMN structure_complete BOOLEAN,
  ADD COLUMN professionalism_score INTEGER
    CONSTRAINT chk_tuning_turns_professionalism_score CHECK (professionalism_score BETWEEN 1 AND 5),
  ADD COLUMN empathy_score INTEGER
    CONSTRAINT chk_tuning_turns_empathy_score CHECK (empathy_score BETWEEN 1 AND 5),
  ADD COLUMN clarity_score INTEGER
    CONSTRAINT chk_tuning_turns_clarity_score CHECK (clarity_score BETWEEN 1 AND 5);

COMMENT ON COLUMN tuning_conversation_turns.has_policy_citation IS
  'The answer cites at least one of the policy passages it was given, by a valid [n] marker';
COMMENT ON COLUMN tuning_conversation_turns.appropriate_action_suggested IS
  'The answer gives a concrete next step, and names ER/HR when the situation is one the prompt says to escalate';
COMMENT ON COLUMN tuning_conversation_turns.structure_complete IS
  'The answer opens with a prose sentence, gives at least two steps, has no headings or tables, and stays within 300 words';
COMMENT ON COLUMN tuning_conversation_turns.professionalism_score IS
  'LLM judge, 1-5 (latest successful judging; history in turn_judgements). NULL: not judged (judge offline, pending, or failed)';

CREATE TABLE turn_judgements (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_turn_judgements PRIMARY KEY,
  turn_id UUID NOT NULL
    CONSTRAINT fk_turn_judgements_turn REFERENCES tuning_conversation_turns(id) ON DELETE CASCADE,
  rubric_version TEXT NOT NULL,
  judge_model TEXT NOT NULL,
  status TEXT NOT NULL
    CONSTRAINT chk_turn_judgements_status CHECK (status IN ('ok', 'error')),
  professionalism_score INTEGER
    CONSTRAINT chk_turn_judgements_professionalism CHECK (professionalism_score BETWEEN 1 AND 5),
  empathy_score INTEGER
    CONSTRAINT chk_turn_judgements_empathy CHECK (empathy_score BETWEEN 1 AND 5),
  clarity_score INTEGER
    CONSTRAINT chk_turn_judgements_clarity CHECK (clarity_score BETWEEN 1 AND 5),
  rationale JSONB NOT NULL DEFAULT '{}'::jsonb,
  error TEXT,
  request_id TEXT,
  batch_id TEXT,
  custom_id TEXT,
  judged_at TIMESTAMP NOT NULL DEFAULT NOW(),
  CONSTRAINT uq_turn_judgements_turn_rubric_model UNIQUE (turn_id, rubric_version, judge_model),
  CONSTRAINT chk_turn_judgements_ok_has_scores CHECK (
    status <> 'ok' OR (professionalism_score IS NOT NULL AND empathy_score IS NOT NULL AND clarity_score IS NOT NULL))
);
CREATE INDEX idx_turn_judgements_judged ON turn_judgements(judged_at DESC);
COMMENT ON TABLE turn_judgements IS
  'Every LLM judging of a turn: rubric version, judge model, scores, rationale, and the call (request id, or batch and custom id)';

CREATE TABLE prompt_suggestions (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_prompt_suggestions PRIMARY KEY,
  session_id UUID NOT NULL
    CONSTRAINT fk_prompt_suggestions_session REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  created_at TIMESTAMP NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
  requested_by TEXT,
  status TEXT NOT NULL DEFAULT 'pending'
    CONSTRAINT chk_prompt_suggestions_status CHECK (status IN ('pending', 'ready', 'failed')),
  mode TEXT NOT NULL
    CONSTRAINT chk_prompt_suggestions_mode CHECK (mode IN ('claude', 'offline_digest')),
  prompt_path TEXT NOT NULL,
  base_version TEXT NOT NULL,
  base_sha256 TEXT NOT NULL,
  model TEXT,
  summary TEXT,
  edits JSONB NOT NULL DEFAULT '{"items": []}'::jsonb,
  refused JSONB NOT NULL DEFAULT '{"items": []}'::jsonb,
  patch TEXT,
  digest TEXT,
  error TEXT,
  request_id TEXT,
  lease_expires_at TIMESTAMP,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX idx_prompt_suggestions_session ON prompt_suggestions(session_id, created_at DESC);
COMMENT ON TABLE prompt_suggestions IS
  'Proposed MASTER_PROMPT.md edits for a session (find/replace pairs naming the notes they answer, and the unified diff), or an offline digest of its notes';

CREATE TABLE prompt_replays (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_prompt_replays PRIMARY KEY,
  created_at TIMESTAMP NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
  requested_by TEXT,
  group_id UUID,
  source_session_id UUID NOT NULL
    CONSTRAINT fk_prompt_replays_source REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  replay_session_id UUID
    CONSTRAINT fk_prompt_replays_replay_session REFERENCES prompt_tuning_sessions(id) ON DELETE SET NULL,
  candidate_kind TEXT NOT NULL
    CONSTRAINT chk_prompt_replays_candidate_kind CHECK (candidate_kind IN ('git_ref', 'file', 'suggestion')),
  candidate_ref TEXT NOT NULL,
  candidate_version TEXT NOT NULL,
  candidate_sha256 TEXT NOT NULL,
  candidate_prompt TEXT NOT NULL,
  suggestion_id UUID
    CONSTRAINT fk_prompt_replays_suggestion REFERENCES prompt_suggestions(id) ON DELETE SET NULL,
  base_version TEXT,
  mode TEXT NOT NULL DEFAULT 'direct'
    CONSTRAINT chk_prompt_replays_mode CHECK (mode IN ('direct', 'batch')),
  status TEXT NOT NULL DEFAULT 'queued'
    CONSTRAINT chk_prompt_replays_status CHECK (status IN ('queued', 'running', 'scoring', 'completed', 'failed', 'cancelled')),
  total_turns INTEGER NOT NULL
    CONSTRAINT chk_prompt_replays_total_turns CHECK (total_turns >= 0),
  done_turns INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  lease_expires_at TIMESTAMP,
  error TEXT,
  started_at TIMESTAMP,
  completed_at TIMESTAMP,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT chk_prompt_replays_done_turns CHECK (done_turns >= 0 AND done_turns <= total_turns),
  CONSTRAINT uq_prompt_replays_replay_session UNIQUE (replay_session_id)
);
CREATE INDEX idx_prompt_replays_source ON prompt_replays(source_session_id, created_at DESC);
CREATE INDEX idx_prompt_replays_group ON prompt_replays(group_id) WHERE group_id IS NOT NULL;
CREATE INDEX idx_prompt_replays_unfinished ON prompt_replays(created_at) WHERE status IN ('queued', 'running', 'scoring');
COMMENT ON TABLE prompt_replays IS
  'A recorded session re-run on a candidate prompt; its turns are in its own session (replay_session_id, no tester, so it never is or blocks a tester''s open session)';
COMMENT ON COLUMN prompt_replays.candidate_version IS
  'Git: the 7-character commit that last changed the prompt at the ref (what a session started there records); otherwise sha256: and 12 hex digits of the text';

CREATE TABLE insight_batches (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_insight_batches PRIMARY KEY,
  purpose TEXT NOT NULL
    CONSTRAINT chk_insight_batches_purpose CHECK (purpose IN ('judging', 'replay')),
  batch_id TEXT,
  status TEXT NOT NULL
    CONSTRAINT chk_insight_batches_status CHECK (status IN ('submitting', 'in_progress', 'ended', 'collected', 'failed')),
  request_count INTEGER NOT NULL
    CONSTRAINT chk_insight_batches_request_count CHECK (request_count > 0),
  submit_started_at TIMESTAMP NOT NULL DEFAULT NOW(),
  submit_expires_at TIMESTAMP NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT NOW(),
  ended_at TIMESTAMP,
  collected_at TIMESTAMP,
  error TEXT,
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT uq_insight_batches_batch_id UNIQUE (batch_id)
);
CREATE INDEX idx_insight_batches_open ON insight_batches(created_at) WHERE status IN ('submitting', 'in_progress', 'ended');
COMMENT ON TABLE insight_batches IS
  'Message Batches sent for judging or replays; written before the create call so a restart polls instead of resending';

CREATE TABLE insight_batch_requests (
  batch_row_id UUID NOT NULL
    CONSTRAINT fk_insight_batch_requests_batch REFERENCES insight_batches(id) ON DELETE CASCADE,
  custom_id TEXT NOT NULL,
  turn_id UUID
    CONSTRAINT fk_insight_batch_requests_turn REFERENCES tuning_conversation_turns(id) ON DELETE CASCADE,
  replay_id UUID
    CONSTRAINT fk_insight_batch_requests_replay REFERENCES prompt_replays(id) ON DELETE CASCADE,
  turn_number INTEGER,
  payload JSONB NOT NULL DEFAULT '{}'::jsonb,
  status TEXT NOT NULL DEFAULT 'pending'
    CONSTRAINT chk_insight_batch_requests_status CHECK (status IN ('pending', 'stored', 'errored')),
  error TEXT,
  CONSTRAINT pk_insight_batch_requests PRIMARY KEY (batch_row_id, custom_id)
);
CREATE INDEX idx_insight_batch_requests_turn ON insight_batch_requests(turn_id) WHERE turn_id IS NOT NULL;
CREATE INDEX idx_insight_batch_requests_replay ON insight_batch_requests(replay_id, turn_number) WHERE replay_id IS NOT NULL;

CREATE TABLE prompt_version_comparisons (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_prompt_version_comparisons PRIMARY KEY,
  version_a TEXT NOT NULL,
  version_b TEXT NOT NULL,
  metric_name TEXT NOT NULL,
  version_a_score FLOAT,
  version_b_score FLOAT,
  comparison_date TIMESTAMP DEFAULT NOW(),
  replay_id UUID
    CONSTRAINT fk_prompt_version_comparisons_replay REFERENCES prompt_replays(id) ON DELETE CASCADE,
  source_session_id UUID
    CONSTRAINT fk_prompt_version_comparisons_source REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  replay_session_id UUID
    CONSTRAINT fk_prompt_version_comparisons_replay_session REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  version_a_turns INTEGER,
  version_b_turns INTEGER,
  CONSTRAINT uq_prompt_version_comparisons_replay_metric UNIQUE (replay_id, metric_name)
);
CREATE INDEX idx_prompt_version_comparisons_versions ON prompt_version_comparisons(version_a, version_b);
COMMENT ON TABLE prompt_version_comparisons IS
  'Per-metric scores of two prompt versions (spec 000); replay_id, the session ids and the turn counts are our additions';
COMMENT ON COLUMN prompt_version_comparisons.version_a_score IS
  'Mean over version A''s turns with a value: a 1-5 score, or for a boolean metric the share of turns where it holds (0-1)';

ALTER TABLE llm_calls DROP CONSTRAINT chk_llm_calls_purpose;
ALTER TABLE llm_calls ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion'));
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The spend record stays: suggestion calls become 'rewrite' (the nearest purpose the old CHECK knows).
  await sql`
UPDATE llm_calls SET purpose = 'rewrite', metadata = coalesce(metadata, '{}'::jsonb) || '{"purpose_was": "suggestion"}'::jsonb
  WHERE purpose = 'suggestion';
ALTER TABLE llm_calls DROP CONSTRAINT chk_llm_calls_purpose;
ALTER TABLE llm_calls ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite'));
DROP TABLE IF EXISTS prompt_version_comparisons;
DROP TABLE IF EXISTS insight_batch_requests;
DROP TABLE IF EXISTS insight_batches;
DELETE FROM prompt_tuning_sessions WHERE id IN (SELECT replay_session_id FROM prompt_replays WHERE replay_session_id IS NOT NULL);
DROP TABLE IF EXISTS prompt_replays;
DROP TABLE IF EXISTS prompt_suggestions;
DROP TABLE IF EXISTS turn_judgements;
ALTER TABLE tuning_conversation_turns
  DROP COLUMN IF EXISTS clarity_score,
  DROP COLUMN IF EXISTS empathy_score,
  DROP COLUMN IF EXISTS professionalism_score,
  DROP COLUMN IF EXISTS structure_complete,
  DROP COLUMN IF EXISTS appropriate_action_suggested,
  DROP COLUMN IF EXISTS has_policy_citation;
`.execute(db);
}
