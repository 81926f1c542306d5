/**
 * What the offline topic model learns from (npm run topics:train), read from the repository's files:
 *
 * - every policy's section questions (`examples/era/knowledge/*.questions.json`), labelled with their
 *   section's topic (the policy's `Topic:` line unless examples/era/intent/section-topics.json files
 *   the heading elsewhere);
 * - messages that are not employee-relations questions (examples/era/intent/out-of-scope.json), the
 *   `other` topic's counterpart of the section questions;
 * - the labelled manager messages of the tuning parts (TRAINING_SPLITS) of examples/era/quality. The
 *   held-out parts are read only to leave out any training text identical to one of them.
 *
 * The examples' sha256 is stored with the weights, so a test can tell a model that is stale.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isKnowledgeTopic, parseDocument } from '../era/retrieval/document';
import { parseSectionQuestions, questionsPathOf } from '../era/retrieval/section-questions';
import { loadTopicMessages } from './quality';
import type { TopicExample } from './topic-model';
import { loadSectionTopics, SECTION_TOPICS_FILE, type SectionTopics, topicOfSection } from './section-topics';

const ROOT = path.resolve(__dirname, '../..');
export const TRAINING_KNOWLEDGE_DIR = path.join(ROOT, 'examples/era/knowledge');
/** Every labelled topic message file: the tuning parts are trained on, the rest only kept out. */
export const TOPIC_MESSAGE_DIR = path.join(ROOT, 'examples/era/quality');
export const OUT_OF_SCOPE_FILE = path.join(ROOT, 'examples/era/intent/out-of-scope.json');
/** The splits trained on; every other split is a check. */
export const TRAINING_SPLITS: readonly string[] = ['tune', 'tune2', 'tune3', 'tune4'];

const outOfScopeSchema = z.object({ messages: z.array(z.string().min(1)).min(1) });

export interface TrainingSources {
  knowledgeDir: string;
  /** Labelled message files: messages of TRAINING_SPLITS are trained on; the others are held out. */
  messageFiles: readonly string[];
  outOfScopeFile: string | null;
  sectionTopicsFile: string | null;
}

/** The repository's training files (read when called: the bot itself never trains). */
export function shippedTrainingSources(): TrainingSources {
  return {
    knowledgeDir: TRAINING_KNOWLEDGE_DIR,
    messageFiles: readdirSync(TOPIC_MESSAGE_DIR).filter((f) => /^topic-messages.*\.json$/.test(f)).sort().map((f) => path.join(TOPIC_MESSAGE_DIR, f)),
    outOfScopeFile: OUT_OF_SCOPE_FILE,
    sectionTopicsFile: SECTION_TOPICS_FILE,
  };
}

/** The policies' section questions, each labelled with its section's topic (policies without a known topic are skipped). */
export function sectionQuestionExamples(knowledgeDir: string, sectionTopics: SectionTopics = new Map()): TopicExample[] {
  const out: TopicExample[] = [];
  for (const file of readdirSync(knowledgeDir).filter((f) => f.endsWith('.md')).sort()) {
    const { topic } = parseDocument(readFileSync(path.join(knowledgeDir, file), 'utf8'));
    const sidecar = questionsPathOf(path.join(knowledgeDir, file));
    if (!isKnowledgeTopic(topic) || !existsSync(sidecar)) continue;
    for (const [heading, questions] of parseSectionQuestions(readFileSync(sidecar, 'utf8'))) {
      const sectionTopic = topicOfSection(sectionTopics, file, topic, heading);
      for (const text of questions) out.push({ text, topic: sectionTopic, source: 'section' });
    }
  }
  return out;
}

/** The out-of-scope messages, as `other` examples. */
export function outOfScopeExamples(file: string): TopicExample[] {
  const parsed = outOfScopeSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: expected { "messages": ["…"] }`);
  return parsed.data.messages.map((text) => ({ text, topic: 'other', source: 'section' }));
}

/** A message compared with another: case and punctuation aside ("Hi ERA, what can you do?" is "hi era what can you do"). */
export const sameMessageKey = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/**
 * Every training example, in a fixed order, and their hash. An example whose text is a held-out
 * message's (sameMessageKey) is left out: independent writers do type the same short message ("hi"),
 * and a check must never have been trained on.
 */
export function trainingExamples(sources: TrainingSources = shippedTrainingSources()): { examples: TopicExample[]; hash: string; heldOutDropped: number } {
  const sectionTopics = sources.sectionTopicsFile ? loadSectionTopics(sources.sectionTopicsFile) : new Map();
  const messages = sources.messageFiles.flatMap((f) => loadTopicMessages(f));
  const heldOut = new Set(messages.filter((m) => !TRAINING_SPLITS.includes(m.split)).map((m) => sameMessageKey(m.message)));
  const all = [
    ...sectionQuestionExamples(sources.knowledgeDir, sectionTopics),
    ...(sources.outOfScopeFile ? outOfScopeExamples(sources.outOfScopeFile) : []),
    ...messages.filter((m) => TRAINING_SPLITS.includes(m.split)).map((m): TopicExample => ({ text: m.message, topic: m.topic, source: 'message' })),
  ];
  const examples = all.filter((e) => !heldOut.has(sameMessageKey(e.text)));
  const hash = createHash('sha256');
  for (const e of examples) hash.update(`${e.source}\u0000${e.topic}\u0000${e.text}\u0000`);
  return { examples, hash: hash.digest('hex'), heldOutDropped: all.length - examples.length };
}
