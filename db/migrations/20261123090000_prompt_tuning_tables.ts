/**
 * The three tables of the prompt-tuning spec (spec/000), exactly as written: columns, defaults,
 * constraints, indexes (partial ones included), functions, triggers and comments.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE IF NOT EXISTS prompt_tuning_sessions (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_start TIMESTAMP NOT NULL DEFAULT NOW(),
  session_end TIMESTAMP,
  master_prompt_version TEXT,
  branch_name TEXT DEFAULT 'prompt-tuning',
  total_turns INTEGER DEFAULT 0,
  total_improvements INTEGER DEFAULT 0,
  tester_id TEXT,
  tester_email TEXT,
  tester_name TEXT,
  metadata JSONB DEFAULT '{}'::jsonb,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX idx_tuning_sessions_start ON prompt_tuning_sessions(session_start DESC);
CREATE INDEX idx_tuning_sessions_tester ON prompt_tuning_sessions(tester_id);
CREATE INDEX idx_tuning_sessions_branch ON prompt_tuning_sessions(branch_name);
CREATE INDEX idx_tuning_sessions_active ON prompt_tuning_sessions(session_end) WHERE session_end IS NULL;

COMMENT ON TABLE prompt_tuning_sessions IS
  'Tracks prompt tuning testing sessions for MASTER_PROMPT.md optimization';
COMMENT ON COLUMN prompt_tuning_sessions.master_prompt_version IS
  'Git commit hash of MASTER_PROMPT.md when session started';
COMMENT ON COLUMN prompt_tuning_sessions.metadata IS
  'Additional session data: render_deployment_id, environment, etc.';

CREATE TABLE IF NOT EXISTS tuning_conversation_turns (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id UUID NOT NULL REFERENCES prompt_tuning_sessions(id) ON DELETE CASCADE,
  turn_number INTEGER NOT NULL,
  user_message TEXT NOT NULL,
  era_response TEXT NOT NULL,
  timestamp TIMESTAMP NOT NULL DEFAULT NOW(),
  processing_time_ms INTEGER,
  search_results JSONB,
  avg_similarity FLOAT,
  total_chunks INTEGER,
  confidence_score FLOAT,
  template_used TEXT,
  metadata JSONB DEFAULT '{}'::jsonb,
  CONSTRAINT unique_session_turn UNIQUE(session_id, turn_number)
);

CREATE INDEX idx_tuning_turns_session ON tuning_conversation_turns(session_id, turn_number);
CREATE INDEX idx_tuning_turns_timestamp ON tuning_conversation_turns(timestamp DESC);
CREATE INDEX idx_tuning_turns_similarity ON tuning_conversation_turns(avg_similarity)
  WHERE avg_similarity IS NOT NULL;

COMMENT ON TABLE tuning_conversation_turns IS
  'Stores each conversation turn during prompt tuning sessions';
COMMENT ON COLUMN tuning_conversation_turns.search_results IS
  'RAG search results used to generate this response (for debugging)';
COMMENT ON COLUMN tuning_conversation_turns.metadata IS
  'Additional turn data: user_context, conversation_state, etc.';

CREATE TABLE IF NOT EXISTS tuning_improvements (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  turn_id UUID NOT NULL REFERENCES tuning_conversation_turns(id) ON DELETE CASCADE,
  improvement_note TEXT NOT NULL,
  category TEXT,
  timestamp TIMESTAMP NOT NULL DEFAULT NOW(),
  metadata JSONB DEFAULT '{}'::jsonb
);

CREATE INDEX idx_tuning_improvements_turn ON tuning_improvements(turn_id);
CREATE INDEX idx_tuning_improvements_category ON tuning_improvements(category) WHERE category IS NOT NULL;
CREATE INDEX idx_tuning_improvements_timestamp ON tuning_improvements(timestamp DESC);

COMMENT ON TABLE tuning_improvements IS
  'Stores improvement feedback from testers on ERA responses';
COMMENT ON COLUMN tuning_improvements.category IS
  'Optional category: tone, content, citation, clarity, structure, action';
COMMENT ON COLUMN tuning_improvements.metadata IS
  'Additional improvement data: severity, suggested_change, etc.';

CREATE OR REPLACE FUNCTION update_session_metrics()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE prompt_tuning_sessions
  SET total_turns = (
    SELECT COUNT(*)
    FROM tuning_conversation_turns
    WHERE session_id = NEW.session_id
  ),
  updated_at = NOW()
  WHERE id = NEW.session_id;

  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_turn_count
  AFTER INSERT ON tuning_conversation_turns
  FOR EACH ROW
  EXECUTE FUNCTION update_session_metrics();

CREATE OR REPLACE FUNCTION update_improvement_count()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE prompt_tuning_sessions
  SET total_improvements = (
    SELECT COUNT(*)
    FROM tuning_improvements i
    JOIN tuning_conversation_turns t ON i.turn_id = t.id
    WHERE t.session_id = (
      SELECT session_id
      FROM tuning_conversation_turns
      WHERE id = NEW.turn_id
    )
  ),
  updated_at = NOW()
  WHERE id = (
    SELECT session_id
    FROM tuning_conversation_turns
    WHERE id = NEW.turn_id
  );

  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_improvement_count
  AFTER INSERT ON tuning_improvements
  FOR EACH ROW
  EXECUTE FUNCTION update_improvement_count();

CREATE OR REPLACE FUNCTION update_updated_at_column()
RETURNS TRIGGER AS $$
BEGIN
  NEW.updated_at = NOW();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER update_sessions_updated_at
  BEFORE UPDATE ON prompt_tuning_sessions
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();
`.execute(db);
}

/** The spec's rollback plan, plus update_updated_at_column, which this migration also created. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TRIGGER IF EXISTS trigger_update_turn_count ON tuning_conversation_turns;
DROP TRIGGER IF EXISTS trigger_update_improvement_count ON tuning_improvements;
DROP TRIGGER IF EXISTS update_sessions_updated_at ON prompt_tuning_sessions;
DROP FUNCTION IF EXISTS update_session_metrics();
DROP FUNCTION IF EXISTS update_improvement_count();
DROP FUNCTION IF EXISTS update_updated_at_column();
DROP TABLE IF EXISTS tuning_improvements CASCADE;
DROP TABLE IF EXISTS tuning_conversation_turns CASCADE;
DROP TABLE IF EXISTS prompt_tuning_sessions CASCADE;
`.execute(db);
}
