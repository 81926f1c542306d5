/** Retrieved passages in the shapes the turn row stores (spec/000: search_results, avg_similarity). */
import type { SearchResults } from '../../../db/schema';
import type { RetrievedPassage } from './retriever';

/** The spec's `search_results` JSON: `{ results: [{ chunk_id, document_title, chunk_text, similarity }] }`. */
export function toSearchResults(passages: readonly RetrievedPassage[]): SearchResults {
  return {
    results: passages.map((p) => ({
      chunk_id: p.chunkId,
      document_title: p.documentTitle,
      chunk_text: p.text,
      similarity: p.similarity,
    })),
  };
}

/** The mean similarity of the passages, for `avg_similarity`; null when there are none. */
export function averageSimilarity(passages: readonly RetrievedPassage[]): number | null {
  if (passages.length === 0) return null;
  return passages.reduce((sum, p) => sum + p.similarity, 0) / passages.length;
}
