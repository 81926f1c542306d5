/**
 * Batch mode of generation jobs: the job's conversations go to Anthropic's Message Batches API as one
 * batch (billed at half the list price, answered within 24 hours), and the runner polls it and stores
 * each result as the direct mode would (validated, one transaction per conversation, call log, costs).
 *
 * The batch id (generation_jobs.batch_id) and each item's custom_id (generation_job_items.batch_request_id,
 * the item claimed by `batch:<batch id>`) are stored as soon as the API accepts the batch, so a runner that
 * starts again (after a crash, a restart, Ctrl-C, a pause) polls that batch instead of sending it again
 * (see batch-submit.ts for how a submission is fenced, batch-results.ts for how results are stored).
 *
 * Pause stops the runner (the batch runs on at Anthropic; resume polls it). Cancel also cancels the batch
 * at Anthropic: results that arrived before it are stored, the rest are cancelled. The cost ceiling is
 * checked before each batch is sent.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, NotFoundError } from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { Database, GenerationJob } from '../../../../db';
import type { Logger } from '../../../logger';
import { finalizeIfDone } from '../claims';
import { controlOf, JobError, jobStatusOf, patchControl } from '../control';
import { cancelPendingItems, getJob } from '../job-store';
import type { JobControl, JobSummary } from '../types';
import {
  batchSummary, type BatchRun, DEFAULT_BATCH_MAX_BYTES, DEFAULT_BATCH_MAX_REQUESTS, DEFAULT_BATCH_POLL_MS, pauseRun, reportProgress,
  type RunBatchJobDeps, stateOf,
} from './batch-context';
import { collectResults } from './batch-results';
import { abandonBatch, pauseAtCostCeiling, releaseStrays } from './batch-store';
import { recoverLostCreate, submitBatch } from './batch-submit';

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

/** What one pass of the loop decided: go round again, or stop with a summary. */
type Step = { next: true } | { next: false; summary: JobSummary };
const again: Step = { next: true };
const stopWith = async (run: BatchRun, reason: JobSummary['stopReason']): Promise<Step> => ({ next: false, summary: await batchSummary(run.db, run.jobId, reason, run) });

/**
 * Runs a batch-mode job until it completes, is paused or cancelled, reaches its cost ceiling, is offline,
 * or deps.signal aborts. Run it again after any stop: it polls the batch it sent instead of resending it.
 */
export async function runBatchJob(deps: RunBatchJobDeps, jobId: string): Promise<JobSummary> {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ jobId, workerId: deps.workerId, mode: 'batch' });
  const initial = await getJob(db, jobId);
  const control = controlOf(initial);
  const initialStatus = jobStatusOf(initial);
  if (control.options.mode !== 'batch') throw new JobError(`job ${jobId} is not a batch-mode job`);
  if (initialStatus === 'completed' || initialStatus === 'failed') return batchSummary(db, jobId, 'not_runnable');
  if (initialStatus === 'cancelled' && !initial.batch_id && !control.batch_submit) return batchSummary(db, jobId, 'not_runnable');
  if (initialStatus === 'paused') return batchSummary(db, jobId, 'paused');
  const client = deps.batch.client;
  if (!client) {
    await db.updateTable('generation_jobs')
      .set({ status: 'failed', error_message: 'offline: Claude is not configured (offline mode): nothing can be generated', completed_at: new Date(now()) })
      .where('id', '=', jobId).where('status', 'in', ['queued', 'in_progress']).execute();
    log.error('batch job cannot run offline; job failed');
    return batchSummary(db, jobId, 'offline');
  }
  const run: BatchRun = {
    deps, db, jobId, workerId: deps.workerId, log, now, b: deps.batch, client, options: control.options,
    pollMs: deps.batch.pollMs ?? DEFAULT_BATCH_POLL_MS,
    maxRequests: deps.batch.maxRequests ?? DEFAULT_BATCH_MAX_REQUESTS,
    maxBytes: deps.batch.maxBytes ?? DEFAULT_BATCH_MAX_BYTES,
    succeeded: 0, failed: 0, calls: 0,
  };
  while (deps.signal?.aborted !== true) {
    const step = await batchStep(run);
    if (!step.next) return step.summary;
  }
  log.info({ succeeded: run.succeeded, failed: run.failed, calls: run.calls }, 'batch job runner stopped');
  return batchSummary(db, jobId, 'aborted', run);
}

/** One pass: read the job, then send a batch (none running) or poll the one running. */
async function batchStep(run: BatchRun): Promise<Step> {
  const job = await getJob(run.db, run.jobId);
  const status = jobStatusOf(job);
  const control = controlOf(job);
  if (status === 'paused') return stopWith(run, control.pause_reason === 'cost_ceiling' ? 'cost_ceiling' : 'paused');
  if (status === 'completed') return stopWith(run, 'completed');
  if (status === 'failed') return stopWith(run, job.error_message?.startsWith('offline') ? 'offline' : 'failed');
  if (status === 'cancelled' && !job.batch_id && !control.batch_submit) {
    await cancelPendingItems(run.db, run.jobId, run.now());
    return stopWith(run, 'cancelled');
  }
  if (job.batch_id) return pollStep(run, job, job.batch_id);
  if (control.batch_submit) return recoverStep(run, control.batch_submit);
  return submitStep(run);
}

/** A create call got no answer earlier: find its batch (or learn there is none) before sending again. */
async function recoverStep(run: BatchRun, marker: NonNullable<JobControl['batch_submit']>): Promise<Step> {
  let r: Awaited<ReturnType<typeof recoverLostCreate>>;
  try {
    r = await recoverLostCreate(run, marker);
  } catch (err) {
    // Listing the batches failed: look again at the next poll.
    if (!(err instanceof APIError)) throw err;
    run.log.warn({ err: err.message }, 'could not list the batches to find a lost create call; trying again');
    await pauseRun(run, run.pollMs);
    return again;
  }
  if (r === 'stop') return stopWith(run, 'failed');
  if (r === 'wait') await pauseRun(run, Math.min(run.pollMs, Math.max(1000, Date.parse(marker.expires_at) - run.now())));
  return again;
}

/** No batch running: check the ceiling, send the next batch, or finish the job. */
async function submitStep(run: BatchRun): Promise<Step> {
  if (await pauseAtCostCeiling(run)) return stopWith(run, 'cost_ceiling');
  const r = await submitBatch(run);
  if (r === 'stop') return stopWith(run, 'failed');
  if (r === 'busy') await pauseRun(run, Math.min(run.pollMs, 5000));
  if (r === 'nothing') {
    if (await finalizeIfDone(run.db, run.jobId, run.now())) {
      await reportProgress(run);
      return stopWith(run, 'completed');
    }
    // Items held by no batch of this job (it should not happen): reclaim them once their lease ends.
    await releaseStrays(run);
    await pauseRun(run, run.pollMs);
  }
  return again;
}

/** A batch is running: cancel it if the job was cancelled, poll it, and store its results once it ended. */
async function pollStep(run: BatchRun, job: GenerationJob, batchId: string): Promise<Step> {
  if (job.status === 'cancelled' && controlOf(job).batch_cancel_sent !== batchId) {
    try {
      await run.client.messages.batches.cancel(batchId);
      await run.db.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_cancel_sent: batchId }) }).where('id', '=', run.jobId).execute();
    } catch (err) {
      if (err instanceof NotFoundError) {
        await abandonBatch(run, batchId);
        return again;
      }
      run.log.warn({ err, batchId }, 'could not cancel the batch; trying again at the next poll');
    }
  }
  let batch: Anthropic.Messages.MessageBatch;
  try {
    batch = await run.client.messages.batches.retrieve(batchId);
  } catch (err) {
    if (err instanceof NotFoundError) {
      await abandonBatch(run, batchId);
      return again;
    }
    if (!(err instanceof APIError)) throw err;
    run.log.warn({ err: err.message, batchId }, 'could not poll the batch; trying again');
    await pauseRun(run, run.pollMs);
    return again;
  }
  await run.db.updateTable('generation_jobs').set({ results_summary: patchControl({ batch_status: stateOf(batch, new Date(run.now())) }) })
    .where('id', '=', run.jobId).where('batch_id', '=', batchId).execute();
  await reportProgress(run);
  if (batch.processing_status !== 'ended') {
    await pauseRun(run, run.pollMs);
    return again;
  }
  try {
    await collectResults(run, batch);
  } catch (err) {
    // The results download broke off: what was stored stays stored; the next pass reads the rest.
    if (!(err instanceof APIError)) throw err;
    run.log.warn({ err: err.message, batchId }, 'could not read the batch results; trying again');
    await pauseRun(run, run.pollMs);
    return again;
  }
  await reportProgress(run);
  return again;
}
