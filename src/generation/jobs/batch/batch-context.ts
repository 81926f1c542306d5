/**
 * What every step of a batch-mode run shares: its dependencies, its clock and pause, its counters, and
 * the small helpers that read a batch or an item. The steps are in batch-store.ts (writes),
 * batch-submit.ts (sending a batch, finding a lost one), batch-results.ts (storing results) and
 * batch-runner.ts (the loop).
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { Database, JsonObject } from '../../../../db';
import type { CallLog, Pricing } from '../../../llm';
import type { Logger } from '../../../logger';
import { jobProgress } from '../job-store';
import type { BatchState, JobOptions, JobProgress, JobSummary, StopReason } from '../types';

export interface BatchDeps {
  /** Null: offline; a batch job then fails with 'offline' (resume it once a key is set). */
  client: Anthropic | null;
  model: string;
  maxTokens?: number;
  callLog: CallLog;
  pricing: Pricing | null;
  /** Between two polls of a running batch. Default 60 s (most batches end within an hour). */
  pollMs?: number;
  /** Requests per batch; the API takes up to 100,000. Default 10,000. */
  maxRequests?: number;
  /** Bytes of requests per batch; the API takes up to 256 MB. Default 200 MB. */
  maxBytes?: number;
}

export interface RunBatchJobDeps {
  db: Kysely<Database>;
  batch: BatchDeps;
  workerId: string;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: JobProgress) => void;
  /** Stops the runner between polls; the batch runs on at Anthropic and the next run polls it. */
  signal?: AbortSignal;
}

export const DEFAULT_BATCH_POLL_MS = 60_000;
export const DEFAULT_BATCH_MAX_REQUESTS = 10_000;
export const DEFAULT_BATCH_MAX_BYTES = 200 * 1024 * 1024;
export const SUBMITTING = 'batch:submitting';
/** The create call's own timeout; the submit marker outlives it. */
export const CREATE_TIMEOUT_MS = 120_000;
export const SUBMIT_MARKER_MS = 5 * 60_000;
/** Clock difference allowed between this machine and the API when matching a lost create call. */
export const CLOCK_SLACK_MS = 5 * 60_000;
export const DAY_MS = 24 * 3600_000;

/** One batch-mode run of a job. */
export interface BatchRun {
  deps: RunBatchJobDeps;
  db: Kysely<Database>;
  jobId: string;
  workerId: string;
  log: Logger;
  now: () => number;
  b: BatchDeps;
  client: Anthropic;
  options: JobOptions;
  pollMs: number;
  maxRequests: number;
  maxBytes: number;
  succeeded: number;
  failed: number;
  calls: number;
}

export type ItemRow = { id: string; conversation_id: string; position: number; attempts: number; result: JsonObject | null; batch_request_id: string | null };
export const ITEM_COLUMNS = ['id', 'conversation_id', 'position', 'attempts', 'result', 'batch_request_id'] as const;

/** The claimed_by of items a batch holds. */
export const batchClaim = (batchId: string): string => `batch:${batchId}`;

/** A custom_id (^[a-zA-Z0-9_-]{1,64}$, unique in a batch): the item's position, then the readable key. */
export function customIdFor(position: number, key: string): string {
  return `i${String(position)}_${key.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/** Every request of a batch, whatever its state. */
export const requestCount = (b: Anthropic.Messages.MessageBatch): number => {
  const c = b.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
};

/** A batch as the job's progress shows it. */
export function stateOf(b: Anthropic.Messages.MessageBatch, polledAt: Date | null): BatchState {
  const c = b.request_counts;
  return {
    id: b.id,
    processingStatus: b.processing_status,
    requests: requestCount(b),
    answered: c.succeeded + c.errored + c.canceled + c.expired,
    submittedAt: b.created_at,
    polledAt: polledAt?.toISOString() ?? null,
    expiresAt: b.expires_at,
  };
}

export interface RetryContext {
  answer: string;
  errors: string[];
}

/** An earlier invalid answer and its validation errors, fed back in the next batch. */
export function retryOf(result: JsonObject | null): RetryContext | null {
  const r = result?.retry;
  if (!r || typeof r !== 'object' || Array.isArray(r)) return null;
  const answer = r.answer;
  const errors = r.errors;
  if (typeof answer !== 'string' || !Array.isArray(errors)) return null;
  return { answer, errors: errors.map(String) };
}

/** How often an item went out again without costing an attempt. */
export const freeRetriesOf = (result: JsonObject | null): number => Number(result?.free_retries ?? 0) || 0;

/** Waits MS, or less when the run's signal aborts (no timer is left behind to hold the process open). */
export function pauseRun(run: BatchRun, ms: number): Promise<void> {
  const signal = run.deps.signal;
  return new Promise<void>((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    signal?.addEventListener('abort', done, { once: true });
    const sleep = run.deps.sleep;
    if (sleep) void sleep(ms).then(done, done);
    else timer = setTimeout(done, ms);
  });
}

/** Tells the caller's progress listener where the job is. */
export async function reportProgress(run: BatchRun): Promise<void> {
  if (run.deps.onProgress) run.deps.onProgress(await jobProgress(run.db, run.jobId));
}

/** The run's summary with the job's progress now. */
export async function batchSummary(db: Kysely<Database>, jobId: string, stopReason: StopReason, run?: BatchRun): Promise<JobSummary> {
  return { jobId, stopReason, succeeded: run?.succeeded ?? 0, failed: run?.failed ?? 0, calls: run?.calls ?? 0, progress: await jobProgress(db, jobId) };
}
