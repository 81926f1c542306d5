/** Every model call's request and output (spec/003). Mirrors migration 20261202130000. */
import type { ColumnType, Insertable, Selectable } from 'kysely';
import type { JsonText } from './schema-training';
import type { JsonObject, JsonValue, TimestampWithDefault } from './schema-types';

export interface LlmSystemPromptsTable {
  /** SHA-256 of `text` (UTF-8), lower-case hex. */
  sha256: string;
  text: string;
  created_at: TimestampWithDefault;
}

/**
 * JSONB written as JSON text ({@link JsonText}), read as parsed JSON. The request's messages and tools
 * are `unknown[]` here: their shape is the Messages API's, which the SDK's types describe (src/llm).
 */
type JsonbText<T> = ColumnType<T, JsonText<T>, JsonText<T>>;
type NullableJsonbText<T> = ColumnType<T | null, JsonText<T> | null | undefined, JsonText<T> | null>;

export interface LlmCallIoTable {
  /** llm_calls.id (ON DELETE CASCADE). */
  call_id: string;
  /** llm_system_prompts.sha256; null when the call had no system prompt. */
  system_sha256: string | null;
  /** The model the request named (llm_calls.model is the one that answered). */
  requested_model: string | null;
  /** The Messages API `messages` array as sent. */
  messages: JsonbText<unknown[]>;
  tools: NullableJsonbText<unknown[]>;
  output_schema: NullableJsonbText<JsonObject>;
  /** Every other field of the request body; `system_blocks` when the system went as blocks. */
  params: ColumnType<JsonObject, JsonText<JsonObject> | undefined, JsonText<JsonObject>>;
  /** False when the call failed before any output. */
  has_output: boolean;
  output_text: string | null;
  output_structured: NullableJsonbText<JsonValue>;
}

/** The tables of this part of the schema; db/schema.ts composes them into `Database`. */
export interface CallIoTables {
  llm_system_prompts: LlmSystemPromptsTable;
  llm_call_io: LlmCallIoTable;
}

export type LlmCallIo = Selectable<LlmCallIoTable>;
export type NewLlmCallIo = Insertable<LlmCallIoTable>;
export type LlmSystemPrompt = Selectable<LlmSystemPromptsTable>;
