/**
 * Best practices (spec 002): the three tables exactly as the spec gives them (column names, types,
 * defaults, UNIQUE(model)), with their constraints named. Our additions, each named as such below:
 *
 * best_practices
 * - practice_key: the stable identity of a practice across analyses (sha256 of model, category and the
 *   sorted pattern features), unique, so a re-run updates a practice instead of adding a twin;
 * - status ('active' | 'archived'), archived_at: a practice the data no longer supports is archived,
 *   never deleted (its sources go with it only when it is deleted by hand);
 * - last_analyzed_at: the analysis that last confirmed it;
 * - generated_by ('claude' | 'offline'): who wrote title, description, insights, tags and example; an
 *   offline write-up is a deterministic extraction and says so;
 * - metadata: the pattern's features, the statistics behind the effectiveness score, the write-up's
 *   basis (so an unchanged practice is not sent to Claude again);
 * - CHECKs: effectiveness 0-100 (the spec's comment), sample_count >= 0, key_insights and tags arrays.
 * model_performance_stats: CHECKs on its counts (the spec's columns and UNIQUE(model) unchanged).
 * practice_source_sessions
 * - session_id keeps the spec's VARCHAR(255). It holds prompt_tuning_sessions.id as text: a CHECK makes
 *   it a canonical lower-case UUID, and a statement-level trigger on prompt_tuning_sessions removes the
 *   links of deleted sessions (retention deletes or archives them), so a link never names a session
 *   that is not live. It is not a foreign key (the types differ and the spec keeps the column a string);
 *   the next analysis recomputes links and counts from the data that is live then.
 * - the spec's REFERENCES best_practices(id) gets ON DELETE CASCADE and NOT NULL (a link without a
 *   practice means nothing); one row per practice and session (UNIQUE), contribution 0-100.
 * llm_calls.purpose (and its archive copy) gains 'practices': the call that writes a practice up.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE best_practices (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_best_practices PRIMARY KEY,
  title VARCHAR(255) NOT NULL,
  description TEXT NOT NULL,
  category VARCHAR(100) NOT NULL,
  model VARCHAR(100) NOT NULL,
  effectiveness_score DECIMAL(5,2) NOT NULL
    CONSTRAINT chk_best_practices_effectiveness CHECK (effectiveness_score BETWEEN 0 AND 100),
  sample_count INTEGER NOT NULL
    CONSTRAINT chk_best_practices_sample_count CHECK (sample_count >= 0),
  example_prompt TEXT NOT NULL,
  key_insights JSONB NOT NULL
    CONSTRAINT chk_best_practices_key_insights_array CHECK (jsonb_typeof(key_insights) = 'array'),
  tags JSONB NOT NULL
    CONSTRAINT chk_best_practices_tags_array CHECK (jsonb_typeof(tags) = 'array'),
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  practice_key TEXT NOT NULL
    CONSTRAINT uq_best_practices_practice_key UNIQUE,
  status TEXT NOT NULL DEFAULT 'active'
    CONSTRAINT chk_best_practices_status CHECK (status IN ('active', 'archived')),
  archived_at TIMESTAMP WITH TIME ZONE,
  last_analyzed_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
  generated_by TEXT NOT NULL
    CONSTRAINT chk_best_practices_generated_by CHECK (generated_by IN ('claude', 'offline')),
  metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
  CONSTRAINT chk_best_practices_archived_at CHECK ((status = 'archived') = (archived_at IS NOT NULL))
);
CREATE INDEX idx_best_practices_listing ON best_practices(status, effectiveness_score DESC, id);
CREATE INDEX idx_best_practices_model_category ON best_practices(model, category);
COMMENT ON TABLE best_practices IS
  'Patterns shared by the best-scored ERA replies per model and topic (spec 002); practice_key, status, archived_at, last_analyzed_at, generated_by and metadata are additions';
COMMENT ON COLUMN best_practices.category IS 'The topic (policy area) of the managers'' questions the practice was found in';
COMMENT ON COLUMN best_practices.example_prompt IS 'A manager''s question and the reply that best shows the practice';
COMMENT ON COLUMN best_practices.practice_key IS 'sha256 of model, category and the sorted pattern features: a re-run updates by it';

CREATE TABLE model_performance_stats (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_model_performance_stats PRIMARY KEY,
  model VARCHAR(100) NOT NULL,
  total_practices INTEGER NOT NULL
    CONSTRAINT chk_model_performance_stats_total CHECK (total_practices >= 0),
  avg_effectiveness DECIMAL(5,2) NOT NULL
    CONSTRAINT chk_model_performance_stats_avg CHECK (avg_effectiveness BETWEEN 0 AND 100),
  last_updated TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  CONSTRAINT uq_model_performance_stats_model UNIQUE (model)
);
COMMENT ON TABLE model_performance_stats IS 'Per model: its active practices and their mean effectiveness, as of the last analysis';

CREATE TABLE practice_source_sessions (
  id UUID DEFAULT gen_random_uuid()
    CONSTRAINT pk_practice_source_sessions PRIMARY KEY,
  best_practice_id UUID NOT NULL
    CONSTRAINT fk_practice_source_sessions_practice REFERENCES best_practices(id) ON DELETE CASCADE,
  session_id VARCHAR(255) NOT NULL
    CONSTRAINT chk_practice_source_sessions_session_uuid
      CHECK (session_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  contribution_score DECIMAL(5,2) NOT NULL
    CONSTRAINT chk_practice_source_sessions_contribution CHECK (contribution_score BETWEEN 0 AND 100),
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  CONSTRAINT uq_practice_source_sessions_practice_session UNIQUE (best_practice_id, session_id)
);
CREATE INDEX idx_practice_source_sessions_session ON practice_source_sessions(session_id);
COMMENT ON COLUMN practice_source_sessions.session_id IS
  'prompt_tuning_sessions.id as text (a canonical UUID); links of a deleted or archived session are removed by trg_practice_sources_session_gone';
COMMENT ON COLUMN practice_source_sessions.contribution_score IS
  'The session''s share (0-100) of the combined scores of the top replies that show the practice';

CREATE FUNCTION drop_practice_sources_of_deleted_sessions() RETURNS TRIGGER AS $$
BEGIN
  DELETE FROM practice_source_sessions p USING gone g WHERE p.session_id = g.id::text;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER trg_practice_sources_session_gone
  AFTER DELETE ON prompt_tuning_sessions
  REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION drop_practice_sources_of_deleted_sessions();

ALTER TABLE llm_calls DROP CONSTRAINT chk_llm_calls_purpose;
ALTER TABLE llm_calls ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion', 'practices'));
ALTER TABLE llm_calls_archive DROP CONSTRAINT IF EXISTS chk_llm_calls_purpose;
ALTER TABLE llm_calls_archive ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion', 'practices'));
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The spend record stays: practice write-ups become 'rewrite' (the nearest purpose the old CHECK knows).
  await sql`
UPDATE llm_calls SET purpose = 'rewrite', metadata = coalesce(metadata, '{}'::jsonb) || '{"purpose_was": "practices"}'::jsonb
  WHERE purpose = 'practices';
UPDATE llm_calls_archive SET purpose = 'rewrite', metadata = coalesce(metadata, '{}'::jsonb) || '{"purpose_was": "practices"}'::jsonb
  WHERE purpose = 'practices';
ALTER TABLE llm_calls DROP CONSTRAINT chk_llm_calls_purpose;
ALTER TABLE llm_calls ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion'));
ALTER TABLE llm_calls_archive DROP CONSTRAINT IF EXISTS chk_llm_calls_purpose;
ALTER TABLE llm_calls_archive ADD CONSTRAINT chk_llm_calls_purpose
  CHECK (purpose IN ('answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion'));
DROP TRIGGER IF EXISTS trg_practice_sources_session_gone ON prompt_tuning_sessions;
DROP FUNCTION IF EXISTS drop_practice_sources_of_deleted_sessions();
DROP TABLE IF EXISTS practice_source_sessions;
DROP TABLE IF EXISTS model_performance_stats;
DROP TABLE IF EXISTS best_practices;
`.execute(db);
}
