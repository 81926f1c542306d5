/**
 * Topic model experiments (issue 12, rounds 3 and 4) on the TUNING messages only (tune, tune2, tune3,
 * tune4): a softmax regression over a message's words and the keyword rules' hits, trained on the
 * policies' section questions (labelled by their section's topic), the out-of-scope messages and the
 * tuning messages, scored by 5-fold cross-validation over the tuning messages (each fold's messages
 * never trained on), with the retriever's per-topic similarities weighted 0–6. Prints accuracy per
 * setting; --errors lists the shipped setting's misses at weight 4.
 *
 *   node -r @swc-node/register bench/topic-model-experiments.ts [--errors]
 *   OOS=0 (no out-of-scope messages), SECTION_TOPICS=0 (every section under its policy's topic)
 */
import path from 'node:path';
import { loadSectionTopics, type SectionTopics, topicOfSection } from '../src/intent/section-topics';
import { OUT_OF_SCOPE_FILE, outOfScopeExamples, sectionQuestionExamples } from '../src/intent/topic-training';
import { INTENT_IDS, type IntentId, isSmallTalk, loadTopicMessages, type TopicMessage } from '../src/intent';
import { featuresOf, type TopicExample, trainTopicModel, topicProbabilities, type TopicModelOptions, DEFAULT_TOPIC_MODEL_OPTIONS } from '../src/intent/topic-model';
import { DEFAULT_BM25, expandQuery, EXPANSION_WEIGHT, KnowledgeIndex, similarityOf } from '../src/era/retrieval';
import { KNOWLEDGE_DIR, shippedRows, TOPICS_FILE, TOPICS_TUNE2_FILE } from './shipped-knowledge';

const TUNE3 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune3.json');
const TUNE4 = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune4.json');

/** The shipped section topics (examples/era/intent/section-topics.json); SECTION_TOPICS=0 leaves every section under its policy's topic. */
const SECTION_TOPICS: SectionTopics = process.env.SECTION_TOPICS === '0' ? new Map() : loadSectionTopics();

/** Section questions and the out-of-scope messages (OOS=0: without them). */
function sectionExamples(): TopicExample[] {
  const out = sectionQuestionExamples(KNOWLEDGE_DIR, SECTION_TOPICS);
  if (process.env.OOS !== '0') out.push(...outOfScopeExamples(OUT_OF_SCOPE_FILE));
  return out;
}

function tuningMessages(): TopicMessage[] {
  return [...loadTopicMessages(TOPICS_FILE).filter((m) => m.split === 'tune'), ...loadTopicMessages(TOPICS_TUNE2_FILE), ...loadTopicMessages(TUNE3), ...loadTopicMessages(TUNE4)];
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
    if (!ok && process.argv.includes('--errors') && floor === 0 && alpha === 4 && process.argv.includes('--errors')) console.log(`- ${m.id} "${m.message}": ${m.topic}, predicted ${p.topic} (${p.probability.toFixed(2)})`);
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
      const row = byId.get(h.chunkId);
      const topic = row?.topic ? topicOfSection(SECTION_TOPICS, row.sourcePath, row.topic as IntentId, row.section) : undefined;
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
    ['default (shipped)', {}],
    ['bigrams', { bigrams: true }],
    ['min count 1', { minCount: 1 }],
    ['min count 3', { minCount: 3 }],
    ['balanced', { balance: true }],
    ['word prefixes', { prefixes: true }],
    ['rules\' verdict', { ruleWinner: true }],
    ['prefixes and verdict', { prefixes: true, ruleWinner: true }],
    ['sections and out-of-scope only (no messages)', { messageWeight: 0 }],
    ['no rule features', { ruleFeatures: false }],
    ['message weight 1', { messageWeight: 1 }],
    ['message weight 5', { messageWeight: 5 }],
    ['l2 1e-4', { l2: 1e-4 }],
    ['epochs 60', { epochs: 60 }],
  ];
  const sims = retrievalSims(messages);
  const grid = [0].flatMap((floor) => [0, 2, 3, 4, 5, 6].map((alpha) => [floor, alpha] as const));
  console.log(`| setting | ${grid.map(([f, a]) => `other under ${f}, retrieval ${a}`).join(' | ')} |`);
  for (const [label, o] of process.argv.includes('--errors') ? settings.slice(0, 1) : settings) {
    const predictions = crossPredict({ ...DEFAULT_TOPIC_MODEL_OPTIONS, ...o }, sections, messages);
    const cells = grid.map(([floor, alpha]) => accuracy(messages, predictions, sims, floor, alpha));
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}

main();
