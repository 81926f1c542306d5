/**
 * The tuning loop's cards outside a turn (proactive messages): the reply card's score line once the
 * judge has scored the turn, a replay's progress card updated in place while it runs, and the comparison
 * card when a replay ends. Everything is rebuilt from stored rows, so any instance can send it; a failed
 * send is logged, never thrown (the scores and replays are stored either way).
 */
import { type Activity, CardFactory, type ConversationReference } from 'botbuilder';
import type { JsonObject, PromptReplay } from '../../db';
import { type CardJson, comparisonCard, replayProgressCard } from '../cards';
import { compareReplays, type JudgeOutcome, type JudgeTask, type ReplayNotify, type ReplayProgress, type ReplayRunEvents, type ReplayRunResult } from '../insights';
import type { Logger } from '../logger';
import { findTurn, listNotes } from '../tuning';
import type { BotDeps } from './deps';
import { replyActivityFor, replyCardFor } from './reply-card';
import { replyContext } from './verbs/note-verbs';

/** Sends into a conversation outside a turn. */
export interface ProactiveNotifier {
  update(ref: Partial<ConversationReference>, activity: Partial<Activity> & { id: string }): Promise<void>;
  send(ref: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void>;
}

/** A stored conversation reference (JSON of TurnContext.getConversationReference) back as one. */
function refOf(address: JsonObject): Partial<ConversationReference> {
  return address;
}

const cardActivity = (card: CardJson): Partial<Activity> => ({ type: 'message', attachments: [CardFactory.adaptiveCard(card)] });

/** The progress card of a replay: its row, the latest progress when running, and a note to show. */
export function replayCardFor(replay: PromptReplay, p?: ReplayProgress, note?: string): CardJson {
  const status = p?.status ?? replay.status;
  return replayProgressCard({
    replayId: replay.id,
    sourceSessionId: replay.source_session_id,
    status: p?.phase === 'scoring' && status === 'running' ? 'scoring' : status,
    done: p?.done ?? replay.done_turns,
    total: p?.total ?? replay.total_turns,
    candidateKind: replay.candidate_kind,
    candidateRef: replay.candidate_ref,
    candidateVersion: replay.candidate_version,
    mode: replay.mode,
    error: note ?? (status === 'failed' ? `${replay.error ?? 'The replay failed.'} Retry carries on from the last stored turn.` : status === 'cancelled' ? 'Cancelled: nothing more is replayed.' : null),
  });
}

/** After the judge: the reply card again, now with the turn's scores. */
export function scoreCardUpdater(deps: BotDeps, notifier: ProactiveNotifier, logger: Logger) {
  return async (task: JudgeTask, outcome: JudgeOutcome): Promise<void> => {
    if (!task.notify || !task.activityId || outcome.status !== 'judged') return;
    const turn = await findTurn(deps.db, task.turnId);
    if (!turn) return;
    const card = replyCardFor(turn, await listNotes(deps.db, turn.id), deps.config.maxNoteChars, {}, await replyContext(deps, turn.id));
    await notifier.update(refOf(task.notify), { ...replyActivityFor(turn, card), id: task.activityId });
    logger.debug({ turnId: turn.id, activityId: task.activityId }, 'reply card scored');
  };
}

/**
 * Keeps replay cards up to date: progress in place (in order, per replay), then the comparison card of
 * the replays that completed.
 */
export class ReplayCardUpdater implements ReplayRunEvents {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: BotDeps,
    private readonly notifier: ProactiveNotifier,
    private readonly logger: Logger,
  ) {}

  progress(replay: PromptReplay, p: ReplayProgress, notify: ReplayNotify | null): Promise<void> {
    const activityId = notify?.activityId;
    if (!notify || !activityId) return Promise.resolve();
    const card = replayCardFor(replay, p);
    const next = (this.queues.get(replay.id) ?? Promise.resolve())
      .then(() => this.notifier.update(refOf(notify.address), { ...cardActivity(card), id: activityId }))
      .catch((err: unknown) => {
        this.logger.warn({ err, replayId: replay.id }, 'could not update the replay card');
      });
    this.queues.set(replay.id, next);
    return next;
  }

  async finished(results: ReplayRunResult[], notify: ReplayNotify | null): Promise<void> {
    await Promise.all(results.map((r) => this.queues.get(r.replay.id) ?? Promise.resolve()));
    for (const r of results) this.queues.delete(r.replay.id);
    const completed = results.filter((r) => r.outcome === 'completed').map((r) => r.replay.id);
    if (!notify || completed.length === 0) return;
    const comparison = await compareReplays(this.deps.db, completed);
    // The full view (every turn, unclipped) is a signed link for the tester who started the replays.
    const requesters = new Set(results.filter((r) => r.outcome === 'completed').map((r) => r.replay.requested_by));
    const [requester] = [...requesters];
    const fullViewUrl = requesters.size === 1 && requester ? this.deps.insights?.links.comparison(completed, requester).url ?? null : null;
    const card = comparisonCard({ ...comparison, judgeOffline: this.deps.insights?.judgeMode === 'offline', fullViewUrl });
    await this.notifier.send(refOf(notify.address), cardActivity(card)).catch((err: unknown) => {
      this.logger.warn({ err, replays: completed }, 'could not send the comparison card');
    });
  }
}
