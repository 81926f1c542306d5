/**
 * Every call site stores its call's I/O: for each purpose a call through the real SDK and the loopback
 * fake leaves an llm_calls row whose stored request rebuilds exactly the body the fake received, and
 * whose output is what the fake answered (streamed, stopped and failed calls included).
 */
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { Activity, TurnContext } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database, LlmCallPurpose } from '../db';
import { createJob, generateConversation, importPlan, promoteSession, runJob } from '../src/generation';
import { createCallLog, loadPricing, rebuildRequestBody } from '../src/llm';
import { readCallIo } from '../src/llm/call-io-store';
import { capturingLogger } from './helpers/capturing-logger';
import { createHarness, type Harness, MEG } from './helpers/bot-harness';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, type RecordedRequest, startFakeAnthropic } from './helpers/fake-anthropic';
import { generationReply } from './helpers/generated-answer';

/** The calls of a purpose, oldest first, with their stored I/O. */
async function callsOf(db: Kysely<Database>, purpose: LlmCallPurpose) {
  const rows = await db.selectFrom('llm_calls').select(['id', 'status', 'model']).where('purpose', '=', purpose).orderBy('created_at').orderBy('id').execute();
  return Promise.all(rows.map(async (r) => ({ ...r, io: await readCallIo(db, r.id) })));
}

/** The stored request rebuilds the body the fake received, field for field. */
function expectSameBody(io: Awaited<ReturnType<typeof readCallIo>>, received: RecordedRequest | undefined): void {
  expect(received?.body).toBeTruthy();
  expect(io).not.toBeNull();
  if (!io || !received?.body) return;
  expect(rebuildRequestBody(io.request)).toEqual(received.body);
}

const streamType = (a: Partial<Activity>) => (a.entities as Array<{ streamType?: string }> | undefined)?.find((e) => e.streamType)?.streamType;

describe.each(testDbKinds)('answer and intent calls through the bot on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    // The judge (after each reply) and the intent classifier default to the same model; this suite tells
    // their requests apart by model, so the judge gets another one.
    h = await createHarness(kind, { claude: true, knowledge: true, env: { STREAM_UPDATE_INTERVAL_MS: '1000', JUDGE_MODEL: 'claude-haiku-4-5' } });
  });
  afterAll(async () => {
    await h.close();
  });
  const fake = (): FakeAnthropic => {
    if (!h.fake) throw new Error('the harness has no fake');
    return h.fake;
  };
  const requestsFor = (model: string) => fake().messageRequests().filter((r) => (r.body as { model?: string } | null)?.model === model);

  test('a streamed answer: the request as sent (stream, cached system block, passages) and the whole text', async () => {
    fake().reset();
    const answer = 'Document each no-call/no-show [1]. Then follow the attendance steps [1].';
    fake().enqueue({ text: answer, chunks: answer.match(/.{1,15}/g) ?? [answer] });
    await h.say('An employee was a no-call no-show twice this month, what now?');
    const [call] = (await callsOf(h.t.db, 'answer')).slice(-1);
    const sent = requestsFor(h.config.anthropic.model).at(-1);
    expect((sent?.body as { stream?: boolean }).stream).toBe(true);
    expectSameBody(call?.io ?? null, sent);
    expect(call?.io?.output).toEqual({ text: answer });
    expect(call?.io?.request.system).toContain('ERA');
  });

  test('an answer in a group chat (not streamed) and the intent call beside it', async () => {
    fake().reset();
    fake().reply((body) => (body.model === h.config.intentModel ? '{"intent":"other","confidence":0.4}' : 'ERA says: record each late arrival [1].'));
    // A question the policies answer: one no passage matches gets the canned answer and no answer call.
    await h.say('An employee keeps arriving late to their shifts, what does the attendance policy say?', { conversation: { id: '19:group', conversationType: 'groupChat', isGroup: true } });
    const answers = await callsOf(h.t.db, 'answer');
    const last = answers.at(-1);
    const sent = requestsFor(h.config.anthropic.model).at(-1);
    expect((sent?.body as { stream?: boolean }).stream).toBeUndefined();
    expectSameBody(last?.io ?? null, sent);
    expect(last?.io?.output).toEqual({ text: 'ERA says: record each late arrival [1].' });

    // A message no topic rule catches goes to the classifier (and, matching no passage, gets the canned answer).
    await h.say('Hello, a quick one about something unusual: the vending machine', { conversation: { id: '19:group', conversationType: 'groupChat', isGroup: true } });
    const intents = await callsOf(h.t.db, 'intent');
    const intentSent = requestsFor(h.config.intentModel).at(-1);
    expect(intentSent).toBeDefined();
    expectSameBody(intents.at(-1)?.io ?? null, intentSent);
    expect(intents.at(-1)?.io?.output).toEqual({ text: '{"intent":"other","confidence":0.4}', structured: { intent: 'other', confidence: 0.4 } });
  });

  test('a stream the tester stopped keeps the request and the text that arrived', async () => {
    fake().reset();
    const answer = 'Step one is to stay calm. Step two is to document everything. Step three is to call ER right away.';
    fake().enqueue({ text: answer, chunks: answer.match(/.{1,10}/g) ?? [answer], chunkDelayMs: 250 });
    const original = h.adapter.sendActivities.bind(h.adapter);
    h.adapter.sendActivities = async (context: TurnContext, activities: Partial<Activity>[]) => {
      if (activities.some((a) => streamType(a) === 'streaming')) throw Object.assign(new Error('ContentStreamNotAllowed'), { statusCode: 403 });
      return original(context, activities);
    };
    try {
      await h.say('A trainer harassed a coworker at the front desk, what do I do?');
    } finally {
      h.adapter.sendActivities = original;
    }
    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('turn_number', 'desc').executeTakeFirstOrThrow();
    expect(turn.metadata).toMatchObject({ cancelled: true });
    const call = (await callsOf(h.t.db, 'answer')).at(-1);
    expectSameBody(call?.io ?? null, requestsFor(h.config.anthropic.model).at(-1));
    const arrived = call?.io?.output?.text ?? '';
    expect(arrived.length).toBeGreaterThan(0);
    expect(arrived.length).toBeLessThan(answer.length);
    expect(answer.startsWith(arrived)).toBe(true);
  });

  test('a failed answer keeps the request that failed, with no output', async () => {
    fake().reset();
    fake().enqueue({ status: 500 }, { status: 500 });
    await h.say('She was a no-call/no-show today and never called.', { user: MEG });
    const call = (await callsOf(h.t.db, 'answer')).at(-1);
    expect(call?.status).toBe('error');
    expectSameBody(call?.io ?? null, requestsFor(h.config.anthropic.model).at(-1));
    expect(call?.io?.output).toBeNull();
  });
});

describe.each(testDbKinds)('rewrite and generation calls on %s', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  const MODEL = 'claude-opus-5-5';
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fake = await startFakeAnthropic();
    await importPlan(t.db, path.resolve(__dirname, '../examples/financial-planning/plan.json'));
  });
  afterAll(async () => {
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => { fake.reset(); });
  const callLog = () => createCallLog({ db: t.db, logger: capturingLogger().logger, pricing: loadPricing() });
  const client = () => new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
  const conversation = async (n: number) =>
    t.db.selectFrom('training_conversations').select('id').where('conversation_number', '=', n).executeTakeFirstOrThrow();

  test('a /promote rewrite: the prompt with the notes, and the rewritten reply', async () => {
    const tester = '00000000-0000-4000-8000-00000000aaaa';
    // The imported plan takes all 100 conversation numbers; a promotion needs one free.
    await t.db.deleteFrom('training_conversations').where('conversation_number', '=', 100).execute();
    const session = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester, tester_name: 'Meg' }).returning('id').executeTakeFirstOrThrow();
    const turn = await t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: session.id, turn_number: 1, user_message: 'Do I document a verbal warning?', era_response: 'Optional.' }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('tuning_improvements').values({ turn_id: turn.id, improvement_note: 'Say it is required.', category: 'content' }).execute();
    fake.reply(() => 'Yes: policy requires a written record of every verbal warning.');
    await promoteSession({ db: t.db, client: client(), model: MODEL, callLog: callLog(), logger: capturingLogger().logger }, session.id, { promotedBy: tester });
    const [call] = await callsOf(t.db, 'rewrite');
    expectSameBody(call?.io ?? null, fake.messageRequests()[0]);
    expect(call?.io?.output).toEqual({ text: 'Yes: policy requires a written record of every verbal warning.' });
  });

  test('direct generation: an invalid first answer and the retry each keep their own request', async () => {
    const { id } = await conversation(11);
    let round = 0;
    fake.reply((body) => (round++ === 0 ? { text: '{"training_pairs": []}' } : (generationReply(body) ?? 'unexpected')));
    await generateConversation({ db: t.db, client: client(), model: MODEL, callLog: callLog(), logger: capturingLogger().logger }, id);
    const calls = (await callsOf(t.db, 'generation')).filter((c) => c.io !== null);
    const sent = fake.messageRequests();
    expect(sent).toHaveLength(2);
    expect(calls).toHaveLength(2);
    expectSameBody(calls[0]?.io ?? null, sent[0]);
    expectSameBody(calls[1]?.io ?? null, sent[1]);
    // The retry carried the rejected answer and its errors; the first record does not.
    expect(calls[0]?.io?.request.messages).toHaveLength(1);
    expect(calls[1]?.io?.request.messages).toHaveLength(3);
    expect(calls[0]?.io?.output).toEqual({ text: '{"training_pairs": []}', structured: { training_pairs: [] } });
    const second = calls[1]?.io?.output;
    expect(second?.structured).toEqual(JSON.parse(second?.text ?? 'null'));
  });

  test('batch generation: each result is stored with the request its custom_id was sent as', async () => {
    await t.db.deleteFrom('llm_calls').execute();
    fake.reply((body) => generationReply(body) ?? 'not a generation request');
    const ids = await Promise.all([12, 13].map(async (n) => (await conversation(n)).id));
    const job = await createJob(t.db, { type: 'batch', conversationIds: ids, createdBy: '00000000-0000-4000-8000-000000000002', options: { mode: 'batch' } });
    const logger = capturingLogger().logger;
    await runJob({
      db: t.db, workerId: 'w', logger, now: Date.now, sleep: async () => undefined,
      generate: async () => { throw new Error('no direct calls in batch mode'); },
      batch: { client: client(), model: MODEL, callLog: callLog(), pricing: loadPricing(), pollMs: 1 },
    }, job.id);
    const created = fake.batchCreateRequests()[0]?.body as { requests: Array<{ custom_id: string; params: Record<string, unknown> }> } | undefined;
    expect(created?.requests).toHaveLength(2);
    const rows = await t.db.selectFrom('llm_calls').select(['id', 'metadata']).where('purpose', '=', 'generation').execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cid = (row.metadata as { custom_id?: string } | null)?.custom_id;
      const params = created?.requests.find((r) => r.custom_id === cid)?.params;
      const io = await readCallIo(t.db, row.id);
      expect(io && rebuildRequestBody(io.request)).toEqual(params);
      expect(io?.output?.structured).toEqual(JSON.parse(io?.output?.text ?? 'null'));
    }
  });
});
