/**
 * One plan filter: `/plan`, `/generate` and `gen run --filter` select the same conversations for the
 * same filter. Before, `/plan topic=X` matched the topic category or its description while the other
 * two matched the category only: `topic=espp` (only in a description) listed 7 conversations in /plan
 * and generated none.
 */
import path from 'node:path';
import { resolveTarget } from '../src/cli/gen-jobs';
import { importPlan } from '../src/generation';
import { actionData, cardOf, cardTexts, createHarness, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

const EXAMPLES = path.resolve('examples/financial-planning');

describe.each(testDbKinds)('the plan filter on %s', (kind) => {
  let h: Harness;
  const numberOf = new Map<string, number>();
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
    await importPlan(h.t.db, path.join(EXAMPLES, 'plan.json'));
    for (const r of await h.t.db.selectFrom('training_conversations').select(['id', 'conversation_number']).execute()) numberOf.set(r.id, r.conversation_number);
  });
  afterAll(async () => {
    await h.close();
  });

  /** The conversation numbers /plan lists for FILTER, over every page. */
  async function planNumbers(filter: string): Promise<number[]> {
    const numbers: number[] = [];
    for (let page = 1; page <= 10; page++) {
      const text = (await h.say(`/plan ${filter} page=${String(page)}`)).map((a) => a.text ?? '').join('\n');
      const rows = [...text.matchAll(/^- \*\*(\d+)\*\*/gm)].map((m) => Number(m[1]));
      numbers.push(...rows);
      const pages = /page \d+ of (\d+):/.exec(text);
      if (!pages || page >= Number(pages[1])) break;
    }
    return numbers.sort((a, b) => a - b);
  }

  /** The conversation numbers /generate's confirmation card would start for FILTER. */
  async function generateNumbers(filter: string): Promise<number[]> {
    const sent = await h.say(`/generate ${filter}`);
    const card = cardOf(sent.find((a) => cardTexts(cardOf(a))[0]?.startsWith('Generate ')));
    if (!card) return [];
    const ids = String(actionData(card, 'tb.job.start').ids).split(',');
    await h.say('cancel');
    return ids.map((id) => numberOf.get(id) ?? -1).sort((a, b) => a - b);
  }

  /** The conversation numbers `gen run --filter` would create its job with. */
  async function runNumbers(filter: string): Promise<number[]> {
    const target = await resolveTarget(h.t.db, undefined, filter.replaceAll(' ', ','));
    return (target.ids ?? []).map((id) => numberOf.get(id) ?? -1).sort((a, b) => a - b);
  }

  it.each([
    // In the topic description only ("…through RSUs and ESPP…"): the filters used to disagree here.
    ['topic=espp', 7],
    // In topic categories and descriptions: more than one page of /plan.
    ['topic=rsu', 19],
    ['persona=marcus tier=1', null],
    ['template=a topic=debt', null],
  ])('%s selects the same conversations everywhere', async (filter, expected) => {
    const plan = await planNumbers(filter);
    if (expected !== null) expect(plan).toHaveLength(expected);
    expect(plan.length).toBeGreaterThan(0);
    expect(await generateNumbers(filter)).toEqual(plan);
    expect(await runNumbers(filter)).toEqual(plan);
  });
});
