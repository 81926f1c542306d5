/** The shipped policies chunked as ingestion would, in memory (no database), for the tuning scripts. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chunkMarkdown, DEFAULT_CHUNK_OPTIONS, type KnowledgeRow, parseDocument } from '../src/era/retrieval';

export const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
export const QUESTIONS_FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-questions.json');

/** One row per chunk, ids "file#index", documents identified by their file name. */
export function shippedRows(): KnowledgeRow[] {
  const rows: KnowledgeRow[] = [];
  for (const file of readdirSync(KNOWLEDGE_DIR).filter((f) => f.endsWith('.md')).sort()) {
    const doc = parseDocument(readFileSync(path.join(KNOWLEDGE_DIR, file), 'utf8'));
    for (const c of chunkMarkdown(doc.body, DEFAULT_CHUNK_OPTIONS)) {
      rows.push({ id: `${file}#${c.index}`, documentId: file, title: doc.title ?? file, sourcePath: file, topic: doc.topic, section: c.section, content: c.content });
    }
  }
  return rows;
}
