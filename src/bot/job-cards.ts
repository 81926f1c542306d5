/**
 * Generation jobs as Teams shows them: the progress card (rendered from the job's progress, no database)
 * and the subscriber that keeps it up to date while the job runner (src/generation) runs the job, then
 * sends a summary. Updates go out proactively through a JobNotifier, at most every few seconds.
 */
import type { ConversationReference } from 'botbuilder';
import { type CardJson, jobProgressCard } from '../cards';
import type { JobEvents, JobNotify, JobProgress, JobSummary } from '../generation';
import type { Logger } from '../logger';

/** Sends into a conversation outside a turn (proactive messaging). */
export interface JobNotifier {
  updateCard(ref: Partial<ConversationReference>, activityId: string, card: CardJson): Promise<void>;
  send(ref: Partial<ConversationReference>, text: string): Promise<void>;
}

/** The progress card of a job. */
export function progressCard(p: JobProgress, title: string, note: string | null = null): CardJson {
  let current = p.currentLabel;
  let etaText: string | null = null;
  if (p.mode === 'batch') {
    const b = p.batch;
    if (!b) current = p.pending > 0 ? 'Message Batches: preparing the next batch' : null;
    else if (b.processingStatus === 'submitting') current = `Message Batches: sending ${String(b.requests)} request(s)`;
    else {
      const state = b.processingStatus === 'ended' ? 'ended, storing results' : b.processingStatus === 'canceling' ? 'cancelling' : 'in progress';
      current = `Message Batches ${b.id}: ${state} · ${String(b.answered)} of ${String(b.requests)} answered`;
    }
    etaText = b?.expiresAt ? `by ${b.expiresAt.slice(0, 16).replace('T', ' ')} UTC at the latest (usually within 1 h)` : 'within 24 h (usually within 1 h)';
  }
  return jobProgressCard({ jobId: p.jobId, title, status: p.status, total: p.total, done: p.done, failed: p.failed, current, etaMs: p.etaMs, etaText, costUsd: p.costUsd, tokens: p.tokens, note: note ?? p.errorMessage });
}

/** The title a job's cards carry. */
export const jobTitle = (jobId: string): string => `Generation job ${jobId.slice(0, 8)}`;

/** A conversation reference as a JSON record (stored with the job), and back. */
export function refToRecord(ref: Partial<ConversationReference>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(ref)) as Record<string, unknown>;
}
function recordToRef(record: Record<string, unknown>): Partial<ConversationReference> {
  // Written by refToRecord from a ConversationReference; only its JSON came back.
  return record;
}

/** The summary message at the end of a run. */
export function summaryText(jobId: string, summary: JobSummary): string {
  const p = summary.progress;
  const why: Record<JobSummary['stopReason'], string> = {
    completed: p.failed > 0 ? `finished: ${String(p.done)} generated, ${String(p.failed)} failed` : `finished: ${String(p.done)} generated`,
    paused: 'paused; Resume on the card continues it',
    cancelled: `cancelled after ${String(p.done)} generated`,
    cost_ceiling: 'stopped at its cost ceiling',
    offline: 'stopped: generation needs Claude (ANTHROPIC_API_KEY)',
    failed: `failed: ${p.errorMessage ?? 'see the log'}`,
    aborted: `was interrupted: the bot is restarting, and carries on with it when it is back (${String(p.done)} of ${String(p.total)} done so far)`,
    not_runnable: 'was already finished',
  };
  return `Generation job ${jobId.slice(0, 8)} ${why[summary.stopReason]}. Cost $${p.costUsd.toFixed(4)}, ${p.tokens.toLocaleString('en-US')} tokens.`;
}

interface CardState {
  startedAt: number;
  lastUpdate: number;
  updates: Promise<void>;
}

/**
 * Keeps each job's progress card up to date. The card that started a job is replaced by the invoke
 * response; an update that overtook it would be overwritten by that older card, so no update goes out
 * sooner than minUpdateMs after the start, nor sooner than minUpdateMs after the previous one.
 */
export class JobCardUpdater implements JobEvents {
  private readonly cards = new Map<string, CardState>();

  constructor(
    private readonly notifier: JobNotifier,
    private readonly logger: Logger,
    private readonly minUpdateMs = 2000,
  ) {}

  started(jobId: string): void {
    const now = Date.now();
    this.cards.set(jobId, { startedAt: now, lastUpdate: now, updates: Promise.resolve() });
  }

  progress(jobId: string, notify: JobNotify, p: JobProgress): void {
    this.update(jobId, notify, p, false);
  }

  async finished(jobId: string, notify: JobNotify, summary: JobSummary): Promise<void> {
    this.update(jobId, notify, summary.progress, true);
    await this.cards.get(jobId)?.updates;
    this.cards.delete(jobId);
    // A job no card follows (started on the dashboard) has no chat to tell; its page shows how it ended.
    if (notify.ref === null) return;
    await this.notifier.send(recordToRef(notify.ref), summaryText(jobId, summary)).catch((err: unknown) => {
      this.logger.warn({ err, jobId }, 'could not send the job summary');
    });
  }

  private update(jobId: string, notify: JobNotify, p: JobProgress, force: boolean): void {
    const state = this.cards.get(jobId);
    const { activityId, ref } = notify;
    if (!state || !activityId || !ref || (!force && Date.now() - state.lastUpdate < this.minUpdateMs)) return;
    state.lastUpdate = Date.now();
    // Queued deliberately: updates go out in order, and a failed one is logged, never thrown.
    state.updates = state.updates
      .then(async () => {
        const wait = state.startedAt + this.minUpdateMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await this.notifier.updateCard(recordToRef(ref), activityId, progressCard(p, notify.title));
      })
      .catch((err: unknown) => {
        this.logger.warn({ err, jobId }, 'could not update the progress card');
      });
  }
}
