/** Reads a call's stored request and output back (llm_call_io joined with its system prompt). */
import type Anthropic from '@anthropic-ai/sdk';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JsonObject, JsonValue, LlmCallPurpose } from '../../db';
import type { CallIo, CallOutput, CallRequest } from './types';

type Db = Kysely<Database> | Transaction<Database>;

/** The columns of an llm_call_io row joined with llm_system_prompts.text. */
export interface StoredCallIoRow {
  system_text: string | null;
  requested_model: string | null;
  messages: unknown[];
  tools: unknown[] | null;
  output_schema: JsonObject | null;
  params: JsonObject;
  has_output: boolean;
  output_text: string | null;
  output_structured: JsonValue | null;
}

/** What to select for a StoredCallIoRow, from `llm_call_io as io` left-joined with `llm_system_prompts as sp`. */
export const STORED_CALL_IO_COLUMNS = [
  'sp.text as system_text', 'io.requested_model', 'io.messages', 'io.tools', 'io.output_schema', 'io.params', 'io.has_output', 'io.output_text', 'io.output_structured',
] as const;

/** A stored row as the call log's CallIo (the inverse of what the call log wrote). */
export function callIoFromRow(row: StoredCallIoRow): CallIo {
  const request: CallRequest = {
    ...(row.requested_model === null ? {} : { model: row.requested_model }),
    system: row.system_text,
    messages: row.messages as Anthropic.MessageParam[],
    tools: row.tools as Anthropic.Tool[] | null,
    outputSchema: row.output_schema,
    params: row.params,
  };
  let output: CallOutput | null = null;
  if (row.has_output) output = row.output_structured === null ? { text: row.output_text } : { text: row.output_text, structured: row.output_structured };
  return { request, output };
}

/** The stored request and output of call CALL_ID, or null when it recorded none. */
export async function readCallIo(db: Db, callId: string): Promise<CallIo | null> {
  const row = await db
    .selectFrom('llm_call_io as io')
    .leftJoin('llm_system_prompts as sp', 'sp.sha256', 'io.system_sha256')
    .select(STORED_CALL_IO_COLUMNS)
    .where('io.call_id', '=', callId)
    .executeTakeFirst();
  return row ? callIoFromRow(row) : null;
}

/** The latest answered call of a purpose, with its output: spec 003's cached read. */
export interface LatestCallOutput {
  callId: string;
  purpose: LlmCallPurpose;
  model: string;
  promptVersion: string | null;
  sessionId: string | null;
  turnId: string | null;
  output: CallOutput;
  createdAt: Date;
}

/** Narrows the cached read to one session and/or one tester's calls. */
export interface LatestOutputScope {
  sessionId?: string;
  testerId?: string;
}

/**
 * The newest call of PURPOSE that answered (status ok, an output stored, not stopped by the tester),
 * within SCOPE; null when there is none. Served by idx_llm_calls_purpose_created.
 */
export async function latestCallOutput(db: Db, purpose: LlmCallPurpose, scope: LatestOutputScope = {}): Promise<LatestCallOutput | null> {
  const row = await db
    .selectFrom('llm_calls as c')
    .innerJoin('llm_call_io as io', 'io.call_id', 'c.id')
    .select(['c.id', 'c.purpose', 'c.model', 'c.prompt_version', 'c.session_id', 'c.turn_id', 'c.created_at', 'io.output_text', 'io.output_structured'])
    .where('c.purpose', '=', purpose)
    .where('c.status', '=', 'ok')
    .where('io.has_output', '=', true)
    .where(sql<boolean>`coalesce(c.metadata->>'cancelled', 'false') <> 'true'`)
    .$if(scope.sessionId !== undefined, (q) => q.where('c.session_id', '=', scope.sessionId ?? ''))
    .$if(scope.testerId !== undefined, (q) => q.where('c.tester_id', '=', scope.testerId ?? ''))
    .orderBy('c.created_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const output: CallOutput = row.output_structured === null ? { text: row.output_text } : { text: row.output_text, structured: row.output_structured };
  return {
    callId: row.id, purpose: row.purpose, model: row.model, promptVersion: row.prompt_version, sessionId: row.session_id, turnId: row.turn_id, output, createdAt: row.created_at,
  };
}
