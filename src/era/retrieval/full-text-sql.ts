/**
 * The SQL of the full-text retriever (see retriever.ts for the ranking formula). Every value from the
 * question reaches Postgres as a bound parameter; lexemes are quoted for the tsquery input syntax
 * (quotes doubled, backslashes escaped) so that operators a user types (& | ! : * ( ) <->) are never
 * parsed as operators.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema';

/** BM25 parameters and the weight of the whole-question match; see retriever.ts. */
const RANKING = Object.freeze({ k1: 0.8, b: 0.75, sectionBoost: 2, strictWeight: 0.1 });

/** A lexeme of the question, ready for a tsquery, with its document frequency over all chunks. */
export interface QuestionTerm {
  lexeme: string;
  /** The lexeme quoted as a tsquery operand. */
  quoted: string;
  /** How many chunks contain it. */
  df: number;
}

/** Number of chunks and their mean length in words: the corpus constants of BM25. */
export interface CorpusStats {
  chunks: number;
  avgWords: number;
}

/** Parses the question into lexemes (english configuration) and counts each one's chunks via the GIN index. */
export async function analyseQuestion(db: Kysely<Database>, text: string): Promise<QuestionTerm[]> {
  const result = await sql<{ lexeme: string; quoted: string; df: number | string }>`
    SELECT p.lexeme, p.quoted, (SELECT count(*) FROM knowledge_chunks AS c WHERE c.tsv @@ p.quoted::tsquery) AS df
    FROM (
      SELECT l AS lexeme, '''' || replace(replace(l, '\\', '\\\\'), '''', '''''') || '''' AS quoted
      FROM unnest(tsvector_to_array(to_tsvector('english', ${text}))) AS l
    ) AS p
  `.execute(db);
  return result.rows.map((r) => ({ lexeme: r.lexeme, quoted: r.quoted, df: Number(r.df) }));
}

/** Counts the chunks and their mean length. A sequential scan: callers cache it. */
export async function readCorpusStats(db: Kysely<Database>): Promise<CorpusStats> {
  const row = await db
    .selectFrom('knowledge_chunks')
    .select((eb) => [eb.fn.countAll<string>().as('chunks'), eb.fn.avg<string | null>('word_count').as('avg_words')])
    .executeTakeFirstOrThrow();
  return { chunks: Number(row.chunks), avgWords: Math.max(1, Number(row.avg_words ?? 1)) };
}

export interface RankParams {
  text: string;
  /** The known lexemes (df > 0) with their idf, aligned. */
  lexemes: string[];
  idfs: number[];
  /** OR of the quoted lexemes: a chunk holding any of them is a candidate. */
  candidateQuery: string;
  /** The Σ idf the similarity is normalised by. */
  weight: number;
  avgWords: number;
  minSimilarity: number;
  topK: number;
}

export interface RankedRow {
  chunk_id: string;
  document_id: string;
  document_title: string;
  source_path: string;
  topic: string | null;
  section: string | null;
  content: string;
  similarity: number;
}

/** Scores the candidate chunks (BM25 over their tsvectors) and returns the best, with their documents. */
export async function rankChunks(db: Kysely<Database>, p: RankParams): Promise<RankedRow[]> {
  const { k1, b, sectionBoost, strictWeight } = RANKING;
  const result = await sql<Omit<RankedRow, 'similarity'> & { similarity: number | string }>`
    WITH terms AS (
      SELECT * FROM unnest(${p.lexemes}::text[], ${p.idfs}::float8[]) AS t(lexeme, idf)
    ),
    strict AS MATERIALIZED (
      SELECT websearch_to_tsquery('english', ${p.text}) AS query
    ),
    candidates AS (
      -- Only the question's lexemes of each tsvector, with their positions and weights: delete every
      -- lexeme that is not one of them.
      SELECT c.id, c.word_count, c.tsv @@ s.query AS strict_match,
             ts_delete(c.tsv, tsvector_to_array(ts_delete(c.tsv, ${p.lexemes}::text[]))) AS hits
      FROM knowledge_chunks AS c, strict AS s
      WHERE c.tsv @@ ${p.candidateQuery}::tsquery
    ),
    scored AS (
      SELECT cand.id, bool_or(cand.strict_match) AS strict_match,
             sum(t.idf * h.tf / (h.tf + ${sql.lit(k1)} * (1 - ${sql.lit(b)} + ${sql.lit(b)} * cand.word_count / ${p.avgWords}::float8))) AS score
      FROM candidates AS cand
      CROSS JOIN LATERAL (
        SELECT u.lexeme, cardinality(u.positions) + CASE WHEN 'A' = ANY (u.weights) THEN ${sql.lit(sectionBoost)} ELSE 0 END AS tf
        FROM unnest(cand.hits) AS u
      ) AS h
      JOIN terms AS t ON t.lexeme = h.lexeme
      GROUP BY cand.id
    ),
    rated AS (
      SELECT id, least(1.0, (1 - ${sql.lit(strictWeight)}) * score / ${p.weight}::float8 + ${sql.lit(strictWeight)} * strict_match::int)::float8 AS similarity
      FROM scored
    ),
    -- The best k before touching chunk text: only k rows are joined and read.
    best AS (
      SELECT * FROM rated WHERE similarity >= ${p.minSimilarity}::float8 ORDER BY similarity DESC, id LIMIT ${p.topK}
    )
    SELECT c.id AS chunk_id, d.id AS document_id, d.title AS document_title, d.source_path, d.topic,
           c.section, c.content, best.similarity
    FROM best
    JOIN knowledge_chunks AS c ON c.id = best.id
    JOIN knowledge_documents AS d ON d.id = c.document_id
    ORDER BY best.similarity DESC, d.source_path, c.chunk_index
  `.execute(db);
  return result.rows.map((r) => ({ ...r, similarity: Number(r.similarity) }));
}
