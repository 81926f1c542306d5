import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenerationFileError, importPlan, importPlanData, planFileSchema, type PlanFile } from '../src/generation';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const PLAN = path.resolve(__dirname, '../examples/financial-planning/plan.json');

async function loadPlan(): Promise<PlanFile> {
  return planFileSchema.parse(JSON.parse(await readFile(PLAN, 'utf8')));
}

describe.each(testDbKinds)('plan import on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dir = await mkdtemp(path.join(os.tmpdir(), 'gen-plan-'));
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function counts() {
    const c = await t.db.selectFrom('training_conversations').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const tp = await t.db.selectFrom('conversation_templates').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    return { conversations: Number(c.n), templates: Number(tp.n) };
  }

  it('loads the 100 planned conversations with the spec distribution and templates A-E', async () => {
    const r = await importPlan(t.db, PLAN);
    expect(r.templates).toEqual({ added: 11, updated: 0, unchanged: 0, locked: 0 });
    expect(r.conversations).toEqual({ added: 100, updated: 0, unchanged: 0, locked: 0 });

    const rows = await t.db.selectFrom('training_conversations').selectAll().orderBy('conversation_number').execute();
    expect(rows.map((r) => r.conversation_number)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.generation_status))).toEqual(new Set(['planned']));

    const byPersona: Record<string, number> = {};
    for (const r of rows) byPersona[r.persona_type] = (byPersona[r.persona_type] ?? 0) + 1;
    expect(byPersona).toEqual({ Marcus: 17, Jennifer: 14, David: 13, Mixed: 56 });

    const seeds = rows.filter((r) => r.is_seed_example);
    expect(seeds.map((r) => r.conversation_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(new Set(seeds.map((r) => r.tier))).toEqual(new Set(['tier1_template']));
    const generated = rows.filter((r) => !r.is_seed_example);
    const byTier: Record<string, number> = {};
    for (const r of generated) byTier[r.tier] = (byTier[r.tier] ?? 0) + 1;
    expect(byTier).toEqual({ tier1_template: 40, tier2_scenario: 35, tier3_edge: 15 });

    const templates = await t.db.selectFrom('conversation_templates').selectAll().where('tier', '=', 'tier1_template').orderBy('template_id').execute();
    expect(templates.map((x) => x.template_id)).toEqual(['a', 'b', 'c', 'd', 'e'].map((l) => `tier1_template_${l}`));
    expect(templates.map((x) => x.template_name.slice(0, 17))).toEqual(['A', 'B', 'C', 'D', 'E'].map((l) => `Tier 1 Template ${l}`));
    for (const tpl of templates) {
      expect(tpl.reference_conversation_ids).toHaveLength(2);
      expect(tpl.target_conversation_count).toBe(8);
      expect(tpl.template_prompt.length).toBeGreaterThan(500);
    }
    // Every conversation names an existing template.
    const ids = new Set((await t.db.selectFrom('conversation_templates').select('template_id').execute()).map((x) => x.template_id));
    expect(rows.filter((r) => !ids.has(r.tier_template ?? ''))).toEqual([]);
    const marcus = rows.find((r) => r.conversation_id === 'fp_marcus_001')!;
    expect(marcus.persona_name).toBe('Marcus Thompson');
    expect(Number(marcus.starting_emotion_intensity)).toBe(0.7);
  });

  it('changes nothing when run again', async () => {
    const before = await counts();
    const r = await importPlan(t.db, PLAN);
    expect(r.templates).toEqual({ added: 0, updated: 0, unchanged: 11, locked: 0 });
    expect(r.conversations).toEqual({ added: 0, updated: 0, unchanged: 100, locked: 0 });
    expect(await counts()).toEqual(before);
  });

  it('updates a changed entry only while its conversation is still planned', async () => {
    await t.db.updateTable('training_conversations').set({ generation_status: 'generated' }).where('conversation_number', '=', 21).execute();
    const plan = await loadPlan();
    const edited: PlanFile = {
      ...plan,
      conversations: plan.conversations.map((c) => (c.number === 20 || c.number === 21 ? { ...c, session_context: 'Edited context' } : c)),
    };
    const r = await importPlanData(t.db, edited);
    expect(r.conversations).toEqual({ added: 0, updated: 1, unchanged: 98, locked: 1 });
    const rows = await t.db.selectFrom('training_conversations').select(['conversation_number', 'session_context'])
      .where('conversation_number', 'in', [20, 21]).orderBy('conversation_number').execute();
    expect(rows[0]!.session_context).toBe('Edited context');
    expect(rows[1]!.session_context).not.toBe('Edited context');
  });

  it('rejects a malformed plan with the file and the path of the bad field, writing nothing', async () => {
    const before = await counts();
    const plan = JSON.parse(await readFile(PLAN, 'utf8'));
    plan.conversations[42].persona = 'zelda';
    plan.templates[3].typical_turn_count = 'three';
    const bad = path.join(dir, 'bad-plan.json');
    await writeFile(bad, JSON.stringify(plan));
    const err = await importPlan(t.db, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationFileError);
    const message = (err as Error).message;
    expect(message).toContain(bad);
    expect(message).toContain('templates[3].typical_turn_count');
    expect(await counts()).toEqual(before);

    plan.templates[3].typical_turn_count = 4;
    await writeFile(bad, JSON.stringify(plan));
    await expect(importPlan(t.db, bad)).rejects.toThrow(/conversations\[42\]\.persona: unknown persona "zelda"/);

    const notJson = path.join(dir, 'not-json.json');
    await writeFile(notJson, '{ "plan_version": 1,');
    await expect(importPlan(t.db, notJson)).rejects.toThrow(/not-json\.json: not valid JSON/);
    await expect(importPlan(t.db, path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read the file \(ENOENT\)/);
    expect(await counts()).toEqual(before);
  });
});
