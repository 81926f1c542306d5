/** The shipped policies chunked as ingestion would, in memory (no database), for the tuning scripts. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chunkMarkdown, DEFAULT_CHUNK_OPTIONS, type KnowledgeRow, parseDocument } from '../src/era/retrieval';
import { seededRandom } from './retrieval-corpus';
import { leafHeadings, NO_SECTION_QUESTIONS, parseSectionQuestions, questionsOfSection, questionsPathOf, type SectionQuestions } from '../src/era/retrieval/section-questions';

export const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
export const QUESTIONS_FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-questions.json');
/** The second tuning set (split tune2), written blind like the held-out sets; tuned on from round 2. */
export const QUESTIONS_TUNE2_FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-questions-tune2.json');
export const TOPICS_FILE = path.resolve(__dirname, '../examples/era/quality/topic-messages.json');
export const TOPICS_TUNE2_FILE = path.resolve(__dirname, '../examples/era/quality/topic-messages-tune2.json');

/** One row per chunk, ids "file#index", documents identified by their file name; with each section's questions (the .questions.json files) unless told not to. */
export function shippedRows(withQuestions = true): KnowledgeRow[] {
  const rows: KnowledgeRow[] = [];
  for (const file of readdirSync(KNOWLEDGE_DIR).filter((f) => f.endsWith('.md')).sort()) {
    const doc = parseDocument(readFileSync(path.join(KNOWLEDGE_DIR, file), 'utf8'));
    const chunks = chunkMarkdown(doc.body, DEFAULT_CHUNK_OPTIONS);
    const sidecar = questionsPathOf(path.join(KNOWLEDGE_DIR, file));
    const questions: SectionQuestions = existsSync(sidecar) && withQuestions ? { byHeading: parseSectionQuestions(readFileSync(sidecar, 'utf8')), hash: null } : NO_SECTION_QUESTIONS;
    const leaves = leafHeadings(chunks.map((c) => c.section));
    for (const c of chunks) {
      rows.push({ id: `${file}#${c.index}`, documentId: file, title: doc.title ?? file, sourcePath: file, topic: doc.topic, section: c.section, content: c.content, questions: questionsOfSection(questions, c.section, leaves) });
    }
  }
  return rows;
}

/**
 * Generic chat around a message (no HR content): managers rarely type a bare question. The tuning
 * scripts score each tuning question as written and with 2 and 4 of these sentences around it, so
 * that the similarity and the thresholds chosen on it hold for chattier messages too.
 */
const FILLER = [
  'Hey, hope your week is going well.', 'Quick question for you.', 'Sorry if this is a silly question.', 'Not sure who else to ask about this.',
  'This is at our downtown location.', 'Thanks in advance for the help!', 'Trying to get ahead of this before it turns into something.',
  "I've been running this club for about six months.", 'Want to make sure I handle it right.', 'Let me know what you think when you get a chance.',
  'Honestly not sure how to approach it.', 'Asking for my assistant manager too.',
];

/** The text with `sentences` filler sentences around it (half before, half after), the same for the same seed. */
export function withChat(text: string, sentences: number, seed: number): string {
  if (sentences === 0) return text;
  const rnd = seededRandom(seed);
  const pick = () => FILLER[Math.floor(rnd() * FILLER.length)] ?? '';
  const before = Array.from({ length: Math.ceil(sentences / 2) }, pick).join(' ');
  const after = Array.from({ length: Math.floor(sentences / 2) }, pick).join(' ');
  return `${before} ${text} ${after}`.trim();
}
