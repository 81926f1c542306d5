/**
 * Training-data generation (spec/001): the spec's eight tables, from its "SQL Migration Script"
 * section, with every column, default, CHECK, UNIQUE, foreign key, cascade and index it gives, plus our
 * generation_job_items and generation_jobs.batch_id.
 *
 * Where the script and the spec's per-table descriptions differ, the script wins:
 * - created_by (training_conversations, generation_jobs) is a bare UUID: the descriptions reference
 *   auth.users(id), a Supabase table that does not exist here.
 * - training_conversations.valid_quality_scores starts with `quality_score IS NULL OR (...)`, so a
 *   planned conversation has no scores; the descriptions lack the NULL guard.
 * - The script's RLS policies (more INSERT/UPDATE ones, USING (true) rather than created_by = auth.uid())
 *   are not created at all: see below.
 *
 * Other departures, none of which changes a column:
 * - Ids default to gen_random_uuid() (built in since Postgres 13, and in PGlite) rather than the
 *   uuid-ossp extension's uuid_generate_v4(), which PGlite does not load by default. Both are random v4.
 * - Plain CREATE rather than CREATE ... IF NOT EXISTS: a migration runs once, and a same-named table
 *   left behind by something else should stop it rather than be silently adopted.
 * - Every constraint and index has a name. The spec's names are kept; the ones it leaves unnamed
 *   (primary keys, foreign keys, the UNIQUE on the human keys) get pk_/fk_/uq_ names.
 * - updated_at is kept by triggers on update_updated_at_column() (from the first migration); the spec
 *   declares the columns but nothing that maintains them.
 *
 * Row-level security: the spec's policies are granted to Supabase's `authenticated` role and use
 * auth.uid(), neither of which plain Postgres or PGlite has. They are not created and RLS is not
 * enabled; the application enforces those rules instead (the bot is the only client, and it decides
 * who may read, create and update conversations and jobs).
 *
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE training_conversations (
  id UUID DEFAULT gen_random_uuid(),
  conversation_id VARCHAR(50) NOT NULL,
  conversation_number INTEGER NOT NULL,
  persona_type VARCHAR(50) NOT NULL,
  persona_name VARCHAR(100) NOT NULL,
  persona_description TEXT,
  topic_category VARCHAR(100) NOT NULL,
  topic_description TEXT,
  tier VARCHAR(20) NOT NULL,
  tier_template VARCHAR(100),
  tier_batch INTEGER,
  starting_emotion VARCHAR(50),
  starting_emotion_intensity DECIMAL(3,2),
  ending_emotion VARCHAR(50),
  ending_emotion_intensity DECIMAL(3,2),
  emotional_arc_description TEXT,
  turn_count INTEGER NOT NULL,
  total_sentences INTEGER,
  total_word_count INTEGER,
  session_context TEXT,
  conversation_phase VARCHAR(100),
  expected_outcome TEXT,
  quality_score DECIMAL(2,1),
  empathy_score DECIMAL(2,1),
  clarity_score DECIMAL(2,1),
  appropriateness_score DECIMAL(2,1),
  brand_voice_score DECIMAL(2,1),
  domain_specific_score DECIMAL(2,1),
  generation_status VARCHAR(20) DEFAULT 'planned',
  generation_method VARCHAR(50),
  generation_date TIMESTAMPTZ,
  generation_duration_seconds INTEGER,
  generation_cost_cents INTEGER,
  is_seed_example BOOLEAN DEFAULT false,
  use_for_variations BOOLEAN DEFAULT false,
  variation_count_target INTEGER,
  human_reviewed BOOLEAN DEFAULT false,
  reviewer_notes TEXT,
  review_date TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  created_by UUID,
  CONSTRAINT pk_training_conversations PRIMARY KEY (id),
  CONSTRAINT uq_training_conversations_conversation_id UNIQUE (conversation_id),
  CONSTRAINT valid_conversation_number CHECK (conversation_number BETWEEN 1 AND 100),
  CONSTRAINT valid_tier CHECK (tier IN ('tier1_template', 'tier2_scenario', 'tier3_edge')),
  CONSTRAINT valid_generation_status CHECK (generation_status IN ('planned', 'in_progress', 'generated', 'reviewed', 'approved')),
  -- As the script has it: domain_specific_score is not checked, and once quality_score is set a NULL
  -- among the others passes (NULL BETWEEN ... is unknown, which a CHECK accepts).
  CONSTRAINT valid_quality_scores CHECK (
    quality_score IS NULL OR (quality_score BETWEEN 1.0 AND 5.0 AND
    empathy_score BETWEEN 1.0 AND 5.0 AND
    clarity_score BETWEEN 1.0 AND 5.0 AND
    appropriateness_score BETWEEN 1.0 AND 5.0 AND
    brand_voice_score BETWEEN 1.0 AND 5.0)
  )
);

CREATE INDEX idx_conversations_number ON training_conversations(conversation_number);
CREATE INDEX idx_conversations_persona ON training_conversations(persona_type);
CREATE INDEX idx_conversations_tier ON training_conversations(tier);
CREATE INDEX idx_conversations_status ON training_conversations(generation_status);
CREATE INDEX idx_conversations_topic ON training_conversations(topic_category);
CREATE INDEX idx_conversations_is_seed ON training_conversations(is_seed_example);

CREATE TRIGGER update_training_conversations_updated_at
  BEFORE UPDATE ON training_conversations
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE training_conversations IS
  'Master table for conversation records: the 100 planned or generated training conversations';
COMMENT ON COLUMN training_conversations.conversation_id IS
  'Human key, e.g. fp_marcus_002';
COMMENT ON COLUMN training_conversations.created_by IS
  'The creating user; no foreign key (the spec''s auth.users is Supabase''s)';

CREATE TABLE training_turns (
  id UUID DEFAULT gen_random_uuid(),
  turn_id VARCHAR(50) NOT NULL,
  conversation_id UUID NOT NULL,
  turn_number INTEGER NOT NULL,
  system_prompt TEXT NOT NULL,
  user_input TEXT NOT NULL,
  user_intent VARCHAR(100),
  target_response TEXT NOT NULL,
  target_response_word_count INTEGER,
  target_response_sentence_count INTEGER,
  response_structure_type VARCHAR(100),
  positive_indicators JSONB,
  neutral_indicators JSONB,
  negative_indicators JSONB,
  difficulty_level VARCHAR(50),
  key_learning_objective TEXT,
  demonstrates_skills JSONB,
  emotional_progression_target TEXT,
  conversation_history JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_training_turns PRIMARY KEY (id),
  CONSTRAINT uq_training_turns_turn_id UNIQUE (turn_id),
  CONSTRAINT fk_training_turns_conversation FOREIGN KEY (conversation_id)
    REFERENCES training_conversations(id) ON DELETE CASCADE,
  CONSTRAINT valid_turn_number CHECK (turn_number BETWEEN 1 AND 6),
  CONSTRAINT unique_conversation_turn UNIQUE (conversation_id, turn_number)
);

CREATE INDEX idx_turns_conversation ON training_turns(conversation_id);
CREATE INDEX idx_turns_turn_number ON training_turns(turn_number);
CREATE INDEX idx_turns_difficulty ON training_turns(difficulty_level);

CREATE TRIGGER update_training_turns_updated_at
  BEFORE UPDATE ON training_turns
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE training_turns IS
  'Individual turns within each conversation with full annotation';
COMMENT ON COLUMN training_turns.turn_id IS
  'Human key, e.g. fp_marcus_002_turn1';

CREATE TABLE emotional_context (
  id UUID DEFAULT gen_random_uuid(),
  turn_id UUID NOT NULL,
  primary_emotion VARCHAR(50) NOT NULL,
  primary_confidence DECIMAL(3,2) NOT NULL,
  secondary_emotion VARCHAR(50),
  secondary_confidence DECIMAL(3,2),
  tertiary_emotion VARCHAR(50),
  tertiary_confidence DECIMAL(3,2),
  intensity DECIMAL(3,2) NOT NULL,
  valence VARCHAR(20) NOT NULL,
  explicit_emotion_words JSONB,
  uncertainty_language JSONB,
  self_deprecation JSONB,
  time_pressure JSONB,
  social_comparison JSONB,
  decision_paralysis JSONB,
  vulnerability JSONB,
  enthusiasm JSONB,
  previous_turn_emotion VARCHAR(50),
  current_turn_emotion VARCHAR(50),
  progression_description TEXT,
  intensity_change DECIMAL(3,2),
  risk_level VARCHAR(100),
  engagement_readiness VARCHAR(100),
  knowledge_level VARCHAR(100),
  trust_level VARCHAR(100),
  client_needs JSONB NOT NULL,
  red_flags JSONB,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_emotional_context PRIMARY KEY (id),
  CONSTRAINT fk_emotional_context_turn FOREIGN KEY (turn_id)
    REFERENCES training_turns(id) ON DELETE CASCADE,
  CONSTRAINT unique_turn_emotional_context UNIQUE (turn_id),
  CONSTRAINT valid_confidence_scores CHECK (
    primary_confidence BETWEEN 0.00 AND 1.00 AND
    (secondary_confidence IS NULL OR secondary_confidence BETWEEN 0.00 AND 1.00) AND
    (tertiary_confidence IS NULL OR tertiary_confidence BETWEEN 0.00 AND 1.00)
  ),
  CONSTRAINT valid_valence CHECK (valence IN ('positive', 'negative', 'mixed'))
);

CREATE INDEX idx_emotional_context_turn ON emotional_context(turn_id);
CREATE INDEX idx_emotional_context_primary ON emotional_context(primary_emotion);
CREATE INDEX idx_emotional_context_valence ON emotional_context(valence);

COMMENT ON TABLE emotional_context IS
  'Detailed emotional analysis for each turn';
COMMENT ON COLUMN emotional_context.client_needs IS
  'Array of {priority, need, rationale}';
COMMENT ON COLUMN emotional_context.red_flags IS
  'Array of {flag, implication, handling}';

CREATE TABLE response_strategies (
  id UUID DEFAULT gen_random_uuid(),
  turn_id UUID NOT NULL,
  primary_strategy VARCHAR(100) NOT NULL,
  primary_rationale TEXT NOT NULL,
  secondary_strategies JSONB,
  tone_selection VARCHAR(50) NOT NULL,
  tone_rationale TEXT,
  pacing VARCHAR(20) NOT NULL,
  tactical_choices JSONB NOT NULL,
  avoid_tactics JSONB,
  specific_techniques JSONB NOT NULL,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_response_strategies PRIMARY KEY (id),
  CONSTRAINT fk_response_strategies_turn FOREIGN KEY (turn_id)
    REFERENCES training_turns(id) ON DELETE CASCADE,
  CONSTRAINT unique_turn_response_strategy UNIQUE (turn_id),
  CONSTRAINT valid_pacing CHECK (pacing IN ('slow', 'moderate', 'fast'))
);

CREATE INDEX idx_response_strategies_turn ON response_strategies(turn_id);
CREATE INDEX idx_response_strategies_primary ON response_strategies(primary_strategy);

COMMENT ON TABLE response_strategies IS
  'Response strategy and technique metadata for each turn';
COMMENT ON COLUMN response_strategies.tactical_choices IS
  'Object: tactic name -> whether it is used';
COMMENT ON COLUMN response_strategies.specific_techniques IS
  'Array of {technique, application, purpose}';

CREATE TABLE response_breakdowns (
  id UUID DEFAULT gen_random_uuid(),
  turn_id UUID NOT NULL,
  sentence_number INTEGER NOT NULL,
  sentence_text TEXT NOT NULL,
  function VARCHAR(100) NOT NULL,
  emotional_purpose VARCHAR(100) NOT NULL,
  technique VARCHAR(100) NOT NULL,
  teaches_model TEXT NOT NULL,
  word_choice_rationale JSONB NOT NULL,
  psychological_principle VARCHAR(200),
  stylistic_note TEXT,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_response_breakdowns PRIMARY KEY (id),
  CONSTRAINT fk_response_breakdowns_turn FOREIGN KEY (turn_id)
    REFERENCES training_turns(id) ON DELETE CASCADE,
  CONSTRAINT unique_turn_sentence UNIQUE (turn_id, sentence_number)
);

CREATE INDEX idx_response_breakdowns_turn ON response_breakdowns(turn_id);
CREATE INDEX idx_response_breakdowns_sentence_num ON response_breakdowns(sentence_number);

COMMENT ON TABLE response_breakdowns IS
  'Sentence-by-sentence analysis of target responses';
COMMENT ON COLUMN response_breakdowns.word_choice_rationale IS
  'Object: key phrase -> why it works (3-6 phrases)';

CREATE TABLE conversation_templates (
  id UUID DEFAULT gen_random_uuid(),
  template_id VARCHAR(50) NOT NULL,
  template_name VARCHAR(200) NOT NULL,
  tier VARCHAR(20) NOT NULL,
  tier_description TEXT,
  emotional_arc_pattern VARCHAR(100),
  starting_emotion_pattern VARCHAR(50),
  ending_emotion_pattern VARCHAR(50),
  typical_turn_count INTEGER,
  structural_pattern_description TEXT,
  template_prompt TEXT NOT NULL,
  template_instructions TEXT,
  reference_conversation_ids JSONB,
  target_conversation_count INTEGER,
  generated_conversation_count INTEGER DEFAULT 0,
  quality_requirements JSONB,
  is_active BOOLEAN DEFAULT true,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_conversation_templates PRIMARY KEY (id),
  CONSTRAINT uq_conversation_templates_template_id UNIQUE (template_id),
  CONSTRAINT valid_tier CHECK (tier IN ('tier1_template', 'tier2_scenario', 'tier3_edge'))
);

CREATE INDEX idx_templates_tier ON conversation_templates(tier);
CREATE INDEX idx_templates_active ON conversation_templates(is_active);

CREATE TRIGGER update_conversation_templates_updated_at
  BEFORE UPDATE ON conversation_templates
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE conversation_templates IS
  'Three-tier template system for generating conversations';

CREATE TABLE generation_jobs (
  id UUID DEFAULT gen_random_uuid(),
  job_type VARCHAR(50) NOT NULL,
  target_conversation_ids JSONB NOT NULL,
  total_conversations INTEGER NOT NULL,
  template_id UUID,
  status VARCHAR(20) DEFAULT 'queued',
  current_conversation_index INTEGER DEFAULT 0,
  completed_conversations INTEGER DEFAULT 0,
  failed_conversations INTEGER DEFAULT 0,
  started_at TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  total_duration_seconds INTEGER,
  total_api_calls INTEGER DEFAULT 0,
  total_tokens_used INTEGER DEFAULT 0,
  total_cost_cents INTEGER DEFAULT 0,
  error_message TEXT,
  failed_conversation_ids JSONB,
  results_summary JSONB,
  created_by UUID,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  -- Not in the spec: the Message Batches batch id, for jobs that run as one batch rather than call by call.
  batch_id TEXT,
  CONSTRAINT pk_generation_jobs PRIMARY KEY (id),
  -- The spec gives no ON DELETE: a template that jobs used cannot be deleted (deactivate it instead).
  CONSTRAINT fk_generation_jobs_template FOREIGN KEY (template_id)
    REFERENCES conversation_templates(id),
  CONSTRAINT valid_job_type CHECK (job_type IN ('single', 'batch', 'process_all')),
  CONSTRAINT valid_status CHECK (status IN ('queued', 'in_progress', 'completed', 'failed', 'cancelled'))
);

CREATE INDEX idx_generation_jobs_status ON generation_jobs(status);
CREATE INDEX idx_generation_jobs_created_by ON generation_jobs(created_by);
CREATE INDEX idx_generation_jobs_created_at ON generation_jobs(created_at DESC);
-- Batch ids are unique at Anthropic; a results poll finds its job by it.
CREATE UNIQUE INDEX uq_generation_jobs_batch_id ON generation_jobs(batch_id) WHERE batch_id IS NOT NULL;

CREATE TRIGGER update_generation_jobs_updated_at
  BEFORE UPDATE ON generation_jobs
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE generation_jobs IS
  'Processing queue and status tracking for conversation generation; one generation_job_items row per conversation';
COMMENT ON COLUMN generation_jobs.target_conversation_ids IS
  'Array of training_conversations.id, in job order';
COMMENT ON COLUMN generation_jobs.results_summary IS
  'Object: conversation id -> {status, quality_score, duration, ...}';
COMMENT ON COLUMN generation_jobs.batch_id IS
  'Message Batches batch id when the job runs in batch mode (not in the spec)';

CREATE TABLE quality_metrics (
  id UUID DEFAULT gen_random_uuid(),
  conversation_id UUID NOT NULL,
  total_turns INTEGER NOT NULL,
  total_sentences INTEGER NOT NULL,
  total_word_count INTEGER NOT NULL,
  average_words_per_sentence DECIMAL(5,1),
  overall_quality_score DECIMAL(2,1) NOT NULL,
  empathy_score DECIMAL(2,1) NOT NULL,
  clarity_score DECIMAL(2,1) NOT NULL,
  appropriateness_score DECIMAL(2,1) NOT NULL,
  brand_voice_alignment DECIMAL(2,1) NOT NULL,
  has_complete_emotional_context BOOLEAN DEFAULT false,
  has_emotional_progression BOOLEAN DEFAULT false,
  emotional_indicator_count INTEGER,
  has_primary_strategy BOOLEAN DEFAULT false,
  has_strategy_rationale BOOLEAN DEFAULT false,
  technique_count INTEGER,
  sentences_analyzed INTEGER,
  sentences_with_word_rationale INTEGER,
  word_choice_rationale_completeness DECIMAL(3,2),
  all_required_fields_complete BOOLEAN DEFAULT false,
  ready_for_training BOOLEAN DEFAULT false,
  needs_review BOOLEAN DEFAULT false,
  reviewer_approved BOOLEAN DEFAULT false,
  reviewer_notes TEXT,
  review_date TIMESTAMPTZ,
  created_at TIMESTAMPTZ DEFAULT NOW(),
  updated_at TIMESTAMPTZ DEFAULT NOW(),
  CONSTRAINT pk_quality_metrics PRIMARY KEY (id),
  CONSTRAINT fk_quality_metrics_conversation FOREIGN KEY (conversation_id)
    REFERENCES training_conversations(id) ON DELETE CASCADE,
  CONSTRAINT unique_conversation_metrics UNIQUE (conversation_id),
  CONSTRAINT valid_quality_scores CHECK (
    overall_quality_score BETWEEN 1.0 AND 5.0 AND
    empathy_score BETWEEN 1.0 AND 5.0 AND
    clarity_score BETWEEN 1.0 AND 5.0 AND
    appropriateness_score BETWEEN 1.0 AND 5.0 AND
    brand_voice_alignment BETWEEN 1.0 AND 5.0
  )
);

CREATE INDEX idx_quality_metrics_conversation ON quality_metrics(conversation_id);
CREATE INDEX idx_quality_metrics_ready_for_training ON quality_metrics(ready_for_training);
CREATE INDEX idx_quality_metrics_needs_review ON quality_metrics(needs_review);

CREATE TRIGGER update_quality_metrics_updated_at
  BEFORE UPDATE ON quality_metrics
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE quality_metrics IS
  'Aggregated quality metrics and validation tracking, one row per conversation';
COMMENT ON COLUMN quality_metrics.word_choice_rationale_completeness IS
  'Fraction 0.00-1.00 of sentences with a word-choice rationale (DECIMAL(3,2) cannot hold a percentage)';

-- Ours, not the spec's: one row per conversation of a job, so each has its own claim, attempts and
-- result. Workers claim the lowest pending position with FOR UPDATE SKIP LOCKED and hold a lease; an
-- expired lease puts the item back in play, so a crashed worker's item is picked up again.
CREATE TABLE generation_job_items (
  id UUID NOT NULL DEFAULT gen_random_uuid(),
  job_id UUID NOT NULL,
  conversation_id UUID NOT NULL,
  position INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  claimed_by TEXT,
  claimed_at TIMESTAMPTZ,
  lease_expires_at TIMESTAMPTZ,
  last_error TEXT,
  result JSONB DEFAULT '{}'::jsonb,
  batch_request_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT pk_generation_job_items PRIMARY KEY (id),
  CONSTRAINT fk_generation_job_items_job FOREIGN KEY (job_id)
    REFERENCES generation_jobs(id) ON DELETE CASCADE,
  CONSTRAINT fk_generation_job_items_conversation FOREIGN KEY (conversation_id)
    REFERENCES training_conversations(id) ON DELETE CASCADE,
  CONSTRAINT uq_generation_job_items_job_conversation UNIQUE (job_id, conversation_id),
  CONSTRAINT uq_generation_job_items_job_position UNIQUE (job_id, position),
  CONSTRAINT chk_generation_job_items_status
    CHECK (status IN ('pending', 'claimed', 'succeeded', 'failed', 'skipped', 'cancelled')),
  CONSTRAINT chk_generation_job_items_attempts_non_negative CHECK (attempts >= 0),
  CONSTRAINT chk_generation_job_items_position_non_negative CHECK (position >= 0),
  -- A claimed item without a lease would never expire, so it could never be reclaimed.
  CONSTRAINT chk_generation_job_items_claim_has_lease
    CHECK (status <> 'claimed' OR (claimed_at IS NOT NULL AND lease_expires_at IS NOT NULL))
);

CREATE INDEX idx_generation_job_items_claim ON generation_job_items(job_id, status, position);
CREATE INDEX idx_generation_job_items_lease ON generation_job_items(lease_expires_at)
  WHERE status = 'claimed';
-- Deleting a conversation cascades here; without this index each delete scans the table.
CREATE INDEX idx_generation_job_items_conversation ON generation_job_items(conversation_id);

CREATE TRIGGER update_generation_job_items_updated_at
  BEFORE UPDATE ON generation_job_items
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE generation_job_items IS
  'One row per conversation of a generation job: its claim (worker, lease), attempts, last error and result';
COMMENT ON COLUMN generation_job_items.position IS
  'Order within the job (>= 0); items are claimed lowest position first';
COMMENT ON COLUMN generation_job_items.lease_expires_at IS
  'While status = claimed: after this time another worker may reclaim the item';
COMMENT ON COLUMN generation_job_items.batch_request_id IS
  'The Message Batches custom_id of this item''s request';
`.execute(db);
}

/** Drops what up created; their triggers go with the tables. update_updated_at_column stays (not ours). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TABLE IF EXISTS generation_job_items;
DROP TABLE IF EXISTS quality_metrics;
DROP TABLE IF EXISTS generation_jobs;
DROP TABLE IF EXISTS conversation_templates;
DROP TABLE IF EXISTS response_breakdowns;
DROP TABLE IF EXISTS response_strategies;
DROP TABLE IF EXISTS emotional_context;
DROP TABLE IF EXISTS training_turns;
DROP TABLE IF EXISTS training_conversations;
`.execute(db);
}
