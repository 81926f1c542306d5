/** The one place where errors become what a tester reads. A tester never sees a stack trace. */
import { DialogContextError } from 'botbuilder-dialogs';
import { isDatabaseUnavailable } from '../../db';
import { EraUnavailableError, PromptFileError } from '../era';
import { TuningError } from '../tuning';

export const DATABASE_DOWN_MESSAGE =
  "I can't reach the tuning database right now, so nothing was saved this time. Your message is still here in the chat: send it again in a minute, once I'm back.";

/** What the tester is told about an error. */
export function userMessageFor(err: unknown, ref?: string): string {
  if (err instanceof DialogContextError) return userMessageFor(err.error, ref);
  if (err instanceof TuningError) return err.userMessage;
  if (err instanceof EraUnavailableError) return eraMessage(err);
  if (err instanceof PromptFileError) {
    return `ERA's prompt file can't be read (${err.path}), so I can't answer. Ask the prompt owner to check MASTER_PROMPT_PATH. Your message was not stored.`;
  }
  if (isDatabaseUnavailable(err)) return DATABASE_DOWN_MESSAGE;
  return `Something went wrong on my side and it has been logged${ref ? ` (ref ${ref})` : ''}. Nothing was stored half-way; please try again.`;
}

function eraMessage(err: EraUnavailableError): string {
  const tail = ' Your message was not stored: send it again to retry.';
  switch (err.kind) {
    case 'rate_limited':
      return `Claude is rate-limiting requests right now, so ERA couldn't answer.${tail}`;
    case 'overloaded':
      return `Claude is overloaded right now, so ERA couldn't answer.${tail}`;
    case 'timeout':
      return `Claude took too long to answer.${tail}`;
    case 'connection':
      return `I couldn't reach Claude.${tail}`;
    case 'auth':
      return `Claude refused the bot's API key, so ERA can't answer. Ask the bot's owner to check ANTHROPIC_API_KEY.${tail}`;
    case 'bad_request':
      return `Claude rejected the request (it may be too long for the model).${tail}`;
    case 'empty':
      return `Claude returned an empty answer.${tail}`;
    default:
      return `Claude had an error and ERA couldn't answer.${tail}`;
  }
}
