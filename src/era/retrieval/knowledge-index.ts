/**
 * The two-level index the retriever searches: one BM25F index of the chunks and one of whole documents
 * (each document's chunks as one text). A chunk's rank mixes its own coverage of the question with its
 * document's: a passage whose words match but whose policy is about something else ("job" in "Job
 * abandonment" for an injured employee) loses to a passage of the policy the question is about.
 */
import type { WeightedTerm } from './expansion';
import { type Bm25Params, DEFAULT_BM25, type IndexHit, type IndexSourceRow, LexicalIndex, questionHolding } from './lexical-index';

/** How much a document's coverage adds to each of its chunks' (see the file comment). */
export const DEFAULT_DOCUMENT_WEIGHT = 0.25;
/** Chunks considered for the final ranking: the best by their own coverage. */
const CANDIDATES = 50;

/** A chunk as the index keeps it: where it comes from, for the passage shown (its text stays in the database). */
export interface KnowledgeRow extends IndexSourceRow {
  sourcePath: string;
  topic: string | null;
}

/** What the index knows of a chunk besides its words. */
export type ChunkMeta = Omit<KnowledgeRow, 'content' | 'questions'>;

/** A chunk as ranked: its own coverage, its document's and the mix that ranks it. */
export interface RankedHit extends IndexHit {
  documentCoverage: number;
  /** coverage + documentWeight × documentCoverage: the ranking score. */
  combined: number;
}

/** An immutable chunk + document index of one knowledge-base version. */
export class KnowledgeIndex {
  private constructor(
    readonly version: string,
    private readonly chunks: LexicalIndex,
    private readonly documents: LexicalIndex,
    private readonly meta: ReadonlyMap<string, ChunkMeta>,
    private readonly documentWeight: number,
  ) {}

  /** Where a chunk comes from; undefined for an id not in this version. */
  chunk(id: string): ChunkMeta | undefined {
    return this.meta.get(id);
  }

  /** Whether any chunk holds the term. */
  knows(term: string): boolean {
    return this.chunks.has(term);
  }

  get size(): number {
    return this.chunks.size;
  }

  /** Builds both levels from all chunks of one version (chunks of a document in reading order). */
  static build(version: string, rows: readonly KnowledgeRow[], params: Bm25Params = DEFAULT_BM25, documentWeight = DEFAULT_DOCUMENT_WEIGHT): KnowledgeIndex {
    const meta = new Map<string, ChunkMeta>();
    const docs = new Map<string, IndexSourceRow & { parts: string[]; holding: Map<string, number>; sections: Set<string> }>();
    // One pass: each chunk's questions are analysed once, for its own row and (once per section, as a
    // section's chunks share them) for its document's, and nothing per chunk is kept beyond its row.
    function* chunkRows(): Generator<IndexSourceRow> {
      for (const r of rows) {
        meta.set(r.id, { id: r.id, documentId: r.documentId, title: r.title, sourcePath: r.sourcePath, topic: r.topic, section: r.section });
        let d = docs.get(r.documentId);
        if (!d) {
          d = { id: r.documentId, documentId: r.documentId, title: r.title, section: null, content: '', parts: [], holding: new Map(), sections: new Set() };
          docs.set(r.documentId, d);
        }
        d.parts.push(r.section ? `${r.section}\n${r.content}` : r.content);
        const holding = r.questions && r.questions.length > 0 ? questionHolding(r.questions) : undefined;
        if (holding && !d.sections.has(r.section ?? '')) {
          d.sections.add(r.section ?? '');
          for (const [t, n] of holding) d.holding.set(t, (d.holding.get(t) ?? 0) + n);
        }
        yield { id: r.id, documentId: r.documentId, title: r.title, section: r.section, content: r.content, ...(holding ? { questionHolding: holding } : {}) };
      }
    }
    const chunks = LexicalIndex.build(version, chunkRows(), params);
    const docRows = [...docs.values()].map((d) => ({ id: d.id, documentId: d.documentId, title: d.title, section: null, content: d.parts.join('\n'), questionHolding: d.holding }));
    return new KnowledgeIndex(version, chunks, LexicalIndex.build(version, docRows, params), meta, documentWeight);
  }

  /** The k best chunks, best first by the mixed score. */
  search(terms: readonly WeightedTerm[], k: number): RankedHit[] {
    const candidates = this.chunks.search(terms, Math.max(k, CANDIDATES));
    if (candidates.length === 0) return [];
    const docCoverage = new Map(this.documents.search(terms, this.documents.size).map((h) => [h.chunkId, h.coverage]));
    return candidates
      .map((h) => {
        const documentCoverage = docCoverage.get(this.meta.get(h.chunkId)?.documentId ?? '') ?? 0;
        return { ...h, documentCoverage, combined: h.coverage + this.documentWeight * documentCoverage };
      })
      .sort((a, b) => b.combined - a.combined || a.ordinal - b.ordinal)
      .slice(0, k);
  }
}
