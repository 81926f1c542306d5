/** The tuning loop's commands: /suggest [session], /replay [sessions] [version], /export bundle [session] [json]. */
import { type Activity, TurnContext } from 'botbuilder';
import type { JsonObject, PromptReplay } from '../../../db';
import { exportCard, suggestionCard } from '../../cards';
import { type CandidateSpec, candidateSpecOf, MAX_REPLAY_SESSIONS, setReplayNotify, startTesterReplays, suggestForSession, suggestionView } from '../../insights';
import { resolveTesterSession } from '../../tuning';
import { type CommandContext, sendCard, sendText } from '../command-context';
import type { BotDeps, InsightsDeps } from '../deps';
import { replayCardFor } from '../insights-cards';

const NOT_SET_UP = 'The tuning loop (scores, suggestions, replays) is not set up on this bot.';
const SESSION_TOKEN = /^[0-9a-f-]{4,36}$/i;

/** The conversation reference of the turn, as stored JSON (where later card updates go). */
export function addressOf(turn: TurnContext): JsonObject {
  return JSON.parse(JSON.stringify(TurnContext.getConversationReference(turn.activity))) as JsonObject;
}

/** `/suggest [session]`: Claude's prompt edits for the session's notes (offline: the notes digest), as a card. */
export async function suggestCommand({ turn, deps, tester, arg }: CommandContext): Promise<void> {
  const loop = deps.insights;
  if (!loop) {
    await sendText(turn, NOT_SET_UP);
    return;
  }
  const session = await resolveTesterSession(deps.db, tester.id, arg ?? undefined);
  await turn.sendActivity({ type: 'typing' });
  const s = await suggestForSession(loop.suggest, session.id, { requestedBy: tester.id });
  deps.logger.info({ testerId: tester.id, sessionId: session.id, suggestionId: s.id, status: s.status, mode: s.mode }, 'suggestion made');
  const view = await suggestionView(deps.db, s.id);
  const link = s.status === 'ready' && s.patch ? loop.links.patch(s.id, tester.id) : null;
  await sendCard(turn, suggestionCard({ ...view, patchUrl: link?.url ?? null }));
}

/**
 * Starts replays and their progress cards (one per replay, in this conversation), then runs them in the
 * background. Shared by /replay and the suggestion card's button.
 */
export async function launchReplays(
  turn: TurnContext,
  deps: BotDeps,
  loop: InsightsDeps,
  input: { testerId: string; sessionIds: readonly string[]; candidate: CandidateSpec | 'last-suggestion' },
): Promise<PromptReplay[]> {
  const address = addressOf(turn);
  const created = await startTesterReplays(deps.db, { ...input, promptPath: deps.prompt.path, metadata: { notify: { address, activityId: null } } });
  const ready: PromptReplay[] = [];
  for (const replay of created) {
    const sent = await turn.sendActivity(cardMessage(replayCardFor(replay)));
    ready.push(sent?.id ? await setReplayNotify(deps.db, replay.id, { address, activityId: sent.id }) : replay);
  }
  deps.logger.info({ testerId: input.testerId, replays: created.map((r) => r.id), candidate: created[0]?.candidate_version }, 'replays started');
  loop.replays.start(ready);
  return ready;
}

function cardMessage(card: object): Partial<Activity> {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] };
}

/**
 * `/replay [session …] [version]`: the tester's sessions (default: the open or latest one) against a
 * candidate prompt: `suggestion` (the session's last, the default), `suggestion:<id>`, `file:<name>.md`
 * in the prompt's folder, `ref:<commit>` or a git ref such as `HEAD~1` or `main`.
 */
export async function replayCommand({ turn, deps, tester, arg }: CommandContext): Promise<void> {
  const loop = deps.insights;
  if (!loop) {
    await sendText(turn, NOT_SET_UP);
    return;
  }
  const sessionRefs: string[] = [];
  let version: string | null = null;
  for (const token of (arg ?? '').split(/\s+/).filter((t) => t !== '')) {
    if (SESSION_TOKEN.test(token)) sessionRefs.push(token);
    else if (version === null) version = token;
    else {
      await sendText(turn, `Give one version to replay with, not "${version}" and "${token.slice(0, 60)}". For example \`/replay 1a2b3c4d HEAD~1\`, \`/replay suggestion\` or \`/replay file:MASTER_PROMPT.next.md\`. A commit id goes as \`ref:abc1234\`.`);
      return;
    }
  }
  if (sessionRefs.length > MAX_REPLAY_SESSIONS) {
    await sendText(turn, `At most ${MAX_REPLAY_SESSIONS} sessions in one replay from Teams (you named ${sessionRefs.length}); \`npm run tune -- replay\` takes more.`);
    return;
  }
  const sessions = sessionRefs.length === 0 ? [await resolveTesterSession(deps.db, tester.id)] : await Promise.all(sessionRefs.map((r) => resolveTesterSession(deps.db, tester.id, r)));
  const candidate = version === null ? 'last-suggestion' : candidateSpecOf(version, deps.prompt.path);
  await launchReplays(turn, deps, loop, { testerId: tester.id, sessionIds: [...new Set(sessions.map((s) => s.id))], candidate });
}

/** `/export bundle [session] [json]`: a signed link to the session's LLM-ready bundle (Markdown, or JSON). */
export async function exportBundle({ turn, deps, tester, arg }: CommandContext): Promise<void> {
  const loop = deps.insights;
  if (!loop) {
    await sendText(turn, NOT_SET_UP);
    return;
  }
  const words = (arg ?? '').split(/\s+/).slice(1).filter((w) => w !== '');
  const format = words.some((w) => w.toLowerCase() === 'json') ? 'json' : 'markdown';
  const ref = words.find((w) => SESSION_TOKEN.test(w));
  const session = await resolveTesterSession(deps.db, tester.id, ref);
  const link = loop.links.bundle(session.id, format, tester.id);
  deps.logger.info({ testerId: tester.id, sessionId: session.id, format }, 'bundle link issued');
  const fileName = `session-${session.id.slice(0, 8)}-bundle.${format === 'json' ? 'json' : 'md'}`;
  await sendCard(turn, exportCard({ sessionId: session.id, turns: session.total_turns ?? 0, improvements: session.total_improvements ?? 0, url: link.url, expiresAt: link.expiresAt, fileName, kind: 'bundle' }));
}
