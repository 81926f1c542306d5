/**
 * The bounded in-process queue the bot's turns run on once their HTTP request has been answered:
 * at most `concurrency` at a time, at most `limit` waiting (a full queue refuses, so the caller can
 * answer 503 and let the Bot Connector redeliver), every job tracked so shutdown can wait for them,
 * and a job's error logged (a job reports failures to the tester itself; this is the last resort).
 */
import type { Logger } from '../logger';

export interface WorkQueueOptions {
  concurrency: number;
  limit: number;
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Array<() => Promise<void>> = [];
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly options: WorkQueueOptions,
    private readonly logger: Logger,
  ) {}

  /** Jobs running or waiting. */
  get size(): number {
    return this.running + this.waiting.length;
  }

  /** Queues a job; false when the queue is full or shutting down (the job is not run). */
  add(job: () => Promise<void>): boolean {
    if (this.closed || this.waiting.length >= this.options.limit) return false;
    this.waiting.push(job);
    this.pump();
    return true;
  }

  /** Refuses new jobs and resolves once every queued job has finished, or after `timeoutMs`. Returns whether it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    if (this.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => {
      this.idleWaiters.push(() => { resolve(true); });
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => { resolve(false); }, timeoutMs);
    });
    try {
      return await Promise.race([drained, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private pump(): void {
    while (this.running < this.options.concurrency) {
      const job = this.waiting.shift();
      if (!job) break;
      this.running += 1;
      void this.run(job);
    }
  }

  private async run(job: () => Promise<void>): Promise<void> {
    try {
      await job();
    } catch (err) {
      this.logger.error({ err }, 'a queued turn failed outside its own error handling');
    } finally {
      this.running -= 1;
      this.pump();
      if (this.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
