/**
 * Generation jobs (US-TRAIN-004 batch, US-TRAIN-005 process all): a generation_jobs row plus one
 * generation_job_items row per conversation, claimed row by row with FOR UPDATE SKIP LOCKED and a lease,
 * so several workers (or N loops of one worker) share a job and a crashed worker's item is reclaimed
 * once its lease expires.
 *
 * Decisions (the schema has no 'paused' job status and no metadata column):
 * - Options without a spec column (concurrency, minGapMs, costCeilingUsd, maxAttempts) and the pause
 *   flag live under the reserved key `_job` of generation_jobs.results_summary. Every other key of
 *   results_summary is a training_conversations.id (a UUID) → that conversation's outcome, as the spec has it.
 * - Paused = `_job.paused_at` set; the status column then says 'queued'. jobProgress reports 'paused'.
 *   resumeJob clears it and sets 'in_progress' (or 'queued' if the job never started); run the job again.
 * - Rate limits ('rate_limited' | 'overloaded'): the item goes back to 'pending' WITHOUT counting an
 *   attempt (the conversation is not at fault), and every loop of this runner waits retryAfterMs
 *   (default 30 s, capped at 5 min) before its next call. After 10 consecutive rate limits of one item
 *   in one run, further ones count as failed attempts, so a permanently refusing API cannot spin forever.
 * - 'offline': the item goes back to 'pending' (no attempt counted) and the job is 'failed' at once with
 *   the error in error_message; resumeJob reopens it (it still has pending items) once the API is back.
 * - Cost ceiling: checked before each claim against the precise sum of the items' cost_usd. Reached →
 *   the job is PAUSED (not failed): nothing is lost, error_message says why, and resumeJob(…, {
 *   costCeilingUsd }) raises or removes the ceiling. In-flight items may overshoot it by at most
 *   concurrency - 1 conversations.
 * - A claim is fenced by (claimed_by, claimed_at): a worker whose lease was taken over cannot mark the
 *   item; the lease is renewed every leaseMs / 3 while generate runs.
 * - All timestamps written and compared (claims, leases, started/completed) come from deps.now(), so
 *   tests control time; default Date.now.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type Database,
  type GenerationJob,
  type GenerationJobStatus,
  type GenerationJobType,
  type JsonObject,
  toJsonb,
  type TrainingTier,
} from '../../db';
import { DomainError } from '../errors';
import type { Logger } from '../logger';

type Db = Kysely<Database> | Transaction<Database>;

export interface GenerateResult {
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  durationMs: number;
}
/** The generator, injected: failures throw an Error with optional `kind` and `retryAfterMs`. */
export type Generate = (conversationUuid: string, ctx: { signal: AbortSignal; jobId: string }) => Promise<GenerateResult>;

/** 'direct': one Messages call per conversation. 'batch': the whole job through the Message Batches API, at half price. */
export type JobMode = 'direct' | 'batch';

export interface JobOptions {
  mode: JobMode;
  /** Claim loops in one runJob process. Default 1. */
  concurrency: number;
  /** Minimum gap between the starts of two generate calls of one runner. Default 0. */
  minGapMs: number;
  /** Stop (pause) the job once the accumulated cost reaches this. Default null (none). */
  costCeilingUsd: number | null;
  /** Attempts per conversation before it is 'failed'. Default 3. */
  maxAttempts: number;
}

export interface CreateJobInput {
  type: GenerationJobType;
  /** training_conversations.id values, in job order. */
  conversationIds?: string[];
  /** Used when conversationIds is absent (batch/single); process_all takes every 'planned' conversation. */
  filter?: { tier?: TrainingTier; persona?: string; status?: string };
  /** A UUID (generation_jobs.created_by has no foreign key). */
  createdBy: string;
  options?: Partial<JobOptions>;
}

export type JobStatus = GenerationJobStatus | 'paused';

export interface JobProgress {
  jobId: string;
  status: JobStatus;
  total: number;
  /** Items succeeded. */
  done: number;
  failed: number;
  /** Items pending or claimed. */
  pending: number;
  cancelled: number;
  /** The lowest-position claimed item. */
  current: { conversationId: string; position: number; claimedBy: string | null } | null;
  tokens: number;
  costUsd: number;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Mean succeeded item duration × remaining items / concurrency; null before any item succeeded. */
  etaMs: number | null;
  errorMessage: string | null;
  mode: JobMode;
  /** Batch mode: the batch at Anthropic now, as last polled; null between batches and in direct mode. */
  batch: BatchState | null;
}

/** A Message Batches batch as the runner last saw it. */
export interface BatchState {
  id: string;
  /** 'submitting' until the API answered the create call. */
  processingStatus: 'submitting' | 'in_progress' | 'canceling' | 'ended';
  requests: number;
  /** Requests Anthropic has finished (any result). */
  answered: number;
  submittedAt: string;
  polledAt: string | null;
  expiresAt: string | null;
}

export type StopReason =
  | 'completed' // no items left; the job is 'completed' or 'failed'
  | 'paused'
  | 'cancelled'
  | 'cost_ceiling'
  | 'offline'
  | 'failed' // the job failed for a reason other than offline (batch mode: the API refused the batch)
  | 'aborted' // deps.signal
  | 'not_runnable'; // the job was already finished when runJob started

export interface JobSummary {
  jobId: string;
  stopReason: StopReason;
  /** Items this run marked succeeded / failed, and generate calls it made. */
  succeeded: number;
  failed: number;
  calls: number;
  progress: JobProgress;
}

export interface RunJobDeps {
  db: Kysely<Database>;
  generate: Generate;
  workerId: string;
  logger: Logger;
  leaseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: JobProgress) => void;
  /** Stops the runner: no more claims, the in-flight generate is aborted and its item released. */
  signal?: AbortSignal;
  /** While other workers hold the only remaining items, re-check this often. Default 5 s. */
  idlePollMs?: number;
}

export const DEFAULT_JOB_OPTIONS: JobOptions = { mode: 'direct', concurrency: 1, minGapMs: 0, costCeilingUsd: null, maxAttempts: 3 };
export const DEFAULT_LEASE_MS = 10 * 60_000;
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;
export const MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;
export const MAX_FREE_RATE_LIMIT_RETRIES = 10;
export const JOB_KEY = '_job';
const TIER_RANK: Record<TrainingTier, number> = { tier1_template: 1, tier2_scenario: 2, tier3_edge: 3 };

/** A job refused (unknown, finished, bad options); its message is the operator's to read. */
export class JobError extends DomainError {
  constructor(message: string) {
    super(message);
  }
}

/** results_summary._job: options, the pause flag, and batch mode's bookkeeping (see batch-jobs.ts). */
export interface JobControl {
  options: JobOptions;
  paused_at?: string;
  pause_reason?: string;
  /** Batch mode: a create call in flight (or cut off by a crash): see batch-jobs.ts. */
  batch_submit?: { started_at: string; expires_at: string; worker: string; requests: number };
  /** Batch mode: the current batch as last polled. */
  batch_status?: BatchState;
  /** Batch mode: every batch the job sent, oldest first. */
  batches?: Array<{ id: string; submitted_at: string; requests: number; ended_at?: string; succeeded?: number; errored?: number; canceled?: number; expired?: number }>;
  /** Batch mode: the batch a cancel was sent for. */
  batch_cancel_sent?: string;
}

export function controlOf(job: Pick<GenerationJob, 'results_summary'>): JobControl {
  const raw = (job.results_summary?.[JOB_KEY] ?? {}) as Partial<JobControl>;
  return { ...raw, options: { ...DEFAULT_JOB_OPTIONS, ...(raw.options ?? {}) } };
}

function normaliseOptions(o: Partial<JobOptions> | undefined): JobOptions {
  const opts = { ...DEFAULT_JOB_OPTIONS, ...(o ?? {}) };
  if (opts.mode !== 'direct' && opts.mode !== 'batch') throw new JobError(`mode must be direct or batch, got ${String(opts.mode)}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new JobError(`concurrency must be an integer >= 1, got ${opts.concurrency}`);
  if (!(opts.minGapMs >= 0)) throw new JobError(`minGapMs must be >= 0, got ${opts.minGapMs}`);
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1) throw new JobError(`maxAttempts must be an integer >= 1, got ${opts.maxAttempts}`);
  if (opts.costCeilingUsd !== null && !(opts.costCeilingUsd >= 0)) throw new JobError(`costCeilingUsd must be >= 0 or null`);
  return opts;
}

/** Sets keys of results_summary._job (null removes a key). */
export function patchControl(patch: Record<string, unknown>) {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) remove.push(k);
    else set[k] = v;
  }
  let ctl = sql`(coalesce(results_summary -> ${JOB_KEY}, '{}'::jsonb) || ${JSON.stringify(set)}::jsonb)`;
  for (const k of remove) ctl = sql`(${ctl} - ${k}::text)`;
  return sql<never>`coalesce(results_summary, '{}'::jsonb) || jsonb_build_object(${JOB_KEY}::text, ${ctl})`;
}

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
      let q = trx.selectFrom('training_conversations').select(['id', 'tier', 'conversation_number']);
      const status = input.type === 'process_all' ? 'planned' : input.filter?.status;
      if (status) q = q.where('generation_status', '=', status as 'planned');
      if (input.filter?.tier) q = q.where('tier', '=', input.filter.tier);
      if (input.filter?.persona) q = q.where('persona_type', '=', input.filter.persona);
      if (input.type !== 'process_all' && !input.filter) throw new JobError(`a ${input.type} job needs conversationIds or a filter`);
      const rows = await q.execute();
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
        results_summary: { [JOB_KEY]: control as unknown as JsonObject },
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

export async function getJob(db: Db, jobId: string): Promise<GenerationJob> {
  const job = await db.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new JobError(`no generation job ${jobId}`);
  return job;
}

export function jobStatusOf(job: GenerationJob): JobStatus {
  const status = job.status ?? 'queued';
  if ((status === 'queued' || status === 'in_progress') && controlOf(job).paused_at) return 'paused';
  return status;
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
  const patch: Record<string, unknown> = { paused_at: null, pause_reason: null };
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

/** The newest jobs first. */
export async function listJobs(db: Kysely<Database>, opts: { limit?: number } = {}): Promise<Array<GenerationJob & { displayStatus: JobStatus }>> {
  const rows = await db.selectFrom('generation_jobs').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(opts.limit ?? 20).execute();
  return rows.map((r) => ({ ...r, displayStatus: jobStatusOf(r) }));
}

interface ClaimedItem {
  id: string;
  conversation_id: string;
  position: number;
  attempts: number;
  claimedAt: Date;
}

/**
 * Claims the lowest pending item (or one whose lease expired) for workerId. Locks the job row first
 * (every job/item transaction takes job then item, so they cannot deadlock) and reads its status.
 */
export async function claimNextItem(
  db: Kysely<Database>,
  jobId: string,
  workerId: string,
  nowMs: number,
  leaseMs: number,
): Promise<{ job: GenerationJob; item: ClaimedItem | null }> {
  return db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirst();
    if (!job) throw new JobError(`no generation job ${jobId}`);
    const status = jobStatusOf(job);
    if (status !== 'queued' && status !== 'in_progress') return { job, item: null };
    const now = new Date(nowMs);
    const found = await sql<{ id: string; conversation_id: string; position: number; attempts: number }>`
      SELECT id, conversation_id, position, attempts FROM generation_job_items
      WHERE job_id = ${jobId} AND (status = 'pending' OR (status = 'claimed' AND lease_expires_at < ${now}))
      ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED`.execute(trx);
    const row = found.rows[0];
    if (!row) return { job, item: null };
    await trx
      .updateTable('generation_job_items')
      .set({ status: 'claimed', claimed_by: workerId, claimed_at: now, lease_expires_at: new Date(nowMs + leaseMs) })
      .where('id', '=', row.id)
      .execute();
    const updated = await trx
      .updateTable('generation_jobs')
      .set({ status: 'in_progress', started_at: job.started_at ?? now, current_conversation_index: row.position })
      .where('id', '=', jobId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { job: updated, item: { ...row, claimedAt: now } };
  });
}

type Outcome =
  | { kind: 'succeeded'; result: GenerateResult }
  | { kind: 'failed_attempt'; error: string }
  | { kind: 'release'; error: string | null };

/** Writes an item's outcome (fenced by the claim) and refreshes the job's counters, in one transaction. */
async function finishItem(
  db: Kysely<Database>,
  jobId: string,
  item: ClaimedItem,
  workerId: string,
  outcome: Outcome,
  maxAttempts: number,
  nowMs: number,
  countCall: boolean,
): Promise<'succeeded' | 'failed' | 'pending' | 'lost'> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('generation_jobs').select('id').where('id', '=', jobId).forUpdate().executeTakeFirst();
    let status: 'succeeded' | 'failed' | 'pending';
    let attempts = item.attempts;
    let summary: JsonObject;
    let result: JsonObject | undefined;
    let lastError: string | null | undefined;
    if (outcome.kind === 'succeeded') {
      attempts++;
      status = 'succeeded';
      const r = outcome.result;
      result = {
        input_tokens: r.inputTokens,
        output_tokens: r.outputTokens,
        cost_usd: r.costUsd,
        duration_ms: r.durationMs,
        worker: workerId,
        finished_at: new Date(nowMs).toISOString(),
      };
      summary = { status, attempts, tokens: r.inputTokens + r.outputTokens, cost_usd: r.costUsd, duration_ms: r.durationMs };
    } else if (outcome.kind === 'failed_attempt') {
      attempts++;
      status = attempts >= maxAttempts ? 'failed' : 'pending';
      lastError = outcome.error;
      summary = { status: status === 'failed' ? 'failed' : 'retrying', attempts, error: outcome.error };
    } else {
      status = 'pending';
      lastError = outcome.error ?? undefined;
      summary = { status: 'pending', attempts };
    }
    const claimOf = status === 'pending' || status === 'failed' ? { claimed_by: null, claimed_at: null, lease_expires_at: null } : {};
    const res = await trx
      .updateTable('generation_job_items')
      .set({ status, attempts, ...claimOf, ...(result ? { result } : {}), ...(lastError !== undefined ? { last_error: lastError } : {}) })
      .where('id', '=', item.id)
      .where('status', '=', 'claimed')
      .where('claimed_by', '=', workerId)
      .where('claimed_at', '=', item.claimedAt)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return 'lost';
    await refreshJobCounters(trx, jobId, item.conversation_id, summary, countCall ? 1 : 0);
    return status;
  });
}

/**
 * Recomputes the job's counters from its items and records CONVERSATION_ID's outcome (SUMMARY) under its
 * key in results_summary; CALLS is added to total_api_calls. Run in the transaction that changed the item.
 */
export async function refreshJobCounters(trx: Transaction<Database>, jobId: string, conversationId: string, summary: JsonObject, calls: number): Promise<void> {
  await sql`
    UPDATE generation_jobs j SET
      completed_conversations = c.done,
      failed_conversations = c.failed,
      total_tokens_used = c.tokens,
      total_cost_cents = round(c.cost * 100),
      failed_conversation_ids = c.failed_ids,
      total_api_calls = coalesce(j.total_api_calls, 0) + ${calls},
      results_summary = coalesce(j.results_summary, '{}'::jsonb) || jsonb_build_object(${conversationId}::text, ${JSON.stringify(summary)}::jsonb)
    FROM (
      SELECT
        count(*) FILTER (WHERE status = 'succeeded')::int AS done,
        count(*) FILTER (WHERE status = 'failed')::int AS failed,
        coalesce(sum((coalesce(result->>'input_tokens', '0'))::bigint + (coalesce(result->>'output_tokens', '0'))::bigint) FILTER (WHERE status = 'succeeded'), 0)::int AS tokens,
        coalesce(sum((result->>'cost_usd')::numeric) FILTER (WHERE status = 'succeeded'), 0) AS cost,
        coalesce(jsonb_agg(conversation_id ORDER BY position) FILTER (WHERE status = 'failed'), '[]'::jsonb) AS failed_ids
      FROM generation_job_items WHERE job_id = ${jobId}
    ) c
    WHERE j.id = ${jobId}`.execute(trx);
}

/** Precise accumulated cost of the job's succeeded items. */
export async function jobCostUsd(db: Db, jobId: string): Promise<number> {
  const r = await sql<{ cost: string | null }>`
    SELECT sum((result->>'cost_usd')::numeric) AS cost FROM generation_job_items WHERE job_id = ${jobId} AND status = 'succeeded'`.execute(db);
  return Number(r.rows[0]?.cost ?? 0);
}

/** Completes the job when no item is pending or claimed: 'failed' if every item failed. Idempotent. */
export async function finalizeIfDone(db: Kysely<Database>, jobId: string, nowMs: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const job = await trx.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).forUpdate().executeTakeFirstOrThrow();
    if (job.status !== 'queued' && job.status !== 'in_progress') return job.status === 'completed' || job.status === 'failed';
    const counts = await sql<{ open: number; succeeded: number; failed: number }>`
      SELECT count(*) FILTER (WHERE status IN ('pending', 'claimed'))::int AS open,
             count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
             count(*) FILTER (WHERE status = 'failed')::int AS failed
      FROM generation_job_items WHERE job_id = ${jobId}`.execute(trx);
    const c = counts.rows[0]!;
    if (c.open > 0) return false;
    const allFailed = c.succeeded === 0 && c.failed > 0;
    const completedAt = new Date(nowMs);
    const started = job.started_at ?? completedAt;
    await trx
      .updateTable('generation_jobs')
      .set({
        status: allFailed ? 'failed' : 'completed',
        completed_at: completedAt,
        total_duration_seconds: Math.max(0, Math.round((completedAt.getTime() - started.getTime()) / 1000)),
        error_message: allFailed ? `all ${c.failed} conversations failed` : job.error_message,
      })
      .where('id', '=', jobId)
      .execute();
    return true;
  });
}

interface GenError extends Error {
  kind?: string;
  retryAfterMs?: number | null;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs a direct-mode job (one Messages call per conversation; runJob in run-job.ts picks the mode) until no item is left (then 'completed', or 'failed' if all failed), it is paused or
 * cancelled, the cost ceiling is reached, the API is offline, or deps.signal aborts. Safe to run on
 * several workers at once and to run again after any stop (resume = run again).
 */
export async function runDirectJob(deps: RunJobDeps, jobId: string): Promise<JobSummary> {
  const { db, generate, workerId, logger } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const idlePollMs = deps.idlePollMs ?? 5000;
  const log = logger.child({ jobId, workerId });

  let succeeded = 0, failed = 0, calls = 0;
  const initial = await getJob(db, jobId);
  const initialStatus = jobStatusOf(initial);
  const summaryOf = async (stopReason: StopReason): Promise<JobSummary> => ({
    jobId,
    stopReason,
    succeeded,
    failed,
    calls,
    progress: await jobProgress(db, jobId),
  });
  if (initialStatus === 'completed' || initialStatus === 'failed' || initialStatus === 'cancelled') return summaryOf('not_runnable');
  if (initialStatus === 'paused') return summaryOf('paused');
  const options = controlOf(initial).options;
  if (options.mode !== 'direct') throw new JobError(`job ${jobId} runs through the Message Batches API; run it with runJob`);

  let stop: StopReason | null = null;
  let nextSlot = 0; // earliest start of the next generate call (minGapMs and rate-limit waits)
  const rateLimitStreak = new Map<string, number>();
  const internal = new AbortController();
  const onAbort = () => {
    stop ??= 'aborted';
    internal.abort();
  };
  deps.signal?.addEventListener('abort', onAbort);
  if (deps.signal?.aborted) onAbort();

  const report = async () => {
    if (deps.onProgress) deps.onProgress(await jobProgress(db, jobId));
  };

  const loop = async (): Promise<void> => {
    while (!stop) {
      if (options.costCeilingUsd !== null) {
        const spent = await jobCostUsd(db, jobId);
        if (spent >= options.costCeilingUsd) {
          const reason = `cost ceiling of $${options.costCeilingUsd} reached ($${spent.toFixed(4)} spent): paused; raise the ceiling and resume`;
          await pauseJob(db, jobId, 'cost_ceiling', now());
          await db.updateTable('generation_jobs').set({ error_message: reason }).where('id', '=', jobId).execute();
          log.warn({ spent, ceiling: options.costCeilingUsd }, 'generation job paused at its cost ceiling');
          stop ??= 'cost_ceiling';
          return;
        }
      }

      const { job, item } = await claimNextItem(db, jobId, workerId, now(), leaseMs);
      const status = jobStatusOf(job);
      if (status === 'paused') return void (stop ??= 'paused');
      if (status === 'cancelled') {
        await cancelPendingItems(db, jobId, now());
        return void (stop ??= 'cancelled');
      }
      if (status !== 'queued' && status !== 'in_progress') return void (stop ??= status === 'failed' && job.error_message?.startsWith('offline') ? 'offline' : 'completed');
      if (!item) {
        if (await finalizeIfDone(db, jobId, now())) return void (stop ??= 'completed');
        // Other workers hold the remaining items: wait for them to finish or their leases to expire.
        await sleep(idlePollMs);
        continue;
      }

      // Wait for this call's slot: minGapMs between starts, and any rate-limit wait.
      const t = now();
      const slot = Math.max(t, nextSlot);
      nextSlot = slot + options.minGapMs;
      if (slot > t) await sleep(slot - t);
      if (stop) {
        await finishItem(db, jobId, item, workerId, { kind: 'release', error: null }, options.maxAttempts, now(), false);
        return;
      }

      // Generate, renewing the lease while it runs.
      const ctl = new AbortController();
      const abortItem = () => ctl.abort();
      internal.signal.addEventListener('abort', abortItem);
      const renew = setInterval(() => {
        void db
          .updateTable('generation_job_items')
          .set({ lease_expires_at: new Date(now() + leaseMs) })
          .where('id', '=', item.id)
          .where('status', '=', 'claimed')
          .where('claimed_by', '=', workerId)
          .where('claimed_at', '=', item.claimedAt)
          .executeTakeFirst()
          .then((r) => {
            if (Number(r.numUpdatedRows) === 0) ctl.abort();
          })
          .catch((err: unknown) => log.warn({ err }, 'lease renewal failed'));
      }, Math.max(1000, Math.floor(leaseMs / 3)));
      renew.unref?.();
      let outcome: Outcome;
      calls++;
      try {
        const result = await generate(item.conversation_id, { signal: ctl.signal, jobId });
        outcome = { kind: 'succeeded', result };
        rateLimitStreak.delete(item.id);
      } catch (e) {
        const err = (e instanceof Error ? e : new Error(String(e))) as GenError;
        const message = `${err.kind ? `${err.kind}: ` : ''}${err.message}`;
        if (stop === 'aborted' || ctl.signal.aborted) {
          outcome = { kind: 'release', error: null };
        } else if (err.kind === 'rate_limited' || err.kind === 'overloaded') {
          const streak = (rateLimitStreak.get(item.id) ?? 0) + 1;
          rateLimitStreak.set(item.id, streak);
          const wait = Math.min(Math.max(err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, 0), MAX_RATE_LIMIT_WAIT_MS);
          nextSlot = Math.max(nextSlot, now() + wait);
          log.warn({ conversationId: item.conversation_id, waitMs: wait, streak }, 'generation rate limited; waiting');
          outcome = streak > MAX_FREE_RATE_LIMIT_RETRIES ? { kind: 'failed_attempt', error: message } : { kind: 'release', error: message };
        } else if (err.kind === 'offline') {
          outcome = { kind: 'release', error: message };
          await db
            .updateTable('generation_jobs')
            .set({ status: 'failed', error_message: `offline: ${err.message}`, completed_at: new Date(now()) })
            .where('id', '=', jobId)
            .where('status', 'in', ['queued', 'in_progress'])
            .execute();
          log.error({ conversationId: item.conversation_id, err: err.message }, 'generation offline; job failed');
          stop ??= 'offline';
        } else {
          outcome = { kind: 'failed_attempt', error: message };
          log.warn({ conversationId: item.conversation_id, attempt: item.attempts + 1, err: err.message }, 'generation attempt failed');
        }
      } finally {
        clearInterval(renew);
        internal.signal.removeEventListener('abort', abortItem);
      }
      const written = await finishItem(db, jobId, item, workerId, outcome, options.maxAttempts, now(), true);
      if (written === 'succeeded') succeeded++;
      else if (written === 'failed') failed++;
      else if (written === 'lost') log.warn({ conversationId: item.conversation_id }, 'item was reclaimed by another worker; result not recorded');
      await report();
    }
  };

  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => loop()));
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  log.info({ stopReason: stop, succeeded, failed, calls }, 'generation job runner stopped');
  return summaryOf(stop ?? 'completed');
}
