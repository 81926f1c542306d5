/**
 * The call log: one `llm_calls` row per model call, with its tokens, latency and estimated cost.
 * It is bookkeeping, so it must never cost the tester an answer: a failed write is logged and swallowed.
 */
import type { Kysely } from 'kysely';
import type { Database, JsonObject, LlmCallPurpose, LlmCallStatus } from '../../db';
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

/** A call log writing to `llm_calls`. */
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
      await deps.db
        .insertInto('llm_calls')
        .values({
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
        })
        .execute();
    } catch (err) {
      logger.error({ err, ...ids }, 'model call could not be logged; the caller carries on');
    }
  }

  return { record };
}

/** A call log that stores nothing: for tools and tests that make no model calls worth keeping. */
export const noopCallLog: CallLog = { record: () => Promise.resolve() };
