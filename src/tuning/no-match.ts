/**
 * The canned answer when no passage is similar enough: Claude is not asked to improvise policy. One
 * definition for the live turn (turn-service.ts) and a replayed turn (src/insights/replay-turn.ts), so a
 * replay treats such a turn exactly as the bot does.
 */
import type { EraAnswer } from '../era';
import { ZERO_LLM_USAGE } from '../llm';

export const NO_MATCH_TEMPLATE = 'no_policy_match';
export const NO_MATCH_TEXT =
  "I could not find this in the policies I have, so I won't guess. Could you tell me a bit more (which policy area, what happened, when)? If it's urgent or involves safety, harassment or a possible termination, contact the Employee Relations team directly.";

/** The canned answer as ERA's answer (no model call; `offline` labels it as the bot's mode). */
export function noMatchAnswer(offline: boolean): EraAnswer {
  return { text: NO_MATCH_TEXT, model: 'template', offline, stopReason: null, usage: { ...ZERO_LLM_USAGE }, requestId: null, latencyMs: 0 };
}
