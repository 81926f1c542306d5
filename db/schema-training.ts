/**
 * Training-data generation (spec 001): conversations, turns, their annotations, templates, generation
 * jobs and quality metrics, plus our generation_job_items. Mirrors migration 20261125090000.
 *
 * Reading the types:
 * - A column with a DEFAULT but no NOT NULL (most of the spec's) is `Generated<T | null>`.
 * - DECIMAL columns are `NUMERIC`: both drivers read them as strings ("4.5", "0.80") so no float rounding
 *   creeps in; write a string or a number. Compare with Number(x) in code, or in SQL.
 * - TIMESTAMPTZ columns are read as `Date`.
 * - JSONB arrays are written as JSON text made by {@link toJsonb}: `pg` sends a JS array as a Postgres
 *   array literal ('{"a","b"}'), which JSONB rejects, while PGlite would accept it, so a raw array would
 *   pass the PGlite tests and fail in production. JSONB objects are written as plain objects.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { NullableNumeric } from './schema-llm';
import type {
  Jsonb,
  JsonbWithDefault,
  JsonObject,
  JsonValue,
  NullableTimestamp,
  NullableTimestampWithDefault,
  TimestampWithDefault,
} from './schema-types';

declare const jsonTextOf: unique symbol;
/** JSON text of a T, made by {@link toJsonb}; the brand keeps a raw JS array out of a JSONB array column. */
export type JsonText<T> = string & { readonly [jsonTextOf]: T };

/** Serialises a value for a JSONB parameter; the same text works on `pg` and PGlite. */
export function toJsonb<T>(value: T): JsonText<T> {
  return JSON.stringify(value) as JsonText<T>;
}

/** NUMERIC NOT NULL: read as a string, written as a string or a number. */
export type Numeric = ColumnType<string, string | number, string | number>;
/** JSONB array, nullable, no default: read as T[], written as {@link JsonText}. */
export type NullableJsonbArray<T> = ColumnType<T[] | null, JsonText<T[]> | null | undefined, JsonText<T[]> | null>;
/** JSONB array, NOT NULL, no default. */
export type JsonbArray<T> = ColumnType<T[], JsonText<T[]>, JsonText<T[]>>;
/** JSONB object, nullable, no default. */
export type NullableJsonb<T> = ColumnType<T | null, T | null | undefined, T | null>;

/** chk valid_tier (training_conversations and conversation_templates). */
export type TrainingTier = 'tier1_template' | 'tier2_scenario' | 'tier3_edge';
/** chk valid_generation_status. */
export type ConversationGenerationStatus = 'planned' | 'in_progress' | 'generated' | 'reviewed' | 'approved';
/** chk valid_valence. */
export type EmotionalValence = 'positive' | 'negative' | 'mixed';
/** chk valid_pacing. */
export type ResponsePacing = 'slow' | 'moderate' | 'fast';
/** chk valid_job_type. */
export type GenerationJobType = 'single' | 'batch' | 'process_all';
/** chk valid_status (generation_jobs). */
export type GenerationJobStatus = 'queued' | 'in_progress' | 'completed' | 'failed' | 'cancelled';
/** chk_generation_job_items_status. */
export type GenerationJobItemStatus = 'pending' | 'claimed' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** emotional_context.client_needs entries, as the spec gives them. */
export type ClientNeed = { priority: number; need: string; rationale: string };
/** emotional_context.red_flags entries. */
export type RedFlag = { flag: string; implication: string; handling: string };
/** response_strategies.specific_techniques entries. */
export type SpecificTechnique = { technique: string; application: string; purpose: string };
/** response_strategies.tactical_choices: tactic name → whether it is used (booleans in the seeds). */
export type TacticalChoices = { [tactic: string]: JsonValue };
/** response_breakdowns.word_choice_rationale: key phrase → why it works. */
export type WordChoiceRationale = { [phrase: string]: string };
/** generation_jobs.results_summary: training_conversations.id → that conversation's outcome. */
export type GenerationResultsSummary = { [conversationId: string]: JsonObject };

/** One planned or generated conversation (1-100). `conversation_id` is the human key, e.g. "fp_marcus_002". */
export interface TrainingConversationsTable {
  id: Generated<string>;
  conversation_id: string;
  conversation_number: number;
  persona_type: string;
  persona_name: string;
  persona_description: string | null;
  topic_category: string;
  topic_description: string | null;
  tier: TrainingTier;
  tier_template: string | null;
  tier_batch: number | null;
  starting_emotion: string | null;
  starting_emotion_intensity: NullableNumeric;
  ending_emotion: string | null;
  ending_emotion_intensity: NullableNumeric;
  emotional_arc_description: string | null;
  turn_count: number;
  total_sentences: number | null;
  total_word_count: number | null;
  session_context: string | null;
  conversation_phase: string | null;
  expected_outcome: string | null;
  quality_score: NullableNumeric;
  empathy_score: NullableNumeric;
  clarity_score: NullableNumeric;
  appropriateness_score: NullableNumeric;
  brand_voice_score: NullableNumeric;
  domain_specific_score: NullableNumeric;
  generation_status: Generated<ConversationGenerationStatus | null>;
  generation_method: string | null;
  generation_date: NullableTimestamp;
  generation_duration_seconds: number | null;
  generation_cost_cents: number | null;
  is_seed_example: Generated<boolean | null>;
  use_for_variations: Generated<boolean | null>;
  variation_count_target: number | null;
  human_reviewed: Generated<boolean | null>;
  reviewer_notes: string | null;
  review_date: NullableTimestamp;
  created_at: NullableTimestampWithDefault;
  /** Also set by a trigger on every update. */
  updated_at: NullableTimestampWithDefault;
  /** A UUID with no foreign key (the spec's auth.users does not exist here). */
  created_by: string | null;
}

/** One user input / target response pair of a conversation (turn 1-6). */
export interface TrainingTurnsTable {
  id: Generated<string>;
  /** Human key, e.g. "fp_marcus_002_turn1". */
  turn_id: string;
  /** training_conversations.id (the UUID, not the human conversation_id). */
  conversation_id: string;
  turn_number: number;
  system_prompt: string;
  user_input: string;
  user_intent: string | null;
  target_response: string;
  target_response_word_count: number | null;
  target_response_sentence_count: number | null;
  response_structure_type: string | null;
  positive_indicators: NullableJsonbArray<string>;
  neutral_indicators: NullableJsonbArray<string>;
  negative_indicators: NullableJsonbArray<string>;
  difficulty_level: string | null;
  key_learning_objective: string | null;
  demonstrates_skills: NullableJsonbArray<string>;
  emotional_progression_target: string | null;
  /** The previous turns, for turns 2+. */
  conversation_history: NullableJsonbArray<JsonValue>;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
}

/** The emotional analysis of one turn (at most one per turn). */
export interface EmotionalContextTable {
  id: Generated<string>;
  turn_id: string;
  primary_emotion: string;
  primary_confidence: Numeric;
  secondary_emotion: string | null;
  secondary_confidence: NullableNumeric;
  tertiary_emotion: string | null;
  tertiary_confidence: NullableNumeric;
  intensity: Numeric;
  valence: EmotionalValence;
  explicit_emotion_words: NullableJsonbArray<string>;
  uncertainty_language: NullableJsonbArray<string>;
  self_deprecation: NullableJsonbArray<string>;
  time_pressure: NullableJsonbArray<string>;
  social_comparison: NullableJsonbArray<string>;
  decision_paralysis: NullableJsonbArray<string>;
  vulnerability: NullableJsonbArray<string>;
  enthusiasm: NullableJsonbArray<string>;
  previous_turn_emotion: string | null;
  current_turn_emotion: string | null;
  progression_description: string | null;
  /** -1.00 to 1.00; no CHECK in the spec. */
  intensity_change: NullableNumeric;
  risk_level: string | null;
  engagement_readiness: string | null;
  knowledge_level: string | null;
  trust_level: string | null;
  client_needs: JsonbArray<ClientNeed>;
  red_flags: NullableJsonbArray<RedFlag>;
  created_at: NullableTimestampWithDefault;
}

/** The response strategy of one turn (at most one per turn). */
export interface ResponseStrategiesTable {
  id: Generated<string>;
  turn_id: string;
  primary_strategy: string;
  primary_rationale: string;
  secondary_strategies: NullableJsonbArray<string>;
  tone_selection: string;
  tone_rationale: string | null;
  pacing: ResponsePacing;
  tactical_choices: Jsonb<TacticalChoices>;
  avoid_tactics: NullableJsonbArray<string>;
  specific_techniques: JsonbArray<SpecificTechnique>;
  created_at: NullableTimestampWithDefault;
}

/** One sentence of a turn's target response, analysed. */
export interface ResponseBreakdownsTable {
  id: Generated<string>;
  turn_id: string;
  sentence_number: number;
  sentence_text: string;
  function: string;
  emotional_purpose: string;
  technique: string;
  teaches_model: string;
  word_choice_rationale: Jsonb<WordChoiceRationale>;
  psychological_principle: string | null;
  stylistic_note: string | null;
  created_at: NullableTimestampWithDefault;
}

/** A generation template of the three-tier system. `template_id` is the human key, e.g. "tier1_template_a". */
export interface ConversationTemplatesTable {
  id: Generated<string>;
  template_id: string;
  template_name: string;
  tier: TrainingTier;
  tier_description: string | null;
  emotional_arc_pattern: string | null;
  starting_emotion_pattern: string | null;
  ending_emotion_pattern: string | null;
  typical_turn_count: number | null;
  structural_pattern_description: string | null;
  template_prompt: string;
  template_instructions: string | null;
  /** Human conversation ids (e.g. "fp_marcus_002") that exemplify the template. */
  reference_conversation_ids: NullableJsonbArray<string>;
  target_conversation_count: number | null;
  generated_conversation_count: Generated<number | null>;
  quality_requirements: NullableJsonb<JsonObject>;
  is_active: Generated<boolean | null>;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
}

/** A generation run (single, batch or process-all); its conversations are its generation_job_items. */
export interface GenerationJobsTable {
  id: Generated<string>;
  job_type: GenerationJobType;
  /** training_conversations.id values, in job order (the spec's list; items are the source of truth). */
  target_conversation_ids: JsonbArray<string>;
  total_conversations: number;
  template_id: string | null;
  status: Generated<GenerationJobStatus | null>;
  current_conversation_index: Generated<number | null>;
  completed_conversations: Generated<number | null>;
  failed_conversations: Generated<number | null>;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  total_duration_seconds: number | null;
  total_api_calls: Generated<number | null>;
  total_tokens_used: Generated<number | null>;
  total_cost_cents: Generated<number | null>;
  error_message: string | null;
  failed_conversation_ids: NullableJsonbArray<string>;
  results_summary: NullableJsonb<GenerationResultsSummary>;
  created_by: string | null;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
  /** Ours: the Message Batches batch id when the job runs in batch mode. */
  batch_id: string | null;
}

/** The aggregate quality of one conversation (at most one row per conversation). */
export interface QualityMetricsTable {
  id: Generated<string>;
  conversation_id: string;
  total_turns: number;
  total_sentences: number;
  total_word_count: number;
  average_words_per_sentence: NullableNumeric;
  overall_quality_score: Numeric;
  empathy_score: Numeric;
  clarity_score: Numeric;
  appropriateness_score: Numeric;
  brand_voice_alignment: Numeric;
  has_complete_emotional_context: Generated<boolean | null>;
  has_emotional_progression: Generated<boolean | null>;
  emotional_indicator_count: number | null;
  has_primary_strategy: Generated<boolean | null>;
  has_strategy_rationale: Generated<boolean | null>;
  technique_count: number | null;
  sentences_analyzed: number | null;
  sentences_with_word_rationale: number | null;
  /** A fraction 0.00-1.00 (the spec calls it a percentage; DECIMAL(3,2) cannot hold 100). */
  word_choice_rationale_completeness: NullableNumeric;
  all_required_fields_complete: Generated<boolean | null>;
  ready_for_training: Generated<boolean | null>;
  needs_review: Generated<boolean | null>;
  reviewer_approved: Generated<boolean | null>;
  reviewer_notes: string | null;
  review_date: NullableTimestamp;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
}

/** Ours: one conversation of a job, claimed by a worker with a lease (FOR UPDATE SKIP LOCKED). */
export interface GenerationJobItemsTable {
  id: Generated<string>;
  job_id: string;
  /** training_conversations.id. */
  conversation_id: string;
  /** Order in the job, >= 0 and unique in it; claimed lowest first. */
  position: number;
  status: Generated<GenerationJobItemStatus>;
  attempts: Generated<number>;
  claimed_by: string | null;
  /** Required (with lease_expires_at) while status = 'claimed': chk_generation_job_items_claim_has_lease. */
  claimed_at: NullableTimestamp;
  lease_expires_at: NullableTimestamp;
  last_error: string | null;
  result: JsonbWithDefault<JsonObject | null>;
  /** The Message Batches custom_id of this item's request. */
  batch_request_id: string | null;
  created_at: TimestampWithDefault;
  /** Also set by a trigger on every update. */
  updated_at: TimestampWithDefault;
}

/** The training tables, composed into `Database` by db/schema.ts. */
export interface TrainingTables {
  training_conversations: TrainingConversationsTable;
  training_turns: TrainingTurnsTable;
  emotional_context: EmotionalContextTable;
  response_strategies: ResponseStrategiesTable;
  response_breakdowns: ResponseBreakdownsTable;
  conversation_templates: ConversationTemplatesTable;
  generation_jobs: GenerationJobsTable;
  quality_metrics: QualityMetricsTable;
  generation_job_items: GenerationJobItemsTable;
}

export type TrainingConversation = Selectable<TrainingConversationsTable>;
export type NewTrainingConversation = Insertable<TrainingConversationsTable>;
export type TrainingConversationUpdate = Updateable<TrainingConversationsTable>;
export type TrainingTurn = Selectable<TrainingTurnsTable>;
export type NewTrainingTurn = Insertable<TrainingTurnsTable>;
export type EmotionalContext = Selectable<EmotionalContextTable>;
export type NewEmotionalContext = Insertable<EmotionalContextTable>;
export type ResponseStrategy = Selectable<ResponseStrategiesTable>;
export type NewResponseStrategy = Insertable<ResponseStrategiesTable>;
export type ResponseBreakdown = Selectable<ResponseBreakdownsTable>;
export type NewResponseBreakdown = Insertable<ResponseBreakdownsTable>;
export type ConversationTemplate = Selectable<ConversationTemplatesTable>;
export type NewConversationTemplate = Insertable<ConversationTemplatesTable>;
export type ConversationTemplateUpdate = Updateable<ConversationTemplatesTable>;
export type GenerationJob = Selectable<GenerationJobsTable>;
export type NewGenerationJob = Insertable<GenerationJobsTable>;
export type GenerationJobUpdate = Updateable<GenerationJobsTable>;
export type QualityMetrics = Selectable<QualityMetricsTable>;
export type NewQualityMetrics = Insertable<QualityMetricsTable>;
export type QualityMetricsUpdate = Updateable<QualityMetricsTable>;
export type GenerationJobItem = Selectable<GenerationJobItemsTable>;
export type NewGenerationJobItem = Insertable<GenerationJobItemsTable>;
export type GenerationJobItemUpdate = Updateable<GenerationJobItemsTable>;
