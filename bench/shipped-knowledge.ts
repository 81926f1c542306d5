/** The shipped policies chunked as ingestion would, in memory (no database), for the tuning scripts. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chunkMarkdown, DEFAULT_CHUNK_OPTIONS, type KnowledgeRow, parseDocument } from '../src/era/retrieval';
import { leafHeadings, NO_SECTION_QUESTIONS, parseSectionQuestions, questionsOfSection, questionsPathOf, type SectionQuestions } from '../src/era/retrieval/section-questions';

export const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
export const QUESTIONS_FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-questions.json');

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
