/**
 * Topic model experiments (issue 12, round 3) on the TUNING messages only: a softmax regression over a
 * message's words and the keyword rules' hits, trained on the policies' section questions (labelled by
 * their policy's topic) and the tuning messages, scored by 5-fold cross-validation over the tuning
 * messages (each fold's messages never trained on). Prints accuracy per setting.
 *
 *   node -r @swc-node/register bench/topic-model-experiments.ts
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { OUT_OF_SCOPE_FILE, outOfScopeExamples, sectionQuestionExamples } from '../src/intent/topic-training';
import { INTENT_IDS, isSmallTalk, loadTopicMessages, type TopicMessage } from '../src/intent';
import { featuresOf, type TopicExample, trainTopicModel, topicProbabilities, type TopicModelOptions, DEFAULT_TOPIC_MODEL_OPTIONS } from '../src/intent/topic-model';
import { DEFAULT_BM25, expandQuery, EXPANSION_WEIGHT, KnowledgeIndex, similarityOf } from '../src/era/retrieval';
import { KNOWLEDGE_DIR, shippedRows, TOPICS_FILE, TOPICS_TUNE2_FILE } from './shipped-knowledge';

const TUNE3 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune3.json');

/** Section questions, and the out-of-scope messages when asked for (OOS=1) and written. */
function sectionExamples(): TopicExample[] {
  const out = sectionQuestionExamples(KNOWLEDGE_DIR);
  if (process.env.OOS === '1' && existsSync(OUT_OF_SCOPE_FILE)) out.push(...outOfScopeExamples(OUT_OF_SCOPE_FILE));
  return out;
}

function tuningMessages(): TopicMessage[] {
  return [...loadTopicMessages(TOPICS_FILE).filter((m) => m.split === 'tune'), ...loadTopicMessages(TOPICS_TUNE2_FILE), ...loadTopicMessages(TUNE3)];
}

type Probs = Float64Array | 'small-talk';

/** Each tuning message's topic probabilities from a model that never saw it (5 folds); small talk is marked. */
function crossPredict(options: TopicModelOptions, sections: TopicExample[], messages: TopicMessage[], folds = 5): Probs[] {
  const out: Probs[] = [];
  for (let f = 0; f < folds; f++) {
    const train = [...sections, ...messages.filter((_, i) => i % folds !== f).map((m): TopicExample => ({ text: m.message, topic: m.topic, source: 'message' }))];
    const model = trainTopicModel(train, options);
    messages.forEach((m, i) => {
      if (i % folds === f) out[i] = m.message.trim() === '' || isSmallTalk(m.message) ? 'small-talk' : topicProbabilities(model, featuresOf(m.message, options));
    });
  }
  return out;
}

/** The decision: log p + alpha × the topic's retrieval similarity; `other` when the winner's probability is under floor. */
function decideTopic(probs: Probs, sims: Map<string, number> | undefined, floor: number, alpha: number): { topic: string; probability: number } {
  if (probs === 'small-talk') return { topic: 'other', probability: 1 };
  let best = 0;
  let bestScore = -Infinity;
  INTENT_IDS.forEach((t, k) => {
    const score = Math.log(probs[k] ?? 1e-9) + alpha * (sims?.get(t) ?? 0);
    if (score > bestScore) [best, bestScore] = [k, score];
  });
  const probability = probs[best] ?? 0;
  return probability < floor ? { topic: 'other', probability } : { topic: INTENT_IDS[best] as string, probability };
}

function accuracy(messages: TopicMessage[], predictions: Probs[], sims: Map<string, number>[], floor: number, alpha: number): string {
  const split: Record<string, [number, number]> = {};
  let correct = 0;
  messages.forEach((m, i) => {
    const p = decideTopic(predictions[i] ?? 'small-talk', sims[i], floor, alpha);
    const ok = p.topic === m.topic;
    if (!ok && process.argv.includes('--errors') && floor === 0 && alpha === 4) console.log(`- ${m.id} "${m.message}": ${m.topic}, predicted ${p.topic} (${p.probability.toFixed(2)})`);
    correct += ok ? 1 : 0;
    const s = (split[m.split] ??= [0, 0]);
    s[0] += ok ? 1 : 0;
    s[1] += 1;
  });
  return `${((100 * correct) / messages.length).toFixed(1)} % (${Object.entries(split).map(([k, [c, n]]) => `${k} ${((100 * c) / n).toFixed(0)}`).join(', ')})`;
}

/** Per message, the best similarity of each topic's passages among the top 5 (the retriever's view). */
function retrievalSims(messages: TopicMessage[]): Map<string, number>[] {
  const rows = shippedRows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const index = KnowledgeIndex.build('x', rows, DEFAULT_BM25);
  return messages.map((m) => {
    const sims = new Map<string, number>();
    for (const h of index.search(expandQuery(m.message, EXPANSION_WEIGHT), 5)) {
      const topic = byId.get(h.chunkId)?.topic;
      if (topic) sims.set(topic, Math.max(sims.get(topic) ?? 0, similarityOf(h)));
    }
    return sims;
  });
}

function main(): void {
  const sections = sectionExamples();
  const messages = tuningMessages();
  console.log(`${sections.length} section questions, ${messages.length} tuning messages`);
  const settings: [string, Partial<TopicModelOptions>][] = [
    ['default', {}],
    ['no bigrams', { bigrams: false }],
    ['no bigrams, min count 2', { bigrams: false, minCount: 2 }],
    ['no bigrams, min count 3', { bigrams: false, minCount: 3 }],
    ['min count 2', { minCount: 2 }],
    ['balanced', { balance: true }],
    ['sections and out-of-scope only (no messages)', { messageWeight: 0 }],
    ['no rule features', { ruleFeatures: false }],
    ['message weight 1', { messageWeight: 1 }],
    ['message weight 5', { messageWeight: 5 }],
    ['l2 1e-3', { l2: 1e-3 }],
    ['epochs 60', { epochs: 60 }],
  ];
  const sims = retrievalSims(messages);
  const grid = [0, 0.2].flatMap((floor) => [0, 2, 4, 6].map((alpha) => [floor, alpha] as const));
  console.log(`| setting | ${grid.map(([f, a]) => `other under ${f}, retrieval ${a}`).join(' | ')} |`);
  for (const [label, o] of process.argv.includes('--errors') ? settings.slice(3, 4) : settings) {
    const predictions = crossPredict({ ...DEFAULT_TOPIC_MODEL_OPTIONS, ...o }, sections, messages);
    const cells = grid.map(([floor, alpha]) => accuracy(messages, predictions, sims, floor, alpha));
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}

main();
