/**
 * The call log: one `llm_calls` row per model call, with its tokens, latency and estimated cost.
 * It is bookkeeping, so it must never cost the tester an answer: a failed write is logged and swallowed.
 */
import { createHash } from 'node:crypto';
import { type Insertable, type Kysely, sql } from 'kysely';
import type { Database, JsonObject, LlmCallPurpose, LlmCallsTable, LlmCallStatus } from '../../db';
import type { Logger } from '../logger';
import type { Pricing } from './pricing';
import type { CallIo, LlmUsage } from './types';

/** One model call, as its caller saw it. */
export interface CallLogEntry {
  purpose: LlmCallPurpose;
  /** The model that answered (as the API reported it), or the one asked for when the call failed. */
  model: string;
  promptVersion?: string | null;
  usage: LlmUsage;
  latencyMs: number | null;
  stopReason?: string | null;
  status: LlmCallStatus;
  /** What went wrong, for status 'error'. */
  error?: string | null;
  /** Anthropic's request-id, when the API sent one. */
  requestId?: string | null;
  sessionId?: string | null;
  turnId?: string | null;
  testerId?: string | null;
  /** Anything JSON-serialisable; stored as JSONB (undefined values dropped, Dates as ISO strings). */
  metadata?: Record<string, unknown>;
  /** Made through the Message Batches API: priced at the batch discount. */
  batch?: boolean;
  /** When the call was made (default: now); picks the price entry. */
  at?: Date;
  /** What was asked and answered (spec 003). Every call site passes it; storage is the call log's. */
  io?: CallIo;
}

/** Records model calls. */
export interface CallLog {
  /** Stores the call. Never rejects: a failure is logged (with the entry's ids) and swallowed. */
  record(entry: CallLogEntry): Promise<void>;
}

export interface CallLogDeps {
  db: Kysely<Database>;
  logger: Logger;
  /** Null: calls are stored without a cost. */
  pricing: Pricing | null;
}

// Error texts can carry whole response bodies; the row needs the gist, the app log has the rest.
const MAX_ERROR_CHARS = 2000;

/** The JSON the database will store: a round trip drops what JSONB cannot hold. */
function toJsonObject(value: Record<string, unknown>): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

/** SHA-256 (hex) of a system prompt's UTF-8 text: its key in llm_system_prompts. */
export function systemPromptHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * The call's row and its I/O in one statement (one round trip, all or nothing): the system prompt is
 * added to llm_system_prompts unless its hash is there already, the llm_calls row is inserted, and the
 * llm_call_io row takes the new call's id. Data-modifying CTEs all run, referenced or not.
 */
async function insertCallWithIo(db: Kysely<Database>, row: Insertable<LlmCallsTable>, io: CallIo): Promise<void> {
  const { request, output } = io;
  const sha = request.system === null ? null : systemPromptHash(request.system);
  const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
  const structured = output && output.structured !== undefined ? json(output.structured) : sql`NULL::jsonb`;
  // With no system prompt the first CTE selects no row, so one statement shape serves both cases.
  const query = db
    .with('sp', (q) =>
      q.insertInto('llm_system_prompts').columns(['sha256', 'text'])
        .expression(sql`SELECT ${sha}::text, ${request.system}::text WHERE ${sha}::text IS NOT NULL`)
        .onConflict((oc) => oc.column('sha256').doNothing()))
    .with('c', (q) => q.insertInto('llm_calls').values(row).returning('id'));
  await query
    .insertInto('llm_call_io')
    .columns(['call_id', 'system_sha256', 'requested_model', 'messages', 'tools', 'output_schema', 'params', 'has_output', 'output_text', 'output_structured'])
    .expression((eb) =>
      eb.selectFrom('c').select((s) => [
        s.ref('c.id').as('call_id'),
        sql<string | null>`${sha}::text`.as('system_sha256'),
        sql<string | null>`${request.model ?? null}::text`.as('requested_model'),
        json(request.messages).as('messages'),
        (request.tools ? json(request.tools) : sql`NULL::jsonb`).as('tools'),
        (request.outputSchema ? json(request.outputSchema) : sql`NULL::jsonb`).as('output_schema'),
        json(request.params).as('params'),
        sql<boolean>`${output !== null}::boolean`.as('has_output'),
        sql<string | null>`${output?.text ?? null}::text`.as('output_text'),
        structured.as('output_structured'),
      ]),
    )
    .execute();
}

/** A call log writing to `llm_calls` (and, when the entry has `io`, to llm_call_io). */
export function createCallLog(deps: CallLogDeps): CallLog {
  const logger = deps.logger.child({ component: 'call-log' });

  async function record(entry: CallLogEntry): Promise<void> {
    const ids = {
      purpose: entry.purpose,
      model: entry.model,
      sessionId: entry.sessionId ?? null,
      turnId: entry.turnId ?? null,
      testerId: entry.testerId ?? null,
      requestId: entry.requestId ?? null,
    };
    try {
      const at = entry.at ?? new Date();
      const cost = deps.pricing?.costOf(entry.model, entry.usage, at, { batch: entry.batch }) ?? null;
      const row: Insertable<LlmCallsTable> = {
        created_at: at,
        purpose: entry.purpose,
        model: entry.model,
        prompt_version: entry.promptVersion ?? null,
        input_tokens: entry.usage.inputTokens,
        output_tokens: entry.usage.outputTokens,
        cache_read_tokens: entry.usage.cacheReadTokens,
        cache_write_tokens: entry.usage.cacheWriteTokens,
        latency_ms: entry.latencyMs === null ? null : Math.round(entry.latencyMs),
        // A string, so NUMERIC gets exactly the rounded micro-dollars.
        cost_usd: cost ? cost.costUsd.toFixed(6) : null,
        price_date: cost?.priceDate ?? null,
        stop_reason: entry.stopReason ?? null,
        status: entry.status,
        error: entry.error ? entry.error.slice(0, MAX_ERROR_CHARS) : null,
        request_id: entry.requestId ?? null,
        session_id: entry.sessionId ?? null,
        turn_id: entry.turnId ?? null,
        tester_id: entry.testerId ?? null,
        metadata: entry.metadata ? toJsonObject(entry.metadata) : {},
      };
      if (entry.io) {
        try {
          await insertCallWithIo(deps.db, row, entry.io);
          return;
        } catch (err) {
          // The spend record matters more than the transcript: keep the call's row without its I/O.
          logger.warn({ err, ...ids }, 'call input/output could not be stored; logging the call without it');
        }
      }
      await deps.db.insertInto('llm_calls').values(row).execute();
    } catch (err) {
      logger.error({ err, ...ids }, 'model call could not be logged; the caller carries on');
    }
  }

  return { record };
}

/** A call log that stores nothing: for tools and tests that make no model calls worth keeping. */
export const noopCallLog: CallLog = { record: () => Promise.resolve() };
