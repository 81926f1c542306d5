/**
 * The retriever ERA uses: BM25F over an in-process index of the knowledge chunks (lexical-index.ts),
 * with query expansion in the policies' vocabulary (expansion.ts) and a calibrated similarity
 * (similarity.ts). The database stays the source of truth: the index is built from its rows and
 * labelled with the knowledge base version (knowledge_state.version, bumped by a trigger on every
 * change), and each question reads that version in the same statement that fetches its top passages.
 * When the version moved (another instance ingested, a document changed), this instance rebuilds its
 * index and asks again, so every instance answers from the current knowledge base.
 *
 * Cost per question: the analysis and scoring in memory (the question's terms' postings only) and one
 * indexed statement for the version and the k passages' text.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db/schema';
import { expandQuery, expandWithContext } from './expansion';
import { KnowledgeIndex, type KnowledgeRow } from './knowledge-index';
import { type Bm25Params, DEFAULT_BM25 } from './lexical-index';
import type { RetrievedPassage, Retriever } from './retriever';
import { similarityOf } from './similarity';
import { isKnowledgeTopic, type KnowledgeTopic } from './document';

/** Tuning knobs of the index retriever; the defaults suit production. */
export interface IndexRetrieverOptions {
  bm25?: Partial<Bm25Params>;
  /** Rows read per statement while building the index. */
  loadPageSize?: number;
  /**
   * How long a question waits for a rebuild after the knowledge base changed (default 2 s) before it
   * is answered from the previous index instead (passages deleted since are left out; new ones are
   * found once the rebuild, which goes on, is done). A first build is always waited for.
   */
  maxRebuildWaitMs?: number;
  /** Told about a background rebuild that failed (the next question tries again). */
  onRebuildError?: (err: unknown) => void;
}

const MAX_QUERY_CHARS = 2000;
const MAX_TOP_K = 50;
const DEFAULT_REBUILD_WAIT_MS = 2000;
/** Candidates scored beyond k, so passages dropped by a concurrent change can be replaced. */
const SPARE = 3;

function checkOptions(topK: number, minSimilarity: number): void {
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) throw new RangeError(`topK must be an integer from 1 to ${MAX_TOP_K}, got ${topK}`);
  if (!(minSimilarity >= 0 && minSimilarity <= 1)) throw new RangeError(`minSimilarity must be in [0, 1], got ${minSimilarity}`);
}

/** Reads every chunk and the version in one snapshot, page by page, and builds the index. */
async function loadIndex(db: Kysely<Database>, params: Bm25Params, pageSize: number): Promise<KnowledgeIndex> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const state = await sql<{ version: string }>`SELECT version::text AS version FROM knowledge_state WHERE id = 1`.execute(trx);
      const version = state.rows[0]?.version ?? '0';
      const rows: KnowledgeRow[] = [];
      // In reading order (path, position): the same order on every database, so ties rank alike.
      let after: { path: string; index: number } | null = null;
      for (;;) {
        const from = after;
        let q = trx
          .selectFrom('knowledge_chunks as c')
          .innerJoin('knowledge_documents as d', 'd.id', 'c.document_id')
          .select(['c.id', 'c.document_id as documentId', 'd.title', 'd.source_path as sourcePath', 'd.topic', 'c.section', 'c.content', 'c.questions', 'c.chunk_index as chunkIndex'])
          .orderBy('d.source_path')
          .orderBy('c.chunk_index')
          .limit(pageSize);
        if (from !== null) q = q.where((eb) => eb.or([eb('d.source_path', '>', from.path), eb.and([eb('d.source_path', '=', from.path), eb('c.chunk_index', '>', from.index)])]));
        const page = await q.execute();
        for (const r of page) rows.push({ id: r.id, documentId: r.documentId, title: r.title, sourcePath: r.sourcePath, topic: r.topic, section: r.section, content: r.content, questions: r.questions });
        const last = page.at(-1);
        if (!last || page.length < pageSize) break;
        after = { path: last.sourcePath, index: last.chunkIndex };
      }
      return KnowledgeIndex.build(version, rows, params);
    });
}

/** The knowledge version and the text of the given chunks, in one statement (one primary-key probe each). */
async function fetchTexts(db: Kysely<Database>, ids: readonly string[]): Promise<{ version: string; texts: Map<string, string> }> {
  if (ids.length === 0) {
    const state = await sql<{ version: string }>`SELECT version::text AS version FROM knowledge_state WHERE id = 1`.execute(db);
    return { version: state.rows[0]?.version ?? '0', texts: new Map() };
  }
  const result = await sql<{ version: string; id: string | null; content: string | null }>`
    SELECT s.version::text AS version, c.id, c.content
    FROM knowledge_state AS s
    LEFT JOIN knowledge_chunks AS c ON c.id = ANY(${[...ids]}::uuid[])
    WHERE s.id = 1
  `.execute(db);
  const texts = new Map<string, string>();
  for (const r of result.rows) if (r.id !== null && r.content !== null) texts.set(r.id, r.content);
  return { version: result.rows[0]?.version ?? '0', texts };
}

/**
 * A retriever over an in-process BM25F index of the knowledge base, kept current by the knowledge
 * version (see the file comment). Works the same on Postgres and PGlite.
 */
export function createIndexRetriever(
  db: Kysely<Database>,
  defaults: { topK: number; minSimilarity: number },
  options: IndexRetrieverOptions = {},
): Retriever {
  checkOptions(defaults.topK, defaults.minSimilarity);
  const params: Bm25Params = { ...DEFAULT_BM25, ...options.bm25 };
  const pageSize = Math.max(100, options.loadPageSize ?? 5000);
  const maxWait = Math.max(0, options.maxRebuildWaitMs ?? DEFAULT_REBUILD_WAIT_MS);
  let index: KnowledgeIndex | null = null;
  // Concurrent questions during a rebuild share it rather than each reading the whole corpus.
  let building: Promise<KnowledgeIndex> | null = null;

  const startBuild = (): Promise<KnowledgeIndex> => {
    building ??= loadIndex(db, params, pageSize)
      .then((built) => {
        index = built;
        return built;
      })
      .finally(() => {
        building = null;
      });
    return building;
  };

  /** The rebuilt index if it is ready within maxWait, else the stale one while the rebuild goes on. */
  const refresh = async (stale: KnowledgeIndex): Promise<KnowledgeIndex> => {
    const pending = startBuild();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => { resolve(null); }, maxWait);
    });
    try {
      const built = await Promise.race([pending, late]);
      if (built) return built;
    } catch (err) {
      // A failed rebuild: the previous index still answers; the next question tries again.
      options.onRebuildError?.(err);
      return stale;
    } finally {
      clearTimeout(timer);
    }
    // Queued deliberately: the rebuild finishes for later questions; a failure is reported, not thrown.
    void pending.catch((err: unknown) => options.onRebuildError?.(err));
    return stale;
  };

  return {
    async retrieve(query, opts = {}) {
      const topK = opts.topK ?? defaults.topK;
      const minSimilarity = opts.minSimilarity ?? defaults.minSimilarity;
      checkOptions(topK, minSimilarity);
      const text = query.slice(0, MAX_QUERY_CHARS);
      const context = opts.context?.slice(0, MAX_QUERY_CHARS);
      let current = index ?? (await startBuild());
      for (let attempt = 0; ; attempt += 1) {
        const terms = context ? expandWithContext(text, context) : expandQuery(text);
        if (terms.length === 0) return [];
        const hits = current.search(terms, topK + SPARE);
        const { version, texts } = await fetchTexts(db, hits.map((h) => h.chunkId));
        if (version !== current.version && attempt === 0) {
          const next = await refresh(current);
          if (next !== current) {
            current = next;
            continue;
          }
        }
        const passages: RetrievedPassage[] = [];
        for (const hit of hits) {
          const meta = current.chunk(hit.chunkId);
          const text = texts.get(hit.chunkId);
          // A chunk deleted since this index was built (answered from a stale index) is left out.
          if (!meta || text === undefined) continue;
          const similarity = similarityOf(hit);
          if (similarity < minSimilarity) continue;
          passages.push({
            chunkId: hit.chunkId,
            documentId: meta.documentId,
            documentTitle: meta.title,
            sourcePath: meta.sourcePath,
            topic: meta.topic,
            section: meta.section,
            text,
            similarity,
          });
        }
        return passages.slice(0, topK);
      }
    },
  };
}

/**
 * Least similarity for a passage's policy topic to stand as a message's topic (offline guess). Chosen on
 * the topic messages' tuning part, as written and with chat around them (bench/topic-experiments.ts,
 * SWEPT=shipped bench/length-experiments.ts): the guess alone is right for 91 / 75 / 68 % of them at 0.1,
 * 89 / 45 / 34 % at 0.3.
 */
export const TOPIC_GUESS_MIN_SIMILARITY = 0.1;

/**
 * The topic of the policy whose passage best answers a message, or null when none is similar enough
 * or the best policy has no known topic. Used as the intent classifier's offline guess.
 */
export async function topicOfBestPassage(retriever: Retriever, text: string): Promise<KnowledgeTopic | null> {
  const [best] = await retriever.retrieve(text, { topK: 1, minSimilarity: TOPIC_GUESS_MIN_SIMILARITY });
  return best && isKnowledgeTopic(best.topic) ? best.topic : null;
}

/** How many passages the topic evidence looks at. */
export const TOPIC_EVIDENCE_PASSAGES = 5;

/**
 * The retriever's view of a message's topic: for each policy topic among the best five passages, its
 * best similarity (0..1). The offline topic model weighs this against the message's words. `topicOf`
 * gives a passage's topic (default its document's; the classifier files some sections elsewhere);
 * `context`, the conversation's previous message, is searched with it as ERA's retrieval does.
 */
export async function topicSimilarities(retriever: Retriever, text: string, topicOf: (p: RetrievedPassage) => string | null = (p) => p.topic, context?: string): Promise<Map<KnowledgeTopic, number>> {
  const out = new Map<KnowledgeTopic, number>();
  for (const p of await retriever.retrieve(text, { topK: TOPIC_EVIDENCE_PASSAGES, minSimilarity: 0, ...(context ? { context } : {}) })) {
    const topic = topicOf(p);
    if (isKnowledgeTopic(topic)) out.set(topic, Math.max(out.get(topic) ?? 0, p.similarity));
  }
  return out;
}
