/**
 * The similarity shown next to a source and stored in search_results: the estimated chance that the
 * passage comes from a section that answers the question. A logistic curve of two things the ranking
 * knows (knowledge-index.ts): the passage's ranking score `combined` (its coverage of the question plus
 * half its document's) and how much the question says, `best` (the score a passage holding every one
 * of its words would get; at least the tuning questions' median). Coverage alone falls as a message
 * grows chattier ("Hey, quick one — … thanks!"), though the passage found is as right; the second term
 * corrects for that. Fitted by
 * bench/retrieval-calibrate.ts on the quality suite's two tuning sets, each question as written and with
 * generic chat around it. Read it as: of passages shown at 0.6, about six in ten were from a right
 * section when the suite was calibrated; 0.1, about one in ten. RETRIEVAL_MIN_SIMILARITY and the topic
 * guess's threshold are chosen on the same data (README, "What ERA answers from").
 */

/** Fitted by bench/retrieval-calibrate.ts (run it again after changing the ranking or the policies). */
const COMBINED_LOG = 3.392;
const BEST_LOG = 1.652;
const INTERCEPT = -4.62;
/**
 * The tuning questions' median best possible score: a question saying less than that (a short
 * follow-up, "What if they do not answer the phone?") is judged on its coverage alone, not marked down
 * for being short.
 */
const BEST_FLOOR = 43.8;

/** What the similarity is computed from: a ranked hit (RankedHit has them all). */
export interface SimilarityInput {
  /** The ranking score: coverage + document weight × document coverage. */
  combined: number;
  /** The passage's own BM25F score and its coverage (score / the question's best possible score). */
  score: number;
  coverage: number;
}

/** Maps a ranked passage to the calibrated similarity in (0, 1); 0 for a passage that matched nothing. */
export function similarityOf(hit: SimilarityInput): number {
  if (!(hit.combined > 0) || !(hit.score > 0) || !(hit.coverage > 0)) return 0;
  const best = Math.max(BEST_FLOOR, hit.score / hit.coverage);
  const p = 1 / (1 + Math.exp(-(COMBINED_LOG * Math.log(hit.combined) + BEST_LOG * Math.log(best) + INTERCEPT)));
  return Math.round(p * 1000) / 1000;
}
