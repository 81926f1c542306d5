/**
 * The intent classifier through the real @anthropic-ai/sdk against the loopback fake Messages API, with
 * its calls in the call log of each database kind.
 */
import Anthropic from '@anthropic-ai/sdk';
import { sql } from 'kysely';
import { createIntentClassifier, FALLBACK_CONFIDENCE, GUESS_CONFIDENCE, INTENT_IDS, type IntentClassifier, matchRules, shippedTopicModel } from '../src/intent';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from './helpers/fake-anthropic';

const INTENT_MODEL = 'claude-haiku-5-5';
/** No keyword rule fires on it, so it goes to Claude. */
const UNRULED = 'One of my trainers wants to teach yoga at a rival studio on weekends. Is that allowed?';
/** A weak rule (pay.pay, on "paid") fires; the rest of the message is about bereavement leave, and the topic model says so. */
const MISRULED = "My trainer's dad passed away and she needs the week off for the funeral. How many of those days are paid?";

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => { fake.reset(); });
afterAll(async () => {
  await fake.close();
});

describe.each(testDbKinds)('intent classifier on %s', (kind) => {
  let t: TestDatabase;
  let sessionId: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    sessionId = (await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'aad-intent' }).returning('id').executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    await t.db.deleteFrom('llm_calls').execute();
  });

  function makeClassifier(options: { offline?: boolean; topicModel?: boolean; passageTopics?: (text: string, context?: string) => Promise<ReadonlyMap<string, number>> } = {}): { classifier: IntentClassifier; logs: LogLine[] } {
    const logs: LogLine[] = [];
    const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    const client = options.offline ? null : new Anthropic({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const callLog = createCallLog({ db: t.db, logger, pricing: loadPricing({ logger }) });
    const topicModel = options.topicModel ? shippedTopicModel() : null;
    return { classifier: createIntentClassifier({ client, model: INTENT_MODEL, callLog, logger, maxRetries: 0, topicModel, passageTopics: options.passageTopics }), logs };
  }

  const ctx = () => ({ sessionId, testerId: 'aad-intent' });
  const calls = () => t.db.selectFrom('llm_calls').selectAll().execute();

  test('a rule hit decides without a request or a call-log row', async () => {
    const { classifier } = makeClassifier();
    const prediction = await classifier.classify('Can an employee use PTO in their first week?', ctx());
    expect(prediction).toEqual({ intent: 'leave', confidence: 0.9, source: 'rule', ruleName: 'leave.pto' });
    expect(fake.messageRequests()).toHaveLength(0);
    expect(await calls()).toHaveLength(0);
  });

  test('no rule: one small structured request to the intent model, its answer parsed and logged', async () => {
    fake.enqueue({ text: '{"intent": "conduct", "confidence": 0.82}', usage: { input_tokens: 310, output_tokens: 14, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } });
    const { classifier } = makeClassifier();
    const prediction = await classifier.classify(UNRULED, ctx());
    expect(prediction).toEqual({ intent: 'conduct', confidence: 0.82, source: 'classifier' });

    const requests = fake.messageRequests();
    expect(requests).toHaveLength(1);
    const body = requests[0]!.body!;
    expect(body.model).toBe(INTENT_MODEL);
    expect(body.max_tokens).toBeLessThanOrEqual(100);
    expect(body).not.toHaveProperty('temperature');
    expect(body.stream).toBeFalsy();
    expect(body.output_config).toEqual({
      format: {
        type: 'json_schema',
        schema: expect.objectContaining({ required: ['intent', 'confidence'], properties: expect.objectContaining({ intent: { type: 'string', enum: [...INTENT_IDS] } }) }),
      },
    });
    expect(String(body.system)).toMatch(/Northwind Fitness Clubs/);
    expect(String(body.system)).toMatch(/- accommodation: /);
    expect(lastUserText(body as Parameters<typeof lastUserText>[0])).toContain(UNRULED);

    const [row, ...more] = await calls();
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({
      purpose: 'intent',
      model: INTENT_MODEL,
      status: 'ok',
      input_tokens: 310,
      output_tokens: 14,
      stop_reason: 'end_turn',
      session_id: sessionId,
      tester_id: 'aad-intent',
      turn_id: null,
      metadata: { parse: 'parsed', intent: 'conduct' },
    });
    expect(row?.request_id).toMatch(/^req_fake_/);
    // Shipped haiku price: 310 × 1 + 14 × 5 = 380 micro-dollars.
    expect(row?.cost_usd).toBe('0.000380');
    expect(row?.latency_ms).toEqual(expect.any(Number));
  });

  test('reads JSON in a code fence and clamps a confidence out of range', async () => {
    fake.enqueue({ text: '```json\n{"intent": "Safety", "confidence": 1.7}\n```' });
    const { classifier } = makeClassifier();
    expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'safety', confidence: 1, source: 'classifier' });
  });

  test.each([
    ['invalid JSON', 'I think this is about conduct.', 'invalid_json'],
    ['a wrong shape', '{"topic": "conduct"}', 'invalid_json'],
    ['an unknown intent', '{"intent": "moonlighting", "confidence": 0.95}', 'unknown_intent'],
  ])('%s becomes other at the fallback confidence, and the call is still logged', async (_what, text, parse) => {
    fake.enqueue({ text });
    const { classifier, logs } = makeClassifier();
    expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'other', confidence: FALLBACK_CONFIDENCE, source: 'classifier' });
    expect(fake.messageRequests()).toHaveLength(1);
    const rows = await calls();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ purpose: 'intent', status: 'ok', metadata: { parse, intent: 'other' } });
    expect(logs.some((l) => l.level === 40 && /unusable/.test(l.msg))).toBe(true);
  });

  test('a 500 gives the fallback; the failed call is logged as an error with its request id', async () => {
    fake.enqueue({ status: 500 });
    const { classifier, logs } = makeClassifier();
    expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'other', confidence: FALLBACK_CONFIDENCE, source: 'fallback' });
    expect(fake.messageRequests()).toHaveLength(1);
    const [row, ...more] = await calls();
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({
      purpose: 'intent',
      model: INTENT_MODEL,
      status: 'error',
      input_tokens: 0,
      output_tokens: 0,
      cost_usd: '0.000000',
      session_id: sessionId,
      metadata: { http_status: 500 },
    });
    expect(row?.error).toMatch(/InternalServerError: 500/);
    expect(row?.request_id).toMatch(/^req_fake_/);
    expect(logs.find((l) => l.level === 40 && /fallback/.test(l.msg))).toMatchObject({ status: 500, sessionId });
  });

  test('a broken call-log table does not break classification', async () => {
    fake.enqueue({ text: '{"intent": "conduct", "confidence": 0.8}' });
    const { classifier, logs } = makeClassifier();
    await sql`alter table llm_calls rename to llm_calls_broken`.execute(t.db);
    try {
      expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'conduct', confidence: 0.8, source: 'classifier' });
    } finally {
      await sql`alter table llm_calls_broken rename to llm_calls`.execute(t.db);
    }
    expect(logs.some((l) => l.level === 50 && /could not be logged/.test(l.msg))).toBe(true);
  });

  test('offline: the fallback, with no request and no call-log row', async () => {
    const { classifier } = makeClassifier({ offline: true });
    expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'other', confidence: FALLBACK_CONFIDENCE, source: 'fallback' });
    // Rules still work offline.
    expect((await classifier.classify('How is overtime paid?', ctx())).source).toBe('rule');
    expect(fake.messageRequests()).toHaveLength(0);
    expect(await calls()).toHaveLength(0);
  });

  describe('with the topic model', () => {
    test('a rule the model agrees with decides, named, at its confidence, with no request', async () => {
      const { classifier } = makeClassifier({ topicModel: true });
      expect(await classifier.classify('Can an employee use PTO in their first week?', ctx())).toEqual({ intent: 'leave', confidence: 0.9, source: 'rule', ruleName: 'leave.pto' });
      expect(fake.messageRequests()).toHaveLength(0);
      expect(await calls()).toHaveLength(0);
    });

    test('online, a rule the model overrules goes to Claude, whose answer stands', async () => {
      expect(matchRules(MISRULED)).toMatchObject({ intent: 'pay' });
      fake.enqueue({ text: '{"intent": "leave", "confidence": 0.88}' });
      const { classifier } = makeClassifier({ topicModel: true });
      expect(await classifier.classify(MISRULED, ctx())).toEqual({ intent: 'leave', confidence: 0.88, source: 'classifier' });
      expect(fake.messageRequests()).toHaveLength(1);
      expect(await calls()).toMatchObject([{ purpose: 'intent', status: 'ok' }]);
    });

    test('online, no rule: Claude decides, as without the model', async () => {
      fake.enqueue({ text: '{"intent": "conduct", "confidence": 0.8}' });
      const { classifier } = makeClassifier({ topicModel: true });
      expect(await classifier.classify(UNRULED, ctx())).toEqual({ intent: 'conduct', confidence: 0.8, source: 'classifier' });
      expect(fake.messageRequests()).toHaveLength(1);
    });

    test('offline, the model overrules a misfiring rule, under the review threshold, with no request', async () => {
      const { classifier } = makeClassifier({ offline: true, topicModel: true });
      const prediction = await classifier.classify(MISRULED, ctx());
      expect(prediction).toEqual({ intent: 'leave', confidence: GUESS_CONFIDENCE, source: 'model' });
      // Where the rule and the model agree, the rule's verdict stands offline too.
      expect(await classifier.classify('How is overtime paid?', ctx())).toMatchObject({ intent: 'pay', source: 'rule', ruleName: 'pay.overtime' });
      expect(fake.messageRequests()).toHaveLength(0);
      expect(await calls()).toHaveLength(0);
    });

    test('offline, a message that is not about employee relations is other; an unruled HR message gets the model\'s topic', async () => {
      const { classifier } = makeClassifier({ offline: true, topicModel: true });
      for (const text of ['can you draft a welcome email for our new members', 'the smoothie bar is out of protein powder, who places the order', 'thanks, that helps!']) {
        expect(await classifier.classify(text, ctx())).toEqual({ intent: 'other', confidence: FALLBACK_CONFIDENCE, source: 'fallback' });
      }
      expect(await classifier.classify(UNRULED, ctx())).toMatchObject({ intent: 'conduct', source: 'model' });
    });

    test("the retriever's evidence moves a close call, and is given the clipped message", async () => {
      const seen: string[] = [];
      const evidence = (map: Record<string, number>) => (text: string) => {
        seen.push(text);
        return Promise.resolve(new Map(Object.entries(map)));
      };
      // Words alone: safety, at 0.55 ("floors", "checked"); a passage of the conduct policy at 0.9 outweighs them.
      const text = 'how often should the locker room floors be checked';
      expect(await makeClassifier({ offline: true, topicModel: true }).classifier.classify(text, ctx())).toMatchObject({ intent: 'safety' });
      expect(await makeClassifier({ offline: true, topicModel: true, passageTopics: evidence({ conduct: 0.9 }) }).classifier.classify(text, ctx())).toMatchObject({ intent: 'conduct' });
      expect(seen).toEqual([text]);
      // A follow-up's evidence is searched with the previous message, as ERA's retrieval is.
      const withContext: Array<string | undefined> = [];
      const recording = makeClassifier({ offline: true, topicModel: true, passageTopics: (_t, context) => { withContext.push(context); return Promise.resolve(new Map()); } });
      await recording.classifier.classify('What if they do not answer the phone?', { ...ctx(), previousMessage: "My employee didn't show up" });
      await recording.classifier.classify('How is overtime paid?', ctx());
      expect(withContext).toEqual(["My employee didn't show up", undefined]);
      const huge = `${'My employee keeps showing up late. '.repeat(2000)}\u0000`;
      expect(await makeClassifier({ offline: true, topicModel: true, passageTopics: evidence({}) }).classifier.classify(huge, ctx())).toMatchObject({ intent: 'attendance', source: 'rule' });
      expect(seen[1]?.length).toBe(4000);
    });

    test('retrieval failing (a database gone away) leaves the words to decide, with a warning, never an error', async () => {
      const { classifier, logs } = makeClassifier({ offline: true, topicModel: true, passageTopics: () => Promise.reject(new Error('Connection terminated unexpectedly')) });
      expect(await classifier.classify(MISRULED, ctx())).toEqual({ intent: 'leave', confidence: GUESS_CONFIDENCE, source: 'model' });
      expect(logs.some((l) => l.level === 40 && /topic evidence from retrieval failed/.test(l.msg))).toBe(true);
      expect(logs.some((l) => l.level >= 50)).toBe(false);
    });
  });
});
