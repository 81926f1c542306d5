/**
 * The one Database interface for the whole product. Column names and nullability mirror the SQL in
 * db/migrations exactly: a column with a DEFAULT but no NOT NULL is `Generated<T | null>`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

import type { InsightsTables } from './schema-insights';
import type { CallIoTables } from './schema-call-io';
import type { KnowledgeTables } from './schema-knowledge';
import type { LlmTables } from './schema-llm';
import type { PracticeTables } from './schema-practices';
import type { RetentionTables } from './schema-retention';
import type { TrainingTables } from './schema-training';
import type {
  Jsonb,
  JsonbWithDefault,
  JsonObject,
  NullableTimestamp,
  NullableTimestampWithDefault,
  TimestampWithDefault,
} from './schema-types';

export * from './schema-types';
export * from './schema-knowledge';
export * from './schema-llm';
export * from './schema-call-io';
export * from './schema-retention';
export * from './schema-training';
export * from './schema-insights';
export * from './schema-practices';

export interface PromptTuningSessionsTable {
  id: Generated<string>;
  session_start: TimestampWithDefault;
  session_end: NullableTimestamp;
  master_prompt_version: string | null;
  branch_name: Generated<string | null>;
  total_turns: Generated<number | null>;
  total_improvements: Generated<number | null>;
  tester_id: string | null;
  tester_email: string | null;
  tester_name: string | null;
  /** Teams ties: conversation_id, channel_id, tenant_id, prompt_path, environment. */
  metadata: JsonbWithDefault<JsonObject | null>;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
}

/** The spec's search_results shape. */
export interface SearchResults {
  results: Array<{ chunk_id: string; document_title: string; chunk_text: string; similarity: number }>;
}

export interface TuningConversationTurnsTable {
  id: Generated<string>;
  session_id: string;
  turn_number: number;
  user_message: string;
  era_response: string;
  timestamp: TimestampWithDefault;
  processing_time_ms: number | null;
  search_results: ColumnType<SearchResults | null, SearchResults | null | undefined, SearchResults | null>;
  avg_similarity: number | null;
  total_chunks: number | null;
  confidence_score: number | null;
  template_used: string | null;
  /**
   * model, usage, stop_reason, offline, and the Teams ids: user_activity_id, reply_activity_id,
   * conversation_id. reply_activity_id is indexed: card actions and feedback find their turn by it.
   */
  metadata: JsonbWithDefault<JsonObject | null>;
  /** Spec 000 metrics (migration 20261202120000): programmatic, set when the turn is stored. */
  has_policy_citation: boolean | null;
  appropriate_action_suggested: boolean | null;
  structure_complete: boolean | null;
  /** Spec 000 metrics: the LLM judge's 1-5 scores; NULL until judged (and always offline). */
  professionalism_score: number | null;
  empathy_score: number | null;
  clarity_score: number | null;
}

export interface TuningImprovementsTable {
  id: Generated<string>;
  turn_id: string;
  improvement_note: string;
  category: string | null;
  timestamp: TimestampWithDefault;
  /**
   * source ('card' | 'looks_good' | 'feedback_loop'), tester_id, submission_id (the card render's
   * nonce: unique per turn, so a double click stores one note), reaction (feedback loop).
   */
  metadata: JsonbWithDefault<JsonObject | null>;
}

/** Bot Framework Storage (dialog and conversation state), so bot instances stay stateless. */
export interface BotStateTable {
  key: string;
  data: Jsonb<JsonObject>;
  etag: string;
  updated_at: TimestampWithDefault;
}

/** Every table of the product: the tuning chat here, the other capabilities in their own files. */
/** Activities claimed before the bot acts on them (issue 9): a redelivery is not handled twice. */
export interface HandledActivitiesTable {
  channel_id: string;
  conversation_id: string;
  activity_id: string;
  activity_type: string;
  status: Generated<'working' | 'done'>;
  claimed_by: string;
  lease_until: ColumnType<Date, Date | string, Date | string>;
  outcome: ColumnType<JsonObject | null, JsonObject | null | undefined, JsonObject | null>;
  attempts: Generated<number>;
  received_at: TimestampWithDefault;
  completed_at: NullableTimestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database extends KnowledgeTables, LlmTables, CallIoTables, RetentionTables, TrainingTables, InsightsTables, PracticeTables {
  handled_activities: HandledActivitiesTable;
  prompt_tuning_sessions: PromptTuningSessionsTable;
  tuning_conversation_turns: TuningConversationTurnsTable;
  tuning_improvements: TuningImprovementsTable;
  bot_state: BotStateTable;
}

export type Session = Selectable<PromptTuningSessionsTable>;
export type NewSession = Insertable<PromptTuningSessionsTable>;
export type SessionUpdate = Updateable<PromptTuningSessionsTable>;
export type Turn = Selectable<TuningConversationTurnsTable>;
export type NewTurn = Insertable<TuningConversationTurnsTable>;
export type Improvement = Selectable<TuningImprovementsTable>;
export type NewImprovement = Insertable<TuningImprovementsTable>;
