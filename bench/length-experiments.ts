/**
 * Issue 12: does the similarity (and so the topic guess and the refusal threshold) hold for longer,
 * chattier messages? On the TUNING parts only: each question / topic message as written, and with
 * generic chat filler around it (no HR content), through the shipped ranking. Compares the shipped
 * similarity with one that also sees how much the message says (a second feature, ln of the best
 * score the message could get), fitted on the tuning part with and without filler. (The first row was
 * the coverage-only similarity when this was written; it now measures the shipped one.) SWEPT picks the
 * similarity of the threshold sweep at the end.
 *
 *   [SWEPT=shipped|log|clip] node -r @swc-node/register bench/length-experiments.ts
 */
import path from 'node:path';
import { expandQuery, KnowledgeIndex, loadQualityQuestions, passageAnswers, similarityOf } from '../src/era/retrieval';
import { loadTopicMessages } from '../src/intent';
import { QUESTIONS_FILE, shippedRows, withChat } from './shipped-knowledge';

const rows = shippedRows();
const byId = new Map(rows.map((r) => [r.id, r]));
const index = KnowledgeIndex.build('x', rows);
const questions = loadQualityQuestions(QUESTIONS_FILE).filter((q) => q.split === 'tune');
const topics = loadTopicMessages(path.resolve(__dirname, '../examples/era/quality/topic-messages.json')).filter((m) => m.split === 'tune');

const padded = withChat;

interface Point { combined: number; best: number; y: number }
function hitsOf(text: string) {
  return index.search(expandQuery(text), 5).map((h) => ({ ...h, best: h.score / (h.coverage || 1), row: byId.get(h.chunkId) }));
}
type Sim = (h: { combined: number; best: number; score: number; coverage: number }) => number;
const shipped: Sim = (h) => similarityOf(h);

function points(pad: number): Point[] {
  const out: Point[] = [];
  questions.forEach((q, i) => {
    for (const h of hitsOf(padded(q.question, pad, i + 1))) {
      const y = q.answers.length > 0 && h.row && q.answers.some((a) => passageAnswers({ sourcePath: h.row!.sourcePath, section: h.row!.section, text: h.row!.content }, a)) ? 1 : 0;
      out.push({ combined: h.combined, best: h.best, y });
    }
  });
  return out;
}
type Features = (h: { combined: number; best: number }) => [number, number];
const F_LINEAR: Features = (h) => [h.combined, Math.log(h.best)];
const F_LOG: Features = (h) => [Math.log(Math.max(1e-6, h.combined)), Math.log(h.best)];
function fitLogistic(pts: Point[], f: Features = F_LINEAR): Sim {
  // Logistic regression on two features, gradient descent (small, deterministic).
  let a = 0; let b = 0; let c = 0;
  const lr = 0.05;
  const xs = pts.map((p) => f(p));
  for (let it = 0; it < 20000; it += 1) {
    let ga = 0; let gb = 0; let gc = 0;
    pts.forEach((p, i) => {
      const [x1, x2] = xs[i] ?? [0, 0];
      const e = 1 / (1 + Math.exp(-(a * x1 + b * x2 + c))) - p.y;
      ga += e * x1; gb += e * x2; gc += e;
    });
    a -= (lr * ga) / pts.length; b -= (lr * gb) / pts.length; c -= (lr * gc) / pts.length;
  }
  console.log(`  fitted: z = ${a.toFixed(3)} × x1 + ${b.toFixed(3)} × x2 + ${c.toFixed(3)}`);
  return (h) => { const [x1, x2] = f(h); return 1 / (1 + Math.exp(-(a * x1 + b * x2 + c))); };
}

function report(label: string, sim: Sim): void {
  const cells: string[] = [];
  for (const pad of [0, 2, 4]) {
    let kept = 0; let answerable = 0; let refused = 0; let unanswerable = 0;
    questions.forEach((q, i) => {
      const hits = hitsOf(padded(q.question, pad, i + 1));
      if (q.answers.length === 0) {
        unanswerable += 1;
        if ((hits[0] ? sim(hits[0]) : 0) < 0.1) refused += 1;
        return;
      }
      answerable += 1;
      const right = hits.find((h) => h.row && q.answers.some((a) => passageAnswers({ sourcePath: h.row!.sourcePath, section: h.row!.section, text: h.row!.content }, a)));
      if (right && sim(right) >= 0.1) kept += 1;
    });
    // Topic guess as shipped: the best passage's policy when its similarity reaches 0.3, else other.
    let right = 0;
    topics.forEach((m, i) => {
      const [h] = hitsOf(padded(m.message, pad, 1000 + i));
      const guess = h && sim(h) >= 0.3 ? (h.row?.topic ?? 'other') : 'other';
      if (guess === m.topic) right += 1;
    });
    cells.push(`${kept}/${answerable} · ${refused}/${unanswerable} · ${((100 * right) / topics.length).toFixed(0)} %`);
  }
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}

console.log('cells: right passage kept at 0.1 · unanswerable refused at 0.1 · topic guess alone (no rules) right at 0.3');
console.log('| similarity | as written | + 2 filler sentences | + 4 filler sentences |\n|---|---|---|---|');
report('shipped (src/era/retrieval/similarity.ts)', shipped);
const both = fitLogistic([...points(0), ...points(2), ...points(4)]);
report('combined + ln(best), fitted with filler', both);
const plain = fitLogistic(points(0));
report('combined + ln(best), fitted as written', plain);
const logs = fitLogistic([...points(0), ...points(2), ...points(4)], F_LOG);
report('ln(combined) + ln(best), fitted with filler', logs);
const bests = points(0).map((p) => p.best).sort((x, y) => x - y);
const floorBest = bests[Math.floor(bests.length / 2)] ?? 1;
console.log(`  median best as written: ${floorBest.toFixed(1)}`);
const F_CLIP: Features = (h) => [Math.log(Math.max(1e-6, h.combined)), Math.log(Math.max(floorBest, h.best))];
const clipped = fitLogistic([...points(0), ...points(2), ...points(4)], F_CLIP);
report('ln(combined) + ln(max(best, median)), fitted with filler', clipped);
const short = 'What if they do not answer the phone?';
const [sh] = hitsOf(short);
if (sh) console.log(`  "${short}": shipped ${shipped(sh).toFixed(3)}, log ${logs(sh).toFixed(3)}, clipped ${clipped(sh).toFixed(3)} (best ${sh.best.toFixed(1)})`);

// Ranking under filler: section top-1 / top-3 of the answerable tuning questions.
const rankCells = [0, 2, 4].map((pad) => {
  let s1 = 0; let s3 = 0; let n = 0;
  questions.forEach((q, i) => {
    if (q.answers.length === 0) return;
    n += 1;
    const hits = hitsOf(padded(q.question, pad, i + 1)).slice(0, 3);
    const at = hits.findIndex((h) => h.row && q.answers.some((a) => passageAnswers({ sourcePath: h.row!.sourcePath, section: h.row!.section, text: h.row!.content }, a)));
    if (at === 0) s1 += 1;
    if (at >= 0) s3 += 1;
  });
  return `${((100 * s1) / n).toFixed(0)} / ${((100 * s3) / n).toFixed(0)} %`;
});
console.log(`\n| ranking | as written | + 2 | + 4 |\n|---|---|---|---|\n| section top-1 / top-3 | ${rankCells.join(' | ')} |`);

const SWEPT = process.env.SWEPT === 'log' ? logs : process.env.SWEPT === 'clip' ? clipped : process.env.SWEPT === 'shipped' ? shipped : both;
// Thresholds for the two-feature similarity fitted with filler: refusal (answerable kept / unanswerable refused) and the topic guess.
console.log('\n| threshold | kept · refused, as written | + 2 | + 4 | topic guess right, as written | + 2 | + 4 |\n|---|---|---|---|---|---|---|');
for (const t of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
  const ref: string[] = [];
  const top: string[] = [];
  for (const pad of [0, 2, 4]) {
    let kept = 0; let refused = 0;
    questions.forEach((q, i) => {
      const hits = hitsOf(padded(q.question, pad, i + 1));
      if (q.answers.length === 0) { if ((hits[0] ? SWEPT(hits[0]) : 0) < t) refused += 1; return; }
      const right = hits.find((h) => h.row && q.answers.some((a) => passageAnswers({ sourcePath: h.row!.sourcePath, section: h.row!.section, text: h.row!.content }, a)));
      if (right && SWEPT(right) >= t) kept += 1;
    });
    ref.push(`${kept} · ${refused}`);
    let right = 0;
    topics.forEach((m, i) => {
      const [h] = hitsOf(padded(m.message, pad, 1000 + i));
      if ((h && SWEPT(h) >= t ? (h.row?.topic ?? 'other') : 'other') === m.topic) right += 1;
    });
    top.push(`${((100 * right) / topics.length).toFixed(0)} %`);
  }
  console.log(`| ${t} | ${ref.join(' | ')} | ${top.join(' | ')} |`);
}
