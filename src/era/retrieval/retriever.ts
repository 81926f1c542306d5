/**
 * Retrieval of policy passages for a manager's question, behind an interface so that an embedding
 * retriever can replace or join the full-text one later.
 *
 * The full-text retriever ranks chunks with BM25 computed in Postgres from the stored tsvectors:
 * - The question's lexemes are those of to_tsvector('english', question); a chunk is a candidate when
 *   it holds ANY of them (an OR tsquery through the GIN index), so a long natural question ("one of
 *   my trainers just didn't show up…") still finds passages although no chunk holds all its words.
 * - Per lexeme l: idf(l) = ln(1 + (N − df + 0.5) / (df + 0.5)), N chunks, df of them holding l; and in
 *   a chunk, sat(l) = tf' / (tf' + k1·(1 − b + b·words/avgWords)) ∈ [0, 1), k1 = 0.8, b = 0.75, where
 *   tf' counts its occurrences plus 2 when it is in the section heading (tsvector weight A).
 * - coverage = Σ_l idf(l)·sat(l) / W, with W = Σ idf over the question's lexemes found in the knowledge
 *   base plus, for each lexeme found nowhere (a name, a typo, small talk), the mean idf of the others:
 *   the share of the question's information the passage holds. An unknown word lowers it like an
 *   ordinary word would, not like the rarest word there is.
 * - similarity = (1 − α)·coverage + α·[chunk matches websearch_to_tsquery(question)], α = 0.1: a small
 *   bonus for holding every word (and quoted phrase) of the question. In [0, 1).
 * The same question gets the same similarity from the same knowledge base, so one minSimilarity means
 * the same for every question. Relevant passages for natural questions score about 0.1–0.6.
 * k1, b and α are not fitted to the quality suite: its hit rate was the same for k1 0.5–1.2, b 0.3–0.9
 * and α 0–0.3.
 *
 * Cost: one statement counts each lexeme's chunks through the GIN index, one ranks the candidates and
 * reads the text of the top k only; the chunk count and mean length are cached (they change on ingestion).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema';
import { analyseQuestion, type CorpusStats, rankChunks, type RankedRow, readCorpusStats } from './full-text-sql';

/** A policy passage found for a question. */
export interface RetrievedPassage {
  chunkId: string;
  documentId: string;
  documentTitle: string;
  /** The document's path relative to the knowledge folder. */
  sourcePath: string;
  topic: string | null;
  /** Heading path of the chunk; null before the document's first heading. */
  section: string | null;
  text: string;
  /** In [0, 1]; higher is more relevant. */
  similarity: number;
}

export interface RetrieveOptions {
  /** At most this many passages (1–50). */
  topK?: number;
  /** Passages below this similarity (0–1) are left out. */
  minSimilarity?: number;
  /**
   * The conversation's previous message, so a follow-up ("what if they don't answer the phone?") finds
   * the passages of what it follows: its words count at contextWeightFor(the follow-up's own word
   * count) (expansion.ts). The full-text retriever ignores it.
   */
  context?: string;
}

/** Finds the passages that answer a question, best first. */
export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrievedPassage[]>;
}

/** Tuning knobs of the full-text retriever; the defaults suit production. */
export interface FullTextRetrieverOptions {
  /** How long the chunk count and mean length are cached (ms). 0 reads them for every question. */
  corpusStatsTtlMs?: number;
}

/** Longer questions are cut: the tail of a pasted wall of text adds noise, not precision. */
const MAX_QUERY_CHARS = 2000;
const MAX_TOP_K = 50;
/** N and the mean chunk length change only when the knowledge base is ingested. */
const DEFAULT_STATS_TTL_MS = 60_000;

/**
 * Cleans a question for the database: no NUL bytes (Postgres text cannot hold them), bounded length,
 * and '/' read as a space as the stored tsvectors do (see the knowledge-base migration).
 */
function normaliseQuery(query: string): string {
  return query.slice(0, MAX_QUERY_CHARS).replace(/[\u0000/]/g, ' ').trim();
}

function checkOptions(topK: number, minSimilarity: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) throw new RangeError(`topK must be an integer from 1 to ${MAX_TOP_K}, got ${topK}`);
  if (!(minSimilarity >= 0 && minSimilarity <= 1)) throw new RangeError(`minSimilarity must be in [0, 1], got ${minSimilarity}`);
}

function toPassage(r: RankedRow): RetrievedPassage {
  return {
    chunkId: r.chunk_id,
    documentId: r.document_id,
    documentTitle: r.document_title,
    sourcePath: r.source_path,
    topic: r.topic,
    section: r.section,
    text: r.content,
    similarity: Math.min(1, Math.max(0, r.similarity)),
  };
}

/**
 * A retriever ranking chunks with Postgres full-text search (BM25 over the stored tsvectors; see the
 * file comment for the similarity formula). Works the same on Postgres and PGlite. The chunk count and
 * mean length are cached for `corpusStatsTtlMs` (default one minute) since they change only on ingestion.
 */
export function createFullTextRetriever(
  db: Kysely<Database>,
  defaults: { topK: number; minSimilarity: number },
  options: FullTextRetrieverOptions = {},
): Retriever {
  checkOptions(defaults.topK, defaults.minSimilarity);
  const ttl = options.corpusStatsTtlMs ?? DEFAULT_STATS_TTL_MS;
  let cached: { stats: CorpusStats; at: number } | null = null;
  const corpusStats = async (): Promise<CorpusStats> => {
    if (!cached || Date.now() - cached.at >= ttl) cached = { stats: await readCorpusStats(db), at: Date.now() };
    return cached.stats;
  };

  return {
    async retrieve(query, opts = {}) {
      const topK = opts.topK ?? defaults.topK;
      const minSimilarity = opts.minSimilarity ?? defaults.minSimilarity;
      checkOptions(topK, minSimilarity);
      const text = normaliseQuery(query);
      // Nothing a text-search parser could turn into a word: no need to ask the database.
      if (!/[\p{L}\p{N}]/u.test(text)) return [];

      const terms = await analyseQuestion(db, text);
      const known = terms.filter((t) => t.df > 0);
      if (known.length === 0) return [];
      const stats = await corpusStats();
      // A cached N older than the last ingestion must not be smaller than a fresh df.
      const n = Math.max(stats.chunks, ...known.map((t) => t.df));
      const idfs = known.map((t) => Math.log(1 + (n - t.df + 0.5) / (t.df + 0.5)));
      const knownWeight = idfs.reduce((a, b) => a + b, 0);
      const rows = await rankChunks(db, {
        text,
        lexemes: known.map((t) => t.lexeme),
        idfs,
        candidateQuery: known.map((t) => t.quoted).join(' | '),
        weight: knownWeight + (terms.length - known.length) * (knownWeight / known.length),
        avgWords: stats.avgWords,
        minSimilarity,
        topK,
      });
      return rows.map(toPassage);
    },
  };
}
