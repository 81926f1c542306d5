/** The training-dataset commands in Teams: /plan, /conversation, /quality, /review, /approve, /flag. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { importPlan, importSeeds } from '../src/generation';
import { parseCommand } from '../src/bot/commands';
import { createHarness, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

const EXAMPLES = path.resolve('examples/financial-planning');
const SEEDS = readdirSync(path.join(EXAMPLES, 'seeds')).filter((f) => f.endsWith('.json')).map((f) => path.join(EXAMPLES, 'seeds', f));

it('treats dataset words without the slash as questions for ERA', () => {
  expect(parseCommand('plan for a shift swap?')).toBeNull();
  expect(parseCommand('review her performance')).toBeNull();
  expect(parseCommand('/plan tier=1')).toEqual({ kind: 'command', name: 'plan', arg: 'tier=1' });
});

describe.each(testDbKinds)('dataset commands on %s', (kind) => {
  let h: Harness;
  const text = async (msg: string) => (await h.say(msg)).map((a) => a.text ?? '').join('\n');
  beforeAll(async () => {
    h = await createHarness(kind);
    expect(await text('/plan')).toMatch(/The training dataset is empty/);
    await importPlan(h.t.db, path.join(EXAMPLES, 'plan.json'));
    await importSeeds(h.t.db, SEEDS);
  });
  afterAll(async () => {
    await h.close();
  });

  it('/plan shows counts by status, tier and persona and a page of ten', async () => {
    const out = await text('/plan');
    expect(out).toMatch(/by status: approved 3 · planned 97/);
    expect(out).toMatch(/by tier: tier1_template 50 · tier2_scenario 35 · tier3_edge 15/);
    expect(out).toMatch(/100 conversation\(s\) match; page 1 of 10:/);
    expect(out.split('\n').filter((l) => l.startsWith('- **'))).toHaveLength(10);
  });

  it('/plan filters and pages', async () => {
    const out = await text('/plan tier=3 page=2');
    expect(out).toMatch(/15 conversation\(s\) match `tier=3 page=2`; page 2 of 2:/);
    const rows = out.split('\n').filter((l) => l.startsWith('- **'));
    expect(rows).toHaveLength(5);
    expect(rows.every((r) => r.includes('tier3_edge'))).toBe(true);
    const approved = await text('/plan status=approved');
    expect(approved.split('\n').filter((l) => l.startsWith('- **'))).toHaveLength(3);
    expect(await text('/plan colour=blue')).toMatch(/unknown filter "colour"/);
    expect(await text('/plan tier=7')).toMatch(/tier is 1, 2 or 3/);
  });

  it('/conversation shows a seed with its turns and completeness, and a planned one as not generated', async () => {
    const seed = await text('/conversation 1');
    expect(seed).toMatch(/^\*\*1 · fp_marcus_001\*\*/);
    expect(seed).toMatch(/Completeness: emotional context yes/);
    expect(seed).toMatch(/3 turn\(s\):/);
    expect(await text('/conversation 50')).toMatch(/not generated yet/);
    expect(await text('/conversation 999')).toMatch(/There is no training conversation number 999/);
    expect(await text('/conversation twelve')).toMatch(/Give the conversation number/);
  });

  it('/quality shows averages, the distribution and what needs review', async () => {
    const out = await text('/quality');
    expect(out).toMatch(/\*\*Quality\*\* over 3 conversation\(s\): overall \d\.\d\d/);
    expect(out).toMatch(/Distribution: /);
  });

  it('moves a conversation through flag, review and approve, keeping the notes', async () => {
    expect(await text('/review 1')).toMatch(/only a generated conversation moves to reviewed/);
    expect(await text('/flag 1')).toMatch(/Say what is wrong: \/flag N <notes>/);
    expect(await text('/flag 1 turn 2 is too clinical')).toMatch(/Conversation 1: approved → \*\*generated\*\*/);
    expect(await text('/review 1 reread after edits')).toMatch(/generated → \*\*reviewed\*\*/);
    expect(await text('/approve 1')).toMatch(/reviewed → \*\*approved\*\*/);
    const row = await h.t.db.selectFrom('training_conversations').select(['generation_status', 'reviewer_notes', 'human_reviewed']).where('conversation_number', '=', 1).executeTakeFirstOrThrow();
    expect(row.generation_status).toBe('approved');
    expect(row.human_reviewed).toBe(true);
    expect(row.reviewer_notes).toMatch(/turn 2 is too clinical[\s\S]*reread after edits/);
    expect(await text('/approve 50')).toMatch(/Conversation 50 is planned: generate it before reviewing/);
  });
});
