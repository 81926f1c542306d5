/**
 * A small, reusable helper for Anthropic's Message Batches API (half price, answered within 24 hours):
 * create a batch exactly once, find the batch a create call made when its answer was lost, poll until it
 * ends (a caller's abort ends the wait at once), and read its results. No database here: callers store
 * what they must to resume (the batch id, and a marker written before the create call).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError } from '@anthropic-ai/sdk';

/** One request of a batch. custom_id must match ^[a-zA-Z0-9_-]{1,64}$ and be unique in the batch. */
export interface BatchRequestParams {
  custom_id: string;
  params: Anthropic.MessageCreateParamsNonStreaming;
}

/**
 * What a create call came to. `refused`: the API answered with an error, so no batch exists (send again
 * after fixing the cause). `unknown`: no answer (timeout, connection lost) — a batch may exist; look for
 * it with findLostBatch once the caller's marker expires, rather than sending a second one.
 */
export type CreateOutcome =
  | { kind: 'created'; batch: Anthropic.Messages.MessageBatch }
  | { kind: 'refused'; error: string; status: number }
  | { kind: 'unknown'; error: string };

/** The create call's own timeout; a caller's submit marker must outlive it. */
export const BATCH_CREATE_TIMEOUT_MS = 120_000;
/** Clock difference allowed between this machine and the API when matching a lost create call. */
const CLOCK_SLACK_MS = 5 * 60_000;

/** Sends the batch once: no SDK retry, since a retried POST could create a second batch. */
export async function createBatchOnce(client: Anthropic, requests: BatchRequestParams[], timeoutMs = BATCH_CREATE_TIMEOUT_MS): Promise<CreateOutcome> {
  try {
    const batch = await client.messages.batches.create({ requests }, { maxRetries: 0, timeout: timeoutMs });
    return { kind: 'created', batch };
  } catch (err) {
    if (err instanceof APIError && typeof err.status === 'number') return { kind: 'refused', error: err.message, status: err.status };
    return { kind: 'unknown', error: err instanceof Error ? err.message : String(err) };
  }
}

/** The number of requests a batch holds. */
export function requestCountOf(batch: Anthropic.Messages.MessageBatch): number {
  const c = batch.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
}

/** What a lost create call left behind. */
export type LostBatch = { kind: 'found'; batch: Anthropic.Messages.MessageBatch } | { kind: 'none' } | { kind: 'ambiguous'; ids: string[] };

/**
 * Looks for the batch a create call without an answer may have made: created between `from` and `to`
 * (with clock slack) holding `requests` requests, and not one of `known` (batches already owned).
 */
export async function findLostBatch(client: Anthropic, lost: { from: Date; to: Date; requests: number; known: ReadonlySet<string> }): Promise<LostBatch> {
  const from = lost.from.getTime() - CLOCK_SLACK_MS;
  const to = lost.to.getTime() + CLOCK_SLACK_MS;
  const candidates: Anthropic.Messages.MessageBatch[] = [];
  for await (const batch of client.messages.batches.list({ limit: 100 })) {
    const created = Date.parse(batch.created_at);
    if (created < from) break; // newest first
    if (created <= to && requestCountOf(batch) === lost.requests && !lost.known.has(batch.id)) candidates.push(batch);
  }
  const [only] = candidates;
  if (candidates.length === 1 && only) return { kind: 'found', batch: only };
  if (candidates.length === 0) return { kind: 'none' };
  return { kind: 'ambiguous', ids: candidates.map((c) => c.id) };
}

/** Waits `ms`, or less when `signal` aborts; leaves no timer behind. */
export function waitUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) { resolve(); return; }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export interface PollOptions {
  pollMs: number;
  signal?: AbortSignal;
  /** Called with each retrieved state (progress). */
  onPoll?: (batch: Anthropic.Messages.MessageBatch) => void | Promise<void>;
}

/**
 * Polls until the batch has ended; null when `signal` aborted first (the batch runs on at Anthropic and
 * a later poll picks it up). A failed poll (other than 404) is retried at the next interval.
 * @throws the SDK's NotFoundError when the batch is unknown (deleted, or made with another key).
 */
export async function pollUntilEnded(client: Anthropic, batchId: string, options: PollOptions): Promise<Anthropic.Messages.MessageBatch | null> {
  while (!options.signal?.aborted) {
    let batch: Anthropic.Messages.MessageBatch | null = null;
    try {
      batch = await client.messages.batches.retrieve(batchId);
    } catch (err) {
      if (!(err instanceof APIError) || err.status === 404) throw err;
    }
    if (batch) {
      await options.onPoll?.(batch);
      if (batch.processing_status === 'ended') return batch;
    }
    await waitUnlessAborted(options.pollMs, options.signal);
  }
  return null;
}

/** The results of an ended batch, one line per request. */
export async function* batchResults(client: Anthropic, batchId: string): AsyncGenerator<Anthropic.Messages.MessageBatchIndividualResponse> {
  const stream = await client.messages.batches.results(batchId);
  for await (const line of stream) yield line;
}
