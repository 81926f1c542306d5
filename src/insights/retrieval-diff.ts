/**
 * How a replayed turn's retrieval differs from the recorded one: passages added, dropped, and kept at
 * another rank. Null when the recorded turn had no retrieval to compare with.
 */
import type { JsonObject, SearchResults } from '../../db';

export interface RetrievalDiff {
  /** True when the same passages came back in the same order. */
  same: boolean;
  added: string[];
  dropped: string[];
  reordered: Array<{ chunk_id: string; from: number; to: number }>;
}

/** Compares chunk ids, ranks from 1. */
export function retrievalDiff(before: SearchResults | null, after: readonly string[]): RetrievalDiff | null {
  if (!before) return null;
  const old = before.results.map((r) => r.chunk_id);
  const oldRank = new Map(old.map((id, i) => [id, i + 1]));
  const newRank = new Map(after.map((id, i) => [id, i + 1]));
  const reordered: RetrievalDiff['reordered'] = [];
  for (const [id, to] of newRank) {
    const from = oldRank.get(id);
    if (from !== undefined && from !== to) reordered.push({ chunk_id: id, from, to });
  }
  return {
    same: old.length === after.length && old.every((id, i) => after[i] === id),
    added: after.filter((id) => !oldRank.has(id)),
    dropped: old.filter((id) => !newRank.has(id)),
    reordered,
  };
}

/** The diff as stored in a turn's metadata. */
export function diffJson(d: RetrievalDiff | null): JsonObject | null {
  return d ? { same: d.same, added: d.added, dropped: d.dropped, reordered: d.reordered } : null;
}
