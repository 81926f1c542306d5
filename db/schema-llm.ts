/** The log of every model call and the prompt-capture (intent) log. Mirrors migration 20261124090100. */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonbWithDefault, JsonObject, NullableTimestamp, TimestampWithDefault } from './schema-types';

/** Why a model call was made (the CHECK chk_llm_calls_purpose), every value: the exports and the API list these. */
export const LLM_CALL_PURPOSES = ['answer', 'intent', 'generation', 'judging', 'rewrite', 'suggestion', 'practices'] as const;
export type LlmCallPurpose = (typeof LLM_CALL_PURPOSES)[number];
/** Whether a model call returned a message (chk_llm_calls_status). */
export type LlmCallStatus = 'ok' | 'error';
/** Who predicted an intent (chk_nlu_prompt_logs_source). */
export type IntentSource = 'rule' | 'classifier' | 'model' | 'fallback';

/** NUMERIC: both drivers read it as a string (no float rounding); written as a string or a number. */
export type NullableNumeric = ColumnType<string | null, string | number | null | undefined, string | number | null>;
/**
 * DATE: read as a Date at local midnight by both drivers (UTC midnight in this UTC-run process), so
 * read it with to_char when the calendar day matters; written as 'YYYY-MM-DD'.
 */
export type NullableDate = ColumnType<Date | null, string | null | undefined, string | null>;

export interface LlmCallsTable {
  id: Generated<string>;
  created_at: TimestampWithDefault;
  purpose: LlmCallPurpose;
  provider: Generated<string>;
  model: string;
  prompt_version: string | null;
  /** Uncached input tokens, as the API bills them. */
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cache_read_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  latency_ms: number | null;
  /** NULL when the model has no price in the table. */
  cost_usd: NullableNumeric;
  /** The effective date of the price entry used. */
  price_date: NullableDate;
  stop_reason: string | null;
  status: LlmCallStatus;
  error: string | null;
  request_id: string | null;
  session_id: string | null;
  turn_id: string | null;
  tester_id: string | null;
  metadata: JsonbWithDefault<JsonObject | null>;
}

export interface NluPromptLogsTable {
  id: Generated<string>;
  created_at: TimestampWithDefault;
  /** Kept by the update_nlu_prompt_logs_updated_at trigger. */
  updated_at: TimestampWithDefault;
  /** The tester's AAD object id. */
  user_id: string;
  /** The tuning session. */
  conversation_id: string | null;
  /** The turn number in the session. */
  message_index: number | null;
  turn_id: string | null;
  prompt: string;
  predicted_intent: string;
  confidence: number;
  source: IntentSource;
  rule_name: string | null;
  was_successful: boolean | null;
  workflow_type: string | null;
  execution_error: string | null;
  corrected_intent: string | null;
  corrected_by: string | null;
  corrected_at: NullableTimestamp;
  notes: string | null;
  metadata: JsonbWithDefault<JsonObject | null>;
}

/** The tables of this part of the schema; db/schema.ts composes them into `Database`. */
export interface LlmTables {
  llm_calls: LlmCallsTable;
  nlu_prompt_logs: NluPromptLogsTable;
}

export type LlmCall = Selectable<LlmCallsTable>;
export type NewLlmCall = Insertable<LlmCallsTable>;
export type NluPromptLog = Selectable<NluPromptLogsTable>;
export type NewNluPromptLog = Insertable<NluPromptLogsTable>;
export type NluPromptLogUpdate = Updateable<NluPromptLogsTable>;
