/** Expands a JSON card template with adaptivecards-templating into an Adaptive Card attachment. */
import type { Attachment } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import * as ACData from 'adaptivecards-templating';

export type CardJson = Record<string, unknown>;

/** The expanded card JSON. */
export function expand(template: object, data: object): CardJson {
  return new ACData.Template(template).expand({ $root: data }) as CardJson;
}

/** The expanded card as a Bot Framework attachment. */
export function asAttachment(card: CardJson): Attachment {
  return CardFactory.adaptiveCard(card);
}
