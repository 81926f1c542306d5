/** What the retrieval experiment scripts share: fusing rankings and measuring one on the tuning part. */
import { type KnowledgeRow, passageAnswers, type QualityQuestion } from '../src/era/retrieval';

/** Chunk ids, best first. */
export type Ranking = string[];

/** Reciprocal rank fusion: each ranking adds weight / (k + rank) to its ids. */
export function rrf(rankings: readonly Ranking[], weights: readonly number[], k = 60): Ranking {
  const s = new Map<string, number>();
  rankings.forEach((r, j) => { r.forEach((id, i) => s.set(id, (s.get(id) ?? 0) + (weights[j] ?? 1) / (k + i + 1))); });
  return [...s].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}

/**
 * A printer of one table row per ranking method: section top-1 / top-3 of the questions with the
 * expansion rules and without them, and the share of topic messages whose first passage is from their
 * policy.
 */
export function rankingMeasure(
  questions: readonly QualityQuestion[],
  byId: ReadonlyMap<string, KnowledgeRow>,
  topicMessages: readonly { message: string; topic: string }[],
): (label: string, rank: (q: string, rules: boolean) => Ranking) => void {
  return (label, rank) => {
    const out: string[] = [];
    for (const rules of [true, false]) {
      let s1 = 0;
      let s3 = 0;
      for (const q of questions) {
        const top = rank(q.question, rules).slice(0, 3).map((id) => byId.get(id)).filter((r): r is KnowledgeRow => r !== undefined);
        const at = top.findIndex((h) => q.answers.some((a) => passageAnswers({ sourcePath: h.sourcePath, section: h.section, text: h.content }, a)));
        if (at === 0) s1 += 1;
        if (at >= 0) s3 += 1;
      }
      const pct = (n: number) => ((100 * n) / questions.length).toFixed(0);
      out.push(`${pct(s1)} / ${pct(s3)} %`);
    }
    let d1 = 0;
    for (const m of topicMessages) if (byId.get(rank(m.message, true)[0] ?? '')?.topic === m.topic) d1 += 1;
    out.push(`${((100 * d1) / topicMessages.length).toFixed(0)} %`);
    console.log(`| ${label} | ${out.join(' | ')} |`);
  };
}
