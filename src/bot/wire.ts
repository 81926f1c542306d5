/**
 * Reading an activity as it arrived. botbuilder's types mark fields such as `text`, `from.id` or
 * `conversation.conversationType` as always present; on the wire (the Playground, an invoke, a test
 * client) they may be missing. These read them as unknown and say what is there.
 */
import { type Activity, TurnContext } from 'botbuilder';

/** The value when it is a non-empty string, else null. */
export function wireString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The message text with the bot's @mention removed ('' when the activity has none). */
export function messageTextOf(activity: Activity): string {
  const hasText = wireString(activity.text) !== null;
  return hasText ? (wireString(TurnContext.removeRecipientMention(activity)) ?? '') : '';
}

/** The sender's ids and name, whatever the activity carries. */
export function senderOf(activity: Activity): { id: string | null; aadObjectId: string | null; name: string | null } {
  const from: unknown = activity.from;
  if (!from || typeof from !== 'object') return { id: null, aadObjectId: null, name: null };
  const f = from as Record<string, unknown>;
  return { id: wireString(f.id), aadObjectId: wireString(f.aadObjectId), name: wireString(f.name) };
}

/** The conversation's type ('personal', 'groupChat', 'channel'), when the activity says. */
export function conversationTypeOf(activity: Activity): string | null {
  const conversation: unknown = activity.conversation;
  if (!conversation || typeof conversation !== 'object') return null;
  return wireString((conversation as Record<string, unknown>).conversationType);
}

/** Strips Teams' <at>…</at> mention markup that removeRecipientMention may leave. */
export function stripMentions(text: string): string {
  return text.replace(/<at>[^<]*<\/at>/gi, ' ').trim();
}
