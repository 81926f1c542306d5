/**
 * The one table of card actions: verb → handler. A handler returns the card to show in place of the
 * clicked one (and, for a reply card, the whole reply activity to refresh for the other members of a
 * group chat) or a message; refusals are thrown as AppErrors. Action.Execute invokes and Action.Submit
 * messages (clients that downgrade Execute) both come through here.
 */
import type { Activity, TurnContext } from 'botbuilder';
import type { CardJson } from '../cards';
import type { Tester } from '../tuning';
import type { BotDeps } from './deps';
import type { DialogHost } from './dialogs/dialog-host';
import { UnknownActionError } from './verbs/unknown-action';
import { cancelGenerateVerb, jobControlVerb, startJobVerb } from './verbs/job-verbs';
import { cancelReplayVerb, replayWithSuggestionVerb, retryReplayVerb } from './verbs/insights-verbs';
import { correctTopicVerb, looksGoodVerb, saveNoteVerb } from './verbs/note-verbs';

export interface VerbContext {
  turn: TurnContext;
  deps: BotDeps;
  tester: Tester;
  /** The action's data, as the card sent it (not trusted). */
  data: Record<string, unknown>;
  dialogs: DialogHost;
}

export type VerbResult =
  | { kind: 'card'; card: CardJson; /** The whole activity to put in place of the clicked one for everyone. */ refresh?: Partial<Activity> }
  | { kind: 'message'; text: string };

export type VerbHandler = (c: VerbContext) => Promise<VerbResult>;

/** Every card action the bot's cards carry. */
export const VERBS: Readonly<Record<string, VerbHandler>> = {
  'tb.note.save': saveNoteVerb,
  'tb.note.good': looksGoodVerb,
  'tb.topic.correct': correctTopicVerb,
  'tb.job.start': startJobVerb,
  'tb.job.pause': jobControlVerb('pause'),
  'tb.job.resume': jobControlVerb('resume'),
  'tb.job.cancel': jobControlVerb('cancel'),
  'tb.generate.cancel': cancelGenerateVerb,
  'tb.insights.replay': replayWithSuggestionVerb,
  'tb.insights.replay.cancel': cancelReplayVerb,
  'tb.insights.replay.retry': retryReplayVerb,
};

/** Runs the verb's handler; an unknown verb is refused with UnknownActionError. */
export async function runVerb(verb: string, c: VerbContext): Promise<VerbResult> {
  const handler = Object.prototype.hasOwnProperty.call(VERBS, verb) ? VERBS[verb] : undefined;
  if (!handler) throw new UnknownActionError(verb.slice(0, 60));
  return handler(c);
}
