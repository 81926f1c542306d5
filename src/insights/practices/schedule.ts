/**
 * The bot's scheduled analysis (PRACTICES_TIME_UTC set; off by default and in tests): daily at that UTC
 * time, under the same lease as every other run, so of several bot instances one does the work and the
 * others log that it is already running.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../logger';
import { type DailyTask, startDailyTask } from '../../schedule';
import { analyzePractices, PracticesBusyError, type PracticesDeps } from './analyze';

export type PracticesSchedule = DailyTask;

/** Starts the daily analysis; `stop()` cancels the timer and waits for a run in progress. */
export function startPracticesSchedule(deps: PracticesDeps & {
  timeUtc: string;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}): PracticesSchedule {
  const logger: Logger = deps.logger.child({ component: 'practices' });
  const holder = `bot@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  return startDailyTask({
    name: 'best-practices',
    timeUtc: deps.timeUtc,
    logger,
    now: deps.now,
    setTimer: deps.setTimer,
    run: async (signal) => {
      try {
        await analyzePractices(deps, { holder, signal });
      } catch (err) {
        if (err instanceof PracticesBusyError) {
          logger.info({ event: 'practices_skipped', reason: err.userMessage }, 'best-practices analysis already running elsewhere');
          return;
        }
        throw err;
      }
    },
  });
}
