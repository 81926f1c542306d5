/**
 * The writes of batch mode, each in its own transaction under the job row's lock: adopting a batch,
 * taking a submission back, releasing items, recording one item's outcome with the job's counters.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Transaction } from 'kysely';
import type { Database, JsonObject } from '../../../../db';
import { setBackToPlanned } from '../../generator';
import type { GenerationError } from '../../generator';
import { jobCostUsd, refreshJobCounters } from '../claims';
import { controlOf, patchControl } from '../control';
import { pauseJob } from '../job-store';
import { batchClaim, type BatchRun, type ItemRow, requestCount, stateOf, SUBMITTING, DAY_MS } from './batch-context';

/** Locks the job row: every batch write runs under it, so two workers never interleave. */
async function lockJob(trx: Transaction<Database>, jobId: string): Promise<void> {
  await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
}

/** Items claimed by CLAIMED_BY back to pending (no attempt counted) and their conversations back to planned. */
export async function releaseItems(trx: Transaction<Database>, jobId: string, claimedBy: string): Promise<number> {
  const rows = await trx.updateTable('generation_job_items')
    .set({ status: 'pending', claimed_by: null, claimed_at: null, lease_expires_at: null })
    .where('job_id', '=', jobId).where('status', '=', 'claimed').where('claimed_by', '=', claimedBy)
    .returning('conversation_id').execute();
  await setBackToPlanned(trx, rows.map((r) => r.conversation_id));
  return rows.length;
}

/** Records the batch as the job's: items claimed by it, marker replaced, history appended. */
export async function adoptBatch(run: BatchRun, batch: Anthropic.Messages.MessageBatch): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', run.jobId).forUpdate().executeTakeFirstOrThrow();
    const lease = new Date(Date.parse(batch.expires_at) + DAY_MS);
    await trx.updateTable('generation_job_items').set({ claimed_by: batchClaim(batch.id), lease_expires_at: lease })
      .where('job_id', '=', run.jobId).where('status', '=', 'claimed').where('claimed_by', '=', SUBMITTING).execute();
    const history = [...(controlOf(job).batches ?? []), { id: batch.id, submitted_at: batch.created_at, requests: requestCount(batch) }];
    await trx.updateTable('generation_jobs')
      .set({ batch_id: batch.id, results_summary: patchControl({ batch_submit: null, batch_status: stateOf(batch, null), batches: history }) })
      .where('id', '=', run.jobId).execute();
  });
  run.log.info({ batchId: batch.id, requests: requestCount(batch) }, 'batch submitted');
}

/** Takes the submission back: no batch exists (the API said so, or none was found). */
export async function unsubmit(run: BatchRun): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    await lockJob(trx, run.jobId);
    await releaseItems(trx, run.jobId, SUBMITTING);
    await trx.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_submit: null, batch_status: null }) }).where('id', '=', run.jobId).execute();
  });
}

/** Fails the job (if still open), with the reason in error_message. */
export async function failBatchJob(run: BatchRun, message: string): Promise<void> {
  await run.db.updateTable('generation_jobs').set({ status: 'failed', error_message: message, completed_at: new Date(run.now()) })
    .where('id', '=', run.jobId).where('status', 'in', ['queued', 'in_progress']).execute();
  run.log.error({ reason: message }, 'batch job failed');
}

export interface ItemWrite {
  status: 'succeeded' | 'failed' | 'pending' | 'cancelled';
  attempts: number;
  result: JsonObject | null;
  lastError?: string | null;
}

/** One item's outcome, written with the job's counters in the caller's transaction. */
export async function writeItem(trx: Transaction<Database>, jobId: string, item: ItemRow, set: ItemWrite, summary: JsonObject, calls = 1): Promise<void> {
  const keepsClaim = set.status === 'succeeded';
  await trx.updateTable('generation_job_items')
    .set({
      status: set.status, attempts: set.attempts, result: set.result,
      ...(set.lastError !== undefined ? { last_error: set.lastError } : {}),
      ...(keepsClaim ? {} : { claimed_by: null, claimed_at: null, lease_expires_at: null }),
    })
    .where('id', '=', item.id).execute();
  await refreshJobCounters(trx, jobId, item.conversation_id, summary, calls);
}

/** A pending item that cannot be sent (its conversation is not generatable): an attempt, no API call. */
export async function failUnsendable(run: BatchRun, item: ItemRow, err: GenerationError): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    await lockJob(trx, run.jobId);
    const attempts = item.attempts + 1;
    const status = attempts >= run.options.maxAttempts ? 'failed' : 'pending';
    const message = `${err.kind}: ${err.message}`;
    await writeItem(trx, run.jobId, item, { status, attempts, result: item.result, lastError: message }, { status: status === 'failed' ? 'failed' : 'retrying', attempts, error: message }, 0);
  });
  run.log.warn({ conversationId: item.conversation_id, err: err.message }, 'conversation cannot be sent in a batch');
}

/** Claimed items whose lease ended while the job has no batch (a bug or a manual edit): pending again. */
export async function releaseStrays(run: BatchRun): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    await lockJob(trx, run.jobId);
    const rows = await trx.updateTable('generation_job_items')
      .set({ status: 'pending', claimed_by: null, claimed_at: null, lease_expires_at: null })
      .where('job_id', '=', run.jobId).where('status', '=', 'claimed').where('lease_expires_at', '<', new Date(run.now()))
      .returning('conversation_id').execute();
    await setBackToPlanned(trx, rows.map((r) => r.conversation_id));
    if (rows.length) run.log.warn({ released: rows.length }, 'released claimed items no batch holds');
  });
}

/** The batch is gone at Anthropic (deleted, or another key's): its requests go out again. */
export async function abandonBatch(run: BatchRun, batchId: string): Promise<void> {
  await run.db.transaction().execute(async (trx) => {
    await lockJob(trx, run.jobId);
    await releaseItems(trx, run.jobId, batchClaim(batchId));
    await trx.updateTable('generation_jobs').set({ batch_id: null, results_summary: patchControl({ batch_status: null }) })
      .where('id', '=', run.jobId).where('batch_id', '=', batchId).execute();
  });
  run.log.error({ batchId }, 'the batch is not found at Anthropic (deleted, or made with another API key); its requests go out again');
}

/** Pauses the job when its cost reached the ceiling (checked before each batch); true when it did. */
export async function pauseAtCostCeiling(run: BatchRun): Promise<boolean> {
  const ceiling = run.options.costCeilingUsd;
  if (ceiling === null) return false;
  const spent = await jobCostUsd(run.db, run.jobId);
  if (spent < ceiling) return false;
  await pauseJob(run.db, run.jobId, 'cost_ceiling', run.now());
  await run.db.updateTable('generation_jobs')
    .set({ error_message: `cost ceiling of $${String(ceiling)} reached ($${spent.toFixed(4)} spent): paused; raise the ceiling and resume` })
    .where('id', '=', run.jobId).execute();
  return true;
}
