/**
 * The queue the bot hands a turn to after the reply is sent: the judge runs in the background with
 * bounded concurrency, so the tester never waits for it. Every task's failure is logged with the turn's
 * ids and never reaches the turn that queued it. On shutdown `stop()` stops taking work, lets the calls in
 * flight finish (up to a deadline, then aborts them) and drops what had not started: those turns simply
 * have no scores yet, and `npm run tune -- rescore` (or `enqueueUnjudged`) picks them up.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database, JsonObject } from '../../db';
import type { Logger } from '../logger';
import type { Judge, JudgeOutcome } from './judge';

/** Why a turn is queued, for the logs. */
export interface JudgeTask {
  turnId: string;
  sessionId?: string | null;
  activityId?: string | null;
  /** Whom to tell once judged (opaque here: the bot's conversation reference of the reply). */
  notify?: JsonObject;
}

export interface JudgeQueue {
  /** Queues a turn (no-op offline or after stop). Never throws, never rejects. */
  enqueue(task: JudgeTask): void;
  /** Resolves when nothing is queued or running. */
  drain(): Promise<void>;
  /** Stops taking work; waits up to waitMs (default 10 s) for calls in flight, then aborts them. */
  stop(waitMs?: number): Promise<void>;
  /** Queued plus running. */
  size(): number;
  /** Queues the turns stored since `since` that have no successful judging under the current rubric and model. */
  enqueueUnjudged(db: Kysely<Database>, since: Date): Promise<number>;
}

export interface JudgeQueueOptions {
  judge: Judge;
  logger: Logger;
  /** Calls at once (config.judge.concurrency). */
  concurrency: number;
  /** Queued tasks beyond this are dropped (and logged): a flood must not grow memory without end. */
  maxQueued?: number;
  /** Told after each judging that ran (the bot updates the reply card's score line); its failure is logged. */
  onJudged?: (task: JudgeTask, outcome: JudgeOutcome) => Promise<void>;
}

/** Creates the queue. */
export function createJudgeQueue(options: JudgeQueueOptions): JudgeQueue {
  const logger = options.logger.child({ component: 'judge-queue' });
  const maxQueued = options.maxQueued ?? 10_000;
  const waiting: JudgeTask[] = [];
  const queuedIds = new Set<string>();
  const abort = new AbortController();
  let running = 0;
  let stopped = false;
  let idle: Array<() => void> = [];

  const settleIdle = (): void => {
    if (running > 0 || waiting.length > 0) return;
    const resolvers = idle;
    idle = [];
    for (const resolve of resolvers) resolve();
  };

  async function run(task: JudgeTask): Promise<void> {
    const ids = { turnId: task.turnId, sessionId: task.sessionId ?? null, activityId: task.activityId ?? null };
    try {
      const outcome = await options.judge.judgeTurn(task.turnId, { signal: abort.signal });
      if (outcome.status === 'failed') logger.warn({ ...ids, error: outcome.error }, 'judging failed; rescore retries it');
      if (options.onJudged) {
        await options.onJudged(task, outcome).catch((err: unknown) => {
          logger.warn({ err, ...ids }, 'could not report the judging (the scores are stored)');
        });
      }
    } catch (err) {
      if (abort.signal.aborted) logger.info(ids, 'judging stopped at shutdown; rescore picks the turn up');
      else logger.error({ err, ...ids }, 'judging crashed; the turn keeps no scores until rescored');
    }
  }

  const pump = (): void => {
    while (!stopped && running < options.concurrency) {
      const task = waiting.shift();
      if (!task) break;
      running += 1;
      run(task)
        .finally(() => {
          // Kept until done: a turn queued again while being judged is not judged twice.
          queuedIds.delete(task.turnId);
          running -= 1;
          pump();
          settleIdle();
        })
        .catch((err: unknown) => { logger.error({ err }, 'judge queue bookkeeping failed'); });
    }
    settleIdle();
  };

  const enqueue = (task: JudgeTask): void => {
    if (options.judge.mode === 'offline') return;
    if (stopped) {
      logger.info({ turnId: task.turnId }, 'judge queue stopped; turn not queued (rescore picks it up)');
      return;
    }
    if (queuedIds.has(task.turnId)) return;
    if (waiting.length >= maxQueued) {
      logger.warn({ turnId: task.turnId, queued: waiting.length }, 'judge queue full; turn not queued (rescore picks it up)');
      return;
    }
    waiting.push(task);
    queuedIds.add(task.turnId);
    pump();
  };

  return {
    enqueue,
    size: () => waiting.length + running,
    drain: () =>
      new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      }),
    async stop(waitMs = 10_000) {
      stopped = true;
      const dropped = waiting.splice(0, waiting.length);
      for (const task of dropped) queuedIds.delete(task.turnId);
      if (dropped.length > 0) logger.info({ dropped: dropped.length }, 'judge queue stopping; unstarted turns left for rescore');
      if (running === 0) { settleIdle(); return; }
      const finished = new Promise<void>((resolve) => idle.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => { resolve('late'); }, waitMs);
      });
      const late = await Promise.race([finished.then(() => 'done' as const), deadline]);
      if (timer) clearTimeout(timer);
      if (late === 'late') {
        abort.abort();
        await finished;
      }
    },
    async enqueueUnjudged(db, since) {
      if (options.judge.mode === 'offline') return 0;
      const rubric = await options.judge.rubric();
      const rows = await db
        .selectFrom('tuning_conversation_turns as t')
        .select(['t.id', 't.session_id'])
        .where('t.timestamp', '>=', since)
        .where((eb) =>
          eb.not(eb.exists(eb.selectFrom('turn_judgements as j').select(sql`1`.as('one'))
            .whereRef('j.turn_id', '=', 't.id').where('j.rubric_version', '=', rubric.version)
            .where('j.judge_model', '=', options.judge.model).where('j.status', '=', 'ok'))))
        .orderBy('t.timestamp')
        .execute();
      for (const r of rows) enqueue({ turnId: r.id, sessionId: r.session_id });
      return rows.length;
    },
  };
}
