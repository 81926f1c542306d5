/**
 * Topic quality (issue 12): the labelled manager messages of examples/era/quality through the
 * classifier's deterministic path — what runs offline and in tests: the committed topic model over the
 * words and the keyword rules' hits, with the index retriever's per-topic similarities over the shipped
 * policies, wired as app.ts wires it — on every database. Per-topic precision and recall are printed.
 *
 * The part held out by hash and the final check (holdout6) are held to the issue's 90 % accuracy. The
 * model trains on the tuning parts (tune, tune2, tune3, tune4): their floors only guard against a
 * broken model. The other blind checks (holdout2..holdout5, never trained on) are each held to what
 * was reached on 2026-12-02 (README, "Every model call, every message's topic"). Raise the floors as
 * the model improves; never lower them to pass.
 */
import path from 'node:path';
import { createIndexRetriever, ingestKnowledge, splitOf, topicSimilarities } from '../src/era/retrieval';
import { createIntentClassifier, INTENT_IDS, type IntentClassifier, loadTopicMessages, passageTopic, shippedSectionTopics, shippedTopicModel, topicReport, topicTable } from '../src/intent';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
const QUALITY_DIR = path.resolve(__dirname, '../examples/era/quality');
const MESSAGES = loadTopicMessages(path.join(QUALITY_DIR, 'topic-messages.json'));
const BLIND = ['holdout2', 'holdout3', 'tune2', 'holdout4', 'tune3', 'holdout5', 'tune4', 'holdout6'] as const;
const ALL = [...MESSAGES, ...BLIND.flatMap((part) => loadTopicMessages(path.join(QUALITY_DIR, `topic-messages-${part}.json`)))];
/**
 * The 90 % for the part held out by hash (reached: 48 of 52) and the final check, holdout6
 * (101 of 110); for the other blind checks what was reached (holdout2 51 of 60, holdout3 54 of 60,
 * holdout4 58 of 60, holdout5 73 of 77); for the parts trained on, 95 %.
 */
const FLOORS = { tune: 0.95, tune2: 0.95, tune3: 0.95, tune4: 0.95, holdout: 0.9, holdout2: 0.85, holdout3: 0.9, holdout4: 0.95, holdout5: 0.94, holdout6: 0.9 } as const;

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
      topicModel: shippedTopicModel(),
      passageTopics: (text) => topicSimilarities(retriever, text, (p) => passageTopic(shippedSectionTopics(), p)),
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
    expect(await classifier.classify('A coworker keeps making comments about her body', { sessionId: null, testerId: null })).toMatchObject({ intent: 'harassment', source: 'rule', ruleName: 'harassment.body_comments' });
    expect(await predict('thanks, that helps!')).toBe('other');
    // No rule fires here: the model's words (floors, checked) and the best passage (workplace safety, 6.1 Wet areas) agree.
    const guessed = await classifier.classify('how often should the locker room floors be checked', { sessionId: null, testerId: null });
    expect(guessed).toMatchObject({ intent: 'safety', source: 'model', confidence: 0.5 });
  });

  it('files a bereavement question that mentions pay under leave, and a supplies order under other', async () => {
    expect(await predict("My trainer's dad passed away and she needs the week off for the funeral. How many of those days are paid?")).toBe('leave');
    expect(await predict('the smoothie bar is out of protein powder, who places the order')).toBe('other');
  });
});
