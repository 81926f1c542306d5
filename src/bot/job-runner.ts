/**
 * Runs generation jobs for the bot: each started job runs in the background of this process (a
 * tracked promise whose errors are logged, never dropped), and its progress card is updated in place
 * no more often than every few seconds, then a summary message is sent. Jobs live in Postgres and
 * items are claimed with a lease, so a restart or another instance picks a job up where it stopped.
 */
import { randomUUID } from 'node:crypto';
import type { ConversationReference } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { type CardJson, jobProgressCard } from '../cards';
import type { BatchDeps } from '../generation/batch-jobs';
import type { Generate, JobProgress } from '../generation/jobs';
import { JOB_KEY, patchControl } from '../generation/jobs';
import { runJob } from '../generation/run-job';
import type { Logger } from '../logger';

/** Sends into a conversation outside a turn (proactive messaging). */
export interface JobNotifier {
  updateCard(ref: Partial<ConversationReference>, activityId: string, card: CardJson): Promise<void>;
  send(ref: Partial<ConversationReference>, text: string): Promise<void>;
}

export interface JobRunnerDeps {
  db: Kysely<Database>;
  logger: Logger;
  generate: Generate;
  /** For batch-mode jobs (the Message Batches API). */
  batch?: BatchDeps;
  notifier: JobNotifier;
  /** Least gap between two progress-card updates (Teams throttles faster ones). */
  minUpdateMs?: number;
}

/** The card a job's progress shows, with the current conversation's human key. */
export async function progressView(db: Kysely<Database>, p: JobProgress, title: string, note: string | null = null): Promise<CardJson> {
  let current: string | null = null;
  if (p.current) {
    const row = await db.selectFrom('training_conversations').select(['conversation_id', 'conversation_number']).where('id', '=', p.current.conversationId).executeTakeFirst();
    current = row ? `${row.conversation_number} · ${row.conversation_id}` : null;
  }
  let etaText: string | null = null;
  if (p.mode === 'batch') {
    const b = p.batch;
    current = !b
      ? p.pending > 0 ? 'Message Batches: preparing the next batch' : null
      : b.processingStatus === 'submitting'
        ? `Message Batches: sending ${b.requests} request(s)`
        : `Message Batches ${b.id}: ${b.processingStatus === 'ended' ? 'ended, storing results' : b.processingStatus === 'canceling' ? 'cancelling' : 'in progress'} · ${b.answered} of ${b.requests} answered`;
    etaText = b?.expiresAt ? `by ${b.expiresAt.slice(0, 16).replace('T', ' ')} UTC at the latest (usually within 1 h)` : 'within 24 h (usually within 1 h)';
  }
  return jobProgressCard({ jobId: p.jobId, title, status: p.status, total: p.total, done: p.done, failed: p.failed, current, etaMs: p.etaMs, etaText, costUsd: p.costUsd, tokens: p.tokens, note: note ?? p.errorMessage });
}

/** Where a job's progress card lives, kept in results_summary._job.notify so a restarted bot finds it. */
interface JobNotify {
  /** Null for a job started from the dashboard: no card, no chat to tell; its page polls the job. */
  ref: Partial<ConversationReference> | null;
  activity_id: string | null;
  title: string;
}

export class BotJobRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly workerId = `bot-${randomUUID().slice(0, 8)}`;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Whether this process is running the job now. */
  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /**
   * Starts the job in the background (no-op when it is already running here or the runner is stopping),
   * and records where its progress card is so that a restarted bot carries on updating it.
   */
  start(jobId: string, ref: Partial<ConversationReference> | null, cardActivityId: string | undefined, title: string): void {
    if (this.running.has(jobId) || this.stopping.signal.aborted) return;
    const given: JobNotify = { ref, activity_id: cardActivityId ?? null, title };
    const run = this.notifyFor(jobId, given)
      .then(async (notify) => {
        await this.deps.db.updateTable('generation_jobs').set({ results_summary: patchControl({ notify }) }).where('id', '=', jobId).execute()
          .catch((err: unknown) => this.deps.logger.warn({ err, jobId }, 'could not record the progress card; a restart will not update it'));
        await this.run(jobId, notify.ref, notify.activity_id ?? undefined, notify.title);
      })
      .catch((err: unknown) => this.deps.logger.error({ err, jobId }, 'generation job runner failed'))
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
  }

  /**
   * Where progress goes. A start without a card (the dashboard resuming a job) keeps the card the job
   * already has, so a job started from Teams and resumed on the page still updates its card.
   */
  private async notifyFor(jobId: string, given: JobNotify): Promise<JobNotify> {
    if (given.ref !== null) return given;
    const job = await this.deps.db.selectFrom('generation_jobs').select('results_summary').where('id', '=', jobId).executeTakeFirst();
    const kept = (job?.results_summary?.[JOB_KEY] as { notify?: JobNotify } | undefined)?.notify;
    return kept?.ref?.conversation ? kept : given;
  }


  /**
   * At start-up: carries on every job a stopped bot left queued or running (not paused), updating the
   * progress card it had. Jobs started from the CLI (no card) are left to the CLI. Returns their ids.
   */
  async resumeInterrupted(): Promise<string[]> {
    const jobs = await this.deps.db.selectFrom('generation_jobs').select(['id', 'results_summary'])
      .where('status', 'in', ['queued', 'in_progress']).orderBy('created_at').execute();
    const resumed: string[] = [];
    for (const job of jobs) {
      const control = (job.results_summary?.[JOB_KEY] ?? {}) as { paused_at?: string; notify?: JobNotify };
      // A card's job needs its conversation to update; a dashboard job (ref null) needs nothing.
      if (control.paused_at || !control.notify || (control.notify.ref !== null && !control.notify.ref.conversation)) continue;
      this.start(job.id, control.notify.ref, control.notify.activity_id ?? undefined, control.notify.title);
      resumed.push(job.id);
    }
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

  private async run(jobId: string, ref: Partial<ConversationReference> | null, cardActivityId: string | undefined, title: string): Promise<void> {
    const { db, logger, notifier } = this.deps;
    const minGap = this.deps.minUpdateMs ?? 2000;
    // The card that started the job is replaced by the invoke response; an update that overtook it
    // would be overwritten by that older card. So no update goes out sooner than minGap after start.
    const startedAt = Date.now();
    let lastUpdate = startedAt;
    let updates: Promise<void> = Promise.resolve();
    const update = (p: JobProgress, force = false) => {
      if (!ref || !cardActivityId || (!force && Date.now() - lastUpdate < minGap)) return;
      lastUpdate = Date.now();
      updates = updates
        .then(async () => {
          const wait = startedAt + minGap - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await notifier.updateCard(ref, cardActivityId, await progressView(db, p, title));
        })
        .catch((err: unknown) => logger.warn({ err, jobId }, 'could not update the progress card'));
    };
    const summary = await runJob({ db, generate: this.deps.generate, batch: this.deps.batch, workerId: this.workerId, logger, signal: this.stopping.signal, onProgress: (p) => update(p) }, jobId);
    update(summary.progress, true);
    await updates;
    if (!ref) return;
    const p = summary.progress;
    const why: Record<string, string> = {
      completed: p.failed > 0 ? `finished: ${p.done} generated, ${p.failed} failed` : `finished: ${p.done} generated`,
      paused: 'paused; Resume on the card continues it',
      cancelled: `cancelled after ${p.done} generated`,
      cost_ceiling: 'stopped at its cost ceiling',
      offline: 'stopped: generation needs Claude (ANTHROPIC_API_KEY)',
      failed: `failed: ${p.errorMessage ?? 'see the log'}`,
      aborted: `was interrupted: the bot is restarting, and carries on with it when it is back (${p.done} of ${p.total} done so far)`,
      not_runnable: 'was already finished',
    };
    await notifier
      .send(ref, `Generation job ${jobId.slice(0, 8)} ${why[summary.stopReason] ?? summary.stopReason}. Cost $${p.costUsd.toFixed(4)}, ${p.tokens.toLocaleString('en-US')} tokens.`)
      .catch((err: unknown) => logger.warn({ err, jobId }, 'could not send the job summary'));
  }
}
