/**
 * npm run quality — the retrieval quality report (issue 12): the manager questions of
 * examples/era/quality/retrieval-questions.json through the retriever on the shipped policies,
 * section-level top-1 / top-3 and document-level top-3 per document, for the tuning part, the
 * held-out part and the second held-out part (retrieval-questions-holdout2.json), on PGlite and (when DATABASE_URL is set) on Postgres; then how the similarity
 * threshold separates answerable from unanswerable questions. Prints figures; never asserts.
 *
 *   npm run quality:retrieval [-- --misses] [--full-text] [--pglite-only]   (npm run quality: this, then the topics)
 *   --misses lists the tuning questions missed in the top 3; --full-text measures the previous
 *   Postgres full-text retriever on the previous chunking (the 'before' figures).
 */
import path from 'node:path';
import type { DatabaseHandle } from '../db';
import { createFullTextRetriever, createIndexRetriever, ingestKnowledge, loadQualityQuestions, missLines, percent, qualityTable, type QuestionOutcome, runQuality, thresholdFigures } from '../src/era/retrieval';
import { withPglite, withThrowawayPostgres } from './throwaway-db';

const ROOT = path.resolve(__dirname, '..');
const KNOWLEDGE_DIR = path.join(ROOT, 'examples/era/knowledge');
const QUESTIONS = path.join(ROOT, 'examples/era/quality/retrieval-questions.json');
/** The second, blind final check (split holdout2), written after the first held-out part had been read about in notes. */
const QUESTIONS_HOLDOUT2 = path.join(ROOT, 'examples/era/quality/retrieval-questions-holdout2.json');
/** The third, blind final check (split holdout3; half short, half long questions), written after holdout2 had been evaluated once. */
const QUESTIONS_HOLDOUT3 = path.join(ROOT, 'examples/era/quality/retrieval-questions-holdout3.json');
/** Round 2: the second tuning set and its blind final check. */
const QUESTIONS_TUNE2 = path.join(ROOT, 'examples/era/quality/retrieval-questions-tune2.json');
const QUESTIONS_HOLDOUT4 = path.join(ROOT, 'examples/era/quality/retrieval-questions-holdout4.json');
const QUESTIONS_HOLDOUT5 = path.join(ROOT, 'examples/era/quality/retrieval-questions-holdout5.json');
const SPLIT_LABELS = { tune: 'tuning part', holdout: 'held-out part (not tuned on; its misses were read in earlier notes)', holdout2: 'second held-out part (written blind on 2026-12-02 before document expansion was tuned)', holdout3: 'third held-out part (written blind on 2026-12-02, half short and half long; the final check of round 1)', tune2: 'second tuning part (written blind on 2026-12-02; tuned on in round 2)', holdout4: 'fourth held-out part (written blind on 2026-12-02 with tune2; the final check of round 2)', holdout5: 'fifth held-out part (written blind on 2026-12-02 for round 3; retrieval unchanged since round 2)' } as const;
const THRESHOLDS = [0.05, 0.1, 0.2, 0.3, 0.4];

async function report(label: string, handle: DatabaseHandle, showMisses: boolean, fullText: boolean): Promise<void> {
  await ingestKnowledge(handle.db, KNOWLEDGE_DIR, fullText ? { chunkOptions: { packSiblings: true } } : {});
  const retriever = fullText ? createFullTextRetriever(handle.db, { topK: 5, minSimilarity: 0 }) : createIndexRetriever(handle.db, { topK: 5, minSimilarity: 0 });
  label = `${label} (${fullText ? 'full-text' : 'index'} retriever)`;
  const questions = [...loadQualityQuestions(QUESTIONS), ...loadQualityQuestions(QUESTIONS_HOLDOUT2), ...loadQualityQuestions(QUESTIONS_HOLDOUT3), ...loadQualityQuestions(QUESTIONS_TUNE2), ...loadQualityQuestions(QUESTIONS_HOLDOUT4), ...loadQualityQuestions(QUESTIONS_HOLDOUT5)];
  const outcomes = await runQuality(retriever, questions);
  for (const split of ['tune', 'tune2', 'holdout', 'holdout2', 'holdout3', 'holdout4', 'holdout5'] as const) {
    const part: QuestionOutcome[] = outcomes.filter((o) => o.question.split === split);
    console.log(`\n### ${label}: ${SPLIT_LABELS[split]}\n\n${qualityTable(part)}`);
    if (showMisses && split === 'tune') {
      const misses = missLines(part);
      console.log(misses.length > 0 ? `\nMissed in the top 3 (tuning part):\n${misses.map((m) => `- ${m}`).join('\n')}` : '\nNo tuning question missed in the top 3.');
    }
    const lines = THRESHOLDS.map((t) => {
      const f = thresholdFigures(part, t);
      return `| ${t.toFixed(2)} | ${percent(f.answerableKept, f.answerable)} | ${f.unanswerableRefused}/${f.unanswerable} |`;
    });
    console.log(`\n| threshold | right passage kept (answerable) | unanswerable refused |\n|---|---|---|\n${lines.join('\n')}`);
  }
}

async function main(): Promise<void> {
  const showMisses = process.argv.includes('--misses');
  // --full-text: the previous retriever on the previous chunking, for before/after figures.
  const fullText = process.argv.includes('--full-text');
  const pgOnly = process.argv.includes('--pglite-only');
  await withPglite((h) => report('PGlite', h, showMisses, fullText));
  const url = process.env.DATABASE_URL?.trim();
  if (url && !pgOnly) await withThrowawayPostgres(url, 'tuning_quality', (h) => report('Postgres', h, showMisses, fullText));
  else console.log('\nDATABASE_URL is not set: Postgres skipped.');
}

main().catch((err: unknown) => {
  console.error(`quality report failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
