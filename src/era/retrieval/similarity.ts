/**
 * The similarity shown next to a source and stored in search_results: the estimated chance that the
 * passage comes from a section that answers the question. A logistic curve of the passage's ranking
 * score (its coverage of the question plus half its document's: knowledge-index.ts), fitted on the
 * quality suite's tuning part by bench/retrieval-calibrate.ts. Read it as: of passages shown at 0.6,
 * about six in ten were from the right section when the suite was calibrated; 0.1, about one in ten.
 * The default RETRIEVAL_MIN_SIMILARITY is chosen on the same table (README, "What ERA answers from").
 */

/** Fitted by bench/retrieval-calibrate.ts (run it again after changing the ranking). */
const SLOPE = 8.683;
const INTERCEPT = -6.218;

/** Maps a passage's ranking score to the calibrated similarity in (0, 1). */
export function similarityOf(hit: { combined: number }): number {
  const p = 1 / (1 + Math.exp(-(SLOPE * hit.combined + INTERCEPT)));
  return Math.round(p * 1000) / 1000;
}
