/**
 * The tuning loop end to end below Teams, on both databases with the loopback Claude: a tester chats with
 * the real bot (TestAdapter) and leaves notes through its cards; the turns get their metrics and are
 * judged in the background queue (as the turn service will do after sending each reply); /suggest's
 * service proposes an edit; the suggestion card's "Replay with this suggestion" data starts a replay whose
 * progress card updates; the comparison card shows the old and new answers and the empathy gained.
 */
import type { Activity } from 'botbuilder';
import { comparisonCard, replayProgressCard, suggestionCard } from '../src/cards';
import {
  compareReplays, createJudgeQueue, createReplays, loadSessionData, recordTurnMetrics, resolveCandidate, runReplay, suggestForSession, suggestionView,
} from '../src/insights';
import { actionData, cardOf, cardTexts, createHarness, executeValue, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { ACKNOWLEDGE_RULE, ACKNOWLEDGEMENT, eraReply } from './helpers/fake-insights';
import { world } from './helpers/insights-world';

// Alone it takes a few seconds; on a loaded shared machine (load average 10 on 2 cores) one run passed 60 s.
const SLOW = 240_000;

describe.each(testDbKinds)('chat → notes → suggest → replay with the suggestion → comparison (%s)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true, knowledge: true });
    h.fake?.reply((body) => eraReply(body));
  }, SLOW);
  afterAll(async () => {
    await h.close();
  });

  it('closes the loop', async () => {
    const fake = h.fake!;
    const w = world(h.t, fake);
    fake.reply((body) => eraReply(body));
    const questions = [
      'One of my trainers did not show up for her 6am shift and did not call. Second time this month.',
      'Should I give her a written warning?',
      'What should the warning say?',
    ];
    const cards: Array<Partial<Activity> | undefined> = [];
    for (const q of questions) {
      const sent = await h.say(q);
      const reply = sent.filter((a) => cardOf(a)).at(-1);
      cards.push(reply);
    }
    const note = async (i: number, verb: string, extra: Record<string, unknown>) => {
      const reply = cards[i]!;
      const data = { ...actionData(cardOf(reply), verb), ...extra };
      const { response } = await h.invoke('adaptiveCard/action', executeValue(verb, data), { replyToId: reply.id });
      expect(response?.status).toBe(200);
    };
    await note(0, 'tb.note.save', { category: 'tone', note: 'Too matter-of-fact: acknowledge how stressful this is first' });
    await note(1, 'tb.note.good', {});
    await note(2, 'tb.note.save', { category: 'tone', note: 'Sounds robotic' });

    // What the turn service will do for each stored turn: metrics at store time, the judge after the reply.
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().where('tester_id', '=', 'aad-meg-0001').executeTakeFirstOrThrow();
    const turns = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', session.id).orderBy('turn_number').execute();
    expect(turns).toHaveLength(3);
    const queue = createJudgeQueue({ judge: w.judge, logger: w.logger, concurrency: 2 });
    for (const turn of turns) {
      await recordTurnMetrics(h.t.db, turn);
      queue.enqueue({ turnId: turn.id, sessionId: session.id });
    }
    await queue.drain();
    const scored = await loadSessionData(h.t.db, session.id);
    expect(scored.turns.map((t) => [t.turn.has_policy_citation, t.turn.empathy_score])).toEqual([[true, 3], [true, 3], [true, 3]]);

    const suggestion = await suggestForSession(w.suggest(h.config.promptPath), session.id, { requestedBy: 'aad-meg-0001' });
    expect(suggestion.status).toBe('ready');
    const card = suggestionCard({ ...(await suggestionView(h.t.db, suggestion.id)), patchUrl: 'https://bot.test/exports/patch/x' });
    expect(cardTexts(card)).toContain(`**Edit 1** answers N1 (tone), N3 (tone): ${suggestion.edits.items[0]!.rationale}`);

    // The button's data is all a handler needs to start the replay.
    const { suggestionId, sessionId } = actionData(card, 'tb.insights.replay') as { suggestionId: string; sessionId: string };
    const candidate = await resolveCandidate(h.t.db, h.config.promptPath, { kind: 'suggestion', id: suggestionId });
    expect(candidate.text).toContain(ACKNOWLEDGE_RULE);
    const [replay] = await createReplays(h.t.db, { sourceSessionIds: [sessionId], candidate, requestedBy: 'aad-meg-0001' });
    const progressCards: string[][] = [];
    const result = await runReplay(w.replay, replay!.id, {
      onProgress: (p) => progressCards.push(cardTexts(replayProgressCard({ ...p, sourceSessionId: sessionId, candidateKind: 'suggestion', candidateRef: suggestionId, candidateVersion: candidate.version, mode: 'direct' }))),
    });
    expect(result.outcome).toBe('completed');
    expect(progressCards.some((texts) => texts.includes('Turns replayed: 2 / 3'))).toBe(true);

    const comparison = await compareReplays(h.t.db, [replay!.id]);
    const view = comparisonCard({ ...comparison, judgeOffline: false });
    const texts = cardTexts(view);
    expect(comparison.metrics.find((m) => m.metric === 'empathy_score')).toMatchObject({ a: 3, b: 4, delta: 1, aTurns: 3, bTurns: 3 });
    expect(texts).toEqual(expect.arrayContaining(['Empathy (1-5)', '3.00', '4.00', '+1.00', '3 / 3']));
    expect(texts.filter((x) => x.startsWith(ACKNOWLEDGEMENT))).toHaveLength(3);
    // The tester's chat goes on in their own open session, untouched by the replay.
    const sent = await h.say('Thanks!');
    expect(sent.some((a) => cardOf(a))).toBe(true);
    const open = await h.t.db.selectFrom('prompt_tuning_sessions').select(['id']).where('tester_id', '=', 'aad-meg-0001').where('session_end', 'is', null).execute();
    expect(open.map((o) => o.id)).toEqual([session.id]);
  }, SLOW);
});
