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

export class BotJobRunner {
  private readonly running = new Map<string, Promise<void>>();
  private readonly workerId = `bot-${randomUUID().slice(0, 8)}`;

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Whether this process is running the job now. */
  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Starts the job in the background (no-op when it is already running here). */
  start(jobId: string, ref: Partial<ConversationReference>, cardActivityId: string | undefined, title: string): void {
    if (this.running.has(jobId)) return;
    const run = this.run(jobId, ref, cardActivityId, title)
      .catch((err: unknown) => this.deps.logger.error({ err, jobId }, 'generation job runner failed'))
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
  }

  /** Resolves when every job started here has stopped (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private async run(jobId: string, ref: Partial<ConversationReference>, cardActivityId: string | undefined, title: string): Promise<void> {
    const { db, logger, notifier } = this.deps;
    const minGap = this.deps.minUpdateMs ?? 2000;
    // The card that started the job is replaced by the invoke response; an update that overtook it
    // would be overwritten by that older card. So no update goes out sooner than minGap after start.
    const startedAt = Date.now();
    let lastUpdate = startedAt;
    let updates: Promise<void> = Promise.resolve();
    const update = (p: JobProgress, force = false) => {
      if (!cardActivityId || (!force && Date.now() - lastUpdate < minGap)) return;
      lastUpdate = Date.now();
      updates = updates
        .then(async () => {
          const wait = startedAt + minGap - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await notifier.updateCard(ref, cardActivityId, await progressView(db, p, title));
        })
        .catch((err: unknown) => logger.warn({ err, jobId }, 'could not update the progress card'));
    };
    const summary = await runJob({ db, generate: this.deps.generate, batch: this.deps.batch, workerId: this.workerId, logger, onProgress: (p) => update(p) }, jobId);
    update(summary.progress, true);
    await updates;
    const p = summary.progress;
    const why: Record<string, string> = {
      completed: p.failed > 0 ? `finished: ${p.done} generated, ${p.failed} failed` : `finished: ${p.done} generated`,
      paused: 'paused; Resume on the card continues it',
      cancelled: `cancelled after ${p.done} generated`,
      cost_ceiling: 'stopped at its cost ceiling',
      offline: 'stopped: generation needs Claude (ANTHROPIC_API_KEY)',
      failed: `failed: ${p.errorMessage ?? 'see the log'}`,
      aborted: 'stopped',
      not_runnable: 'was already finished',
    };
    await notifier
      .send(ref, `Generation job ${jobId.slice(0, 8)} ${why[summary.stopReason] ?? summary.stopReason}. Cost $${p.costUsd.toFixed(4)}, ${p.tokens.toLocaleString('en-US')} tokens.`)
      .catch((err: unknown) => logger.warn({ err, jobId }, 'could not send the job summary'));
  }
}
