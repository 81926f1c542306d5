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
  /** Questions the chunk's section answers (document expansion, section-questions.ts). */
  questions?: readonly string[];
  /** The same, already counted by questionHolding (used instead of `questions` when given). */
  questionHolding?: ReadonlyMap<string, number>;
}

/** For each term of the questions, how many of them hold it. */
export function questionHolding(questions: readonly string[]): Map<string, number> {
  const holding = new Map<string, number>();
  for (const q of questions) for (const t of new Set(analyse(q))) holding.set(t, (holding.get(t) ?? 0) + 1);
  return holding;
}

/** BM25F parameters; see the file comment. */
export interface Bm25Params {
  k1: number;
  b: number;
  headingWeight: number;
  parentWeight: number;
  titleWeight: number;
  /**
   * Weight of the section's questions (document expansion): a term counts questionWeight × ln(1 + n),
   * n being how many of them hold it, or questionWeight × ln 2 however many do when questionOnce is set.
   */
  questionWeight: number;
  questionOnce?: boolean;
}

export const DEFAULT_BM25: Readonly<Bm25Params> = Object.freeze({ k1: 1.2, b: 0.5, headingWeight: 3, parentWeight: 1, titleWeight: 0.5, questionWeight: 2 });

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
const TF_SHIFT = 8;
const TF_MASK = 0xff;

/** A question term as scored: its postings, idf, weight and the most it can add to a chunk. */
interface ScoredTerm {
  list: Int32Array;
  w: number;
  upper: number;
}

/** An immutable index of one knowledge-base version. */
export class LexicalIndex {
  /** Scratch scores, reset after each search (search is synchronous, so one per index is safe). */
  private readonly scratch: Float64Array;

  private constructor(
    readonly version: string,
    private readonly chunkIds: readonly string[],
    private readonly priors: Float32Array,
    /** Per chunk: k1·(1 − b + b·len/avgLen), BM25's length normalisation. */
    private readonly norms: Float32Array,
    private readonly postings: ReadonlyMap<string, Int32Array>,
    private readonly params: Bm25Params,
  ) {
    this.scratch = new Float64Array(chunkIds.length);
  }

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
      if (params.questionWeight > 0) {
        // How many of the questions hold each term, damped: ten ways of saying "late" are not ten times the evidence.
        const holding = row.questionHolding ?? (row.questions && row.questions.length > 0 ? questionHolding(row.questions) : null);
        for (const [t, n] of holding ?? []) tf.set(t, (tf.get(t) ?? 0) + params.questionWeight * Math.log1p(params.questionOnce ? 1 : n));
      }
      lengths.push(body.length + heading.length);
      for (const [term, f] of tf) {
        // Ordinals stay below 2^23 (8 million chunks), so a posting fits a signed 32-bit integer.
        const packed = (ordinal << TF_SHIFT) | Math.min(TF_MASK, Math.round(f * TF_SCALE));
        const list = lists.get(term);
        if (list) list.push(packed);
        else lists.set(term, [packed]);
      }
    }
    const postings = new Map<string, Int32Array>();
    for (const [term, list] of lists) postings.set(term, Int32Array.from(list));
    const avg = Math.max(1, lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length));
    const norms = Float32Array.from(lengths, (len) => params.k1 * (1 - params.b + (params.b * len) / avg));
    return new LexicalIndex(version, chunkIds, Float32Array.from(priors), norms, postings, params);
  }

  /**
   * The k best chunks for the weighted query terms, best first (ties: earlier ordinal first).
   *
   * Exact, but cheap on large corpora (MaxScore): rare terms are scored first over their whole
   * postings. The most common terms can then only add to chunks already found when even their sum
   * cannot lift an unfound chunk to the k-th best score so far; their postings are then probed for the
   * found chunks only (binary search), instead of scoring every chunk that says "team member".
   */
  search(terms: readonly WeightedTerm[], k: number): IndexHit[] {
    const n = this.chunkIds.length;
    const { k1 } = this.params;
    const scores = this.scratch;
    const touched: number[] = [];
    let best = 0;
    const scored: ScoredTerm[] = [];
    for (const { term, weight } of terms) {
      const list = this.postings.get(term);
      // A word no passage has still counts in the best possible score: an unknown word in the
      // question lowers every passage's coverage, as an unmatched ordinary word would.
      const df = list?.length ?? 0;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      best += weight * idf * (k1 + 1);
      if (list) scored.push({ list, w: weight * idf, upper: weight * idf * (k1 + 1) });
    }
    if (best === 0 || scored.length === 0) return [];
    // Most informative first; the tail's upper bounds sum to what an unfound chunk could still get.
    scored.sort((a, c) => c.upper - a.upper);
    const tail = new Float64Array(scored.length + 1);
    for (let i = scored.length - 1; i >= 0; i -= 1) tail[i] = (tail[i + 1] ?? 0) + (scored[i]?.upper ?? 0);

    let i = 0;
    for (; i < scored.length; i += 1) {
      const t = scored[i];
      if (!t) break;
      if (touched.length >= k && i > 0 && kthBest(touched, scores, k) >= (tail[i] ?? 0)) break;
      this.accumulate(t, scores, touched, true);
    }
    for (; i < scored.length; i += 1) {
      const t = scored[i];
      if (t) this.probe(t, scores, touched);
    }

    for (const ordinal of touched) scores[ordinal] = (scores[ordinal] ?? 0) * (this.priors[ordinal] ?? 1);
    const top = topK(touched, scores, k).map((ordinal) => {
      const score = scores[ordinal] ?? 0;
      return { ordinal, chunkId: this.chunkIds[ordinal] ?? '', score, coverage: score / best };
    });
    for (const ordinal of touched) scores[ordinal] = 0;
    return top;
  }

  /** Adds a term's contribution to every chunk in its postings. */
  private accumulate(t: ScoredTerm, scores: Float64Array, touched: number[], track: boolean): void {
    const { k1 } = this.params;
    const list = t.list;
    for (let j = 0; j < list.length; j += 1) {
      const packed = list[j] ?? 0;
      const ordinal = packed >>> TF_SHIFT;
      const tf = (packed & TF_MASK) / TF_SCALE;
      const before = scores[ordinal] ?? 0;
      if (before === 0 && track) touched.push(ordinal);
      scores[ordinal] = before + (t.w * tf * (k1 + 1)) / (tf + (this.norms[ordinal] ?? k1));
    }
  }

  /** Adds a term's contribution to the chunks already found only (postings are sorted by ordinal). */
  private probe(t: ScoredTerm, scores: Float64Array, touched: readonly number[]): void {
    const { k1 } = this.params;
    const list = t.list;
    if (touched.length * Math.log2(list.length + 1) >= list.length) {
      // Probing would cost more than a scan: scan, adding only to found chunks.
      for (let j = 0; j < list.length; j += 1) {
        const packed = list[j] ?? 0;
        const ordinal = packed >>> TF_SHIFT;
        const before = scores[ordinal] ?? 0;
        if (before === 0) continue;
        const tf = (packed & TF_MASK) / TF_SCALE;
        scores[ordinal] = before + (t.w * tf * (k1 + 1)) / (tf + (this.norms[ordinal] ?? k1));
      }
      return;
    }
    for (const ordinal of touched) {
      let lo = 0;
      let hi = list.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const packed = list[mid] ?? 0;
        const o = packed >>> TF_SHIFT;
        if (o < ordinal) lo = mid + 1;
        else if (o > ordinal) hi = mid - 1;
        else {
          const tf = (packed & TF_MASK) / TF_SCALE;
          scores[ordinal] = (scores[ordinal] ?? 0) + (t.w * tf * (k1 + 1)) / (tf + (this.norms[ordinal] ?? k1));
          break;
        }
      }
    }
  }
}

/** The k-th highest score among the candidates (k ≤ candidates.length). */
function kthBest(candidates: readonly number[], scores: Float64Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  for (const ordinal of candidates) {
    const s = scores[ordinal] ?? 0;
    if (size < k) {
      heap[size] = s;
      siftUp(heap, size);
      size += 1;
    } else if (s > (heap[0] ?? 0)) {
      heap[0] = s;
      siftDown(heap, size);
    }
  }
  return heap[0] ?? 0;
}

function siftUp(heap: Float64Array, at: number): void {
  let i = at;
  while (i > 0) {
    const parent = (i - 1) >>> 1;
    if ((heap[parent] ?? 0) <= (heap[i] ?? 0)) return;
    const t = heap[parent] ?? 0;
    heap[parent] = heap[i] ?? 0;
    heap[i] = t;
    i = parent;
  }
}

function siftDown(heap: Float64Array, size: number): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < size && (heap[l] ?? 0) < (heap[m] ?? 0)) m = l;
    if (r < size && (heap[r] ?? 0) < (heap[m] ?? 0)) m = r;
    if (m === i) return;
    const t = heap[m] ?? 0;
    heap[m] = heap[i] ?? 0;
    heap[i] = t;
    i = m;
  }
}

/** The k ordinals with the highest scores, best first; ties broken by lower ordinal. */
function topK(candidates: readonly number[], scores: Float64Array, k: number): number[] {
  if (candidates.length === 0) return [];
  const threshold = candidates.length > k ? kthBest(candidates, scores, k) : -Infinity;
  return candidates
    .filter((o) => (scores[o] ?? 0) >= threshold)
    .sort((a, c) => (scores[c] ?? 0) - (scores[a] ?? 0) || a - c)
    .slice(0, k);
}
