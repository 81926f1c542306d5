/**
 * Topic quality (issue 12): the labelled manager messages of examples/era/quality/topic-messages.json
 * through the classifier's deterministic path — what runs offline and in tests: the keyword rules, then
 * the topic of the policy whose passage best answers the message (the index retriever over the shipped
 * policies), then `other` — on every database. Per-topic precision and recall are printed.
 *
 * The tuning part and the part held out by hash are held to the 90 % accuracy. The sets written
 * blind on 2026-12-02 (topic-messages-{holdout2,holdout3,tune2,holdout4}.json) do NOT reach it (README,
 * "Every model call, every message's topic"); each is held to what was reached, so a change that loses
 * ground on messages nobody tuned on fails here. Raise the floors as the topic guess improves; never
 * lower them to pass.
 */
import path from 'node:path';
import { createIndexRetriever, ingestKnowledge, splitOf, topicOfBestPassage } from '../src/era/retrieval';
import { createIntentClassifier, INTENT_IDS, type IntentClassifier, loadTopicMessages, topicReport, topicTable } from '../src/intent';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
const QUALITY_DIR = path.resolve(__dirname, '../examples/era/quality');
const MESSAGES = loadTopicMessages(path.join(QUALITY_DIR, 'topic-messages.json'));
const BLIND = ['holdout2', 'holdout3', 'tune2', 'holdout4'] as const;
const ALL = [...MESSAGES, ...BLIND.flatMap((part) => loadTopicMessages(path.join(QUALITY_DIR, `topic-messages-${part}.json`)))];
/** The 90 % for the tuning part and the part held out by hash (both reach it); what was reached on 2026-12-02 for the blind sets. */
const FLOORS = { tune: 0.9, holdout: 0.9, holdout2: 0.65, holdout3: 0.75, tune2: 0.75, holdout4: 0.75 } as const;

describe('the topic message set', () => {
  it('has at least 100 messages over every topic, each in the part its hash gives it', () => {
    expect(MESSAGES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(MESSAGES.map((m) => m.topic))).toEqual(new Set(INTENT_IDS));
    for (const m of MESSAGES) expect({ id: m.id, split: m.split }).toEqual({ id: m.id, split: splitOf(m.message) });
  });

  it.each(BLIND)('has the blind set %s, at least 50 messages over every topic, all in its own part', (part) => {
    const set = ALL.filter((m) => m.split === part);
    expect(set.length).toBeGreaterThanOrEqual(50);
    expect(new Set(set.map((m) => m.topic))).toEqual(new Set(INTENT_IDS));
    expect(new Set(ALL.map((m) => m.id)).size).toBe(ALL.length);
  });
});

describe.each(testDbKinds)('topic quality of the offline classifier on %s', (kind) => {
  let t: TestDatabase;
  let classifier: IntentClassifier;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR);
    const retriever = createIndexRetriever(t.db, { topK: 5, minSimilarity: 0 });
    classifier = createIntentClassifier({
      client: null,
      model: 'offline',
      callLog: { record: () => Promise.reject(new Error('offline classification must not call Claude')) },
      logger: createLogger('silent'),
      guessTopic: (text) => topicOfBestPassage(retriever, text),
    });
  });
  afterAll(async () => {
    await t.dispose();
  });
  const predict = async (text: string) => (await classifier.classify(text, { sessionId: null, testerId: null })).intent;

  it.each(['tune', 'holdout', ...BLIND] as const)('the %s part stays at or above its accuracy floor', async (split) => {
    const report = await topicReport(ALL.filter((m) => m.split === split), predict);
    console.log(`topics on ${kind}, ${split} part:\n${topicTable(report)}`);
    expect(report.correct / report.messages).toBeGreaterThanOrEqual(FLOORS[split]);
  });

  it("labels the issue's example Harassment, and small talk other, whatever the policies say", async () => {
    expect(await predict('A coworker keeps making comments about her body')).toBe('harassment');
    expect(await predict('thanks, that helps!')).toBe('other');
    // No rule fires here: the topic is the best passage's policy (workplace safety, 6.1 Wet areas).
    const guessed = await classifier.classify('how often should the locker room floors be checked', { sessionId: null, testerId: null });
    expect(guessed).toMatchObject({ intent: 'safety', source: 'fallback', confidence: 0.5 });
  });
});
