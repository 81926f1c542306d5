/** Training-data exports: fine-tuning JSONL (Anthropic and OpenAI) of approved conversations, quality CSV. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fineTuningJsonl, importPlan, importSeeds, loadJsonFile, qualityReportCsv, QUALITY_COLUMNS, seedFileSchema } from '../src/generation';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const EXAMPLES = path.resolve('examples/financial-planning');
const SEEDS = readdirSync(path.join(EXAMPLES, 'seeds')).filter((f) => f.endsWith('.json')).map((f) => path.join(EXAMPLES, 'seeds', f)).sort();

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

describe.each(testDbKinds)('training-data exports on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await importPlan(t.db, path.join(EXAMPLES, 'plan.json'));
    const summary = await importSeeds(t.db, SEEDS);
    expect(summary.filesFailed).toBe(0);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it.each(['anthropic', 'openai'] as const)('writes one valid %s example per approved conversation, turns in order', async (format) => {
    const lines = await collect(fineTuningJsonl(t.db, format));
    const approved = await t.db.selectFrom('training_conversations').select('conversation_id').where('generation_status', '=', 'approved').execute();
    expect(approved.length).toBe(SEEDS.length);
    expect(lines).toHaveLength(approved.length);
    const seeds = await Promise.all(SEEDS.map((f) => loadJsonFile(f, seedFileSchema)));
    const pairs = seeds.flatMap((s) => s.training_pairs);
    for (const line of lines) {
      expect(line.endsWith('\n')).toBe(true);
      const example = JSON.parse(line) as { system?: string; messages: Array<{ role: string; content: string }> };
      const chat = format === 'openai' ? example.messages.slice(1) : example.messages;
      if (format === 'openai') {
        expect(example.system).toBeUndefined();
        expect(example.messages[0]!.role).toBe('system');
        expect(example.messages[0]!.content.length).toBeGreaterThan(20);
      } else {
        expect(typeof example.system).toBe('string');
        expect(example.system!.length).toBeGreaterThan(20);
      }
      expect(chat.length % 2).toBe(0);
      chat.forEach((m, i) => { expect(m.role).toBe(i % 2 === 0 ? 'user' : 'assistant'); });
      // Every exchange is one of the seed's turns, verbatim.
      for (let i = 0; i < chat.length; i += 2) {
        expect(pairs.some((p) => p.current_user_input === chat[i]!.content && p.target_response === chat[i + 1]!.content)).toBe(true);
      }
    }
  });

  it('leaves out conversations that are not approved', async () => {
    const first = await t.db.selectFrom('training_conversations').select('id').where('generation_status', '=', 'approved').orderBy('conversation_number').executeTakeFirstOrThrow();
    await t.db.updateTable('training_conversations').set({ generation_status: 'reviewed' }).where('id', '=', first.id).execute();
    try {
      expect(await collect(fineTuningJsonl(t.db, 'anthropic'))).toHaveLength(SEEDS.length - 1);
    } finally {
      await t.db.updateTable('training_conversations').set({ generation_status: 'approved' }).where('id', '=', first.id).execute();
    }
  });

  it('writes the quality report as CSV, one row per conversation with metrics', async () => {
    const chunks: Buffer[] = [];
    for await (const c of qualityReportCsv(t.db)) chunks.push(Buffer.from(c as Buffer));
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
    expect(lines[0]).toBe(QUALITY_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + SEEDS.length);
    const row = lines[1]!.split(',');
    const score = Number(row[QUALITY_COLUMNS.indexOf('overall_quality_score')]);
    expect(score).toBeGreaterThanOrEqual(1);
    expect(score).toBeLessThanOrEqual(5);
    expect(['true', 'false']).toContain(row[QUALITY_COLUMNS.indexOf('ready_for_training')]);
  });
});
