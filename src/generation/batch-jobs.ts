/**
 * Batch mode of generation jobs: the job's conversations go to Anthropic's Message Batches API as one
 * batch (billed at half the list price, answered within 24 hours), and the runner polls it and stores
 * each result as the direct mode would (validated, one transaction per conversation, call log, costs).
 *
 * The batch id (generation_jobs.batch_id) and each item's custom_id (generation_job_items.batch_request_id,
 * the item claimed by `batch:<batch id>`) are stored as soon as the API accepts the batch, so a runner that
 * starts again (after a crash, a restart, Ctrl-C, a pause) polls that batch instead of sending it again.
 *
 * Submitting is fenced so a batch is never sent twice:
 * 1. Under the job's row lock the pending items are claimed by `batch:submitting`, given their custom_ids,
 *    and a marker `_job.batch_submit` (start, expiry, request count) is written. Only one runner gets past
 *    this step; the others see the marker and wait.
 * 2. The create call is made with no SDK retry (a retried POST could create a second batch).
 * 3. The API answered with the batch → its id replaces the marker (items claimed by `batch:<id>`).
 *    The API answered with an error → no batch exists: the items go back to pending, the marker is removed.
 *    No answer (timeout, connection lost, a crash) → the marker stays. Once it expires, the next runner
 *    lists the account's recent batches: exactly one batch created in the marker's window with the
 *    marker's request count, not owned by any job → adopted; none → nothing was created, submit again;
 *    several → the job fails, naming them, rather than guess.
 *
 * Results: succeeded + valid → stored, item succeeded. Succeeded + invalid → the item goes back to pending
 * with the answer and its validation errors, which the next batch's request feeds back to Claude (one
 * attempt each; 'failed' after maxAttempts). Errored → an attempt (invalid_request_error fails the item at
 * once: the same request would fail again); overloaded / rate limited / expired / canceled (not by us) →
 * pending without an attempt, at most 10 times. When the batch has ended and every result is stored,
 * batch_id is cleared; items left pending go out in the next batch, and the job completes as direct ones do.
 *
 * Pause stops the runner (the batch runs on at Anthropic; resume polls it). Cancel also cancels the batch
 * at Anthropic: results that arrived before it are stored, the rest are cancelled. The cost ceiling is
 * checked before each batch is sent.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIConnectionError, APIError, NotFoundError } from '@anthropic-ai/sdk';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JsonObject } from '../../db';
import { type CallIo, type CallLog, type CallLogEntry, callRequestOf, type Pricing, structuredOutputOf, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { checkAnswer, GenerationError, generationRequest, prepareGeneration, retryAfterMsOf, setBackToPlanned, storeGenerated } from './generator';
import {
  type BatchState,
  cancelPendingItems,
  controlOf,
  DEFAULT_RATE_LIMIT_WAIT_MS,
  finalizeIfDone,
  getJob,
  type JobControl,
  type JobProgress,
  jobCostUsd,
  jobProgress,
  JobError,
  jobStatusOf,
  type JobSummary,
  MAX_FREE_RATE_LIMIT_RETRIES,
  MAX_RATE_LIMIT_WAIT_MS,
  patchControl,
  pauseJob,
  refreshJobCounters,
  type StopReason,
} from './jobs';

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
const SUBMITTING = 'batch:submitting';
/** The create call's own timeout; the submit marker outlives it. */
const CREATE_TIMEOUT_MS = 120_000;
const SUBMIT_MARKER_MS = 5 * 60_000;
/** Clock difference allowed between this machine and the API when matching a lost create call. */
const CLOCK_SLACK_MS = 5 * 60_000;
const DAY_MS = 24 * 3600_000;

export const batchClaim = (batchId: string): string => `batch:${batchId}`;

/** A custom_id (^[a-zA-Z0-9_-]{1,64}$, unique in a batch): the item's position, then the readable key. */
export function customIdFor(position: number, key: string): string {
  return `i${position}_${key.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

const requestCount = (b: Anthropic.Messages.MessageBatch): number => {
  const c = b.request_counts;
  return c.processing + c.succeeded + c.errored + c.canceled + c.expired;
};

function stateOf(b: Anthropic.Messages.MessageBatch, polledAt: Date | null): BatchState {
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

interface RetryContext {
  answer: string;
  errors: string[];
}

function retryOf(result: JsonObject | null): RetryContext | null {
  const r = result?.retry as { answer?: unknown; errors?: unknown } | undefined;
  if (!r || typeof r.answer !== 'string' || !Array.isArray(r.errors)) return null;
  return { answer: r.answer, errors: r.errors.map(String) };
}

const freeRetriesOf = (result: JsonObject | null): number => Number(result?.free_retries ?? 0) || 0;

type ItemRow = { id: string; conversation_id: string; position: number; attempts: number; result: JsonObject | null; batch_request_id: string | null };

/** Sends a cancel for the job's running batch, if it has one (best effort: the runner also does it). */
export async function cancelJobBatch(db: Kysely<Database>, client: Anthropic | null, jobId: string, logger: Logger): Promise<void> {
  const job = await db.selectFrom('generation_jobs').select(['batch_id', 'status']).where('id', '=', jobId).executeTakeFirst();
  if (!client || !job?.batch_id || job.status !== 'cancelled') return;
  try {
    await client.messages.batches.cancel(job.batch_id);
    await db.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_cancel_sent: job.batch_id }) }).where('id', '=', jobId).execute();
  } catch (err) {
    logger.warn({ err, jobId, batchId: job.batch_id }, 'could not cancel the batch at Anthropic; the runner retries');
  }
}

/**
 * Runs a batch-mode job until it completes, is paused or cancelled, reaches its cost ceiling, is offline,
 * or deps.signal aborts. Run it again after any stop: it polls the batch it sent instead of resending it.
 */
export async function runBatchJob(deps: RunBatchJobDeps, jobId: string): Promise<JobSummary> {
  const { db, workerId } = deps;
  const b = deps.batch;
  const client = b.client;
  const now = deps.now ?? Date.now;
  const pollMs = b.pollMs ?? DEFAULT_BATCH_POLL_MS;
  const maxRequests = b.maxRequests ?? DEFAULT_BATCH_MAX_REQUESTS;
  const maxBytes = b.maxBytes ?? DEFAULT_BATCH_MAX_BYTES;
  const log = deps.logger.child({ jobId, workerId, mode: 'batch' });
  let succeeded = 0, failed = 0, calls = 0;

  const summaryOf = async (stopReason: StopReason): Promise<JobSummary> => ({ jobId, stopReason, succeeded, failed, calls, progress: await jobProgress(db, jobId) });
  const report = async () => {
    if (deps.onProgress) deps.onProgress(await jobProgress(db, jobId));
  };
  const aborted = () => deps.signal?.aborted === true;
  /** Waits MS, or less when deps.signal aborts (no timer is left behind to hold the process open). */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (aborted()) return resolve();
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        deps.signal?.removeEventListener('abort', done);
        resolve();
      };
      deps.signal?.addEventListener('abort', done, { once: true });
      if (deps.sleep) void deps.sleep(ms).then(done);
      else timer = setTimeout(done, ms);
    });

  const initial = await getJob(db, jobId);
  const initialStatus = jobStatusOf(initial);
  if (controlOf(initial).options.mode !== 'batch') throw new JobError(`job ${jobId} is not a batch-mode job`);
  if (initialStatus === 'completed' || initialStatus === 'failed') return summaryOf('not_runnable');
  if (initialStatus === 'cancelled' && !initial.batch_id && !controlOf(initial).batch_submit) return summaryOf('not_runnable');
  if (initialStatus === 'paused') return summaryOf('paused');
  const options = controlOf(initial).options;

  if (!client) {
    await db.updateTable('generation_jobs')
      .set({ status: 'failed', error_message: 'offline: Claude is not configured (offline mode): nothing can be generated', completed_at: new Date(now()) })
      .where('id', '=', jobId).where('status', 'in', ['queued', 'in_progress']).execute();
    log.error('batch job cannot run offline; job failed');
    return summaryOf('offline');
  }

  /** Items back to pending (no attempt counted) and their conversations back to planned. */
  const release = async (trx: Transaction<Database>, claimedBy: string) => {
    const rows = await trx.updateTable('generation_job_items')
      .set({ status: 'pending', claimed_by: null, claimed_at: null, lease_expires_at: null })
      .where('job_id', '=', jobId).where('status', '=', 'claimed').where('claimed_by', '=', claimedBy)
      .returning('conversation_id').execute();
    await setBackToPlanned(trx, rows.map((r) => r.conversation_id));
    return rows.length;
  };

  /** Records the batch as the job's: items claimed by it, marker replaced, history appended. */
  const adopt = async (batch: Anthropic.Messages.MessageBatch) => {
    await db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      const lease = new Date(Date.parse(batch.expires_at) + DAY_MS);
      await trx.updateTable('generation_job_items').set({ claimed_by: batchClaim(batch.id), lease_expires_at: lease })
        .where('job_id', '=', jobId).where('status', '=', 'claimed').where('claimed_by', '=', SUBMITTING).execute();
      const history = [...(controlOf(job).batches ?? []), { id: batch.id, submitted_at: batch.created_at, requests: requestCount(batch) }];
      await trx.updateTable('generation_jobs')
        .set({ batch_id: batch.id, results_summary: patchControl({ batch_submit: null, batch_status: stateOf(batch, null), batches: history }) })
        .where('id', '=', jobId).execute();
    });
    log.info({ batchId: batch.id, requests: requestCount(batch) }, 'batch submitted');
  };

  /** Takes the submission back: no batch exists (the API said so, or none was found). */
  const unsubmit = async () => {
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
      await release(trx, SUBMITTING);
      await trx.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_submit: null, batch_status: null }) }).where('id', '=', jobId).execute();
    });
  };

  const failJob = async (message: string) => {
    await db.updateTable('generation_jobs').set({ status: 'failed', error_message: message, completed_at: new Date(now()) })
      .where('id', '=', jobId).where('status', 'in', ['queued', 'in_progress']).execute();
    log.error({ reason: message }, 'batch job failed');
  };

  /** One item's outcome, written with the job's counters in the caller's transaction. */
  const writeItem = async (
    trx: Transaction<Database>,
    item: ItemRow,
    set: { status: 'succeeded' | 'failed' | 'pending' | 'cancelled'; attempts: number; result: JsonObject | null; lastError?: string | null },
    summary: JsonObject,
    calls = 1,
  ) => {
    const keepsClaim = set.status === 'succeeded';
    await trx.updateTable('generation_job_items')
      .set({
        status: set.status, attempts: set.attempts, result: set.result,
        ...(set.lastError !== undefined ? { last_error: set.lastError } : {}),
        ...(keepsClaim ? {} : { claimed_by: null, claimed_at: null, lease_expires_at: null }),
      })
      .where('id', '=', item.id).execute();
    await refreshJobCounters(trx, jobId, item.conversation_id, summary, calls);
  };

  /** A pending item that cannot be sent (its conversation is not generatable): an attempt. */
  const failUnsendable = async (item: ItemRow, err: GenerationError) => {
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
      const attempts = item.attempts + 1;
      const status = attempts >= options.maxAttempts ? 'failed' : 'pending';
      const message = `${err.kind}: ${err.message}`;
      // No request was made: no API call is counted.
      await writeItem(trx, item, { status, attempts, result: item.result, lastError: message }, { status: status === 'failed' ? 'failed' : 'retrying', attempts, error: message }, 0);
    });
    log.warn({ conversationId: item.conversation_id, err: err.message }, 'conversation cannot be sent in a batch');
  };

  /** Builds and sends the next batch from the pending items. */
  const submit = async (): Promise<'submitted' | 'nothing' | 'again' | 'busy' | 'stop'> => {
    const items = await db.selectFrom('generation_job_items')
      .select(['id', 'conversation_id', 'position', 'attempts', 'result', 'batch_request_id'])
      .where('job_id', '=', jobId).where('status', '=', 'pending').orderBy('position').limit(maxRequests).execute();
    if (items.length === 0) return 'nothing';
    const requests: Anthropic.Messages.BatchCreateParams.Request[] = [];
    const claims: Array<{ id: string; cid: string }> = [];
    let unsendable = false;
    let bytes = 0;
    for (const item of items) {
      try {
        const prepared = await prepareGeneration(db, item.conversation_id);
        const cid = customIdFor(item.position, prepared.key);
        const request = { custom_id: cid, params: generationRequest(b.model, b.maxTokens, prepared.prompt, retryOf(item.result)) };
        // Over the size limit: the rest wait for the next batch (the first request always goes).
        const size = Buffer.byteLength(JSON.stringify(request));
        if (requests.length > 0 && bytes + size > maxBytes) break;
        bytes += size;
        requests.push(request);
        claims.push({ id: item.id, cid });
      } catch (err) {
        if (!(err instanceof GenerationError)) throw err;
        await failUnsendable(item, err);
        unsendable = true;
      }
    }
    if (requests.length === 0) return unsendable ? 'again' : 'nothing';

    const startedAt = new Date(now());
    const marked = await db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      const status = jobStatusOf(job);
      if ((status !== 'queued' && status !== 'in_progress') || job.batch_id || controlOf(job).batch_submit) return false;
      const claimed = await sql<{ conversation_id: string }>`
        UPDATE generation_job_items i SET status = 'claimed', claimed_by = ${SUBMITTING}, claimed_at = ${startedAt},
          lease_expires_at = ${new Date(startedAt.getTime() + SUBMIT_MARKER_MS)}, batch_request_id = v.cid
        FROM jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) AS v(id uuid, cid text)
        WHERE i.id = v.id AND i.job_id = ${jobId} AND i.status = 'pending'
        RETURNING i.conversation_id`.execute(trx);
      if (claimed.rows.length !== claims.length) throw new JobError(`job ${jobId}: ${claims.length - claimed.rows.length} items changed while the batch was prepared`);
      await trx.updateTable('training_conversations').set({ generation_status: 'in_progress', updated_at: startedAt })
        .where('id', 'in', claimed.rows.map((r) => r.conversation_id)).where('generation_status', 'in', ['planned', 'in_progress']).execute();
      const marker: NonNullable<JobControl['batch_submit']> = {
        started_at: startedAt.toISOString(), expires_at: new Date(startedAt.getTime() + SUBMIT_MARKER_MS).toISOString(), worker: workerId, requests: requests.length,
      };
      const state: BatchState = { id: '', processingStatus: 'submitting', requests: requests.length, answered: 0, submittedAt: startedAt.toISOString(), polledAt: null, expiresAt: null };
      await trx.updateTable('generation_jobs')
        .set({ status: 'in_progress', started_at: job.started_at ?? startedAt, results_summary: patchControl({ batch_submit: marker, batch_status: state }) })
        .where('id', '=', jobId).execute();
      return true;
    });
    if (!marked) return 'busy';
    await report();

    let created: Anthropic.Messages.MessageBatch;
    try {
      // No SDK retry: a POST retried after a lost answer could create a second batch.
      created = await client.messages.batches.create({ requests }, { maxRetries: 0, timeout: CREATE_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof APIError && !(err instanceof APIConnectionError) && err.status) {
        // The API answered with an error, so no batch was created.
        await unsubmit();
        if (err.status === 429 || err.status >= 500) {
          const wait = Math.min(Math.max(retryAfterMsOf(err) ?? DEFAULT_RATE_LIMIT_WAIT_MS, 0), MAX_RATE_LIMIT_WAIT_MS);
          log.warn({ status: err.status, waitMs: wait }, 'the Message Batches API did not take the batch; trying again');
          await pause(wait);
          return 'again';
        }
        await failJob(`the Message Batches API refused the batch (${err.status}): ${err.message}`);
        return 'stop';
      }
      if (err instanceof APIConnectionError) {
        // No answer: the batch may exist. The marker stays; once it expires, the account's batches are searched.
        log.warn({ err: err.message }, 'no answer to the batch create call; looking for the batch before sending it again');
        return 'again';
      }
      throw err;
    }
    await adopt(created);
    return 'submitted';
  };

  /** The marker of a create call that got no answer: find its batch, or take the submission back. */
  const recover = async (marker: NonNullable<JobControl['batch_submit']>): Promise<'adopted' | 'unsubmitted' | 'wait' | 'stop'> => {
    if (Date.parse(marker.expires_at) > now()) return 'wait';
    const from = Date.parse(marker.started_at) - CLOCK_SLACK_MS;
    const to = Date.parse(marker.expires_at) + CLOCK_SLACK_MS;
    const candidates: Anthropic.Messages.MessageBatch[] = [];
    for await (const batch of client.messages.batches.list({ limit: 100 })) {
      const created = Date.parse(batch.created_at);
      if (created < from) break; // newest first
      if (created <= to && requestCount(batch) === marker.requests) candidates.push(batch);
    }
    const ids = candidates.map((c) => c.id);
    const owned = ids.length
      ? new Set((await db.selectFrom('generation_jobs').select('batch_id').where('batch_id', 'in', ids).execute()).map((r) => r.batch_id))
      : new Set<string | null>();
    const job = await getJob(db, jobId);
    for (const h of controlOf(job).batches ?? []) owned.add(h.id);
    const free = candidates.filter((c) => !owned.has(c.id));
    if (free.length === 1) {
      log.warn({ batchId: free[0]!.id }, 'found the batch a cut-off create call made; polling it instead of sending again');
      await adopt(free[0]!);
      return 'adopted';
    }
    if (free.length === 0) {
      log.warn('the cut-off create call made no batch; sending again');
      await unsubmit();
      return 'unsubmitted';
    }
    await failJob(`a create call got no answer and ${free.length} batches could be its (${free.map((c) => c.id).join(', ')}); cancel the ones that are not this job's at console.anthropic.com, then resume the job`);
    return 'stop';
  };

  /**
   * The request a batch item was sent as, built again the way submit built it: the plan's prompt and the
   * retry context the item still holds (its result is not changed between submit and apply). Null (the
   * call is logged without I/O) when the conversation can no longer be prepared.
   */
  const sentRequest = async (trx: Transaction<Database>, conversationId: string, result: JsonObject | null): Promise<CallIo['request'] | null> => {
    try {
      const prepared = await prepareGeneration(trx, conversationId);
      return callRequestOf(generationRequest(b.model, b.maxTokens, prepared.prompt, retryOf(result)));
    } catch (err) {
      if (!(err instanceof GenerationError)) throw err;
      log.warn({ conversationId, err: err.message }, 'batch request could not be rebuilt; its call is logged without I/O');
      return null;
    }
  };

  /** Stores one result; returns what became of its item. */
  const apply = async (batch: Anthropic.Messages.MessageBatch, cid: string, result: Anthropic.Messages.MessageBatchResult): Promise<'succeeded' | 'failed' | 'other' | 'skipped'> => {
    const at = new Date(now());
    let entry = null as CallLogEntry | null;
    const outcome = await db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      const item = await trx.selectFrom('generation_job_items')
        .select(['id', 'conversation_id', 'position', 'attempts', 'result', 'batch_request_id'])
        .where('job_id', '=', jobId).where('batch_request_id', '=', cid).where('status', '=', 'claimed').where('claimed_by', '=', batchClaim(batch.id))
        .forUpdate().executeTakeFirst();
      if (!item) return 'skipped' as const; // stored by an earlier run or another worker
      const cancelled = job.status === 'cancelled';
      const planned = await trx.selectFrom('training_conversations').selectAll().where('id', '=', item.conversation_id).executeTakeFirst();
      const key = planned?.conversation_id ?? item.conversation_id;
      const meta = { conversation_key: key, conversation_id: item.conversation_id, attempt: item.attempts + 1, job_id: jobId, batch_id: batch.id, custom_id: cid };
      const sent = await sentRequest(trx, item.conversation_id, item.result);
      const free = freeRetriesOf(item.result);
      /** Not the conversation's fault: pending again without an attempt, up to a limit. */
      const retryFree = async (why: string) => {
        if (cancelled) {
          await writeItem(trx, item, { status: 'cancelled', attempts: item.attempts, result: item.result, lastError: why }, { status: 'cancelled', attempts: item.attempts });
          await setBackToPlanned(trx, [item.conversation_id]);
          return 'other' as const;
        }
        if (free >= MAX_FREE_RATE_LIMIT_RETRIES) return countAttempt(why, item.result);
        await writeItem(trx, item, { status: 'pending', attempts: item.attempts, result: { ...(item.result ?? {}), free_retries: free + 1 }, lastError: why }, { status: 'pending', attempts: item.attempts, error: why });
        await setBackToPlanned(trx, [item.conversation_id]);
        return 'other' as const;
      };
      const countAttempt = async (why: string, keep: JsonObject | null, final = false) => {
        const attempts = item.attempts + 1;
        const status = cancelled ? 'cancelled' : final || attempts >= options.maxAttempts ? 'failed' : 'pending';
        await writeItem(trx, item, { status, attempts, result: keep, lastError: why }, { status: status === 'pending' ? 'retrying' : status, attempts, error: why });
        await setBackToPlanned(trx, [item.conversation_id]);
        return status === 'failed' ? ('failed' as const) : ('other' as const);
      };

      if (result.type === 'succeeded') {
        const message = result.message;
        const usage = usageFromApi(message.usage);
        const cost = b.pricing?.costOf(message.model, usage, at, { batch: true }) ?? null;
        const checked = planned ? checkAnswer(message, planned) : { text: '', seed: null, errors: ['the planned conversation is gone'] };
        entry = {
          purpose: 'generation', model: message.model, usage, latencyMs: null, stopReason: message.stop_reason ?? null, status: 'ok', batch: true, at,
          metadata: { ...meta, valid: checked.seed !== null, ...(checked.seed ? {} : { validation_errors: checked.errors }) },
          ...(sent ? { io: { request: sent, output: structuredOutputOf(checked.text) } } : {}),
        };
        if (checked.seed && planned) {
          const durationMs = Math.max(0, at.getTime() - Date.parse(batch.created_at));
          try {
            const written = await storeGenerated(trx, planned, checked.seed, { durationSeconds: Math.round(durationMs / 1000), costUsd: cost?.costUsd ?? null, method: 'claude_batch_api' });
            const r = {
              input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, cost_usd: cost?.costUsd ?? null, duration_ms: durationMs,
              worker: workerId, finished_at: at.toISOString(), batch_id: batch.id, custom_id: cid, turns: written.turns,
              ...(free ? { free_retries: free } : {}),
            };
            await writeItem(trx, item, { status: 'succeeded', attempts: item.attempts + 1, result: r, lastError: null },
              { status: 'succeeded', attempts: item.attempts + 1, tokens: usage.inputTokens + usage.outputTokens, cost_usd: r.cost_usd, duration_ms: durationMs, batch_id: batch.id });
            return 'succeeded' as const;
          } catch (err) {
            if (!(err instanceof GenerationError)) throw err;
            return countAttempt(`${err.kind}: ${err.message}`, item.result, true);
          }
        }
        // Invalid: the next batch sends the answer back with its errors.
        return countAttempt(`invalid_output: ${checked.errors.join('; ')}`, { retry: { answer: checked.text, errors: checked.errors }, batch_id: batch.id });
      }
      if (result.type === 'errored') {
        const error = result.error.error;
        entry = {
          purpose: 'generation', model: b.model, usage: ZERO_LLM_USAGE, latencyMs: null, status: 'error', error: `${error.type}: ${error.message}`, batch: true, at, metadata: meta,
          ...(sent ? { io: { request: sent, output: null } } : {}),
        };
        if (error.type === 'overloaded_error' || error.type === 'rate_limit_error') return retryFree(`${error.type}: ${error.message}`);
        // The same request would be refused again: no point spending another day on it.
        return countAttempt(`${error.type}: ${error.message}`, item.result, error.type === 'invalid_request_error');
      }
      return retryFree(result.type === 'expired' ? 'expired: the batch ended before this request ran' : 'canceled at Anthropic');
    });
    if (entry) {
      calls++;
      await b.callLog.record(entry);
    }
    return outcome;
  };

  /** Reads an ended batch's results into the job, then clears batch_id. */
  const collect = async (batch: Anthropic.Messages.MessageBatch) => {
    const open = await db.selectFrom('generation_job_items').select('batch_request_id')
      .where('job_id', '=', jobId).where('status', '=', 'claimed').where('claimed_by', '=', batchClaim(batch.id)).execute();
    if (open.length > 0) {
      const wanted = new Set(open.map((r) => r.batch_request_id));
      const results = await client.messages.batches.results(batch.id);
      for await (const line of results) {
        if (!wanted.has(line.custom_id)) continue;
        const got = await apply(batch, line.custom_id, line.result);
        if (got === 'succeeded') succeeded++;
        else if (got === 'failed') failed++;
      }
    }
    await db.transaction().execute(async (trx) => {
      const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
      // A request the results left out (it should not happen) goes out again.
      const missing = await release(trx, batchClaim(batch.id));
      if (missing) log.warn({ batchId: batch.id, missing }, 'results had no line for some requests; they go out again');
      if (job.batch_id !== batch.id) return;
      const c = batch.request_counts;
      const history = (controlOf(job).batches ?? []).map((h) =>
        h.id === batch.id ? { ...h, ended_at: batch.ended_at ?? new Date(now()).toISOString(), succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired } : h);
      await trx.updateTable('generation_jobs')
        .set({ batch_id: null, results_summary: patchControl({ batch_status: null, batch_cancel_sent: null, batches: history }) })
        .where('id', '=', jobId).execute();
    });
    log.info({ batchId: batch.id, counts: batch.request_counts }, 'batch results stored');
  };

  /** Claimed items whose lease ended while the job has no batch (a bug or a manual edit): pending again. */
  const releaseStrays = async () => {
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
      const rows = await trx.updateTable('generation_job_items')
        .set({ status: 'pending', claimed_by: null, claimed_at: null, lease_expires_at: null })
        .where('job_id', '=', jobId).where('status', '=', 'claimed').where('lease_expires_at', '<', new Date(now()))
        .returning('conversation_id').execute();
      await setBackToPlanned(trx, rows.map((r) => r.conversation_id));
      if (rows.length) log.warn({ released: rows.length }, 'released claimed items no batch holds');
    });
  };

  /** The batch is gone at Anthropic (deleted, or another key's): its requests go out again. */
  const abandon = async (batchId: string) => {
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
      await release(trx, batchClaim(batchId));
      await trx.updateTable('generation_jobs').set({ batch_id: null, results_summary: patchControl({ batch_status: null }) })
        .where('id', '=', jobId).where('batch_id', '=', batchId).execute();
    });
    log.error({ batchId }, 'the batch is not found at Anthropic (deleted, or made with another API key); its requests go out again');
  };

  while (!aborted()) {
    const job = await getJob(db, jobId);
    const status = jobStatusOf(job);
    const control = controlOf(job);
    if (status === 'paused') return summaryOf(control.pause_reason === 'cost_ceiling' ? 'cost_ceiling' : 'paused');
    if (status === 'completed') return summaryOf('completed');
    if (status === 'failed') return summaryOf(job.error_message?.startsWith('offline') ? 'offline' : 'failed');
    if (status === 'cancelled' && !job.batch_id && !control.batch_submit) {
      await cancelPendingItems(db, jobId, now());
      return summaryOf('cancelled');
    }

    if (!job.batch_id) {
      if (control.batch_submit) {
        let r: Awaited<ReturnType<typeof recover>>;
        try {
          r = await recover(control.batch_submit);
        } catch (err) {
          // Listing the batches failed: look again at the next poll.
          if (!(err instanceof APIError)) throw err;
          log.warn({ err: err.message }, 'could not list the batches to find a lost create call; trying again');
          await pause(pollMs);
          continue;
        }
        if (r === 'stop') return summaryOf('failed');
        if (r === 'wait') await pause(Math.min(pollMs, Math.max(1000, Date.parse(control.batch_submit.expires_at) - now())));
        continue;
      }
      if (options.costCeilingUsd !== null) {
        const spent = await jobCostUsd(db, jobId);
        if (spent >= options.costCeilingUsd) {
          await pauseJob(db, jobId, 'cost_ceiling', now());
          await db.updateTable('generation_jobs')
            .set({ error_message: `cost ceiling of $${options.costCeilingUsd} reached ($${spent.toFixed(4)} spent): paused; raise the ceiling and resume` })
            .where('id', '=', jobId).execute();
          return summaryOf('cost_ceiling');
        }
      }
      const r = await submit();
      if (r === 'stop') return summaryOf('failed');
      if (r === 'busy') await pause(Math.min(pollMs, 5000));
      if (r === 'nothing') {
        if (await finalizeIfDone(db, jobId, now())) {
          await report();
          return summaryOf('completed');
        }
        // Items held by no batch of this job (it should not happen): reclaim them once their lease ends.
        await releaseStrays();
        await pause(pollMs);
      }
      continue;
    }

    const batchId = job.batch_id;
    if (status === 'cancelled' && control.batch_cancel_sent !== batchId) {
      try {
        await client.messages.batches.cancel(batchId);
        await db.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_cancel_sent: batchId }) }).where('id', '=', jobId).execute();
      } catch (err) {
        if (err instanceof NotFoundError) {
          await abandon(batchId);
          continue;
        }
        log.warn({ err, batchId }, 'could not cancel the batch; trying again at the next poll');
      }
    }
    let batch: Anthropic.Messages.MessageBatch;
    try {
      batch = await client.messages.batches.retrieve(batchId);
    } catch (err) {
      if (err instanceof NotFoundError) {
        await abandon(batchId);
        continue;
      }
      if (err instanceof APIError) {
        log.warn({ err: err.message, batchId }, 'could not poll the batch; trying again');
        await pause(pollMs);
        continue;
      }
      throw err;
    }
    await db.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_status: stateOf(batch, new Date(now())) }) })
      .where('id', '=', jobId).where('batch_id', '=', batchId).execute();
    await report();
    if (batch.processing_status === 'ended') {
      try {
        await collect(batch);
      } catch (err) {
        // The results download broke off: what was stored stays stored; the next pass reads the rest.
        if (!(err instanceof APIError)) throw err;
        log.warn({ err: err.message, batchId }, 'could not read the batch results; trying again');
        await pause(pollMs);
        continue;
      }
      await report();
      continue;
    }
    await pause(pollMs);
  }
  log.info({ succeeded, failed, calls }, 'batch job runner stopped');
  return summaryOf('aborted');
}
