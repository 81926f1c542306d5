/** The one place where errors become what a tester reads. A tester never sees a stack trace. */
import { DialogContextError } from 'botbuilder-dialogs';
import { isDatabaseUnavailable } from '../../db';
import { isAppError } from '../errors';

export const DATABASE_DOWN_MESSAGE =
  "I can't reach the tuning database right now, so nothing was saved this time. Your message is still here in the chat: send it again in a minute, once I'm back.";

/**
 * What the tester is told about an error: a domain error (any AppError) says its own userMessage; a
 * lost database and anything unexpected get fixed texts (the log has the details, under `ref`).
 */
export function userMessageFor(err: unknown, ref?: string): string {
  // botbuilder-dialogs wraps a step's error; the cause is what matters.
  if (err instanceof DialogContextError) return userMessageFor(err.error, ref);
  if (isAppError(err)) return err.userMessage;
  if (isDatabaseUnavailable(err)) return DATABASE_DOWN_MESSAGE;
  return `Something went wrong on my side and it has been logged${ref ? ` (ref ${ref})` : ''}. Nothing was stored half-way; please try again.`;
}
