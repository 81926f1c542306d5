/**
 * Spec 003's input → output pairs as fine-tuning data: every logged call with stored I/O, one JSON line
 * each, in one of three formats.
 *
 * - `anthropic`: `{"system": …, "messages": [...the request's messages, {"role": "assistant", "content": output}]}`
 *   (`system` absent when the call had none; messages exactly as sent, content blocks included).
 * - `openai` (chat fine-tuning): `{"messages": [{"role": "system", …}, ...user/assistant with string
 *   content, {"role": "assistant", "content": output}]}`; a message's text blocks are joined with a blank
 *   line; a call whose messages hold anything but text (images, tool use) is skipped and counted.
 * - `jsonl`: the raw pair with its metadata: ids, purpose, models, tokens, latency, cost, status, the
 *   request (system, messages, tools, output_schema, params) and the output (text, structured) or null.
 *
 * The two fine-tuning formats take only answered calls (status ok, non-empty output) and leave out
 * answers a tester stopped (a partial answer is no target); `jsonl` takes every call with stored I/O.
 * Rows are read a page at a time by keyset on (created_at, id), so memory stays flat and no connection
 * is held between pages; a call logged while the export runs is included if its page is still ahead.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, JsonObject, LlmCallPurpose } from '../../db';
import type { Anonymizer } from '../privacy';
import { callIoFromRow, STORED_CALL_IO_COLUMNS, type StoredCallIoRow } from './call-io-store';
import type { CallIo } from './types';

export type CallExportFormat = 'anthropic' | 'openai' | 'jsonl';
export const CALL_EXPORT_FORMATS: readonly CallExportFormat[] = ['anthropic', 'openai', 'jsonl'];

export interface CallExportOptions {
  format: CallExportFormat;
  /** Null: every purpose. */
  purposes: LlmCallPurpose[] | null;
  /** Calls made at or after this instant; null: from the first. */
  since: Date | null;
  /** Calls made before this instant; null: up to now. */
  until: Date | null;
  anonymizer: Anonymizer;
  /** Calls per query (default 200). */
  pageSize?: number;
}

/** What an export wrote and left out. */
export interface CallExportStats {
  written: number;
  /** Calls left out because the format cannot carry them (openai: non-text content). */
  skipped: number;
}

/** A call-log row with its stored I/O (the call-I/O columns as readCallIo reads them). */
interface ExportRow extends StoredCallIoRow {
  id: string;
  created_at: Date;
  purpose: LlmCallPurpose;
  model: string;
  prompt_version: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  latency_ms: number | null;
  cost_usd: string | null;
  stop_reason: string | null;
  status: 'ok' | 'error';
  error: string | null;
  request_id: string | null;
  session_id: string | null;
  turn_id: string | null;
  tester_id: string | null;
  metadata: JsonObject | null;
  created_key: string;
}

const DEFAULT_PAGE = 200;

/** Where the next page starts: after this call. */
interface Cursor {
  key: string;
  id: string;
}

async function readPage(db: Kysely<Database>, options: CallExportOptions, after: Cursor | null, limit: number): Promise<ExportRow[]> {
  const training = options.format !== 'jsonl';
  return db
    .selectFrom('llm_calls as c')
    .innerJoin('llm_call_io as io', 'io.call_id', 'c.id')
    .leftJoin('llm_system_prompts as sp', 'sp.sha256', 'io.system_sha256')
    .select([
      'c.id', 'c.created_at', 'c.purpose', 'c.model', 'c.prompt_version', 'c.input_tokens', 'c.output_tokens', 'c.cache_read_tokens',
      'c.cache_write_tokens', 'c.latency_ms', 'c.cost_usd', 'c.stop_reason', 'c.status', 'c.error', 'c.request_id', 'c.session_id',
      'c.turn_id', 'c.tester_id', 'c.metadata', ...STORED_CALL_IO_COLUMNS,
      // The keyset cursor as the database has it: a Date would drop the microseconds.
      sql<string>`c.created_at::text`.as('created_key'),
    ])
    .$if(options.purposes !== null, (q) => q.where('c.purpose', 'in', options.purposes ?? []))
    .$if(options.since !== null, (q) => q.where('c.created_at', '>=', options.since ?? new Date(0)))
    .$if(options.until !== null, (q) => q.where('c.created_at', '<', options.until ?? new Date(0)))
    .$if(training, (q) =>
      q.where('c.status', '=', 'ok').where('io.has_output', '=', true).where('io.output_text', '<>', '')
        .where(sql<boolean>`coalesce(c.metadata->>'cancelled', 'false') <> 'true'`))
    .$if(after !== null, (q) => q.where(sql<boolean>`(c.created_at, c.id) > (${after?.key ?? ''}::timestamp, ${after?.id ?? ''}::uuid)`))
    .orderBy('c.created_at')
    .orderBy('c.id')
    .limit(limit)
    .execute();
}

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** A message's content as one string, or null when it holds anything but text. */
function plainText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts: string[] = [];
  for (const block of content) {
    if (typeof block !== 'object' || block === null || (block as { type?: unknown }).type !== 'text') return null;
    const t = (block as { text?: unknown }).text;
    if (typeof t !== 'string') return null;
    texts.push(t);
  }
  return texts.join('\n\n');
}

function openAiLine(io: CallIo, output: string): string | null {
  const messages: ChatMessage[] = io.request.system === null ? [] : [{ role: 'system', content: io.request.system }];
  for (const m of io.request.messages) {
    const text = plainText(m.content);
    if (text === null || (m.role !== 'user' && m.role !== 'assistant')) return null;
    messages.push({ role: m.role, content: text });
  }
  messages.push({ role: 'assistant', content: output });
  return JSON.stringify({ messages });
}

function anthropicLine(io: CallIo, output: string): string {
  return JSON.stringify({
    ...(io.request.system === null ? {} : { system: io.request.system }),
    messages: [...io.request.messages, { role: 'assistant', content: output }],
  });
}

function jsonlLine(row: ExportRow, io: CallIo, a: Anonymizer): string {
  return JSON.stringify({
    id: row.id,
    created_at: row.created_at.toISOString(),
    purpose: row.purpose,
    model: row.model,
    requested_model: row.requested_model,
    prompt_version: row.prompt_version,
    status: row.status,
    stop_reason: row.stop_reason,
    error: row.error === null ? null : a.text(row.error),
    usage: { input_tokens: row.input_tokens, output_tokens: row.output_tokens, cache_read_tokens: row.cache_read_tokens, cache_write_tokens: row.cache_write_tokens },
    latency_ms: row.latency_ms,
    cost_usd: row.cost_usd === null ? null : Number(row.cost_usd),
    request_id: row.request_id,
    session_id: row.session_id,
    turn_id: row.turn_id,
    tester_id: a.testerId(row.tester_id),
    metadata: a.json(row.metadata ?? {}),
    request: {
      system: io.request.system,
      messages: io.request.messages,
      tools: io.request.tools ?? null,
      output_schema: io.request.outputSchema ?? null,
      params: io.request.params,
    },
    output: io.output,
  });
}

/** One line for a row, or null when the format cannot carry it. Text goes through the anonymizer. */
function lineFor(row: ExportRow, format: CallExportFormat, a: Anonymizer): string | null {
  const raw = callIoFromRow(row);
  const io: CallIo = { request: { ...raw.request, system: raw.request.system === null ? null : a.text(raw.request.system), messages: a.json(raw.request.messages) }, output: raw.output ? a.json(raw.output) : null };
  if (format === 'jsonl') return jsonlLine(row, io, a);
  const output = io.output?.text ?? '';
  return format === 'anthropic' ? anthropicLine(io, output) : openAiLine(io, output);
}

/**
 * The export's lines (each a JSON document followed by a newline), read page by page as the consumer
 * pulls. `stats` is updated as lines are produced.
 */
export async function* callExportLines(db: Kysely<Database>, options: CallExportOptions, stats: CallExportStats): AsyncGenerator<string, void, undefined> {
  const limit = options.pageSize ?? DEFAULT_PAGE;
  let after: Cursor | null = null;
  for (;;) {
    const rows = await readPage(db, options, after, limit);
    for (const row of rows) {
      const line = lineFor(row, options.format, options.anonymizer);
      if (line === null) {
        stats.skipped += 1;
        continue;
      }
      stats.written += 1;
      yield `${line}\n`;
    }
    const last = rows.at(-1);
    if (!last || rows.length < limit) return;
    after = { key: last.created_key, id: last.id };
  }
}
