/**
 * Parameter sweeps of the index retriever on the quality suite's TUNING part only, in memory (the
 * shipped policies chunked as ingestion would, no database): prints section top-1 / top-3 and
 * document top-3 for each setting tried. How the defaults in lexical-index.ts were chosen.
 *
 *   node -r @swc-node/register bench/retrieval-tune.ts [--show | --holdout]
 *   --holdout prints the held-out figures of the defaults only (the final check, never its misses).
 */
import { type Bm25Params, DEFAULT_BM25, DEFAULT_DOCUMENT_WEIGHT, EXPANSION_WEIGHT, expandQuery, KnowledgeIndex, type KnowledgeRow, loadQualityQuestions, passageAnswers } from '../src/era/retrieval';
import { QUESTIONS_FILE, QUESTIONS_TUNE2_FILE, shippedRows } from './shipped-knowledge';

type Row = KnowledgeRow;
const corpus = shippedRows;
/** --show: list the tuning questions whose right section is not first (for writing expansion rules). */
const SHOW = process.argv.includes('--show');

function evaluate(label: string, params: Bm25Params, documentWeight = 0.5, expansionWeight = 0.75, split: 'tune' | 'holdout' = 'tune'): void {
  const rows = corpus();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const index = KnowledgeIndex.build('x', rows, params, documentWeight);
  const questions = loadQualityQuestions(QUESTIONS_FILE).filter((q) => q.split === split && q.answers.length > 0);
  let s1 = 0;
  let s3 = 0;
  let d3 = 0;
  for (const q of questions) {
    const hits = index.search(expandQuery(q.question, expansionWeight), 3).map((h) => byId.get(h.chunkId)).filter((r): r is Row => r !== undefined);
    const sec = hits.findIndex((h) => q.answers.some((a) => passageAnswers({ sourcePath: h.sourcePath, section: h.section, text: h.content }, a)));
    if (sec !== 0 && SHOW && split === 'tune') console.log(`  ${q.id} ${q.question} => want ${q.answers.map((a) => a.section).join(' | ')}; got ${hits.map((h) => `${h.sourcePath.slice(0, 8)}:${(h.section ?? '').split(' › ').at(-1) ?? ''}`).join(' ; ')}`);
    if (sec === 0) s1 += 1;
    if (sec >= 0) s3 += 1;
    if (hits.some((h) => q.answers.some((a) => a.document === h.sourcePath))) d3 += 1;
  }
  const pct = (n: number) => `${((100 * n) / questions.length).toFixed(1)}%`;
  console.log(`| ${label} | ${pct(s1)} | ${pct(s3)} | ${pct(d3)} |`);
}

/** Both tuning sets (tune, then tune2), one row per setting. */
function evaluateBoth(label: string, params: Bm25Params, documentWeight = DEFAULT_DOCUMENT_WEIGHT, expansionWeight = EXPANSION_WEIGHT): void {
  const rows = corpus();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const index = KnowledgeIndex.build('x', rows, params, documentWeight);
  const cells: string[] = [];
  for (const [file, split] of [[QUESTIONS_FILE, 'tune'], [QUESTIONS_TUNE2_FILE, 'tune2']] as const) {
    const questions = loadQualityQuestions(file).filter((q) => q.split === split && q.answers.length > 0);
    let s1 = 0;
    let s3 = 0;
    for (const q of questions) {
      const hits = index.search(expandQuery(q.question, expansionWeight), 3).map((h) => byId.get(h.chunkId)).filter((r): r is Row => r !== undefined);
      const sec = hits.findIndex((h) => q.answers.some((a) => passageAnswers({ sourcePath: h.sourcePath, section: h.section, text: h.content }, a)));
      if (sec === 0) s1 += 1;
      if (sec >= 0) s3 += 1;
    }
    cells.push(`${((100 * s1) / questions.length).toFixed(1)} / ${((100 * s3) / questions.length).toFixed(1)} %`);
  }
  console.log(`| ${label} | ${cells.join(' | ')} |`);
}

if (process.argv.includes('--round2')) {
  // Round 2: both tuning sets (tune2 was written blind, like the held-out sets, and is larger).
  console.log('| setting | tune: section top-1 / top-3 | tune2: section top-1 / top-3 |\n|---|---|---|');
  for (const questionOnce of [false, true]) {
    for (const questionWeight of [0, 1, 1.5, 2, 3]) {
      for (const expansionWeight of [0, 0.5, 0.75]) {
        for (const documentWeight of [0.25, 0.5, 1]) evaluateBoth(`questions ${questionWeight}${questionOnce ? ' (once)' : ''}, rules ${expansionWeight}, document ${documentWeight}`, { ...DEFAULT_BM25, questionWeight, questionOnce }, documentWeight, expansionWeight);
      }
    }
  }
  process.exit(0);
}
if (process.argv.includes('--round2-grid')) {
  // The BM25F parameters again, around the round-2 defaults.
  console.log('| setting | tune: section top-1 / top-3 | tune2: section top-1 / top-3 |\n|---|---|---|');
  evaluateBoth('defaults', DEFAULT_BM25);
  for (const k1 of [0.8, 1.2, 1.6]) for (const b of [0.3, 0.5, 0.75]) evaluateBoth(`k1 ${k1}, b ${b}`, { ...DEFAULT_BM25, k1, b });
  for (const headingWeight of [1, 2, 3, 4]) for (const parentWeight of [0.5, 1, 2]) evaluateBoth(`heading ${headingWeight}, parent ${parentWeight}`, { ...DEFAULT_BM25, headingWeight, parentWeight });
  for (const titleWeight of [0, 0.5, 1]) evaluateBoth(`title ${titleWeight}`, { ...DEFAULT_BM25, titleWeight });
  process.exit(0);
}
if (process.argv.includes('--questions')) {
  // Document expansion (the .questions.json files): its weight against the rules' and the document level's.
  console.log('| setting (tuning part) | section top-1 | section top-3 | document top-3 |\n|---|---|---|---|');
  for (const questionOnce of [false, true]) {
    for (const questionWeight of [0, 0.5, 1, 1.5, 2, 3, 4]) {
      for (const expansionWeight of [0, 0.75]) {
        for (const documentWeight of [0.25, 0.5, 1]) evaluate(`questions ${questionWeight}${questionOnce ? ' (once)' : ''}, rules ${expansionWeight}, document ${documentWeight}`, { ...DEFAULT_BM25, questionWeight, questionOnce }, documentWeight, expansionWeight);
      }
    }
  }
  process.exit(0);
}
if (process.argv.includes('--holdout')) {
  // The final check: figures only, never the questions missed.
  evaluate('defaults, HELD-OUT part', DEFAULT_BM25, 0.5, 0.75, 'holdout');
  process.exit(0);
}
if (SHOW) {
  evaluate('defaults', DEFAULT_BM25);
  process.exit(0);
}
console.log('| setting (tuning part) | section top-1 | section top-3 | document top-3 |\n|---|---|---|---|');
evaluate('defaults', DEFAULT_BM25);
for (const w of [0, 0.25, 0.5, 1, 2]) evaluate(`document weight ${w}`, DEFAULT_BM25, w);
for (const w of [0, 0.25, 0.5, 0.75, 1]) evaluate(`expansion weight ${w}`, DEFAULT_BM25, 0.5, w);
for (const k1 of [0.8, 1.2, 1.6]) for (const b of [0.3, 0.5, 0.75]) evaluate(`k1 ${k1}, b ${b}`, { ...DEFAULT_BM25, k1, b });
for (const headingWeight of [1, 2, 3, 4]) for (const parentWeight of [0.5, 1, 2, 3]) evaluate(`heading ${headingWeight}, parent ${parentWeight}`, { ...DEFAULT_BM25, headingWeight, parentWeight });
for (const titleWeight of [0, 0.5, 1, 2]) evaluate(`title ${titleWeight}`, { ...DEFAULT_BM25, titleWeight });
