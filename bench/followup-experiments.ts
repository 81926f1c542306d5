/**
 * Follow-up retrieval (issue 12): the two-message conversations of
 * examples/era/quality/retrieval-followups.json through the index as ERA's retriever uses it, the
 * follow-up alone and with the first message as context under several caps, in memory on the shipped
 * policies. Section top-1 / top-3 for follow-ups that depend on the first message, for topic switches,
 * and for all; and how often the right passage clears the retrieval threshold (0.1). The tuning part
 * unless --holdout. Prints; never asserts.
 *
 *   node -r @swc-node/register bench/followup-experiments.ts [--holdout] [--misses]
 */
import path from 'node:path';
import { CONTEXT_FULL_WORDS, CONTEXT_WEIGHT, contextWeightFor, DEFAULT_BM25, expandQuery, expandWithContext, KnowledgeIndex, loadFollowUps, passageAnswers, similarityOf } from '../src/era/retrieval';
import { shippedRows } from './shipped-knowledge';

const FILE = path.resolve(__dirname, '../examples/era/quality/retrieval-followups.json');
const MIN_SIMILARITY = 0.1;

/** A setting: its label and the previous message's weight for a follow-up with n words of its own (null: the follow-up alone). */
type Variant = [string, ((n: number) => number) | null];

function main(): void {
  const part = process.argv.includes('--holdout') ? 'holdout' : 'tune';
  const conversations = loadFollowUps(FILE).filter((c) => c.split === part);
  const rows = shippedRows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const index = KnowledgeIndex.build('x', rows, DEFAULT_BM25);
  const variants: Variant[] = [
    ['alone', null],
    // Each previous-message word at w, whatever the follow-up says.
    ...[0.2, 0.25, 0.3, 0.35, 0.5, 0.75, 1].map((w): Variant => [`${w} a word, always`, () => w]),
    // Shrinking with the follow-up's own word count n: w × min(1, k / n) a word.
    ...[[0.35, 3], [0.5, 2], [0.5, 3], [0.5, 4], [0.75, 2], [0.75, 3], [0.75, 4], [1, 3]].map(([w, k]): Variant => [
      `${w} × min(1, ${k} / n) a word${w === CONTEXT_WEIGHT && k === CONTEXT_FULL_WORDS ? ' (shipped)' : ''}`,
      (n) => contextWeightFor(n, w, k),
    ]),
  ];
  console.log(`${conversations.length} conversations (${part} part): ${conversations.filter((c) => c.kind === 'dependent').length} dependent, ${conversations.filter((c) => c.kind === 'switch').length} switches\n`);
  console.log('| context | dependent: top-1 / top-3 / kept at 0.1 | switch: top-1 / top-3 / kept at 0.1 | all |\n|---|---|---|---|');
  for (const [label, options] of variants) {
    const cells = (['dependent', 'switch', 'all'] as const).map((kind) => {
      const set = conversations.filter((c) => kind === 'all' || c.kind === kind);
      let top1 = 0;
      let top3 = 0;
      let kept = 0;
      for (const c of set) {
        // expandWithContext applies w × min(1, k / n) itself: k = Infinity gives the variant's weight as is.
        const n = Math.max(1, expandQuery(c.followUp).filter((t) => t.weight === 1).length);
        const terms = options ? expandWithContext(c.followUp, c.first, options(n), Infinity) : expandQuery(c.followUp);
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
