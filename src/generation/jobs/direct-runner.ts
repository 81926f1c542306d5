/**
 * The direct mode of a job: one Messages call per conversation. Each loop claims the next item, waits
 * for its slot (minGapMs between starts, rate-limit waits), generates while a heartbeat renews the lease,
 * and writes the outcome fenced by the claim.
 *
 * - Rate limits ('rate_limited' | 'overloaded'): the item goes back to 'pending' WITHOUT counting an
 *   attempt (the conversation is not at fault), and every loop waits retryAfterMs (default 30 s, capped
 *   at 5 min) before its next call. After 10 consecutive rate limits of one item in one run, further
 *   ones count as failed attempts, so a permanently refusing API cannot spin forever.
 * - 'offline' fails the job at once; the item goes back to pending.
 * - The cost ceiling is checked before each claim; in-flight items may overshoot it by at most
 *   concurrency - 1 conversations.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import type { Logger } from '../../logger';
import { type ClaimedItem, claimNextItem, finalizeIfDone, finishItem, jobCostUsd, type Outcome } from './claims';
import { controlOf, JobError, jobStatusOf } from './control';
import { intervalTicker, startHeartbeat, type Ticker } from './heartbeat';
import { cancelPendingItems, getJob, jobProgress, pauseJob } from './job-store';
import {
  DEFAULT_LEASE_MS, DEFAULT_RATE_LIMIT_WAIT_MS, type Generate, type JobOptions, type JobProgress, type JobSummary,
  MAX_FREE_RATE_LIMIT_RETRIES, MAX_RATE_LIMIT_WAIT_MS, type StopReason,
} from './types';

export interface RunJobDeps {
  db: Kysely<Database>;
  generate: Generate;
  workerId: string;
  logger: Logger;
  /** How long a claim holds without a heartbeat. Default 60 s. */
  leaseMs?: number;
  /** How often the heartbeat renews the lease while a conversation is generated. Default leaseMs / 3. */
  heartbeatMs?: number;
  /** Schedules the heartbeat. Default: a timer. */
  ticker?: Ticker;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onProgress?: (p: JobProgress) => void;
  /** Stops the runner: no more claims, the in-flight generate is aborted and its item released. */
  signal?: AbortSignal;
  /** While other workers hold the only remaining items, re-check this often. Default 5 s. */
  idlePollMs?: number;
}

interface GenError extends Error {
  kind?: string;
  retryAfterMs?: number | null;
}

/** One run of a direct job: its settings, its clock, and what it has done so far. */
interface DirectRun {
  deps: RunJobDeps;
  jobId: string;
  options: JobOptions;
  log: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  leaseMs: number;
  stop: StopReason | null;
  /** Earliest start of the next generate call (minGapMs and rate-limit waits). */
  nextSlot: number;
  rateLimitStreak: Map<string, number>;
  /** Aborted when the run stops: the call in flight is abandoned and its item released. */
  internal: AbortController;
  succeeded: number;
  failed: number;
  calls: number;
}

/** Read through a call: another loop of the run may have stopped it while this one waited. */
const stopped = (run: DirectRun): boolean => run.stop !== null;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function summaryOf(db: Kysely<Database>, jobId: string, stopReason: StopReason, run?: DirectRun): Promise<JobSummary> {
  return { jobId, stopReason, succeeded: run?.succeeded ?? 0, failed: run?.failed ?? 0, calls: run?.calls ?? 0, progress: await jobProgress(db, jobId) };
}

/**
 * Runs a direct-mode job until no item is left (then 'completed', or 'failed' if all failed), it is
 * paused or cancelled, the cost ceiling is reached, the API is offline, or deps.signal aborts. Safe to
 * run on several workers at once and to run again after any stop (resume = run again).
 */
export async function runDirectJob(deps: RunJobDeps, jobId: string): Promise<JobSummary> {
  const initial = await getJob(deps.db, jobId);
  const initialStatus = jobStatusOf(initial);
  if (initialStatus === 'completed' || initialStatus === 'failed' || initialStatus === 'cancelled') return summaryOf(deps.db, jobId, 'not_runnable');
  if (initialStatus === 'paused') return summaryOf(deps.db, jobId, 'paused');
  const options = controlOf(initial).options;
  if (options.mode !== 'direct') throw new JobError(`job ${jobId} runs through the Message Batches API; run it with runJob`);

  const run: DirectRun = {
    deps, jobId, options,
    log: deps.logger.child({ jobId, workerId: deps.workerId }),
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? defaultSleep,
    leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS,
    stop: null, nextSlot: 0, rateLimitStreak: new Map(), internal: new AbortController(), succeeded: 0, failed: 0, calls: 0,
  };
  const onAbort = () => {
    run.stop ??= 'aborted';
    run.internal.abort();
  };
  deps.signal?.addEventListener('abort', onAbort);
  if (deps.signal?.aborted) onAbort();
  try {
    await Promise.all(Array.from({ length: options.concurrency }, () => claimLoop(run)));
  } finally {
    deps.signal?.removeEventListener('abort', onAbort);
  }
  run.log.info({ stopReason: run.stop, succeeded: run.succeeded, failed: run.failed, calls: run.calls }, 'generation job runner stopped');
  return summaryOf(deps.db, jobId, run.stop ?? 'completed', run);
}

/** One loop of the runner: claim, generate, record, until the run stops. */
async function claimLoop(run: DirectRun): Promise<void> {
  const { db, workerId } = run.deps;
  while (!run.stop) {
    if (await costCeilingReached(run)) return;
    const { job, item } = await claimNextItem(db, run.jobId, workerId, run.now(), run.leaseMs);
    const status = jobStatusOf(job);
    if (status === 'paused') return void (run.stop ??= 'paused');
    if (status === 'cancelled') {
      await cancelPendingItems(db, run.jobId, run.now());
      return void (run.stop ??= 'cancelled');
    }
    if (status !== 'queued' && status !== 'in_progress') return void (run.stop ??= status === 'failed' && job.error_message?.startsWith('offline') ? 'offline' : 'completed');
    if (!item) {
      if (await finalizeIfDone(db, run.jobId, run.now())) return void (run.stop ??= 'completed');
      // Other workers hold the remaining items: wait for them to finish or their leases to expire.
      await run.sleep(run.deps.idlePollMs ?? 5000);
      continue;
    }
    await waitForSlot(run);
    if (stopped(run)) {
      await finishItem(db, run.jobId, item, workerId, { kind: 'release', error: null }, run.options.maxAttempts, run.now(), false);
      return;
    }
    await generateItem(run, item);
    if (run.deps.onProgress) run.deps.onProgress(await jobProgress(db, run.jobId));
  }
}

/** Pauses the job when its cost reached the ceiling; true when it did. */
async function costCeilingReached(run: DirectRun): Promise<boolean> {
  const ceiling = run.options.costCeilingUsd;
  if (ceiling === null) return false;
  const { db } = run.deps;
  const spent = await jobCostUsd(db, run.jobId);
  if (spent < ceiling) return false;
  const reason = `cost ceiling of $${String(ceiling)} reached ($${spent.toFixed(4)} spent): paused; raise the ceiling and resume`;
  await pauseJob(db, run.jobId, 'cost_ceiling', run.now());
  await db.updateTable('generation_jobs').set({ error_message: reason }).where('id', '=', run.jobId).execute();
  run.log.warn({ spent, ceiling }, 'generation job paused at its cost ceiling');
  run.stop ??= 'cost_ceiling';
  return true;
}

/** Waits for this call's slot: minGapMs between starts, and any rate-limit wait. */
async function waitForSlot(run: DirectRun): Promise<void> {
  const t = run.now();
  const slot = Math.max(t, run.nextSlot);
  run.nextSlot = slot + run.options.minGapMs;
  if (slot > t) await run.sleep(slot - t);
}

/** Generates one claimed conversation with the lease renewed meanwhile, and records the outcome. */
async function generateItem(run: DirectRun, item: ClaimedItem): Promise<void> {
  const { db, workerId } = run.deps;
  const ctl = new AbortController();
  const abortItem = () => { ctl.abort(); };
  run.internal.signal.addEventListener('abort', abortItem);
  const stopHeartbeat = startHeartbeat({
    db, item, workerId, leaseMs: run.leaseMs, everyMs: run.deps.heartbeatMs ?? Math.max(1000, Math.floor(run.leaseMs / 3)),
    ticker: run.deps.ticker ?? intervalTicker, now: run.now, logger: run.log, onLost: abortItem,
  });
  let outcome: Outcome;
  run.calls++;
  try {
    const result = await run.deps.generate(item.conversation_id, { signal: ctl.signal, jobId: run.jobId });
    outcome = { kind: 'succeeded', result };
    run.rateLimitStreak.delete(item.id);
  } catch (e) {
    outcome = await failureOutcome(run, item, e, ctl.signal.aborted);
  } finally {
    await stopHeartbeat();
    run.internal.signal.removeEventListener('abort', abortItem);
  }
  const written = await finishItem(db, run.jobId, item, workerId, outcome, run.options.maxAttempts, run.now(), true);
  if (written === 'succeeded') run.succeeded++;
  else if (written === 'failed') run.failed++;
  else if (written === 'lost') run.log.warn({ conversationId: item.conversation_id }, 'item was reclaimed by another worker; result not recorded');
}

/** What a failed generate call means for its item (and, offline, for the job). */
async function failureOutcome(run: DirectRun, item: ClaimedItem, e: unknown, aborted: boolean): Promise<Outcome> {
  const err: GenError = e instanceof Error ? e : new Error(String(e));
  const message = `${err.kind ? `${err.kind}: ` : ''}${err.message}`;
  if (run.stop === 'aborted' || aborted) return { kind: 'release', error: null };
  if (err.kind === 'rate_limited' || err.kind === 'overloaded') {
    const streak = (run.rateLimitStreak.get(item.id) ?? 0) + 1;
    run.rateLimitStreak.set(item.id, streak);
    const wait = Math.min(Math.max(err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS, 0), MAX_RATE_LIMIT_WAIT_MS);
    run.nextSlot = Math.max(run.nextSlot, run.now() + wait);
    run.log.warn({ conversationId: item.conversation_id, waitMs: wait, streak }, 'generation rate limited; waiting');
    return streak > MAX_FREE_RATE_LIMIT_RETRIES ? { kind: 'failed_attempt', error: message } : { kind: 'release', error: message };
  }
  if (err.kind === 'offline') {
    await run.deps.db
      .updateTable('generation_jobs')
      .set({ status: 'failed', error_message: `offline: ${err.message}`, completed_at: new Date(run.now()) })
      .where('id', '=', run.jobId)
      .where('status', 'in', ['queued', 'in_progress'])
      .execute();
    run.log.error({ conversationId: item.conversation_id, err: err.message }, 'generation offline; job failed');
    run.stop ??= 'offline';
    return { kind: 'release', error: message };
  }
  run.log.warn({ conversationId: item.conversation_id, attempt: item.attempts + 1, err: err.message }, 'generation attempt failed');
  return { kind: 'failed_attempt', error: message };
}
