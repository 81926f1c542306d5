/**
 * Storing an ended batch's results. Succeeded + valid → stored, item succeeded. Succeeded + invalid →
 * the item goes back to pending with the answer and its validation errors, which the next batch's
 * request feeds back to Claude (one attempt each; 'failed' after maxAttempts). Errored → an attempt
 * (invalid_request_error fails the item at once: the same request would fail again); overloaded / rate
 * limited / expired / canceled (not by us) → pending without an attempt, at most 10 times. When every
 * result is stored, batch_id is cleared; items left pending go out in the next batch.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Transaction } from 'kysely';
import type { Database, JsonObject, TrainingConversation } from '../../../../db';
import { type CallLogEntry, type CallRequest, callRequestOf, structuredOutputOf, usageFromApi, ZERO_LLM_USAGE } from '../../../llm';
import { checkAnswer, GenerationError, generationRequest, prepareGeneration, setBackToPlanned, storeGenerated } from '../../generator';
import { controlOf, patchControl } from '../control';
import { MAX_FREE_RATE_LIMIT_RETRIES } from '../types';
import { batchClaim, type BatchRun, freeRetriesOf, ITEM_COLUMNS, type ItemRow, retryOf } from './batch-context';
import { releaseItems, writeItem } from './batch-store';

type Batch = Anthropic.Messages.MessageBatch;
type Applied = 'succeeded' | 'failed' | 'other' | 'skipped';

/** One result being stored: its item, its conversation, and the transaction it is stored in. */
interface ResultTx {
  run: BatchRun;
  trx: Transaction<Database>;
  batch: Batch;
  cid: string;
  item: ItemRow;
  planned: TrainingConversation | undefined;
  cancelled: boolean;
  at: Date;
  meta: JsonObject;
  /** The request this item was sent as (rebuilt), for the call log's I/O; null when it cannot be rebuilt. */
  sent: CallRequest | null;
  /** The call-log entry of this result, once known; written after the transaction commits. */
  entry: CallLogEntry | null;
}

/**
 * The request a batch item was sent as, built again the way submit built it: the plan's prompt and the
 * retry context the item still holds (its result is not changed between submit and apply). Null (the
 * call is logged without I/O) when the conversation can no longer be prepared.
 */
async function sentRequest(run: BatchRun, trx: Transaction<Database>, item: ItemRow): Promise<CallRequest | null> {
  try {
    const prepared = await prepareGeneration(trx, item.conversation_id);
    return callRequestOf(generationRequest(run.b.model, run.b.maxTokens, prepared.prompt, retryOf(item.result)));
  } catch (err) {
    if (!(err instanceof GenerationError)) throw err;
    run.log.warn({ conversationId: item.conversation_id, err: err.message }, 'batch request could not be rebuilt; its call is logged without I/O');
    return null;
  }
}

/** Not the conversation's fault: pending again without an attempt, up to a limit. */
async function retryFree(r: ResultTx, why: string): Promise<Applied> {
  const { trx, item, run } = r;
  if (r.cancelled) {
    await writeItem(trx, run.jobId, item, { status: 'cancelled', attempts: item.attempts, result: item.result, lastError: why }, { status: 'cancelled', attempts: item.attempts });
    await setBackToPlanned(trx, [item.conversation_id]);
    return 'other';
  }
  const free = freeRetriesOf(item.result);
  if (free >= MAX_FREE_RATE_LIMIT_RETRIES) return countAttempt(r, why, item.result);
  await writeItem(trx, run.jobId, item, { status: 'pending', attempts: item.attempts, result: { ...(item.result ?? {}), free_retries: free + 1 }, lastError: why }, { status: 'pending', attempts: item.attempts, error: why });
  await setBackToPlanned(trx, [item.conversation_id]);
  return 'other';
}

/** An attempt against the conversation; FINAL fails it at once. */
async function countAttempt(r: ResultTx, why: string, keep: JsonObject | null, final = false): Promise<Applied> {
  const { trx, item, run } = r;
  const attempts = item.attempts + 1;
  const status = r.cancelled ? 'cancelled' : final || attempts >= run.options.maxAttempts ? 'failed' : 'pending';
  await writeItem(trx, run.jobId, item, { status, attempts, result: keep, lastError: why }, { status: status === 'pending' ? 'retrying' : status, attempts, error: why });
  await setBackToPlanned(trx, [item.conversation_id]);
  return status === 'failed' ? 'failed' : 'other';
}

/** A succeeded request: stored when its answer is valid, else sent back with its errors. */
async function applySucceeded(r: ResultTx, message: Anthropic.Message): Promise<Applied> {
  const { run, item, batch, planned, at } = r;
  const usage = usageFromApi(message.usage);
  const cost = run.b.pricing?.costOf(message.model, usage, at, { batch: true }) ?? null;
  const checked = planned ? checkAnswer(message, planned) : { text: '', seed: null, errors: ['the planned conversation is gone'] };
  r.entry = {
    purpose: 'generation', model: message.model, usage, latencyMs: null, stopReason: message.stop_reason ?? null, status: 'ok', batch: true, at,
    metadata: { ...r.meta, valid: checked.seed !== null, ...(checked.seed ? {} : { validation_errors: checked.errors }) },
    ...(r.sent ? { io: { request: r.sent, output: structuredOutputOf(checked.text) } } : {}),
  };
  if (!checked.seed || !planned) {
    // Invalid: the next batch sends the answer back with its errors.
    return countAttempt(r, `invalid_output: ${checked.errors.join('; ')}`, { retry: { answer: checked.text, errors: checked.errors }, batch_id: batch.id });
  }
  const durationMs = Math.max(0, at.getTime() - Date.parse(batch.created_at));
  const free = freeRetriesOf(item.result);
  try {
    const written = await storeGenerated(r.trx, planned, checked.seed, { durationSeconds: Math.round(durationMs / 1000), costUsd: cost?.costUsd ?? null, method: 'claude_batch_api' });
    const result = {
      input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, cost_usd: cost?.costUsd ?? null, duration_ms: durationMs,
      worker: run.workerId, finished_at: at.toISOString(), batch_id: batch.id, custom_id: r.cid, turns: written.turns,
      ...(free ? { free_retries: free } : {}),
    };
    await writeItem(r.trx, run.jobId, item, { status: 'succeeded', attempts: item.attempts + 1, result, lastError: null },
      { status: 'succeeded', attempts: item.attempts + 1, tokens: usage.inputTokens + usage.outputTokens, cost_usd: result.cost_usd, duration_ms: durationMs, batch_id: batch.id });
    return 'succeeded';
  } catch (err) {
    if (!(err instanceof GenerationError)) throw err;
    return countAttempt(r, `${err.kind}: ${err.message}`, item.result, true);
  }
}

/** An errored, expired or canceled request. */
async function applyUnanswered(r: ResultTx, result: Exclude<Anthropic.Messages.MessageBatchResult, { type: 'succeeded' }>): Promise<Applied> {
  if (result.type !== 'errored') return retryFree(r, result.type === 'expired' ? 'expired: the batch ended before this request ran' : 'canceled at Anthropic');
  const error = result.error.error;
  r.entry = {
    purpose: 'generation', model: r.run.b.model, usage: ZERO_LLM_USAGE, latencyMs: null, status: 'error', error: `${error.type}: ${error.message}`, batch: true, at: r.at, metadata: r.meta,
    ...(r.sent ? { io: { request: r.sent, output: null } } : {}),
  };
  if (error.type === 'overloaded_error' || error.type === 'rate_limit_error') return retryFree(r, `${error.type}: ${error.message}`);
  // The same request would be refused again: no point spending another day on it.
  return countAttempt(r, `${error.type}: ${error.message}`, r.item.result, error.type === 'invalid_request_error');
}

/** Stores one result in its own transaction, then logs its call; returns what became of its item. */
export async function applyResult(run: BatchRun, batch: Batch, cid: string, result: Anthropic.Messages.MessageBatchResult): Promise<Applied> {
  const at = new Date(run.now());
  // Written after the transaction commits: a logged call is never rolled back with its item.
  const logged: { entry: CallLogEntry | null } = { entry: null };
  const outcome = await run.db.transaction().execute(async (trx): Promise<Applied> => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', run.jobId).forUpdate().executeTakeFirstOrThrow();
    const item = await trx.selectFrom('generation_job_items').select([...ITEM_COLUMNS])
      .where('job_id', '=', run.jobId).where('batch_request_id', '=', cid).where('status', '=', 'claimed').where('claimed_by', '=', batchClaim(batch.id))
      .forUpdate().executeTakeFirst();
    if (!item) return 'skipped'; // stored by an earlier run or another worker
    const planned = await trx.selectFrom('training_conversations').selectAll().where('id', '=', item.conversation_id).executeTakeFirst();
    const meta = { conversation_key: planned?.conversation_id ?? item.conversation_id, conversation_id: item.conversation_id, attempt: item.attempts + 1, job_id: run.jobId, batch_id: batch.id, custom_id: cid };
    const sent = await sentRequest(run, trx, item);
    const r: ResultTx = { run, trx, batch, cid, item, planned, cancelled: job.status === 'cancelled', at, meta, sent, entry: null };
    const applied = result.type === 'succeeded' ? await applySucceeded(r, result.message) : await applyUnanswered(r, result);
    logged.entry = r.entry;
    return applied;
  });
  if (logged.entry) {
    run.calls++;
    await run.b.callLog.record(logged.entry);
  }
  return outcome;
}

/** Reads an ended batch's results into the job, then clears batch_id. */
export async function collectResults(run: BatchRun, batch: Batch): Promise<void> {
  const open = await run.db.selectFrom('generation_job_items').select('batch_request_id')
    .where('job_id', '=', run.jobId).where('status', '=', 'claimed').where('claimed_by', '=', batchClaim(batch.id)).execute();
  if (open.length > 0) {
    const wanted = new Set(open.map((r) => r.batch_request_id));
    const results = await run.client.messages.batches.results(batch.id);
    for await (const line of results) {
      if (!wanted.has(line.custom_id)) continue;
      const got = await applyResult(run, batch, line.custom_id, line.result);
      if (got === 'succeeded') run.succeeded++;
      else if (got === 'failed') run.failed++;
    }
  }
  await closeBatch(run, batch);
  run.log.info({ batchId: batch.id, counts: batch.request_counts }, 'batch results stored');
}

/** Releases requests the results left out (they go out again) and records the batch as ended. */
async function closeBatch(run: BatchRun, batch: Batch): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', run.jobId).forUpdate().executeTakeFirstOrThrow();
    // A request the results left out (it should not happen) goes out again.
    const missing = await releaseItems(trx, run.jobId, batchClaim(batch.id));
    if (missing) run.log.warn({ batchId: batch.id, missing }, 'results had no line for some requests; they go out again');
    if (job.batch_id !== batch.id) return;
    const c = batch.request_counts;
    const history = (controlOf(job).batches ?? []).map((h) =>
      h.id === batch.id ? { ...h, ended_at: batch.ended_at ?? new Date(run.now()).toISOString(), succeeded: c.succeeded, errored: c.errored, canceled: c.canceled, expired: c.expired } : h);
    await trx.updateTable('generation_jobs')
      .set({ batch_id: null, results_summary: patchControl({ batch_status: null, batch_cancel_sent: null, batches: history }) })
      .where('id', '=', run.jobId).execute();
  });
}
