/** Reads a call's stored request and output back (llm_call_io joined with its system prompt). */
import type Anthropic from '@anthropic-ai/sdk';
import type { Kysely, Transaction } from 'kysely';
import type { Database, JsonObject, JsonValue } from '../../db';
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
    .select([
      'sp.text as system_text',
      'io.requested_model',
      'io.messages',
      'io.tools',
      'io.output_schema',
      'io.params',
      'io.has_output',
      'io.output_text',
      'io.output_structured',
    ])
    .where('io.call_id', '=', callId)
    .executeTakeFirst();
  return row ? callIoFromRow(row) : null;
}
