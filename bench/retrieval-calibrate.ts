/**
 * Calibrates the similarity shown to testers (src/era/retrieval/similarity.ts) on the quality suite's
 * TUNING parts (tune and tune2), in memory: each question's top 5 passages, labelled 1 when from a section that answers
 * it (0 for every passage of an unanswerable question), and a logistic fit of that label on
 * ln(ranking score) and ln(the question's best possible score, or the tuning questions' median when
 * it is less: a short question is not marked down for being short). Every question is scored as written
 * and with 2 and 4 sentences of generic chat around it (shipped-knowledge.ts), so the similarity holds
 * for chattier messages. Prints the fitted constants, then how thresholds on the calibrated similarity
 * keep right passages and refuse unanswerable questions (the choice of RETRIEVAL_MIN_SIMILARITY), and
 * how often passages in each band of similarity were right.
 *
 *   node -r @swc-node/register bench/retrieval-calibrate.ts
 */
import { expandQuery, KnowledgeIndex, loadQualityQuestions, passageAnswers, similarityOf } from '../src/era/retrieval';
import { QUESTIONS_FILE, QUESTIONS_TUNE2_FILE, shippedRows, withChat } from './shipped-knowledge';

const rows = shippedRows();
const byId = new Map(rows.map((r) => [r.id, r]));
const index = KnowledgeIndex.build('calibration', rows);
/** Both tuning sets: tune (by hash) and tune2 (written blind, half long messages). */
const questions = [...loadQualityQuestions(QUESTIONS_FILE).filter((q) => q.split === 'tune'), ...loadQualityQuestions(QUESTIONS_TUNE2_FILE)];
const CHAT = [0, 2, 4] as const;

interface Sample {
  x1: number;
  x2: number;
  y: number;
  s: number;
}
interface Outcome {
  answerable: boolean;
  right: number | null;
  top: number;
}

/** The median best possible score of the tuning questions as written: shorter questions are not marked down below it. */
const BEST_FLOOR = (() => {
  const bests = questions.map((q) => index.search(expandQuery(q.question), 1)[0]).filter((h) => h !== undefined && h.coverage > 0).map((h) => h!.score / h!.coverage).sort((x, y) => x - y);
  return bests[Math.floor(bests.length / 2)] ?? 1;
})();

function samples(chat: number): { points: Sample[]; outcomes: Outcome[] } {
  const points: Sample[] = [];
  const outcomes: Outcome[] = [];
  questions.forEach((q, i) => {
    const hits = index.search(expandQuery(withChat(q.question, chat, i + 1)), 5);
    let right: number | null = null;
    for (const h of hits) {
      const r = byId.get(h.chunkId);
      const ok = r !== undefined && q.answers.some((a) => passageAnswers({ sourcePath: r.sourcePath, section: r.section, text: r.content }, a));
      if (h.combined > 0 && h.coverage > 0) points.push({ x1: Math.log(h.combined), x2: Math.log(Math.max(BEST_FLOOR, h.score / h.coverage)), y: ok ? 1 : 0, s: similarityOf(h) });
      if (ok && right === null) right = similarityOf(h);
    }
    outcomes.push({ answerable: q.answers.length > 0, right, top: hits[0] ? similarityOf(hits[0]) : 0 });
  });
  return { points, outcomes };
}

/** Logistic regression of y on (x1, x2) by gradient descent (three parameters, about 1,300 points). */
function fitLogistic(points: readonly Sample[]): { a: number; b: number; c: number } {
  let a = 0;
  let b = 0;
  let c = 0;
  for (let step = 0; step < 20_000; step += 1) {
    let ga = 0;
    let gb = 0;
    let gc = 0;
    for (const p of points) {
      const e = 1 / (1 + Math.exp(-(a * p.x1 + b * p.x2 + c))) - p.y;
      ga += e * p.x1;
      gb += e * p.x2;
      gc += e;
    }
    a -= (0.05 * ga) / points.length;
    b -= (0.05 * gb) / points.length;
    c -= (0.05 * gc) / points.length;
  }
  return { a, b, c };
}

const sets = CHAT.map((chat) => ({ chat, ...samples(chat) }));
const all = sets.flatMap((s) => s.points);
const { a, b, c } = fitLogistic(all);
console.log(`Fitted on ${all.length} passages of the tuning parts (${questions.length} questions as written, + 2 and + 4 chat sentences):`);
console.log(`similarity = 1 / (1 + exp(-(${a.toFixed(3)} × ln combined + ${b.toFixed(3)} × ln max(best, ${BEST_FLOOR.toFixed(1)}) ${c >= 0 ? '+' : '−'} ${Math.abs(c).toFixed(3)})))`);
console.log('(paste into similarity.ts; the tables below use the constants currently there)\n');
console.log(`| threshold | ${CHAT.map((n) => `right passage kept · unanswerable refused, ${n === 0 ? 'as written' : `+ ${n} chat`}`).join(' | ')} |\n|---|${CHAT.map(() => '---|').join('')}`);
for (const t of [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]) {
  const cells = sets.map(({ outcomes }) => {
    const answerable = outcomes.filter((o) => o.answerable);
    const unanswerable = outcomes.filter((o) => !o.answerable);
    return `${answerable.filter((o) => o.right !== null && o.right >= t).length}/${answerable.length} · ${unanswerable.filter((o) => o.top < t).length}/${unanswerable.length}`;
  });
  console.log(`| ${t.toFixed(2)} | ${cells.join(' | ')} |`);
}
// Reliability: within bands of the similarity, the share of passages from a right section.
const bands = [0, 0.2, 0.4, 0.6, 0.8, 1.0001];
const lines = bands.slice(0, -1).map((lo, i) => {
  const hi = bands[i + 1] ?? 1;
  const inBand = all.filter((p) => p.s >= lo && p.s < hi);
  const right = inBand.filter((p) => p.y === 1).length;
  return `| ${lo.toFixed(1)}–${Math.min(1, hi).toFixed(1)} | ${inBand.length} | ${inBand.length === 0 ? '—' : `${((100 * right) / inBand.length).toFixed(0)}%`} |`;
});
console.log(`\n| similarity (all three) | passages | from a right section |\n|---|---|---|\n${lines.join('\n')}`);
