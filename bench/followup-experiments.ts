/**
 * Follow-up retrieval (issue 12): the two-message conversations of
 * examples/era/quality/retrieval-followups.json through the index as ERA's retriever uses it, the
 * follow-up alone and with the first message as context at several weights, in memory on the shipped
 * policies. Section top-1 / top-3 for follow-ups that depend on the first message and for topic
 * switches, the tuning part only unless --holdout; and how often the right passage clears the
 * retrieval threshold (0.1). Prints; never asserts.
 *
 *   node -r @swc-node/register bench/followup-experiments.ts [--holdout] [--misses]
 */
import path from 'node:path';
import { CONTEXT_FULL_TERMS, CONTEXT_WEIGHT, contextWeightFor, DEFAULT_BM25, expandQuery, expandWithContext, KnowledgeIndex, loadFollowUps, passageAnswers, similarityOf } from '../src/era/retrieval';
import { shippedRows } from './shipped-knowledge';

const FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-followups.json');
const MIN_SIMILARITY = 0.1;

function main(): void {
  const part = process.argv.includes('--holdout') ? 'holdout' : 'tune';
  const conversations = loadFollowUps(FILE).filter((c) => c.split === part);
  const rows = shippedRows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const index = KnowledgeIndex.build('x', rows, DEFAULT_BM25);
  // A fixed weight for the previous message, then the weight scaled down for a message with many
  // words of its own (more likely a new question): w × min(1, k / n).
  type Variant = [string, (c: { followUp: string }) => number];
  const ownTerms = (text: string) => Math.max(1, expandQuery(text).filter((t) => t.weight === 1).length);
  const variants: Variant[] = [
    ...[0, 0.2, 0.35, 0.5, 0.75, 1].map((w): Variant => [`${w}`, () => w]),
    ...[0.5, 0.75, 1].flatMap((w) => [3, 4, 6].map((k): Variant => [`${w} × min(1, ${k} / own terms)${w === CONTEXT_WEIGHT && k === CONTEXT_FULL_TERMS ? ' (shipped)' : ''}`, (c) => w * Math.min(1, k / ownTerms(c.followUp))])),
  ];
  console.log(`${conversations.length} conversations (${part} part): ${conversations.filter((c) => c.kind === 'dependent').length} dependent, ${conversations.filter((c) => c.kind === 'switch').length} switches\n`);
  console.log('| context weight | dependent: top-1 / top-3 / kept at 0.1 | switch: top-1 / top-3 / kept at 0.1 | all |\n|---|---|---|---|');
  for (const [label, weightOf] of variants) {
    const cells = (['dependent', 'switch', 'all'] as const).map((kind) => {
      const set = conversations.filter((c) => kind === 'all' || c.kind === kind);
      let top1 = 0;
      let top3 = 0;
      let kept = 0;
      for (const c of set) {
        // expandWithContext scales its weight by contextWeightFor; undo that to apply the variant's own.
        const weight = weightOf(c);
        const terms = weight > 0 ? expandWithContext(c.followUp, c.first, weight / (contextWeightFor(ownTerms(c.followUp), 1))) : expandQuery(c.followUp);
        const hits = index.search(terms, 3);
        const rank = hits.findIndex((h) => {
          const r = byId.get(h.chunkId);
          return r !== undefined && c.answers.some((a) => passageAnswers({ sourcePath: r.sourcePath, section: r.section, text: r.content }, a));
        });
        if (rank === 0) top1 += 1;
        if (rank >= 0) top3 += 1;
        if (rank >= 0 && similarityOf(hits[rank]!) >= MIN_SIMILARITY) kept += 1;
        if (rank !== 0 && process.argv.includes('--misses') && label.endsWith('(shipped)') && kind !== 'all') {
          console.log(`  miss ${c.id} (${kind}) "${c.followUp}" after "${c.first.slice(0, 60)}": want ${c.answers.map((a) => a.section).join(' | ')}; got ${hits.map((h) => byId.get(h.chunkId)?.section?.split(' › ').at(-1)).join(' ; ')}`);
        }
      }
      const pct = (n: number) => ((100 * n) / Math.max(1, set.length)).toFixed(1);
      return `${pct(top1)} / ${pct(top3)} / ${pct(kept)} %`;
    });
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
}

main();
