/**
 * Card actions, by verb. Each returns the reply card to show in place of the clicked one (notes
 * listed, a fresh submission nonce), or a plain message when there is no card to show.
 * Reached through Action.Execute (adaptiveCard/action invoke) and, for clients that downgrade it,
 * through a message whose value carries the verb.
 */
import type { TurnContext } from 'botbuilder';
import type { Improvement, Turn } from '../../db';
import type { CardJson } from '../cards';
import { addNote, findTesterTurn, InvalidNoteError, listNotes, type Tester, TuningError } from '../tuning';
import { isAppError } from '../errors';
import type { BotDeps } from './deps';
import { type ReplyCardExtras, type ReplyContext, replyCardFor } from './reply-card';

export const VERB_SAVE_NOTE = 'tb.note.save';
export const VERB_LOOKS_GOOD = 'tb.note.good';
export const VERB_CORRECT_TOPIC = 'tb.topic.correct';

export class UnknownActionError extends TuningError {
  readonly userMessage = "That button isn't one I know — the card may be from an older version of the bot. Nothing was saved.";
  constructor(readonly verb: string) {
    super(`unknown card verb: ${verb}`);
    this.name = 'UnknownActionError';
  }
}

export type CardActionResult = { kind: 'card'; card: CardJson; turn: Turn } | { kind: 'message'; text: string };

function submissionIdOf(data: Record<string, unknown>): string | undefined {
  const v = data.submissionId;
  return typeof v === 'string' && v.length > 0 && v.length <= 100 ? v : undefined;
}

/** Runs a card action for the tester. TuningErrors other than InvalidNoteError propagate. */
export async function runCardAction(
  context: TurnContext,
  deps: BotDeps,
  tester: Tester,
  verb: string,
  data: Record<string, unknown>,
): Promise<CardActionResult> {
  if (verb !== VERB_SAVE_NOTE && verb !== VERB_LOOKS_GOOD && verb !== VERB_CORRECT_TOPIC) throw new UnknownActionError(verb.slice(0, 60));
  const { turn } = await findTesterTurn(deps.db, data.turnId, tester.id);
  const max = deps.config.maxNoteChars;
  const log = deps.logger.child({ activityId: context.activity.id, testerId: tester.id, turnId: turn.id, sessionId: turn.session_id });
  const card = async (notes: Improvement[], extras: ReplyCardExtras): Promise<CardActionResult> => ({
    kind: 'card',
    turn,
    card: replyCardFor(turn, notes, max, extras, await replyContext(deps, turn.id)),
  });

  if (verb === VERB_CORRECT_TOPIC) {
    if (!deps.intent) return { kind: 'message', text: 'Topics are not captured on this bot, so there is nothing to correct.' };
    try {
      await deps.intent.correct(turn.id, String(data.intent ?? ''), tester.id);
    } catch (err) {
      if (!isAppError(err)) throw err;
      return card(await listNotes(deps.db, turn.id), { status: { text: `Not saved: ${err.userMessage}`, kind: 'attention' } });
    }
    log.info({ intent: data.intent }, 'topic corrected');
    return card(await listNotes(deps.db, turn.id), { status: { text: 'Topic corrected. Thanks — it goes into the retraining export.', kind: 'good' } });
  }

  if (verb === VERB_LOOKS_GOOD) {
    const result = await addNote(deps.db, { turnId: turn.id, testerId: tester.id, note: '', category: null, source: 'looks_good', submissionId: submissionIdOf(data) }, max);
    log.info({ stored: result.stored }, 'looks good');
    await deps.intent?.recordOutcome(turn.id, true);
    const status = result.stored ? 'Marked as good. Thanks!' : 'Already saved — that click was counted once.';
    return card(result.notes, { status: { text: status, kind: 'good' } });
  }

  const draftNote = typeof data.note === 'string' ? data.note : '';
  const draftCategory = typeof data.category === 'string' ? data.category : 'none';
  try {
    const result = await addNote(
      deps.db,
      { turnId: turn.id, testerId: tester.id, note: data.note, category: data.category, source: 'card', submissionId: submissionIdOf(data) },
      max,
    );
    log.info({ stored: result.stored, category: draftCategory }, 'note saved');
    await deps.intent?.recordOutcome(turn.id, false);
    const status = result.stored ? 'Note saved. Add another with Improve.' : 'Already saved — that click was counted once.';
    return card(result.notes, { status: { text: status, kind: 'good' } });
  } catch (err) {
    if (!(err instanceof InvalidNoteError)) throw err;
    log.info({ reason: err.userMessage }, 'note refused');
    return card(await listNotes(deps.db, turn.id), {
      status: { text: `Not saved: ${err.userMessage}`, kind: 'attention' },
      // Keep what the tester typed (up to a bound the card can carry) so nothing is lost.
      draft: { category: safeCategory(draftCategory), note: draftNote.slice(0, Math.max(max * 2, 8000)) },
    });
  }
}

function safeCategory(value: string): string {
  return ['tone', 'content', 'citation', 'clarity', 'structure', 'action', 'none'].includes(value) ? value : 'none';
}

/** The topic shown on a turn's card and the choices to correct it. */
export async function replyContext(deps: BotDeps, turnId: string): Promise<ReplyContext> {
  if (!deps.intent) return {};
  return { topic: await deps.intent.topicOf(turnId), topicChoices: deps.intent.topics };
}
