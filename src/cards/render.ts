/** Expands a JSON card template with adaptivecards-templating into an Adaptive Card attachment. */
import type { Attachment } from 'botbuilder';
import { CardFactory } from 'botbuilder';
import * as ACData from 'adaptivecards-templating';

export type CardJson = Record<string, unknown>;

/**
 * Prepared templates, one per template object. `new Template()` parses every `${…}` expression with
 * ANTLR (about 19 ms for the answer card); the library prepares once so that a template "can be bound
 * to different data objects in a loop". Expansion builds new objects and arrays and never changes the
 * prepared payload, and it runs synchronously, so sharing one instance is safe. Before this cache the
 * parse was most of the CPU of a turn: with 50 testers answered at once it serialised their replies.
 */
const prepared = new WeakMap<object, ACData.Template>();

/** The expanded card JSON. */
export function expand(template: object, data: object): CardJson {
  let t = prepared.get(template);
  if (!t) {
    t = new ACData.Template(template);
    prepared.set(template, t);
  }
  return t.expand({ $root: data }) as CardJson;
}

/** The expanded card as a Bot Framework attachment. */
export function asAttachment(card: CardJson): Attachment {
  return CardFactory.adaptiveCard(card);
}
