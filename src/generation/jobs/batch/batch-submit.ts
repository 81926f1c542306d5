/**
 * Sending a batch, fenced so it is never sent twice:
 * 1. Under the job's row lock the pending items are claimed by `batch:submitting`, given their custom_ids,
 *    and a marker `_job.batch_submit` (start, expiry, request count) is written. Only one runner gets past
 *    this step; the others see the marker and wait.
 * 2. The create call is made with no SDK retry (a retried POST could create a second batch).
 * 3. The API answered with the batch → its id replaces the marker (items claimed by `batch:<id>`).
 *    The API answered with an error → no batch exists: the items go back to pending, the marker is removed.
 *    No answer (timeout, connection lost, a crash) → the marker stays. Once it expires, the next runner
 *    lists the account's recent batches (recoverLostCreate): exactly one batch created in the marker's
 *    window with the marker's request count, not owned by any job → adopted; none → nothing was created,
 *    submit again; several → the job fails, naming them, rather than guess.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIConnectionError } from '@anthropic-ai/sdk';
import { isApiError } from '../../../llm';
import { sql } from 'kysely';
import { GenerationError, generationRequest, prepareGeneration, retryAfterMsOf } from '../../generator';
import { controlOf, JobError, jobStatusOf, patchControl } from '../control';
import { getJob } from '../job-store';
import { type BatchState, DEFAULT_RATE_LIMIT_WAIT_MS, type JobControl, MAX_RATE_LIMIT_WAIT_MS } from '../types';
import {
  type BatchRun, CLOCK_SLACK_MS, CREATE_TIMEOUT_MS, customIdFor, ITEM_COLUMNS, type ItemRow, pauseRun, reportProgress, requestCount,
  retryOf, SUBMIT_MARKER_MS, SUBMITTING,
} from './batch-context';
import { adoptBatch, failBatchJob, failUnsendable, unsubmit } from './batch-store';

type Request = Anthropic.Messages.BatchCreateParams.Request;
export type SubmitResult = 'submitted' | 'nothing' | 'again' | 'busy' | 'stop';
type SubmitMarker = NonNullable<JobControl['batch_submit']>;

/** The requests of the next batch from the pending items, within the size limits. */
export async function prepareRequests(run: BatchRun): Promise<{ requests: Request[]; claims: Array<{ id: string; cid: string }>; unsendable: boolean }> {
  const items: ItemRow[] = await run.db.selectFrom('generation_job_items').select([...ITEM_COLUMNS])
    .where('job_id', '=', run.jobId).where('status', '=', 'pending').orderBy('position').limit(run.maxRequests).execute();
  const requests: Request[] = [];
  const claims: Array<{ id: string; cid: string }> = [];
  let unsendable = false;
  let bytes = 0;
  for (const item of items) {
    try {
      const prepared = await prepareGeneration(run.db, item.conversation_id);
      const cid = customIdFor(item.position, prepared.key);
      const request = { custom_id: cid, params: generationRequest(run.b.model, run.b.maxTokens, prepared.prompt, retryOf(item.result)) };
      // Over the size limit: the rest wait for the next batch (the first request always goes).
      const size = Buffer.byteLength(JSON.stringify(request));
      if (requests.length > 0 && bytes + size > run.maxBytes) break;
      bytes += size;
      requests.push(request);
      claims.push({ id: item.id, cid });
    } catch (err) {
      if (!(err instanceof GenerationError)) throw err;
      await failUnsendable(run, item, err);
      unsendable = true;
    }
  }
  return { requests, claims, unsendable };
}

/** Step 1: claims the items for the submission and writes the marker; false when another runner has it. */
async function markSubmitting(run: BatchRun, claims: Array<{ id: string; cid: string }>, count: number): Promise<boolean> {
  const startedAt = new Date(run.now());
  const expiresAt = new Date(startedAt.getTime() + SUBMIT_MARKER_MS);
  return run.db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', run.jobId).forUpdate().executeTakeFirstOrThrow();
    const status = jobStatusOf(job);
    if ((status !== 'queued' && status !== 'in_progress') || job.batch_id || controlOf(job).batch_submit) return false;
    const claimed = await sql<{ conversation_id: string }>`
      UPDATE generation_job_items i SET status = 'claimed', claimed_by = ${SUBMITTING}, claimed_at = ${startedAt},
        lease_expires_at = ${expiresAt}, batch_request_id = v.cid
      FROM jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) AS v(id uuid, cid text)
      WHERE i.id = v.id AND i.job_id = ${run.jobId} AND i.status = 'pending'
      RETURNING i.conversation_id`.execute(trx);
    if (claimed.rows.length !== claims.length) throw new JobError(`job ${run.jobId}: ${String(claims.length - claimed.rows.length)} items changed while the batch was prepared`);
    await trx.updateTable('training_conversations').set({ generation_status: 'in_progress', updated_at: startedAt })
      .where('id', 'in', claimed.rows.map((r) => r.conversation_id)).where('generation_status', 'in', ['planned', 'in_progress']).execute();
    const marker: SubmitMarker = { started_at: startedAt.toISOString(), expires_at: expiresAt.toISOString(), worker: run.workerId, requests: count };
    const state: BatchState = { id: '', processingStatus: 'submitting', requests: count, answered: 0, submittedAt: startedAt.toISOString(), polledAt: null, expiresAt: null };
    await trx.updateTable('generation_jobs')
      .set({ status: 'in_progress', started_at: job.started_at ?? startedAt, results_summary: patchControl({ batch_submit: marker, batch_status: state }) })
      .where('id', '=', run.jobId).execute();
    return true;
  });
}

/** Steps 2 and 3: the create call, and what its answer (or its lack) means. */
async function createBatch(run: BatchRun, requests: Request[]): Promise<SubmitResult> {
  let created: Anthropic.Messages.MessageBatch;
  try {
    // No SDK retry: a POST retried after a lost answer could create a second batch.
    created = await run.client.messages.batches.create({ requests }, { maxRetries: 0, timeout: CREATE_TIMEOUT_MS });
  } catch (err) {
    if (isApiError(err) && !(err instanceof APIConnectionError) && err.status) {
      // The API answered with an error, so no batch was created.
      await unsubmit(run);
      if (err.status === 429 || err.status >= 500) {
        const wait = Math.min(Math.max(retryAfterMsOf(err) ?? DEFAULT_RATE_LIMIT_WAIT_MS, 0), MAX_RATE_LIMIT_WAIT_MS);
        run.log.warn({ status: err.status, waitMs: wait }, 'the Message Batches API did not take the batch; trying again');
        await pauseRun(run, wait);
        return 'again';
      }
      await failBatchJob(run, `the Message Batches API refused the batch (${String(err.status)}): ${err.message}`);
      return 'stop';
    }
    if (err instanceof APIConnectionError) {
      // No answer: the batch may exist. The marker stays; once it expires, the account's batches are searched.
      run.log.warn({ err: err.message }, 'no answer to the batch create call; looking for the batch before sending it again');
      return 'again';
    }
    throw err;
  }
  await adoptBatch(run, created);
  return 'submitted';
}

/** Builds and sends the next batch from the pending items. */
export async function submitBatch(run: BatchRun): Promise<SubmitResult> {
  const { requests, claims, unsendable } = await prepareRequests(run);
  if (requests.length === 0) return unsendable ? 'again' : 'nothing';
  if (!(await markSubmitting(run, claims, requests.length))) return 'busy';
  await reportProgress(run);
  return createBatch(run, requests);
}

/** The marker of a create call that got no answer: find its batch, or take the submission back. */
export async function recoverLostCreate(run: BatchRun, marker: SubmitMarker): Promise<'adopted' | 'unsubmitted' | 'wait' | 'stop'> {
  if (Date.parse(marker.expires_at) > run.now()) return 'wait';
  const from = Date.parse(marker.started_at) - CLOCK_SLACK_MS;
  const to = Date.parse(marker.expires_at) + CLOCK_SLACK_MS;
  const candidates: Anthropic.Messages.MessageBatch[] = [];
  for await (const batch of run.client.messages.batches.list({ limit: 100 })) {
    const created = Date.parse(batch.created_at);
    if (created < from) break; // newest first
    if (created <= to && requestCount(batch) === marker.requests) candidates.push(batch);
  }
  const ids = candidates.map((c) => c.id);
  const owned = new Set<string | null>();
  if (ids.length) for (const r of await run.db.selectFrom('generation_jobs').select('batch_id').where('batch_id', 'in', ids).execute()) owned.add(r.batch_id);
  for (const h of controlOf(await getJob(run.db, run.jobId)).batches ?? []) owned.add(h.id);
  const free = candidates.filter((c) => !owned.has(c.id));
  const [only, another] = free;
  if (only && !another) {
    run.log.warn({ batchId: only.id }, 'found the batch a cut-off create call made; polling it instead of sending again');
    await adoptBatch(run, only);
    return 'adopted';
  }
  if (!only) {
    run.log.warn('the cut-off create call made no batch; sending again');
    await unsubmit(run);
    return 'unsubmitted';
  }
  await failBatchJob(run, `a create call got no answer and ${String(free.length)} batches could be its (${free.map((c) => c.id).join(', ')}); cancel the ones that are not this job's at console.anthropic.com, then resume the job`);
  return 'stop';
}
