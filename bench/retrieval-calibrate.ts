/**
 * Calibrates the similarity shown to testers (src/era/retrieval/similarity.ts) on the quality suite's
 * TUNING part, in memory: each question's top 5 passages, labelled 1 when from a section that answers
 * it (0 for every passage of an unanswerable question), and a logistic fit of that label on the
 * passage's ranking score. Prints the fitted constants, then how thresholds on the calibrated
 * similarity separate answerable from unanswerable questions (the choice of RETRIEVAL_MIN_SIMILARITY).
 *
 *   node -r @swc-node/register bench/retrieval-calibrate.ts
 */
import { expandQuery, KnowledgeIndex, loadQualityQuestions, passageAnswers, similarityOf } from '../src/era/retrieval';
import { QUESTIONS_FILE, shippedRows } from './shipped-knowledge';

const rows = shippedRows();
const byId = new Map(rows.map((r) => [r.id, r]));
const index = KnowledgeIndex.build('calibration', rows);
const questions = loadQualityQuestions(QUESTIONS_FILE);

interface Sample {
  x: number;
  y: number;
}
function samples(split: 'tune' | 'holdout'): { points: Sample[]; outcomes: Array<{ answerable: boolean; right: number | null; top: number }> } {
  const points: Sample[] = [];
  const outcomes: Array<{ answerable: boolean; right: number | null; top: number }> = [];
  for (const q of questions.filter((x) => x.split === split)) {
    const hits = index.search(expandQuery(q.question), 5);
    let right: number | null = null;
    for (const h of hits) {
      const r = byId.get(h.chunkId);
      const ok = r !== undefined && q.answers.some((a) => passageAnswers({ sourcePath: r.sourcePath, section: r.section, text: r.content }, a));
      points.push({ x: h.combined, y: ok ? 1 : 0 });
      if (ok && right === null) right = similarityOf(h);
    }
    outcomes.push({ answerable: q.answers.length > 0, right, top: hits[0] ? similarityOf(hits[0]) : 0 });
  }
  return { points, outcomes };
}

/** Logistic regression of y on x by gradient descent (two parameters, a few hundred points). */
function fitLogistic(points: readonly Sample[]): { a: number; b: number } {
  let a = 1;
  let b = 0;
  for (let step = 0; step < 20_000; step += 1) {
    let ga = 0;
    let gb = 0;
    for (const p of points) {
      const e = 1 / (1 + Math.exp(-(a * p.x + b))) - p.y;
      ga += e * p.x;
      gb += e;
    }
    a -= (0.5 * ga) / points.length;
    b -= (0.5 * gb) / points.length;
  }
  return { a, b };
}

const tune = samples('tune');
const { a, b } = fitLogistic(tune.points);
console.log(`Fitted on ${tune.points.length} passages of the tuning part: similarity = 1 / (1 + exp(-(${a.toFixed(3)} × score ${b >= 0 ? '+' : '−'} ${Math.abs(b).toFixed(3)})))`);
console.log('(paste into similarity.ts; the tables below use the constants currently there)\n');
for (const [label, set] of [['tuning part', tune], ['held-out part', samples('holdout')]] as const) {
  console.log(`${label}:\n| threshold | answerable: right passage kept | unanswerable: refused |\n|---|---|---|`);
  const answerable = set.outcomes.filter((o) => o.answerable);
  const unanswerable = set.outcomes.filter((o) => !o.answerable);
  for (const t of [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]) {
    const kept = answerable.filter((o) => o.right !== null && o.right >= t).length;
    const refused = unanswerable.filter((o) => o.top < t).length;
    console.log(`| ${t.toFixed(2)} | ${kept}/${answerable.length} | ${refused}/${unanswerable.length} |`);
  }
  // Reliability: within bands of the similarity, the share of passages from a right section.
  const bands = [0, 0.2, 0.4, 0.6, 0.8, 1.0001];
  const pts = set.points.map((p) => ({ s: similarityOf({ combined: p.x }), y: p.y }));
  const lines = bands.slice(0, -1).map((lo, i) => {
    const hi = bands[i + 1] ?? 1;
    const inBand = pts.filter((p) => p.s >= lo && p.s < hi);
    const right = inBand.filter((p) => p.y === 1).length;
    return `| ${lo.toFixed(1)}–${Math.min(1, hi).toFixed(1)} | ${inBand.length} | ${inBand.length === 0 ? '—' : `${((100 * right) / inBand.length).toFixed(0)}%`} |`;
  });
  console.log(`\n| similarity | passages | from a right section |\n|---|---|---|\n${lines.join('\n')}\n`);
}
