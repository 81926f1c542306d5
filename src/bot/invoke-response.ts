/**
 * The one place invoke responses are built, typed. An Action.Execute (adaptiveCard/action) is answered
 * with a card that replaces the clicked one, or with a message Teams shows the clicker; an invoke the bot
 * cannot read gets 400 with an error body, as botbuilder's own handler would send.
 */
import type { InvokeResponse } from 'botbuilder';
import type { CardJson } from '../cards';

const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';
const MESSAGE_TYPE = 'application/vnd.microsoft.activity.message';
const ERROR_TYPE = 'application/vnd.microsoft.error';

/** The body of an adaptiveCard/action response (Teams' Universal Actions contract). */
export type AdaptiveCardActionBody =
  | { statusCode: 200; type: typeof CARD_TYPE; value: CardJson }
  | { statusCode: 200; type: typeof MESSAGE_TYPE; value: string }
  | { statusCode: 400; type: typeof ERROR_TYPE; value: { code: 'BadRequest' | 'NotSupported'; message: string } };

/** What a handler of an invoke returns: a card, a message, or a refusal of the request itself. */
export type ActionResponse = InvokeResponse<AdaptiveCardActionBody>;

/** The card that replaces the clicked one. */
export function cardResponse(card: CardJson): ActionResponse {
  return { status: 200, body: { statusCode: 200, type: CARD_TYPE, value: card } };
}

/** A message for the clicker; the card stays as it was. */
export function messageResponse(text: string): ActionResponse {
  return { status: 200, body: { statusCode: 200, type: MESSAGE_TYPE, value: text } };
}

/** The request itself is not one the bot can read. */
export function badActionResponse(code: 'BadRequest' | 'NotSupported', message: string): ActionResponse {
  return { status: 400, body: { statusCode: 400, type: ERROR_TYPE, value: { code, message } } };
}

/** A plain status for other invokes (the feedback loop): 200 with an empty body, or an error. */
export function statusResponse(status: 200 | 400 | 403, error?: string): InvokeResponse<Record<string, string>> {
  return { status, body: error ? { error } : {} };
}
