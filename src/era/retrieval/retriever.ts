/**
 * Retrieval of policy passages for a manager's question, behind an interface so that an embedding
 * retriever can replace or join the full-text one later.
 *
 * The full-text retriever ranks chunks with BM25 computed in Postgres from the stored tsvectors:
 * - The question's lexemes are those of to_tsvector('english', question); a chunk is a candidate when
 *   it holds ANY of them (an OR tsquery through the GIN index), so a long natural question ("one of
 *   my trainers just didn't show up…") still finds passages although no chunk holds all its words.
 * - Per lexeme l: idf(l) = ln(1 + (N − df + 0.5) / (df + 0.5)), N chunks, df of them holding l; and in
 *   a chunk, sat(l) = tf' / (tf' + k1·(1 − b + b·words/avgWords)) ∈ [0, 1), where tf' counts its
 *   occurrences plus SECTION_BOOST when it is in the section heading (tsvector weight A).
 * - coverage = Σ_l idf(l)·sat(l) / W, with W = Σ idf over the question's lexemes found in the knowledge
 *   base plus, for each lexeme found nowhere (a name, a typo, small talk), the mean idf of the others:
 *   the share of the question's information the passage holds. An unknown word lowers it like an
 *   ordinary word would, not like the rarest word there is.
 * - similarity = (1 − α)·coverage + α·[chunk matches websearch_to_tsquery(question)], α = 0.1: a small
 *   bonus for holding every word (and quoted phrase) of the question. In [0, 1).
 * The same question gets the same similarity from the same knowledge base, so one minSimilarity means
 * the same for every question. Relevant passages for natural questions score about 0.1–0.6.
 *
 * Speed (exact): lexemes in more than 5% of chunks ("employee", "shift") would make most chunks
 * candidates. Candidates are first only the chunks holding a rarer lexeme; a chunk holding only common
 * ones scores below Σ_common idf / W (sat < 1), so when the k-th result beats that bound the answer is
 * the full ranking's; otherwise the full candidate set is ranked.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema';
import { analyseQuestion, type CorpusStats, RANKING, rankChunks, type RankedRow, readCorpusStats, type QuestionTerm } from './full-text-sql';

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
}

/** Finds the passages that answer a question, best first. */
export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<RetrievedPassage[]>;
}

/** A lexeme in more than this share of chunks is "common" for candidate pruning. */
const COMMON_FRACTION = 0.05;
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

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const orQuery = (terms: readonly QuestionTerm[]) => terms.map((t) => t.quoted).join(' | ');

/** Whether websearch_to_tsquery's query needs one of `rare` in any match: a pure AND/phrase of them. */
function strictNeedsOneOf(strictQuery: string, rare: readonly QuestionTerm[]): boolean {
  return !/[|!]/.test(strictQuery) && rare.some((t) => strictQuery.includes(t.quoted));
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

/** Tuning knobs of the full-text retriever; the defaults suit production. */
export interface FullTextRetrieverOptions {
  /** How long the chunk count and mean length are cached (ms). 0 reads them on every question. */
  corpusStatsTtlMs?: number;
  /** Rank chunks with a rare lexeme first (same results, faster). False ranks every candidate. */
  pruneCommonLexemes?: boolean;
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
  const prune = options.pruneCommonLexemes ?? true;
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

      const { terms, strictQuery } = await analyseQuestion(db, text);
      const known = terms.filter((t) => t.df > 0);
      if (known.length === 0) return [];
      const stats = await corpusStats();
      // A cached N older than the last ingestion must not be smaller than a fresh df.
      const n = Math.max(stats.chunks, ...known.map((t) => t.df));
      const idf = new Map(known.map((t) => [t.lexeme, Math.log(1 + (n - t.df + 0.5) / (t.df + 0.5))]));
      const knownWeight = sum([...idf.values()]);
      const weight = knownWeight + (terms.length - known.length) * (knownWeight / known.length);
      const base = {
        text,
        lexemes: known.map((t) => t.lexeme),
        idfs: known.map((t) => idf.get(t.lexeme)!),
        weight,
        avgWords: stats.avgWords,
        minSimilarity,
        topK,
      };

      const common = known.filter((t) => t.df > COMMON_FRACTION * n);
      const rare = known.filter((t) => t.df <= COMMON_FRACTION * n);
      if (prune && common.length > 0 && rare.length > 0) {
        const rows = await rankChunks(db, { ...base, candidateQuery: orQuery(rare) });
        const { strictWeight } = RANKING;
        const bound = ((1 - strictWeight) * sum(common.map((t) => idf.get(t.lexeme)!))) / weight + (strictNeedsOneOf(strictQuery, rare) ? 0 : strictWeight);
        const kth = rows[topK - 1]?.similarity;
        if (bound < minSimilarity || (kth !== undefined && kth >= bound)) return rows.map(toPassage);
      }
      return (await rankChunks(db, { ...base, candidateQuery: orQuery(known) })).map(toPassage);
    },
  };
}
