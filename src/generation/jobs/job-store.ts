/**
 * Generation jobs (US-TRAIN-004 batch, US-TRAIN-005 process all): a generation_jobs row plus one
 * generation_job_items row per conversation, claimed row by row (claims.ts) with FOR UPDATE SKIP LOCKED
 * and a lease, so several workers (or N loops of one worker) share a job and a killed worker's item is
 * taken over once its lease expires.
 *
 * Decisions (the schema has no 'paused' job status and no metadata column):
 * - Options without a spec column (concurrency, minGapMs, costCeilingUsd, maxAttempts) and the pause
 *   flag live under the reserved key `_job` of generation_jobs.results_summary (control.ts).
 * - Paused = `_job.paused_at` set; the status column then says 'queued'. jobProgress reports 'paused'.
 *   resumeJob clears it and sets 'in_progress' (or 'queued' if the job never started); run the job again.
 * - 'offline': the item goes back to 'pending' (no attempt counted) and the job is 'failed' at once with
 *   the error in error_message; resumeJob reopens it (it still has pending items) once the API is back.
 * - Cost ceiling reached → the job is PAUSED (not failed): nothing is lost, error_message says why, and
 *   resumeJob(…, { costCeilingUsd }) raises or removes the ceiling.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import { type Database, type GenerationJob, toJsonb } from '../../../db';
import { controlJson, controlOf, type Db, JobError, jobStatusOf, normaliseOptions, patchControl } from './control';
import { type CreateJobInput, hasCard, type JobControl, type JobMode, type JobNotify, type JobProgress, type JobStatus } from './types';

const TIER_RANK: Record<string, number> = { tier1_template: 1, tier2_scenario: 2, tier3_edge: 3 };

/** Resolves the target conversations and writes the job and its items, in one transaction (DB's, if it is one). */
export async function createJob(db: Db, input: CreateJobInput): Promise<GenerationJob> {
  const options = normaliseOptions(input.options);
  // Inside the caller's transaction when given one (Kysely does not nest transactions).
  const inTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
  return inTransaction(async (trx) => {
    let ids: string[];
    if (input.conversationIds) {
      ids = input.conversationIds;
      if (new Set(ids).size !== ids.length) throw new JobError('conversationIds has duplicates');
      if (ids.length) {
        const found = await trx.selectFrom('training_conversations').select('id').where('id', 'in', ids).execute();
        if (found.length !== ids.length) {
          const have = new Set(found.map((r) => r.id));
          throw new JobError(`unknown conversations: ${ids.filter((i) => !have.has(i)).join(', ')}`);
        }
      }
    } else {
      if (input.type !== 'process_all') throw new JobError(`a ${input.type} job needs conversationIds`);
      const rows = await trx.selectFrom('training_conversations').select(['id', 'tier', 'conversation_number']).where('generation_status', '=', 'planned').execute();
      rows.sort((a, b) => (TIER_RANK[a.tier] ?? 9) - (TIER_RANK[b.tier] ?? 9) || a.conversation_number - b.conversation_number);
      ids = rows.map((r) => r.id);
    }
    if (ids.length === 0) throw new JobError('the job has no conversations');
    if (input.type === 'single' && ids.length !== 1) throw new JobError(`a single job takes one conversation, got ${ids.length}`);
    const control: JobControl = { options };
    const job = await trx
      .insertInto('generation_jobs')
      .values({
        job_type: input.type,
        target_conversation_ids: toJsonb(ids),
        total_conversations: ids.length,
        status: 'queued',
        created_by: input.createdBy,
        results_summary: { _job: controlJson(control) },
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .insertInto('generation_job_items')
        .values(ids.slice(i, i + 500).map((conversation_id, k) => ({ job_id: job.id, conversation_id, position: i + k })))
        .execute();
    }
    return job;
  });
}

/** The job row; JobError when there is none. */
export async function getJob(db: Db, jobId: string): Promise<GenerationJob> {
  const job = await db.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new JobError(`no generation job ${jobId}`);
  return job;
}

/** Pauses a queued or running job: runners stop before their next claim; in-flight items finish. */
export async function pauseJob(db: Kysely<Database>, jobId: string, reason = 'paused by user', now = Date.now()): Promise<void> {
  await db
    .updateTable('generation_jobs')
    .set({ status: 'queued', results_summary: patchControl({ paused_at: new Date(now).toISOString(), pause_reason: reason }) })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'in_progress'])
    .execute();
}

/**
 * Clears the pause (optionally changing the cost ceiling), or reopens a job that 'offline' failed with
 * items left; run the job again to continue.
 */
export async function resumeJob(db: Kysely<Database>, jobId: string, change: { costCeilingUsd?: number | null } = {}): Promise<void> {
  const job = await getJob(db, jobId);
  const status = job.status ?? 'queued';
  // A job failed by 'offline' still has pending items: it may resume too.
  const open = await db.selectFrom('generation_job_items').select('id').where('job_id', '=', jobId).where('status', 'in', ['pending', 'claimed']).limit(1).execute();
  const resumable = status === 'queued' || status === 'in_progress' || (status === 'failed' && open.length > 0);
  if (!resumable) throw new JobError(`job ${jobId} is ${status}; only a paused, queued or interrupted job can resume`);
  const patch: Parameters<typeof patchControl>[0] = { paused_at: null, pause_reason: null };
  if (change.costCeilingUsd !== undefined) patch.options = normaliseOptions({ ...controlOf(job).options, costCeilingUsd: change.costCeilingUsd });
  await db
    .updateTable('generation_jobs')
    .set({ status: job.started_at ? 'in_progress' : 'queued', error_message: null, completed_at: null, results_summary: patchControl(patch) })
    .where('id', '=', jobId)
    .execute();
}

/** Cancels the job and its pending items; items in flight finish, then their runners stop. */
export async function cancelJob(db: Kysely<Database>, jobId: string, now = Date.now()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').select(['status']).where('id', '=', jobId).forUpdate().executeTakeFirst();
    if (!job) throw new JobError(`no generation job ${jobId}`);
    if (job.status !== 'queued' && job.status !== 'in_progress') return;
    await trx.updateTable('generation_jobs').set({ status: 'cancelled', completed_at: new Date(now) }).where('id', '=', jobId).execute();
    // Only pending items: a claimed one is in flight (its runner finishes it, then stops), or its lease
    // expired, which the next runner (on its own clock) cancels.
    await trx.updateTable('generation_job_items').set({ status: 'cancelled' }).where('job_id', '=', jobId).where('status', '=', 'pending').execute();
  });
}

/** Cancels the job's pending items, and claimed ones whose lease expired (their worker is gone). */
export async function cancelPendingItems(db: Db, jobId: string, now: number): Promise<void> {
  await db
    .updateTable('generation_job_items')
    .set({ status: 'cancelled', claimed_by: null, claimed_at: null, lease_expires_at: null })
    .where('job_id', '=', jobId)
    .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'claimed'), eb('lease_expires_at', '<', new Date(now))])]))
    .execute();
}

/** The job's progress, from its items (the source of truth) and its row. */
export async function jobProgress(db: Db, jobId: string): Promise<JobProgress> {
  const job = await getJob(db, jobId);
  const items = await db
    .selectFrom('generation_job_items')
    .select(['conversation_id', 'position', 'status', 'claimed_by', 'result'])
    .where('job_id', '=', jobId)
    .orderBy('position')
    .execute();
  let done = 0, failed = 0, pending = 0, cancelled = 0, tokens = 0, costUsd = 0, durSum = 0;
  let current: JobProgress['current'] = null;
  for (const it of items) {
    if (it.status === 'succeeded') {
      done++;
      const r = (it.result ?? {}) as Record<string, unknown>;
      tokens += Number(r.input_tokens ?? 0) + Number(r.output_tokens ?? 0);
      costUsd += Number(r.cost_usd ?? 0);
      durSum += Number(r.duration_ms ?? 0);
    } else if (it.status === 'failed') failed++;
    else if (it.status === 'cancelled' || it.status === 'skipped') cancelled++;
    else {
      pending++;
      if (it.status === 'claimed' && !current && !it.claimed_by?.startsWith('batch:')) current = { conversationId: it.conversation_id, position: it.position, claimedBy: it.claimed_by };
    }
  }
  const control = controlOf(job);
  const concurrency = control.options.concurrency;
  const currentLabel = current ? await conversationLabel(db, current.conversationId) : null;
  const batchMode = control.options.mode === 'batch';
  return {
    jobId,
    status: jobStatusOf(job),
    total: job.total_conversations,
    done,
    failed,
    pending,
    cancelled,
    current,
    currentLabel,
    tokens,
    costUsd: Math.round(costUsd * 1e6) / 1e6,
    startedAt: job.started_at,
    completedAt: job.completed_at,
    // A batch's requests all finish when it ends: no per-item pace to extrapolate.
    etaMs: done && !batchMode ? Math.round(((durSum / done) * pending) / concurrency) : null,
    errorMessage: job.error_message,
    mode: control.options.mode,
    batch: batchMode ? (control.batch_status ?? null) : null,
  };
}

/** "12 · fp_marcus_012", or null when the conversation is gone. */
async function conversationLabel(db: Db, conversationId: string): Promise<string | null> {
  const row = await db.selectFrom('training_conversations').select(['conversation_id', 'conversation_number']).where('id', '=', conversationId).executeTakeFirst();
  return row ? `${String(row.conversation_number)} · ${row.conversation_id}` : null;
}

/** The newest jobs first. */
export async function listJobs(db: Kysely<Database>, opts: { limit?: number } = {}): Promise<Array<GenerationJob & { displayStatus: JobStatus; mode: JobMode }>> {
  const rows = await db.selectFrom('generation_jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(opts.limit ?? 20).execute();
  return rows.map((r) => ({ ...r, displayStatus: jobStatusOf(r), mode: controlOf(r).options.mode }));
}


/** What a job id or its prefix (the 8 characters lists show) looks like. */
export const JOB_ID_PREFIX = /^[0-9a-f-]{4,36}$/;

/** Up to two job ids starting with PREFIX (lower case, matching JOB_ID_PREFIX): callers tell none, one and several apart. */
export async function jobIdsWithPrefix(db: Db, prefix: string): Promise<string[]> {
  if (!JOB_ID_PREFIX.test(prefix)) return [];
  const rows = await db.selectFrom('generation_jobs').select('id').where(sql<boolean>`id::text LIKE ${`${prefix}%`}`).limit(2).execute();
  return rows.map((r) => r.id);
}

/** Whether a job with this exact id exists (ids from a card are not trusted to be UUIDs). */
export async function jobExists(db: Db, jobId: string): Promise<boolean> {
  const row = await db.selectFrom('generation_jobs').select('id').where(sql<boolean>`id::text = ${jobId}`).executeTakeFirst();
  return row !== undefined;
}

/**
 * Records where the job reports, so a restarted runner keeps reporting there, and returns where that is.
 * A start without a card (the dashboard resuming a job) keeps the card the job already has: a job
 * started from Teams and resumed on the page still updates its card and tells its chat when it ends.
 */
export async function recordJobNotify(db: Db, jobId: string, notify: JobNotify): Promise<JobNotify> {
  if (!hasCard(notify)) {
    const job = await db.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    const kept = job ? controlOf(job).notify : undefined;
    if (kept && hasCard(kept)) return { ref: kept.ref, activityId: kept.activity_id, title: kept.title };
  }
  const stored: NonNullable<JobControl['notify']> = { ref: notify.ref, activity_id: notify.activityId, title: notify.title };
  await db.updateTable('generation_jobs').set({ results_summary: patchControl({ notify: stored }) }).where('id', '=', jobId).execute();
  return notify;
}

/**
 * Open (queued or running, not paused) jobs that report somewhere, oldest first: a card's job (it needs its
 * conversation to update) or a dashboard job (no card). A job with no notify (the CLI's) is left to the CLI.
 */
export async function openJobsWithNotify(db: Db): Promise<Array<{ jobId: string; notify: JobNotify }>> {
  const jobs = await db.selectFrom('generation_jobs').selectAll().where('status', 'in', ['queued', 'in_progress']).orderBy('created_at').execute();
  const out: Array<{ jobId: string; notify: JobNotify }> = [];
  for (const job of jobs) {
    const control = controlOf(job);
    const n = control.notify;
    if (control.paused_at || !n || (n.ref !== null && !hasCard(n))) continue;
    out.push({ jobId: job.id, notify: { ref: n.ref, activityId: n.activity_id, title: n.title } });
  }
  return out;
}

/** Failed items of a job, in job order, with their last error. */
export async function failedItems(db: Db, jobId: string): Promise<Array<{ conversationId: string; lastError: string | null }>> {
  const rows = await db.selectFrom('generation_job_items').select(['conversation_id', 'last_error']).where('job_id', '=', jobId).where('status', '=', 'failed').orderBy('position').execute();
  return rows.map((r) => ({ conversationId: r.conversation_id, lastError: r.last_error }));
}

/** training_conversations.id → "12 fp_marcus_012" for the job's items. */
export async function jobItemNames(db: Db, jobId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('generation_job_items as i').innerJoin('training_conversations as c', 'c.id', 'i.conversation_id')
    .select(['c.id', 'c.conversation_number', 'c.conversation_id']).where('i.job_id', '=', jobId).execute();
  return new Map(rows.map((r) => [r.id, `${String(r.conversation_number)} ${r.conversation_id}`]));
}
