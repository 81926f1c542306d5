/**
 * Ingests the knowledge folder into knowledge_documents / knowledge_chunks. Every `*.md` file under the
 * folder (recursively) is one document, identified by its path relative to the folder. A run syncs the
 * tables to the folder in one transaction: new files are added, changed ones (content hash, or chunker
 * settings) have their chunks replaced, unchanged ones are left alone, and rows of deleted files are
 * removed. A failure anywhere leaves the knowledge base as it was.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JsonObject, NewKnowledgeChunk } from '../../../db/schema';
import { type Chunk, chunkMarkdown, type ChunkOptions, DEFAULT_CHUNK_OPTIONS } from './chunker';
import { isKnowledgeTopic, parseDocument } from './document';
import { KnowledgeDirNotFoundError, KnowledgeReadError } from './errors';
import { leafHeadings, questionsOfSection, readSectionQuestions, unknownHeadings } from './section-questions';

/** Bump when the chunker's output changes for the same input: every document is then re-chunked. */
export const CHUNKER_VERSION = 2;

/** The logging ingestion needs: a pino logger fits. */
export interface IngestLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface IngestOptions {
  logger?: IngestLogger;
  chunkOptions?: Partial<ChunkOptions>;
  /** Chunk rows per INSERT statement. */
  batchSize?: number;
}

/** What a run did. `chunks` counts the chunks written by this run; the totals are after it. */
export interface IngestSummary {
  added: number;
  changed: number;
  unchanged: number;
  removed: number;
  chunks: number;
  totalDocuments: number;
  totalChunks: number;
}

interface SourceDocument {
  sourcePath: string;
  title: string;
  topic: string | null;
  contentHash: string;
  byteSize: number;
  chunks: Chunk[];
  /** Per chunk (same order): the questions its section answers, from the document's .questions.json. */
  questions: string[][];
  metadata: JsonObject;
}

// Serialises concurrent runs (several bot instances starting at once) on the same database.
const INGEST_LOCK_KEY = 7_245_310_011;

async function listMarkdownFiles(dir: string): Promise<string[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new KnowledgeDirNotFoundError(dir, err);
  }
  const entries = await readdir(dir, { recursive: true });
  return entries
    .map((e) => e.split(path.sep).join('/'))
    .filter((e) => e.toLowerCase().endsWith('.md') && !e.split('/').some((part) => part.startsWith('.')))
    .sort();
}

async function readSource(dir: string, sourcePath: string, chunkOptions: ChunkOptions, logger?: IngestLogger): Promise<SourceDocument | null> {
  const file = path.join(dir, sourcePath);
  let bytes: Buffer;
  try {
    // A folder named like a document is skipped; a dangling link or an unreadable file is an error.
    if (!(await stat(file)).isFile()) return null;
    bytes = await readFile(file);
  } catch (err) {
    throw new KnowledgeReadError(file, err);
  }
  const parsed = parseDocument(bytes.toString('utf8'));
  const title = parsed.title ?? path.basename(sourcePath, path.extname(sourcePath));
  if (parsed.title === null) logger?.warn({ sourcePath }, 'knowledge document has no "# " title line; using its file name');
  if (parsed.topic !== null && !isKnowledgeTopic(parsed.topic)) logger?.warn({ sourcePath, topic: parsed.topic }, 'knowledge document has an unknown topic id');
  const chunks = chunkMarkdown(parsed.body, chunkOptions);
  const sectionQuestions = await readSectionQuestions(file);
  const unknown = unknownHeadings(sectionQuestions, chunks.map((c) => c.section));
  if (unknown.length > 0) logger?.warn({ sourcePath, headings: unknown }, 'knowledge questions name headings the document does not have (renamed?); their questions are not used');
  const leaves = leafHeadings(chunks.map((c) => c.section));
  return {
    sourcePath,
    title,
    topic: parsed.topic,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
    byteSize: bytes.length,
    chunks,
    questions: chunks.map((c) => questionsOfSection(sectionQuestions, c.section, leaves)),
    // The questions file's hash is part of how the document was chunked: editing it re-ingests the document.
    metadata: { chunker: CHUNKER_VERSION, ...chunkOptions, questions: sectionQuestions.hash },
  };
}

/** Whether the stored row was chunked the same way as this run would. */
function sameChunking(stored: JsonObject | null, current: JsonObject): boolean {
  return Object.entries(current).every(([k, v]) => stored?.[k] === v);
}

async function insertChunks(trx: Transaction<Database>, documentId: string, chunks: Chunk[], questions: string[][], batchSize: number): Promise<void> {
  const rows: NewKnowledgeChunk[] = chunks.map((c, i) => ({
    document_id: documentId,
    chunk_index: c.index,
    section: c.section,
    content: c.content,
    word_count: c.wordCount,
    questions: questions[i] ?? [],
  }));
  for (let i = 0; i < rows.length; i += batchSize) {
    await trx.insertInto('knowledge_chunks').values(rows.slice(i, i + batchSize)).execute();
  }
}

/**
 * Syncs the knowledge base with the Markdown files under `dir`, in one transaction.
 * Throws KnowledgeDirNotFoundError when `dir` is missing and KnowledgeReadError when a file cannot be
 * read; in both cases, and on any database error, nothing is changed.
 */
export async function ingestKnowledge(db: Kysely<Database>, dir: string, options: IngestOptions = {}): Promise<IngestSummary> {
  const { logger } = options;
  const chunkOptions: ChunkOptions = { ...DEFAULT_CHUNK_OPTIONS, ...options.chunkOptions };
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const root = path.resolve(dir);

  // Files are read before the transaction opens, so no database session waits on the disk.
  const sources: SourceDocument[] = [];
  for (const sourcePath of await listMarkdownFiles(root)) {
    const doc = await readSource(root, sourcePath, chunkOptions, logger);
    if (doc) sources.push(doc);
  }
  if (sources.length === 0) logger?.warn({ dir: root }, 'knowledge folder has no Markdown documents; the knowledge base will be empty');

  const summary = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${INGEST_LOCK_KEY})`.execute(trx);
    const stored = await trx.selectFrom('knowledge_documents').select(['id', 'source_path', 'content_hash', 'metadata']).execute();
    const byPath = new Map(stored.map((row) => [row.source_path, row]));
    const s: IngestSummary = { added: 0, changed: 0, unchanged: 0, removed: 0, chunks: 0, totalDocuments: 0, totalChunks: 0 };

    for (const doc of sources) {
      const row = byPath.get(doc.sourcePath);
      byPath.delete(doc.sourcePath);
      const values = {
        title: doc.title,
        topic: doc.topic,
        content_hash: doc.contentHash,
        byte_size: doc.byteSize,
        chunk_count: doc.chunks.length,
        metadata: doc.metadata,
      };
      if (row && row.content_hash === doc.contentHash && sameChunking(row.metadata, doc.metadata)) {
        s.unchanged += 1;
        continue;
      }
      let documentId: string;
      if (row) {
        // updated_at is set by the table's trigger; ingested_at keeps the first ingestion's time.
        await trx.deleteFrom('knowledge_chunks').where('document_id', '=', row.id).execute();
        await trx.updateTable('knowledge_documents').set(values).where('id', '=', row.id).execute();
        documentId = row.id;
        s.changed += 1;
        logger?.debug({ sourcePath: doc.sourcePath, chunks: doc.chunks.length }, 'knowledge document changed');
      } else {
        const inserted = await trx.insertInto('knowledge_documents').values({ source_path: doc.sourcePath, ...values }).returning('id').executeTakeFirstOrThrow();
        documentId = inserted.id;
        s.added += 1;
        logger?.debug({ sourcePath: doc.sourcePath, chunks: doc.chunks.length }, 'knowledge document added');
      }
      await insertChunks(trx, documentId, doc.chunks, doc.questions, batchSize);
      s.chunks += doc.chunks.length;
    }

    const gone = [...byPath.values()];
    if (gone.length > 0) {
      // Their chunks go with them (ON DELETE CASCADE).
      await trx.deleteFrom('knowledge_documents').where('id', 'in', gone.map((g) => g.id)).execute();
      s.removed = gone.length;
      logger?.debug({ sourcePaths: gone.map((g) => g.source_path) }, 'knowledge documents removed');
    }

    const totals = await trx
      .selectFrom('knowledge_documents')
      .select((eb) => [eb.fn.countAll<string>().as('documents'), eb.fn.coalesce(eb.fn.sum<string>('chunk_count'), sql<string>`0`).as('chunks')])
      .executeTakeFirstOrThrow();
    s.totalDocuments = Number(totals.documents);
    s.totalChunks = Number(totals.chunks);
    return s;
  });
  logger?.info({ dir: root, ...summary }, 'knowledge base ingested');
  return summary;
}
