/**
 * npm run quality:topics — the topic classifier's report (issue 12): the labelled manager messages of
 * examples/era/quality/topic-messages.json through the classifier's deterministic path, what runs
 * offline and in tests (keyword rules; when none fires, the topic of the policy that best answers the
 * message, from the index retriever over the shipped policies on PGlite; else `other`), with per-topic
 * precision and recall and accuracy, for the tuning part and both held-out parts; then the rules alone
 * (the path before issue 12). --errors lists the tuning part's mistakes. Prints; never asserts.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createIndexRetriever, ingestKnowledge, topicOfBestPassage, topicSimilarities } from '../src/era/retrieval';
import { createIntentClassifier, loadTopicMessages, passageTopic, rulesOnly, shippedSectionTopics, shippedTopicModel, type TopicPredictor, topicReport, topicTable } from '../src/intent';
import { createLogger } from '../src/logger';
import { KNOWLEDGE_DIR } from './shipped-knowledge';
import { withPglite } from './throwaway-db';

const FILE = path.resolve(__dirname, '../examples/era/quality/topic-messages.json');
/** The second, blind final check (split holdout2). */
const FILE_HOLDOUT2 = path.resolve(__dirname, '../examples/era/quality/topic-messages-holdout2.json');
/** The third, blind final check (split holdout3). */
const FILE_HOLDOUT3 = path.resolve(__dirname, '../examples/era/quality/topic-messages-holdout3.json');
/** Round 2: the second tuning set and its blind final check. */
const FILE_TUNE2 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune2.json');
const FILE_HOLDOUT4 = path.resolve(__dirname, '../examples/era/quality/topic-messages-holdout4.json');
/** Round 3: the third tuning set (the topic model's training messages) and its blind final check. */
const FILE_TUNE3 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune3.json');
const FILE_HOLDOUT5 = path.resolve(__dirname, '../examples/era/quality/topic-messages-holdout5.json');
/** Round 4: the fourth tuning set and its blind final check. */
const FILE_TUNE4 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune4.json');
const FILE_HOLDOUT6 = path.resolve(__dirname, '../examples/era/quality/topic-messages-holdout6.json');
const SPLIT_LABELS = { tune: 'tuning part', holdout: 'held-out part (not tuned on; its errors were read in earlier notes)', holdout2: 'second held-out part (written blind on 2026-12-02 before document expansion was tuned)', holdout3: 'third held-out part (written blind on 2026-12-02, half short and half long; the final check of round 1)', tune2: 'second tuning part (written blind on 2026-12-02; tuned on in round 2)', holdout4: 'fourth held-out part (written blind on 2026-12-02 with tune2; the final check of round 2)', tune3: 'third tuning part (written blind on 2026-12-02; the topic model trains on it)', holdout5: 'fifth held-out part (written blind on 2026-12-02; the final check of round 3)', tune4: 'fourth tuning part (written blind on 2026-12-02; the topic model trains on it from round 4)', holdout6: 'sixth held-out part (written blind on 2026-12-02; the final check of round 4)' } as const;

async function report(label: string, predict: TopicPredictor): Promise<void> {
  const messages = [...loadTopicMessages(FILE), ...loadTopicMessages(FILE_HOLDOUT2), ...loadTopicMessages(FILE_HOLDOUT3), ...loadTopicMessages(FILE_TUNE2), ...loadTopicMessages(FILE_HOLDOUT4), ...loadTopicMessages(FILE_TUNE3), ...loadTopicMessages(FILE_HOLDOUT5), ...loadTopicMessages(FILE_TUNE4), ...(existsSync(FILE_HOLDOUT6) ? loadTopicMessages(FILE_HOLDOUT6) : [])];
  for (const split of ['tune', 'tune2', 'tune3', 'tune4', 'holdout', 'holdout2', 'holdout3', 'holdout4', 'holdout5', 'holdout6'] as const) {
    if (!messages.some((m) => m.split === split)) continue;
    const r = await topicReport(messages.filter((m) => m.split === split), predict);
    console.log(`\n### Topics, ${label}: ${SPLIT_LABELS[split]}\n\n${topicTable(r)}`);
    if (split.startsWith('tune') && process.argv.includes('--errors')) for (const e of r.errors) console.log(`- ${e.id} "${e.message}": ${e.topic}, predicted ${e.predicted}`);
  }
}

async function main(): Promise<void> {
  await withPglite(async ({ db }) => {
    await ingestKnowledge(db, KNOWLEDGE_DIR);
    const retriever = createIndexRetriever(db, { topK: 5, minSimilarity: 0 });
    const offline = { client: null, model: 'offline', callLog: { record: () => Promise.resolve() }, logger: createLogger('silent') };
    const classifier = createIntentClassifier({ ...offline, topicModel: shippedTopicModel(), passageTopics: (text) => topicSimilarities(retriever, text, (p) => passageTopic(shippedSectionTopics(), p)) });
    await report('offline classifier (the topic model over words and rule hits, with the retriever\'s view)', async (text) => (await classifier.classify(text, { sessionId: null, testerId: null })).intent);
    if (process.argv.includes('--round2')) {
      // The path before round 3: rules first, then the best passage's policy.
      const before = createIntentClassifier({ ...offline, guessTopic: (text) => topicOfBestPassage(retriever, text) });
      await report('round 2 path (rules, then the best passage\'s policy)', async (text) => (await before.classify(text, { sessionId: null, testerId: null })).intent);
    }
  });
  if (process.argv.includes('--rules-only')) await report('rules alone', rulesOnly);
}

main().catch((err: unknown) => {
  console.error(`topic report failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
