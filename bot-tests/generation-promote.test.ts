/**
 * `/promote`: a tuning session becomes a training conversation, with the real SDK against the loopback
 * fake Messages API for the rewrites, on each database kind.
 */
import Anthropic from '@anthropic-ai/sdk';
import { SessionNotFoundError } from '../src/tuning';
import { promoteSession, PromoteError, type PromoteDeps } from '../src/generation';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, lastUserText, startFakeAnthropic } from './helpers/fake-anthropic';

const MODEL = 'claude-opus-5-5';
const TESTER = '00000000-0000-4000-8000-00000000aaaa';
const OTHER = '00000000-0000-4000-8000-00000000bbbb';
const TURNS = [
  { q: 'Can I give a verbal warning by chat?', a: 'Yes. Verbal warnings can be given in any medium.' },
  { q: 'Do I need to document it?', a: 'Documentation is optional. Keep a note if you like.' },
  { q: 'Who do I tell?', a: 'Tell HR. They will log it.' },
];

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => { fake.reset(); });

describe.each(testDbKinds)('promoteSession on %s', (kind) => {
  let t: TestDatabase;
  let deps: PromoteDeps;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const logger = createLogger('silent');
    const client = new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
    deps = { db: t.db, client, model: MODEL, callLog: createCallLog({ db: t.db, logger, pricing: loadPricing() }), logger };
  });
  afterAll(async () => {
    await t.dispose();
  });

  /** A closed session (one open session per tester) of TESTER with the three turns; notes on turns 1 and 3 (and a "looks good" on turn 2). */
  async function seedSession(turns = TURNS): Promise<{ sessionId: string; turnIds: string[] }> {
    const s = await t.db.insertInto('prompt_tuning_sessions')
      .values({ tester_id: TESTER, tester_name: 'Tess Tester', session_end: new Date(), master_prompt_version: 'abc1234', metadata: { prompt_path: 'MASTER_PROMPT.md' } })
      .returning('id').executeTakeFirstOrThrow();
    const turnIds: string[] = [];
    for (const [i, turn] of turns.entries()) {
      const row = await t.db.insertInto('tuning_conversation_turns')
        .values({ session_id: s.id, turn_number: i + 1, user_message: turn.q, era_response: turn.a }).returning('id').executeTakeFirstOrThrow();
      turnIds.push(row.id);
    }
    if (turnIds.length === 3) {
      await t.db.insertInto('tuning_improvements').values([
        { turn_id: turnIds[0]!, improvement_note: 'Say that a written follow-up is required by policy.', category: 'content' },
        { turn_id: turnIds[1]!, improvement_note: 'Good response, no changes needed', category: null },
        { turn_id: turnIds[1]!, improvement_note: 'Thumbs up', category: null, metadata: { source: 'feedback_loop', reaction: 'like' } },
        { turn_id: turnIds[2]!, improvement_note: 'Too curt; explain why HR needs it.', category: null },
      ]).execute();
    }
    return { sessionId: s.id, turnIds };
  }

  const trainingTurns = (uuid: string) =>
    t.db.selectFrom('training_turns').selectAll().where('conversation_id', '=', uuid).orderBy('turn_number').execute();

  it('promotes a session: the noted turns are rewritten by Claude and carry their notes', async () => {
    const { sessionId } = await seedSession();
    const rewrites: string[] = [];
    fake.reply((body) => {
      const text = `Rewritten reply ${rewrites.length + 1}. It follows the notes: ${lastUserText(body).includes('<notes>') ? 'yes' : 'no'}.`;
      rewrites.push(text);
      return text;
    });
    const result = await promoteSession(deps, sessionId, { promotedBy: TESTER });
    expect(result).toMatchObject({ turns: 3, rewritten: 2, flaggedForReview: false });
    expect(result.conversationKey).toBe(`tuning_${sessionId.slice(0, 8)}`);
    expect(result.conversationNumber).toBe(1);

    expect(fake.messageRequests()).toHaveLength(2);
    const prompts = fake.messageRequests().map((r) => JSON.stringify(r.body?.messages));
    expect(prompts[0]).toContain(TURNS[0]!.q);
    expect(prompts[0]).toContain(TURNS[0]!.a);
    expect(prompts[0]).toContain('[content] Say that a written follow-up is required by policy.');
    expect(prompts[1]).toContain('Too curt; explain why HR needs it.');
    expect(rewrites).toEqual(['Rewritten reply 1. It follows the notes: yes.', 'Rewritten reply 2. It follows the notes: yes.']);

    const conv = await t.db.selectFrom('training_conversations').selectAll().where('id', '=', result.conversationUuid).executeTakeFirstOrThrow();
    expect(conv).toMatchObject({
      conversation_id: result.conversationKey, generation_status: 'generated', generation_method: 'promoted_from_tuning',
      tier: 'tier2_scenario', turn_count: 3, is_seed_example: false, quality_score: null, created_by: TESTER,
    });
    const turns = await trainingTurns(conv.id);
    expect(turns.map((x) => x.target_response)).toEqual([rewrites[0], TURNS[1]!.a, rewrites[1]]);
    expect(turns.map((x) => x.user_input)).toEqual(TURNS.map((x) => x.q));
    expect(turns[0]!.key_learning_objective).toContain('[content] Say that a written follow-up is required by policy.');
    expect(turns[0]!.key_learning_objective).toContain(TURNS[0]!.a);
    expect(turns[2]!.key_learning_objective).toContain('Too curt; explain why HR needs it.');
    expect(turns[1]!.key_learning_objective).not.toContain('Tester notes');
    expect(turns[0]!.system_prompt).toContain('abc1234');
    expect(turns[2]!.conversation_history).toHaveLength(4);

    const sentences = await t.db.selectFrom('response_breakdowns').selectAll().where('turn_id', '=', turns[1]!.id).orderBy('sentence_number').execute();
    expect(sentences.map((s) => s.sentence_text)).toEqual(['Documentation is optional.', 'Keep a note if you like.']);
    expect(sentences[0]!.function).toBe('[to be annotated]');
    for (const table of ['emotional_context', 'response_strategies'] as const) {
      const n = await t.db.selectFrom(table).select('id').where('turn_id', 'in', turns.map((x) => x.id)).execute();
      expect(n).toHaveLength(3);
    }
    const q = await t.db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', conv.id).executeTakeFirstOrThrow();
    expect(q).toMatchObject({ ready_for_training: false, needs_review: true, total_turns: 3 });

    const calls = await t.db.selectFrom('llm_calls').selectAll().where('purpose', '=', 'rewrite').where('session_id', '=', sessionId).execute();
    expect(calls).toHaveLength(2);
    expect(calls.every((c) => c.status === 'ok')).toBe(true);
  });

  it('offline: keeps ERA\'s replies and flags the conversation for review', async () => {
    const { sessionId } = await seedSession();
    const result = await promoteSession({ ...deps, client: null }, sessionId, { promotedBy: TESTER });
    expect(result).toMatchObject({ turns: 3, rewritten: 0, flaggedForReview: true });
    expect(result.conversationNumber).toBe(2);
    expect(fake.messageRequests()).toHaveLength(0);
    const turns = await trainingTurns(result.conversationUuid);
    expect(turns.map((x) => x.target_response)).toEqual(TURNS.map((x) => x.a));
    expect(turns[0]!.key_learning_objective).toContain('NOT applied');
    const conv = await t.db.selectFrom('training_conversations').selectAll().where('id', '=', result.conversationUuid).executeTakeFirstOrThrow();
    expect(conv.reviewer_notes).toContain('Needs review: Claude was offline');
    const q = await t.db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', result.conversationUuid).executeTakeFirstOrThrow();
    expect(q).toMatchObject({ needs_review: true, ready_for_training: false });
    expect(q.reviewer_notes).toContain('Claude was offline');
  });

  it('another tester gets not found, an admin may promote', async () => {
    const { sessionId } = await seedSession();
    const before = await t.db.selectFrom('training_conversations').select('id').execute();
    await expect(promoteSession(deps, sessionId, { promotedBy: OTHER })).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(await t.db.selectFrom('training_conversations').select('id').execute()).toHaveLength(before.length);
    expect(fake.messageRequests()).toHaveLength(0);
    const result = await promoteSession({ ...deps, client: null }, sessionId, { promotedBy: OTHER, isAdmin: true });
    expect(result.turns).toBe(3);
  });

  it('an empty session is refused, and so is a full dataset', async () => {
    const { sessionId } = await seedSession([]);
    const err = await promoteSession(deps, sessionId, { promotedBy: TESTER }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(PromoteError);
    expect((err as PromoteError).kind).toBe('empty_session');

    const used = new Set((await t.db.selectFrom('training_conversations').select('conversation_number').execute()).map((r) => r.conversation_number));
    const fill = Array.from({ length: 100 }, (_, i) => i + 1).filter((n) => !used.has(n)).map((n) => ({
      conversation_id: `fill_${n}`, conversation_number: n, persona_type: 'x', persona_name: 'x', topic_category: 'x', tier: 'tier1_template' as const, turn_count: 1,
    }));
    await t.db.insertInto('training_conversations').values(fill).execute();
    const full = await seedSession();
    const count = (await t.db.selectFrom('training_conversations').select('id').execute()).length;
    const err2 = await promoteSession({ ...deps, client: null }, full.sessionId, { promotedBy: TESTER }).then(() => null, (e: unknown) => e);
    expect(err2).toBeInstanceOf(PromoteError);
    expect((err2 as PromoteError).kind).toBe('no_free_number');
    expect((err2 as PromoteError).userMessage).toContain('no free conversation number');
    expect((await t.db.selectFrom('training_conversations').select('id').execute()).length).toBe(count);
  });
});
