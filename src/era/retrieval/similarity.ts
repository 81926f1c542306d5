/**
 * The similarity shown next to a source and stored in search_results: a calibrated number a tester can
 * read. Placeholder until calibrated on the quality suite's tuning part: the raw coverage.
 */

/** Maps a passage's coverage of the question (lexical-index.ts) to the similarity in [0, 1]. */
export function similarityOf(hit: { coverage: number }): number {
  return Math.min(1, Math.max(0, hit.coverage));
}
