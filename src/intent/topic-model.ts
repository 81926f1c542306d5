/**
 * The offline topic model: a softmax (multinomial logistic) regression over a message's words and the
 * keyword rules' hits, so the rules are evidence weighed against the rest of the message rather than
 * the last word ("paid" in a bereavement question no longer makes it pay). Trained by
 * `npm run topics:train` (src/intent/topic-training.ts says on what); the weights are committed
 * (examples/era/intent/topic-model.json), like the rules. Training is deterministic: the same examples
 * and options give the same weights.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { analyse } from '../era/retrieval/analyzer';
import { AppError } from '../errors';
import { seededRandom } from '../seeded-random';
import { matchRules, ruleHitNames } from './rules';
import { INTENT_IDS, type IntentId, isIntentId } from './topics';

/** One labelled text to learn from. */
export interface TopicExample {
  text: string;
  topic: IntentId;
  /**
   * `message`: a labelled manager message (weighted messageWeight); `section`: a generic example at
   * weight 1 (a policy's section question, or an out-of-scope message for `other`).
   */
  source: 'section' | 'message';
}

export interface TopicModelOptions {
  /** Passes over the examples. */
  epochs: number;
  /** First learning rate; it decays as 1 / (1 + epoch / 4). */
  learningRate: number;
  /** L2 penalty per update. */
  l2: number;
  /** Weight of a labelled manager message relative to a section question. */
  messageWeight: number;
  /** Word pairs (adjacent analysed terms) as features. */
  bigrams: boolean;
  /** The keyword rules' hits as features. */
  ruleFeatures: boolean;
  /** Seed of the example order. */
  seed: number;
  /** Weight each topic's examples so that every topic weighs the same in all (the section questions outnumber `other`). */
  balance: boolean;
  /** A word, pair or rule seen in fewer training examples than this is no feature (keeps the model small). */
  minCount: number;
  /** Experimental (bench only): the first four letters of each word of five or more, for typos and shorthand. */
  prefixes?: boolean;
  /** Experimental (bench only): the rules' overall verdict (matchRules) as a feature besides each rule's hit. */
  ruleWinner?: boolean;
}

export const DEFAULT_TOPIC_MODEL_OPTIONS: TopicModelOptions = {
  epochs: 30,
  learningRate: 0.5,
  l2: 1e-3,
  messageWeight: 3,
  bigrams: false,
  ruleFeatures: true,
  seed: 12,
  balance: false,
  minCount: 2,
};

/** Trained weights: per feature, one weight per topic (in `topics` order). */
export interface TopicModel {
  topics: readonly IntentId[];
  weights: ReadonlyMap<string, Float64Array>;
  options: TopicModelOptions;
}

/** A message's features: names, each with value 1 / sqrt(count) so long and short messages weigh alike. */
export interface Features {
  names: string[];
  value: number;
}

const BIAS = '_bias';

/** The features of a text under the given options. */
export function featuresOf(text: string, options: Pick<TopicModelOptions, 'bigrams' | 'ruleFeatures' | 'prefixes' | 'ruleWinner'> = DEFAULT_TOPIC_MODEL_OPTIONS): Features {
  const terms = analyse(text);
  const names = new Set<string>();
  for (const t of terms) names.add(`w:${t}`);
  if (options.prefixes) for (const word of text.toLowerCase().match(/\p{L}{5,}/gu) ?? []) names.add(`p:${word.slice(0, 4)}`);
  if (options.ruleWinner) {
    const verdict = matchRules(text);
    if (verdict) names.add(`rt:${verdict.intent}`);
  }
  if (options.bigrams) for (let i = 1; i < terms.length; i++) names.add(`b:${terms[i - 1]}_${terms[i]}`);
  if (options.ruleFeatures) for (const name of ruleHitNames(text)) names.add(`r:${name}`);
  const list = [...names];
  list.push(BIAS);
  return { names: list, value: 1 / Math.sqrt(list.length) };
}

function softmax(scores: Float64Array): Float64Array {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  let sum = 0;
  const out = new Float64Array(scores.length);
  for (let i = 0; i < scores.length; i++) sum += out[i] = Math.exp((scores[i] ?? 0) - max);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) / sum;
  return out;
}

function scoresOf(weights: ReadonlyMap<string, Float64Array>, f: Features, classes: number): Float64Array {
  const scores = new Float64Array(classes);
  for (const name of f.names) {
    const w = weights.get(name);
    if (w) for (let k = 0; k < classes; k++) scores[k] = (scores[k] ?? 0) + (w[k] ?? 0) * f.value;
  }
  return scores;
}

/** Trains a model on the examples (stochastic gradient descent on the cross-entropy, seeded order). */
export function trainTopicModel(examples: readonly TopicExample[], options: TopicModelOptions = DEFAULT_TOPIC_MODEL_OPTIONS): TopicModel {
  const topics = INTENT_IDS;
  const classes = topics.length;
  let data = examples
    .map((e) => ({ f: featuresOf(e.text, options), y: topics.indexOf(e.topic), weight: e.source === 'message' ? options.messageWeight : 1 }))
    .filter((d) => d.y >= 0 && d.weight > 0);
  if (options.minCount > 1) {
    const seen = new Map<string, number>();
    for (const d of data) for (const n of d.f.names) seen.set(n, (seen.get(n) ?? 0) + 1);
    // The value stays 1 / sqrt(all features): a rare word still makes a message longer.
    data = data.map((d) => ({ ...d, f: { names: d.f.names.filter((n) => (seen.get(n) ?? 0) >= options.minCount), value: d.f.value } }));
  }
  if (options.balance) {
    const totals = new Float64Array(classes);
    for (const d of data) totals[d.y] = (totals[d.y] ?? 0) + d.weight;
    const present = totals.filter((t) => t > 0);
    const mean = present.reduce((a, b) => a + b, 0) / present.length;
    for (const d of data) d.weight *= mean / (totals[d.y] ?? mean);
  }
  const weights = new Map<string, Float64Array>();
  const rnd = seededRandom(options.seed);
  const order = data.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const rate = options.learningRate / (1 + epoch / 4);
    for (const idx of order) {
      const d = data[idx];
      if (!d) continue;
      const p = softmax(scoresOf(weights, d.f, classes));
      for (const name of d.f.names) {
        let w = weights.get(name);
        if (!w) weights.set(name, (w = new Float64Array(classes)));
        for (let k = 0; k < classes; k++) {
          const gradient = ((p[k] ?? 0) - (k === d.y ? 1 : 0)) * d.f.value * d.weight;
          w[k] = (w[k] ?? 0) * (1 - rate * options.l2) - rate * gradient;
        }
      }
    }
  }
  return { topics, weights, options };
}

/** The model's probability of each topic (in `model.topics` order) for a message's features. */
export function topicProbabilities(model: TopicModel, f: Features): Float64Array {
  return softmax(scoresOf(model.weights, f, model.topics.length));
}

/** The committed form: rounded weights, near-zero ones dropped. */
export interface SerialisedTopicModel {
  version: 1;
  options: TopicModelOptions;
  /** sha256 of the training examples, so a test can tell a stale file. */
  trainedOn: string;
  topics: string[];
  weights: Record<string, number[]>;
}

export function serialiseTopicModel(model: TopicModel, trainedOn: string): SerialisedTopicModel {
  const weights: Record<string, number[]> = {};
  for (const [name, w] of [...model.weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const rounded = [...w].map((x) => Math.round(x * 1e3) / 1e3);
    if (rounded.some((x) => Math.abs(x) >= 1e-3)) weights[name] = rounded;
  }
  return { version: 1, options: model.options, trainedOn, topics: [...model.topics], weights };
}

/** The file's text: one feature per line, so a retraining's diff shows which words moved. */
export function topicModelFileText(s: SerialisedTopicModel): string {
  const { weights, ...head } = s;
  const rows = Object.entries(weights).map(([name, w]) => `    ${JSON.stringify(name)}: ${JSON.stringify(w)}`);
  const top = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  return `${top},\n  "weights": {\n${rows.join(',\n')}\n  }\n}\n`;
}

const serialisedSchema = z.object({
  version: z.literal(1),
  options: z.object({
    epochs: z.number(),
    learningRate: z.number(),
    l2: z.number(),
    messageWeight: z.number(),
    bigrams: z.boolean(),
    ruleFeatures: z.boolean(),
    seed: z.number(),
    balance: z.boolean(),
    minCount: z.number(),
  }),
  trainedOn: z.string(),
  topics: z.array(z.string()),
  weights: z.record(z.string(), z.array(z.number())),
});

/** A committed model file could not be used (the bot does not start; the operator's log names the file). */
export class TopicModelError extends AppError {
  readonly userMessage = 'The topic model could not be loaded; an operator has to retrain it.';

  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`topic model ${file}: ${reason}; retrain it with npm run topics:train`);
  }
}

/**
 * Reads a committed model; its topics must be exactly today's topic ids, in order, and every weight
 * row one per topic.
 * @throws TopicModelError naming the file and what is wrong.
 */
export function deserialiseTopicModel(json: unknown, file = '(inline)'): TopicModel {
  const parsed = serialisedSchema.safeParse(json);
  if (!parsed.success) throw new TopicModelError(file, `not a topic model (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')})`);
  const s = parsed.data;
  if (s.topics.length !== INTENT_IDS.length || s.topics.some((t, i) => !isIntentId(t) || t !== INTENT_IDS[i])) {
    throw new TopicModelError(file, `its topics (${s.topics.join(', ')}) are not the current topic ids`);
  }
  const bad = Object.entries(s.weights).find(([, w]) => w.length !== INTENT_IDS.length || w.some((x) => !Number.isFinite(x)));
  if (bad) throw new TopicModelError(file, `the weights of ${bad[0]} are not ${INTENT_IDS.length} finite numbers`);
  const weights = new Map<string, Float64Array>();
  for (const [name, w] of Object.entries(s.weights)) weights.set(name, Float64Array.from(w));
  return { topics: INTENT_IDS, weights, options: s.options };
}

/** The committed model of the shipped topics (npm run topics:train writes it). */
export const SHIPPED_TOPIC_MODEL_FILE = path.resolve(__dirname, '../../examples/era/intent/topic-model.json');

/** Reads a model file. @throws TopicModelError when it is missing, not JSON or not a model of today's topics. */
export function loadTopicModel(file: string = SHIPPED_TOPIC_MODEL_FILE): TopicModel & { trainedOn: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TopicModelError(file, err instanceof Error ? err.message : String(err));
  }
  const model = deserialiseTopicModel(json, file);
  return { ...model, trainedOn: (json as { trainedOn: string }).trainedOn };
}

let shipped: TopicModel | undefined;

/** The committed model, read once per process. @throws TopicModelError when the file is unusable. */
export function shippedTopicModel(): TopicModel {
  shipped ??= loadTopicModel(SHIPPED_TOPIC_MODEL_FILE);
  return shipped;
}

/**
 * How much the retriever's view counts against the words' model: a topic's score is
 * ln(model probability) + RETRIEVAL_EVIDENCE_WEIGHT × the best similarity of its policy's passages among
 * the top five. Chosen by cross-validation on the tuning messages (bench/topic-model-experiments.ts).
 */
export const RETRIEVAL_EVIDENCE_WEIGHT = 4;

/** The offline decision on a message: the winning topic and its share of the combined scores (0..1). */
export interface TopicDecision {
  topic: IntentId;
  probability: number;
}

/**
 * Combines the model's probabilities with the retriever's per-topic similarities (a map from topic id
 * to the best passage similarity, empty when retrieval is off) and picks the topic.
 */
export function decideTopic(model: TopicModel, text: string, passageSimilarities: ReadonlyMap<string, number> = new Map(), evidenceWeight = RETRIEVAL_EVIDENCE_WEIGHT): TopicDecision {
  const p = topicProbabilities(model, featuresOf(text, model.options));
  const scores = new Float64Array(model.topics.length);
  model.topics.forEach((t, k) => {
    scores[k] = Math.log(Math.max(p[k] ?? 0, 1e-12)) + evidenceWeight * (passageSimilarities.get(t) ?? 0);
  });
  const combined = softmax(scores);
  let best = 0;
  for (let k = 1; k < combined.length; k++) if ((combined[k] ?? 0) > (combined[best] ?? 0)) best = k;
  return { topic: model.topics[best] as IntentId, probability: combined[best] ?? 0 };
}
