/**
 * Claims and leases of a job's items. Every job/item transaction locks the job row first, then items,
 * so they cannot deadlock. A claim is fenced by (claimed_by, claimed_at): a worker whose lease was taken
 * over cannot mark the item. All timestamps come from the caller's clock, so tests control time.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, GenerationJob, JsonObject } from '../../../db';
import { type Db, JobError, jobStatusOf } from './control';
import type { GenerateResult } from './types';

export interface ClaimedItem {
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

export type Outcome =
  | { kind: 'succeeded'; result: GenerateResult }
  | { kind: 'failed_attempt'; error: string }
  | { kind: 'release'; error: string | null };

/** Writes an item's outcome (fenced by the claim) and refreshes the job's counters, in one transaction. */
export async function finishItem(
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
    const [c] = counts.rows;
    if (!c) throw new JobError(`job ${jobId}: its items could not be counted`);
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


/** Extends a claim's lease; false when the claim is no longer this worker's (taken over or finished). */
export async function renewLease(db: Kysely<Database>, item: ClaimedItem, workerId: string, leaseUntil: Date): Promise<boolean> {
  const r = await db
    .updateTable('generation_job_items')
    .set({ lease_expires_at: leaseUntil })
    .where('id', '=', item.id)
    .where('status', '=', 'claimed')
    .where('claimed_by', '=', workerId)
    .where('claimed_at', '=', item.claimedAt)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
