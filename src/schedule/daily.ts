/**
 * A task run once a day at a fixed UTC time, in-process: a timer to the next HH:MM, the task awaited
 * (its errors logged, never thrown), then the next timer. `stop()` cancels the timer and waits for a
 * run in progress, which it asks to finish early through the run's AbortSignal.
 */
import type { Logger } from '../logger';

export interface DailyTaskOptions {
  name: string;
  /** HH:MM, 24-hour, UTC. */
  timeUtc: string;
  run: (signal: AbortSignal) => Promise<void>;
  logger: Logger;
  /** The clock; tests pin it. */
  now?: () => number;
  /** The timer; tests drive it. */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

/** A started daily task. */
export interface DailyTask {
  /** When the next run is due. */
  readonly nextRunAt: Date | null;
  stop(): Promise<void>;
}

/** Milliseconds from NOW until the next HH:MM UTC (a full day when it is that minute exactly). */
export function msUntilNext(timeUtc: string, now: number): number {
  const [h, m] = timeUtc.split(':').map(Number);
  const next = new Date(now);
  next.setUTCHours(h ?? 0, m ?? 0, 0, 0);
  if (next.getTime() <= now) next.setUTCDate(next.getUTCDate() + 1);
  return next.getTime() - now;
}

const realTimer = (fn: () => void, ms: number) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { cancel: () => { clearTimeout(t); } };
};

/** Starts the schedule. The first run is at the next HH:MM UTC, not now. */
export function startDailyTask(options: DailyTaskOptions): DailyTask {
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? realTimer;
  const logger = options.logger.child({ component: 'schedule', task: options.name });
  let timer: { cancel(): void } | null = null;
  let nextRunAt: Date | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const abort = new AbortController();

  const schedule = (): void => {
    if (stopped) return;
    const ms = msUntilNext(options.timeUtc, now());
    nextRunAt = new Date(now() + ms);
    logger.info({ nextRunAt: nextRunAt.toISOString() }, 'scheduled task waiting');
    timer = setTimer(fire, ms);
  };

  async function runOnce(): Promise<void> {
    try {
      await options.run(abort.signal);
    } catch (err) {
      logger.error({ err }, 'scheduled task failed; it runs again at its next time');
    }
  }

  function fire(): void {
    timer = null;
    if (stopped) return;
    // Deliberately queued, not awaited by the timer: errors are handled inside runOnce.
    running = runOnce().finally(() => {
      running = null;
      schedule();
    });
  }

  schedule();
  return {
    get nextRunAt() {
      return nextRunAt;
    },
    async stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
      abort.abort();
      if (running) await running;
    },
  };
}
