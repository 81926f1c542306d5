/**
 * An in-process BM25F index of the knowledge chunks: per term, a packed postings list (chunk ordinal
 * and weighted term frequency in one 32-bit integer), per chunk its length. Built from the database
 * rows in one pass; searched term at a time, so a question costs the length of its terms' postings
 * lists, not the size of the corpus.
 *
 * Fields: a chunk's text, its own (deepest) heading, the headings above it and its document's title.
 * A word counts once in the text and HEADING_WEIGHT (etc.) times in a heading: the heading says what
 * the whole passage is about. BM25: idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)); per chunk
 * sat(t) = tf′(k1 + 1)/(tf′ + k1(1 − b + b·len/avgLen)); score = Σ w_t·idf(t)·sat(t), w_t being 1 for
 * the question's words and lower for expansion words (expansion.ts). coverage = score / Σ w_t·idf(t)(k1+1)
 * is the share of the question's information the passage holds, in [0, 1).
 */
import { analyse } from './analyzer';
import { SECTION_SEPARATOR } from './chunker';
import type { WeightedTerm } from './expansion';

/** A chunk as the index reads it. */
export interface IndexSourceRow {
  id: string;
  documentId: string;
  title: string;
  section: string | null;
  content: string;
}

/** BM25F parameters; see the file comment. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingWeight: number;
  parentWeight: number;
  titleWeight: number;
}

export const DEFAULT_BM25: Readonly<Bm25Params> = Object.freeze({ k1: 1.2, b: 0.5, headingWeight: 3, parentWeight: 1, titleWeight: 0.5 });

/** One scored chunk. */
export interface IndexHit {
  ordinal: number;
  chunkId: string;
  score: number;
  /** score over the best score the question could get: in [0, 1). */
  coverage: number;
}

/**
 * A policy's boilerplate rarely answers a manager: the lines above its first heading (policy number,
 * owner, scope), its "Purpose" and its "Contacts". Their scores count at BOILERPLATE_PRIOR, so they
 * surface only when nothing else matches as well (a question about whom to call still finds Contacts).
 */
export const BOILERPLATE_PRIOR = 0.8;
const BOILERPLATE_HEADING = /^(?:\d+(?:\.\d+)*\.?\s+)?(?:purpose|contacts?|purpose and commitment)$/i;

function priorOf(section: string | null): number {
  if (section === null) return BOILERPLATE_PRIOR;
  const leaf = section.split(SECTION_SEPARATOR).at(-1) ?? '';
  return BOILERPLATE_HEADING.test(leaf.trim()) ? BOILERPLATE_PRIOR : 1;
}

/** Term frequencies are stored ×2 (half-weights survive) in the low 8 bits of a posting. */
const TF_SCALE = 2;
const TF_BITS = 256;

/** An immutable index of one knowledge-base version. */
export class LexicalIndex {
  private constructor(
    readonly version: string,
    private readonly chunkIds: readonly string[],
    private readonly priors: Float32Array,
    private readonly lengths: Float32Array,
    private readonly avgLength: number,
    private readonly postings: ReadonlyMap<string, Int32Array>,
    private readonly params: Bm25Params,
  ) {}

  /** Whether any chunk holds the term. */
  has(term: string): boolean {
    return this.postings.has(term);
  }

  /** Number of chunks indexed. */
  get size(): number {
    return this.chunkIds.length;
  }

  /** Builds the index of the given rows (all chunks of one knowledge-base version). */
  static build(version: string, rows: Iterable<IndexSourceRow>, params: Bm25Params = DEFAULT_BM25): LexicalIndex {
    const chunkIds: string[] = [];
    const priors: number[] = [];
    const lengths: number[] = [];
    const lists = new Map<string, number[]>();
    for (const row of rows) {
      const ordinal = chunkIds.length;
      chunkIds.push(row.id);
      priors.push(priorOf(row.section));
      const tf = new Map<string, number>();
      const add = (terms: readonly string[], weight: number) => {
        for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + weight);
      };
      const body = analyse(row.content);
      const path = row.section?.split(SECTION_SEPARATOR) ?? [];
      const heading = analyse(path.at(-1) ?? '');
      add(body, 1);
      add(heading, params.headingWeight);
      add(analyse(path.slice(0, -1).join(' ')), params.parentWeight);
      add(analyse(row.title), params.titleWeight);
      lengths.push(body.length + heading.length);
      for (const [term, f] of tf) {
        const packed = ordinal * TF_BITS + Math.min(TF_BITS - 1, Math.round(f * TF_SCALE));
        const list = lists.get(term);
        if (list) list.push(packed);
        else lists.set(term, [packed]);
      }
    }
    const postings = new Map<string, Int32Array>();
    for (const [term, list] of lists) postings.set(term, Int32Array.from(list));
    const total = lengths.reduce((a, b) => a + b, 0);
    return new LexicalIndex(version, chunkIds, Float32Array.from(priors), Float32Array.from(lengths), Math.max(1, total / Math.max(1, lengths.length)), postings, params);
  }

  /** The k best chunks for the weighted query terms, best first (ties: earlier ordinal first). */
  search(terms: readonly WeightedTerm[], k: number): IndexHit[] {
    const n = this.chunkIds.length;
    const { k1, b } = this.params;
    const scores = new Float64Array(n);
    const touched: number[] = [];
    let best = 0;
    for (const { term, weight } of terms) {
      const list = this.postings.get(term);
      // A word no passage has still counts in the best possible score: an unknown word in the
      // question lowers every passage's coverage, as an unmatched ordinary word would.
      const df = list?.length ?? 0;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      best += weight * idf * (k1 + 1);
      if (!list) continue;
      const w = weight * idf;
      for (let i = 0; i < list.length; i += 1) {
        const packed = list[i] ?? 0;
        const ordinal = Math.floor(packed / TF_BITS);
        const tf = (packed % TF_BITS) / TF_SCALE;
        const norm = k1 * (1 - b + (b * (this.lengths[ordinal] ?? 0)) / this.avgLength);
        if (scores[ordinal] === 0) touched.push(ordinal);
        scores[ordinal] = (scores[ordinal] ?? 0) + (w * tf * (k1 + 1)) / (tf + norm);
      }
    }
    if (best === 0) return [];
    for (const ordinal of touched) scores[ordinal] = (scores[ordinal] ?? 0) * (this.priors[ordinal] ?? 1);
    return topK(touched, scores, k).map((ordinal) => {
      const score = scores[ordinal] ?? 0;
      return { ordinal, chunkId: this.chunkIds[ordinal] ?? '', score, coverage: score / best };
    });
  }
}

/** The k ordinals with the highest scores, best first; ties broken by lower ordinal. */
function topK(candidates: readonly number[], scores: Float64Array, k: number): number[] {
  const better = (a: number, c: number) => (scores[a] ?? 0) > (scores[c] ?? 0) || ((scores[a] ?? 0) === (scores[c] ?? 0) && a < c);
  const kept: number[] = [];
  for (const ordinal of candidates) {
    if (kept.length < k) {
      kept.push(ordinal);
      kept.sort((a, c) => (better(a, c) ? -1 : 1));
    } else if (better(ordinal, kept[kept.length - 1] ?? ordinal)) {
      kept[kept.length - 1] = ordinal;
      kept.sort((a, c) => (better(a, c) ? -1 : 1));
    }
  }
  return kept;
}
