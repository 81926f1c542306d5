/**
 * The topic classifier's quality report (issue 12): manager messages labelled with a topic
 * (examples/era/quality/topic-messages.json) through a predictor — in practice the classifier's
 * deterministic path (rules, then the topic of the best policy passage, then `other`), which is what
 * runs offline and in tests. Per-topic precision and recall,
 * and accuracy, per split. Used by `npm run quality` and bot-tests/intent-quality.test.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { matchRules } from './rules';
import { INTENT_IDS, type IntentId, isIntentId, OTHER_INTENT } from './topics';

/** Tuned on; held out; two later checks written blind on 2026-12-02 (their own files; see retrieval's quality.ts). */
export const TOPIC_SPLITS = ['tune', 'holdout', 'holdout2', 'holdout3', 'tune2', 'holdout4', 'tune3', 'holdout5', 'tune4', 'holdout6'] as const;

const messageSchema = z.object({
  id: z.string().min(1),
  split: z.enum(TOPIC_SPLITS),
  message: z.string().min(1),
  topic: z.string().refine(isIntentId, { message: 'not a topic id of src/intent/topics.ts' }),
});
const fileSchema = z.object({ messages: z.array(messageSchema).min(1) });

/** One labelled message. */
export interface TopicMessage {
  id: string;
  split: (typeof TOPIC_SPLITS)[number];
  message: string;
  topic: IntentId;
}

/** Reads and validates a topic message file. */
export function loadTopicMessages(file: string): TopicMessage[] {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.messages.map((m) => ({ ...m, topic: m.topic }));
}

/** Predicts a message's topic (the classifier's offline path, in practice). */
export type TopicPredictor = (text: string) => Promise<IntentId>;

/** The rules alone: their verdict, or `other` when none fires (the path before issue 12). */
export const rulesOnly: TopicPredictor = (text) => Promise.resolve(matchRules(text)?.intent ?? OTHER_INTENT);

/** Precision and recall of one topic over a set of messages. */
export interface TopicFigures {
  topic: IntentId;
  /** Messages labelled with the topic. */
  labelled: number;
  /** Messages predicted as the topic. */
  predicted: number;
  correct: number;
}

/** The report of a set of messages: per topic, and overall accuracy. */
export interface TopicReport {
  messages: number;
  correct: number;
  topics: TopicFigures[];
  /** Messages predicted wrongly: id, text, label and prediction. */
  errors: Array<{ id: string; message: string; topic: IntentId; predicted: IntentId }>;
}

/** Classifies every message and counts. */
export async function topicReport(messages: readonly TopicMessage[], predict: TopicPredictor): Promise<TopicReport> {
  const predictions: Array<{ m: TopicMessage; predicted: IntentId }> = [];
  for (const m of messages) predictions.push({ m, predicted: await predict(m.message) });
  return {
    messages: messages.length,
    correct: predictions.filter((p) => p.predicted === p.m.topic).length,
    topics: INTENT_IDS.map((topic) => ({
      topic,
      labelled: predictions.filter((p) => p.m.topic === topic).length,
      predicted: predictions.filter((p) => p.predicted === topic).length,
      correct: predictions.filter((p) => p.m.topic === topic && p.predicted === topic).length,
    })),
    errors: predictions.filter((p) => p.predicted !== p.m.topic).map((p) => ({ id: p.m.id, message: p.m.message, topic: p.m.topic, predicted: p.predicted })),
  };
}

/** The per-topic table as Markdown. */
export function topicTable(r: TopicReport): string {
  const pct = (n: number, of: number) => (of === 0 ? '—' : `${((100 * n) / of).toFixed(0)}%`);
  const lines = ['| topic | messages | precision | recall |', '|---|---|---|---|'];
  for (const t of r.topics) lines.push(`| ${t.topic} | ${t.labelled} | ${pct(t.correct, t.predicted)} | ${pct(t.correct, t.labelled)} |`);
  lines.push(`| **accuracy** | ${r.messages} | | ${pct(r.correct, r.messages)} |`);
  return lines.join('\n');
}
