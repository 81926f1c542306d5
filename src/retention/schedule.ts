/**
 * Retention under the `retention` lease (one run at a time across bot instances and the command line),
 * and its daily schedule in the bot (RETENTION_DAYS set; off by default).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import { acquireLease, releaseLease, renewLease, startDailyTask, type DailyTask } from '../schedule';
import { RetentionBusyError } from './errors';
import { runRetention, type RetentionOptions, type RetentionResult } from './retention';

export const RETENTION_LEASE = 'retention';
/** Renewed after every batch; a holder that died frees it after this long. */
const LEASE_MS = 10 * 60_000;

/** A holder id: role, host and pid (so an operator can tell who holds the lease), unique per caller. */
export function defaultHolder(role: string): string {
  return `${role}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Runs retention holding the lease, renewing it after every batch and releasing it at the end.
 * @throws RetentionBusyError when another run holds it.
 */
export async function runRetentionExclusive(db: Kysely<Database>, options: RetentionOptions, holder: string): Promise<RetentionResult> {
  const held = await acquireLease(db, RETENTION_LEASE, holder, LEASE_MS);
  if (held) {
    throw new RetentionBusyError(`Another retention run (${held.holder}) holds the lease until ${held.expiresAt.toISOString()}; try again after it finishes.`);
  }
  try {
    return await runRetention(db, {
      ...options,
      onBatch: async (done, batch) => {
        if (!(await renewLease(db, RETENTION_LEASE, holder, LEASE_MS))) {
          throw new RetentionBusyError('The retention lease was lost (this run was paused longer than the lease); stopping after the last committed batch.');
        }
        await options.onBatch?.(done, batch);
      },
    });
  } finally {
    await releaseLease(db, RETENTION_LEASE, holder);
  }
}

/** The settings of the bot's daily run (config.retention). */
export interface RetentionScheduleSettings {
  days: number;
  archive: boolean;
  timeUtc: string;
  batchSessions: number;
}

export type RetentionSchedule = DailyTask;

/** Starts the daily run; `stop()` ends it (a run in progress stops after its current batch). */
export function startRetentionSchedule(deps: {
  db: Kysely<Database>;
  logger: Logger;
  settings: RetentionScheduleSettings;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}): RetentionSchedule {
  const { db, settings } = deps;
  const logger = deps.logger.child({ component: 'retention' });
  const now = deps.now ?? Date.now;
  const holder = defaultHolder('bot');
  return startDailyTask({
    name: 'retention',
    timeUtc: settings.timeUtc,
    logger,
    now,
    setTimer: deps.setTimer,
    run: async (signal) => {
      const cutoff = new Date(now() - settings.days * 86_400_000);
      try {
        const result = await runRetentionExclusive(db, { cutoff, archive: settings.archive, batchSessions: settings.batchSessions, signal }, holder);
        logger.info({ event: 'retention_done', mode: result.mode, cutoff: cutoff.toISOString(), batches: result.batches, ...result.counts, stopped: result.stopped }, 'retention run finished');
      } catch (err) {
        if (err instanceof RetentionBusyError) {
          logger.info({ event: 'retention_skipped', reason: err.userMessage }, 'retention already running elsewhere');
          return;
        }
        throw err;
      }
    },
  });
}
