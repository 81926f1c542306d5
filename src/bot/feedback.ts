/**
 * Teams' native feedback loop: thumbs up/down under ERA's replies arrive as a message/submitAction
 * invoke naming the reply's activity id. The reaction (and any text) becomes a note with its source.
 */
import type { InvokeResponse, TurnContext } from 'botbuilder';
import type { Improvement, Turn } from '../../db';
import { addNote, cleanText, findTesterTurnByReply, type Tester } from '../tuning';
import type { BotDeps } from './deps';
import { userMessageFor } from './errors';
import { statusResponse } from './invoke-response';
import { replyActivityFor, replyCardFor } from './reply-card';
import { replyContext } from './verbs/note-verbs';

/** Thumbs that name no reply: what the tester is told (it names no card: they pressed none). */
export const NO_REPLY_ID_MESSAGE =
  "I couldn't tell which answer that thumbs up or down was for, so nothing was saved. Your client didn't say which reply it was under; use **Improve** or **Looks good** under the answer instead.";

export interface FeedbackValue {
  reaction: 'like' | 'dislike';
  text: string;
}

/** Parses the invoke value; null when it is not a feedback submission. */
export function parseFeedback(value: unknown): FeedbackValue | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as { actionName?: unknown; actionValue?: { reaction?: unknown; feedback?: unknown } };
  if (v.actionName !== 'feedback' || !v.actionValue) return null;
  const reaction = v.actionValue.reaction;
  if (reaction !== 'like' && reaction !== 'dislike') return null;
  let text = '';
  const fb = v.actionValue.feedback;
  if (typeof fb === 'string' && fb.trim() !== '') {
    try {
      const parsed = JSON.parse(fb) as { feedbackText?: unknown };
      text = typeof parsed.feedbackText === 'string' ? parsed.feedbackText : fb;
    } catch {
      text = fb;
    }
  } else if (fb && typeof fb === 'object' && typeof (fb as { feedbackText?: unknown }).feedbackText === 'string') {
    text = (fb as { feedbackText: string }).feedbackText;
  }
  return { reaction, text: cleanText(text).text.trim() };
}

/** Stores the feedback as a note on the reply's turn. Returns the turn and its notes for a card refresh. */
async function storeFeedback(context: TurnContext, deps: BotDeps, tester: Tester, feedback: FeedbackValue): Promise<{ turn: Turn; notes: Improvement[] }> {
  const replyToId = context.activity.replyToId ?? '';
  const { turn } = await findTesterTurnByReply(deps.db, replyToId, tester.id);
  const label = feedback.reaction === 'like' ? 'Thumbs up' : 'Thumbs down';
  const text = feedback.text.slice(0, deps.config.maxNoteChars);
  const note = text ? `${label}: ${text}` : label;
  const result = await addNote(
    deps.db,
    {
      turnId: turn.id,
      testerId: tester.id,
      note,
      category: null,
      source: 'feedback_loop',
      // Teams sends one invoke per submission; its activity id makes a redelivery idempotent.
      submissionId: context.activity.id ? `feedback:${context.activity.id}` : undefined,
      extra: { reaction: feedback.reaction },
    },
    deps.config.maxNoteChars,
  );
  deps.logger.info({ turnId: turn.id, testerId: tester.id, reaction: feedback.reaction, stored: result.stored }, 'feedback stored');
  return { turn, notes: result.notes };
}

/**
 * A message/submitAction invoke: 400 when it is not a feedback submission, 403 for a tester not on the
 * allowlist, else 200 with the note stored and the reply's card refreshed (a failure is told to the
 * tester as a message, since Teams shows nothing of this invoke's response).
 */
export async function feedbackResponse(
  context: TurnContext,
  deps: BotDeps,
  testerOf: (context: TurnContext) => Promise<Tester | null>,
  logError: (err: unknown) => void,
): Promise<InvokeResponse<Record<string, string>>> {
  const feedback = parseFeedback(context.activity.value);
  if (!feedback) return statusResponse(400, 'not a feedback submission');
  const tester = await testerOf(context);
  if (!tester) return statusResponse(403, 'not an allowed tester');
  if (!context.activity.replyToId) {
    // Some clients (the Agents Playground) send the reaction without the reply it is for: nothing can
    // be stored safely, since guessing the latest answer could put the note on the wrong one.
    deps.logger.warn({ activityId: context.activity.id, testerId: tester.id, reaction: feedback.reaction }, 'thumbs feedback without a reply id: not stored');
    await context.sendActivity(NO_REPLY_ID_MESSAGE).catch((err: unknown) => {
      deps.logger.warn({ err, activityId: context.activity.id }, 'could not tell the tester their feedback was not stored');
    });
    return statusResponse(200);
  }
  try {
    const { turn, notes } = await storeFeedback(context, deps, tester, feedback);
    await deps.intent?.recordOutcome(turn.id, feedback.reaction === 'like');
    const replyToId = context.activity.replyToId;
    if (replyToId) {
      const card = replyCardFor(turn, notes, deps.config.maxNoteChars, { status: { text: 'Feedback saved as a note.', kind: 'good' } }, await replyContext(deps, turn.id));
      await context.updateActivity({ ...replyActivityFor(turn, card), id: replyToId }).catch((err: unknown) => {
        deps.logger.warn({ err }, 'could not refresh the card after feedback');
      });
    }
  } catch (err) {
    logError(err);
    await context.sendActivity(userMessageFor(err, context.activity.id)).catch(() => undefined);
  }
  return statusResponse(200);
}
