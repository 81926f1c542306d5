/**
 * Topic-guess experiments for issue 12 on the TUNING part of topic-messages.json only: the offline
 * classifier (rules, then a guess from retrieval) with different guesses, each message as written and
 * with 2 and 4 sentences of generic chat around it. Prints accuracy per guess.
 *
 *   node -r @swc-node/register bench/topic-experiments.ts
 */
import path from 'node:path';
import { createIndexRetriever, ingestKnowledge, isKnowledgeTopic, type Retriever } from '../src/era/retrieval';
import { createIntentClassifier, loadTopicMessages, topicReport } from '../src/intent';
import { createLogger } from '../src/logger';
import { KNOWLEDGE_DIR, TOPICS_TUNE2_FILE, withChat } from './shipped-knowledge';
import { withPglite } from './throwaway-db';

const FILE = path.resolve(__dirname, '../examples/era/quality/topic-messages.json');
type Guess = (retriever: Retriever, text: string) => Promise<string | null>;

const best = (min: number): Guess => async (r, text) => {
  const [p] = await r.retrieve(text, { topK: 1, minSimilarity: min });
  return p && isKnowledgeTopic(p.topic) ? p.topic : null;
};
/** Votes of the top k passages, each its similarity; the winner stands if its sum reaches min. */
const vote = (k: number, min: number): Guess => async (r, text) => {
  const ps = await r.retrieve(text, { topK: k, minSimilarity: 0 });
  const sums = new Map<string, number>();
  for (const p of ps) if (isKnowledgeTopic(p.topic)) sums.set(p.topic, (sums.get(p.topic) ?? 0) + p.similarity);
  const [top] = [...sums].sort((a, b) => b[1] - a[1]);
  return top && top[1] >= min ? top[0] : null;
};

async function main(): Promise<void> {
  const messages = loadTopicMessages(FILE).filter((m) => m.split === 'tune');
  const tune2 = loadTopicMessages(TOPICS_TUNE2_FILE);
  await withPglite(async ({ db }) => {
    await ingestKnowledge(db, KNOWLEDGE_DIR);
    const retriever = createIndexRetriever(db, { topK: 5, minSimilarity: 0 });
    const guesses: [string, Guess][] = [
      ...[0.05, 0.1, 0.15, 0.2, 0.3, 0.4].map((m): [string, Guess] => [`best passage ≥ ${m}`, best(m)]),
      ...[3, 5].flatMap((k) => [0.1, 0.2, 0.3, 0.4, 0.6].map((m): [string, Guess] => [`vote of top ${k}, sum ≥ ${m}`, vote(k, m)])),
    ];
    console.log('| guess | tune as written | tune + 2 chat sentences | tune + 4 | tune2 (written blind) | tune2, no rules |\n|---|---|---|---|---|---|');
    for (const [label, guess] of guesses) {
      const classifier = createIntentClassifier({
        client: null,
        model: 'offline',
        callLog: { record: () => Promise.resolve() },
        logger: createLogger('silent'),
        guessTopic: async (text) => (await guess(retriever, text)) as never,
      });
      const cells: string[] = [];
      for (const chat of [0, 2, 4]) {
        const chatty = messages.map((m, i) => ({ ...m, message: withChat(m.message, chat, 1000 + i) }));
        const r = await topicReport(chatty, async (text) => (await classifier.classify(text, { sessionId: null, testerId: null })).intent);
        cells.push(`${((100 * r.correct) / r.messages).toFixed(0)} % (${r.errors.length} wrong)`);
      }
      const r2 = await topicReport(tune2, async (text) => (await classifier.classify(text, { sessionId: null, testerId: null })).intent);
      cells.push(`${((100 * r2.correct) / r2.messages).toFixed(0)} % (${r2.errors.length} wrong)`);
      const alone = await topicReport(tune2, async (text) => ((await guess(retriever, text)) ?? 'other') as never);
      cells.push(`${((100 * alone.correct) / alone.messages).toFixed(0)} %`);
      console.log(`| ${label} | ${cells.join(' | ')} |`);
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
