/**
 * The reply card's actions: Improve (save a note), Looks good, Change topic. Each answers with the reply
 * card rebuilt from the turn (notes listed, a fresh submission nonce), refreshed for everyone.
 */
import type { Improvement, Turn } from '../../../db';
import { isAppError } from '../../errors';
import { addNote, findTesterTurn, InvalidNoteError, listNotes, NOTE_CATEGORIES } from '../../tuning';
import type { BotDeps } from '../deps';
import { type ReplyCardExtras, type ReplyContext, replyActivityFor, replyCardFor } from '../reply-card';
import type { VerbContext, VerbResult } from '../verb-table';

function submissionIdOf(data: Record<string, unknown>): string | undefined {
  const v = data.submissionId;
  return typeof v === 'string' && v.length > 0 && v.length <= 100 ? v : undefined;
}

/** The topic shown on a turn's card and the choices to correct it. */
export async function replyContext(deps: BotDeps, turnId: string): Promise<ReplyContext> {
  const judgeMode = deps.insights?.judgeMode;
  if (!deps.intent) return { judgeMode };
  return { topic: await deps.intent.topicOf(turnId), topicChoices: deps.intent.topics, judgeMode };
}

/** The turn's reply card with these notes and extras, as a verb result that refreshes the reply for everyone. */
export async function replyResult(deps: BotDeps, turn: Turn, notes: Improvement[], extras: ReplyCardExtras): Promise<VerbResult> {
  const card = replyCardFor(turn, notes, deps.config.maxNoteChars, extras, await replyContext(deps, turn.id));
  return { kind: 'card', card, refresh: replyActivityFor(turn, card) };
}

function logFor(c: VerbContext, turn: Turn) {
  return c.deps.logger.child({ activityId: c.turn.activity.id, testerId: c.tester.id, turnId: turn.id, sessionId: turn.session_id });
}

/** Improve → Save: a note in a category. A refused note keeps the typed text in the form. */
export async function saveNoteVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data } = c;
  const { turn } = await findTesterTurn(deps.db, data.turnId, tester.id);
  const max = deps.config.maxNoteChars;
  const draftNote = typeof data.note === 'string' ? data.note : '';
  const draftCategory = typeof data.category === 'string' ? data.category : 'none';
  try {
    const result = await addNote(deps.db, { turnId: turn.id, testerId: tester.id, note: data.note, category: data.category, source: 'card', submissionId: submissionIdOf(data) }, max);
    logFor(c, turn).info({ stored: result.stored, category: draftCategory }, 'note saved');
    await deps.intent?.recordOutcome(turn.id, false);
    const status = result.stored ? 'Note saved. Add another with Improve.' : 'Already saved — that click was counted once.';
    return await replyResult(deps, turn, result.notes, { status: { text: status, kind: 'good' } });
  } catch (err) {
    if (!(err instanceof InvalidNoteError)) throw err;
    logFor(c, turn).info({ reason: err.userMessage }, 'note refused');
    const category = (NOTE_CATEGORIES as readonly string[]).includes(draftCategory) ? draftCategory : 'none';
    return replyResult(deps, turn, await listNotes(deps.db, turn.id), {
      status: { text: `Not saved: ${err.userMessage}`, kind: 'attention' },
      // Keep what the tester typed (up to a bound the card can carry) so nothing is lost.
      draft: { category, note: draftNote.slice(0, Math.max(max * 2, 8000)) },
    });
  }
}

/** Looks good: the reply needs nothing (a note with the spec's wording). */
export async function looksGoodVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data } = c;
  const { turn } = await findTesterTurn(deps.db, data.turnId, tester.id);
  const result = await addNote(deps.db, { turnId: turn.id, testerId: tester.id, note: '', category: null, source: 'looks_good', submissionId: submissionIdOf(data) }, deps.config.maxNoteChars);
  logFor(c, turn).info({ stored: result.stored }, 'looks good');
  await deps.intent?.recordOutcome(turn.id, true);
  const status = result.stored ? 'Marked as good. Thanks!' : 'Already saved — that click was counted once.';
  return replyResult(deps, turn, result.notes, { status: { text: status, kind: 'good' } });
}

/** Change topic: the tester's correction of the predicted topic. */
export async function correctTopicVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data } = c;
  const { turn } = await findTesterTurn(deps.db, data.turnId, tester.id);
  if (!deps.intent) return { kind: 'message', text: 'Topics are not captured on this bot, so there is nothing to correct.' };
  const raw = data.intent;
  const intent = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
  try {
    await deps.intent.correct(turn.id, intent, tester.id);
  } catch (err) {
    if (!isAppError(err)) throw err;
    return replyResult(deps, turn, await listNotes(deps.db, turn.id), { status: { text: `Not saved: ${err.userMessage}`, kind: 'attention' } });
  }
  logFor(c, turn).info({ intent }, 'topic corrected');
  return replyResult(deps, turn, await listNotes(deps.db, turn.id), { status: { text: 'Topic corrected. Thanks — it goes into the retraining export.', kind: 'good' } });
}
