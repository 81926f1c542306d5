/**
 * The tuning loop's card actions: Replay with this suggestion (suggestion card), Cancel and Retry
 * (replay progress card). Whose it is is checked from the stored rows, never from the card: another
 * tester's suggestion or replay is reported as missing. A stale card (the replay already ended) gets the
 * card as it is now and says so.
 */
import { cancelTesterReplay, InsightsStateError, retryTesterReplay, testerReplay, testerSuggestion } from '../../insights';
import { launchReplays } from '../handlers/insights-commands';
import { replayCardFor } from '../insights-cards';
import type { VerbContext, VerbResult } from '../verb-table';

const NOT_SET_UP: VerbResult = { kind: 'message', text: 'The tuning loop (scores, suggestions, replays) is not set up on this bot.' };

/** Replay with this suggestion: the suggestion's session replayed with its edits applied to the current prompt. */
export async function replayWithSuggestionVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data, turn } = c;
  const loop = deps.insights;
  if (!loop) return NOT_SET_UP;
  const suggestion = await testerSuggestion(deps.db, data.suggestionId, tester.id);
  const [replay] = await launchReplays(turn, deps, loop, { testerId: tester.id, sessionIds: [suggestion.session_id], candidate: { kind: 'suggestion', id: suggestion.id } });
  return { kind: 'message', text: `Replay ${replay?.id.slice(0, 8) ?? ''} started: session ${suggestion.session_id.slice(0, 8)} with suggestion ${suggestion.id.slice(0, 8)}. Its progress card is below; the comparison follows when it ends.` };
}

/** Cancel on a replay's progress card. */
export async function cancelReplayVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data } = c;
  if (!deps.insights) return NOT_SET_UP;
  try {
    const cancelled = await cancelTesterReplay(deps.db, data.replayId, tester.id);
    deps.logger.info({ testerId: tester.id, replayId: cancelled.id }, 'replay cancelled');
    return { kind: 'card', card: replayCardFor(cancelled) };
  } catch (err) {
    if (!(err instanceof InsightsStateError)) throw err;
    // A stale card: show the replay as it is now, and why nothing was done.
    const now = await testerReplay(deps.db, data.replayId, tester.id);
    return { kind: 'card', card: replayCardFor(now, undefined, err.userMessage) };
  }
}

/** Retry on a failed replay's progress card: it carries on from the last stored turn. */
export async function retryReplayVerb(c: VerbContext): Promise<VerbResult> {
  const { deps, tester, data } = c;
  const loop = deps.insights;
  if (!loop) return NOT_SET_UP;
  const replay = await retryTesterReplay(deps.db, data.replayId, tester.id);
  deps.logger.info({ testerId: tester.id, replayId: replay.id }, 'replay retried');
  loop.replays.start([replay]);
  return { kind: 'card', card: replayCardFor(replay) };
}
