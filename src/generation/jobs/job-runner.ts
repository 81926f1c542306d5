/**
 * Runs generation jobs in the background of a long-lived process (the bot): each started job is a
 * tracked promise whose errors are logged, never dropped, and what happens to it is told to the
 * subscribers (the bot renders it as a progress card). Jobs live in Postgres and items are claimed with
 * a lease, so a restart or another instance picks a job up where it stopped; where a job reports to is
 * stored with it, so a restarted runner keeps reporting there.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import type { Logger } from '../../logger';
import type { BatchDeps } from './batch/batch-context';
import type { Ticker } from './heartbeat';
import { openJobsWithNotify, recordJobNotify } from './job-store';
import { runJob } from './run-job';
import type { Generate, JobNotify, JobProgress, JobSummary } from './types';

/** What a subscriber hears about the jobs this runner runs. */
export interface JobEvents {
  /** The job starts running here. */
  started(jobId: string, notify: JobNotify): void;
  /** Progress while it runs (after each conversation, each poll of a batch). */
  progress(jobId: string, notify: JobNotify, progress: JobProgress): void;
  /** The run ended (see summary.stopReason); awaited before the job counts as no longer running. */
  finished(jobId: string, notify: JobNotify, summary: JobSummary): Promise<void>;
}

export interface JobRunnerDeps {
  db: Kysely<Database>;
  logger: Logger;
  generate: Generate;
  /** For batch-mode jobs (the Message Batches API). */
  batch?: BatchDeps;
  /** Direct mode's lease and heartbeat (defaults: 60 s, renewed every 20 s). */
  leaseMs?: number;
  heartbeatMs?: number;
  ticker?: Ticker;
}

/** Runs jobs in the background of this process and tells its subscribers how they go. */
export class JobRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly workerId = `bot-${randomUUID().slice(0, 8)}`;
  private readonly stopping = new AbortController();
  private readonly subscribers: JobEvents[] = [];

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Adds a subscriber to every job's events. */
  subscribe(events: JobEvents): void {
    this.subscribers.push(events);
  }

  /** Whether this process is running the job now. */
  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /**
   * Starts the job in the background (no-op when it is already running here or the runner is stopping),
   * and records where it reports so that a restarted runner carries on reporting there. A start without a
   * card (noCardNotify) reports to the card the job already has, if it has one.
   */
  start(jobId: string, notify: JobNotify): void {
    if (this.running.has(jobId) || this.stopping.signal.aborted) return;
    const { db, logger } = this.deps;
    const run = recordJobNotify(db, jobId, notify)
      .catch((err: unknown) => {
        logger.warn({ err, jobId }, 'could not record the progress card; a restart will not update it');
        return notify;
      })
      .then((reportTo) => this.run(jobId, reportTo))
      .catch((err: unknown) => {
        logger.error({ err, jobId }, 'generation job runner failed');
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
  }

  /**
   * At start-up: carries on every job a stopped process left queued or running (not paused) that was started
   * here (a card's or the dashboard's). Jobs started from the CLI are left to the CLI. Returns their ids.
   */
  async resumeInterrupted(): Promise<string[]> {
    const jobs = await openJobsWithNotify(this.deps.db);
    for (const job of jobs) this.start(job.jobId, job.notify);
    const resumed = jobs.map((j) => j.jobId);
    if (resumed.length) this.deps.logger.info({ jobs: resumed }, 'carrying on generation jobs a stopped bot left running');
    return resumed;
  }

  /**
   * Shutdown: every runner stops (a direct job releases the conversation in flight; a batch runs on at
   * Anthropic) and the jobs stay open for resumeInterrupted in the next process.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }

  /** Resolves when every job started here has stopped (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private async run(jobId: string, notify: JobNotify): Promise<void> {
    const { db, logger, generate, batch, leaseMs, heartbeatMs, ticker } = this.deps;
    for (const s of this.subscribers) s.started(jobId, notify);
    const summary = await runJob(
      {
        db, generate, batch, logger, leaseMs, heartbeatMs, ticker,
        workerId: this.workerId,
        signal: this.stopping.signal,
        onProgress: (p) => {
          for (const s of this.subscribers) s.progress(jobId, notify, p);
        },
      },
      jobId,
    );
    await Promise.all(this.subscribers.map((s) => s.finished(jobId, notify, summary)));
  }
}
