/**
 * A stored conversation exported in the seed structure re-imports unchanged: the shipped seeds go into
 * database A, each conversation is exported to a file and imported into a fresh database B, and every
 * table's rows for it are compared (ids, timestamps and foreign-key uuids left out).
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db';
import { ConversationExportError, exportConversationSeed, importSeeds, seedFileSchema } from '../src/generation';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const SEEDS_DIR = path.resolve(__dirname, '../examples/financial-planning/seeds');
const DROP = new Set(['id', 'created_at', 'updated_at', 'conversation_id', 'turn_id']);

type Row = Record<string, unknown>;
const strip = (rows: Row[]): Row[] => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !DROP.has(k))));

/** Every row of every training table for conversation KEY, with the human keys kept for ordering. */
async function snapshot(db: Kysely<Database>, key: string): Promise<Record<string, Row[]>> {
  const conv = await db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', key).executeTakeFirstOrThrow();
  const turns = await db.selectFrom('training_turns').selectAll().where('conversation_id', '=', conv.id).orderBy('turn_number').execute();
  const turnIds = turns.map((t) => t.id);
  const byTurn = (turnId: string) => turns.find((t) => t.id === turnId)!.turn_number;
  const emotional = await db.selectFrom('emotional_context').selectAll().where('turn_id', 'in', turnIds).execute();
  const strategies = await db.selectFrom('response_strategies').selectAll().where('turn_id', 'in', turnIds).execute();
  const sentences = await db.selectFrom('response_breakdowns').selectAll().where('turn_id', 'in', turnIds).execute();
  const metrics = await db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', conv.id).execute();
  const withTurn = <R extends { turn_id: string }>(rows: R[]) => rows.map((r) => ({ ...r, turn: byTurn(r.turn_id) }))
    .sort((a, b) => a.turn - b.turn || Number((a as Row).sentence_number ?? 0) - Number((b as Row).sentence_number ?? 0));
  return {
    training_conversations: [{ ...strip([conv])[0], key: conv.conversation_id }],
    training_turns: turns.map((t) => ({ ...strip([t])[0], key: t.turn_id })),
    emotional_context: strip(withTurn(emotional)),
    response_strategies: strip(withTurn(strategies)),
    response_breakdowns: strip(withTurn(sentences)),
    quality_metrics: strip(metrics),
  };
}

describe.each(testDbKinds)('conversation export on %s', (kind) => {
  let a: TestDatabase;
  let dir: string;
  let keys: string[];
  beforeAll(async () => {
    a = await createTestDatabase(kind);
    dir = await mkdtemp(path.join(os.tmpdir(), 'conv-export-'));
    const files = (await readdir(SEEDS_DIR)).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(SEEDS_DIR, f));
    const summary = await importSeeds(a.db, files);
    expect(summary.filesFailed).toBe(0);
    keys = summary.imported;
  });
  afterAll(async () => {
    await a.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports every shipped seed conversation so that it re-imports into the same rows', async () => {
    expect(keys.length).toBeGreaterThanOrEqual(2);
    for (const key of keys) {
      const exported = await exportConversationSeed(a.db, key);
      expect(seedFileSchema.safeParse(exported).success).toBe(true);
      expect(exported.dataset_metadata).toMatchObject({ total_conversations: 1, total_turns: exported.training_pairs.length });

      const file = path.join(dir, `${key}.json`);
      await writeFile(file, JSON.stringify(exported, null, 2));
      const b = await createTestDatabase(kind);
      try {
        const summary = await importSeeds(b.db, [file]);
        expect(summary).toMatchObject({ filesFailed: 0, conversationsImported: 1, imported: [key] });
        const before = await snapshot(a.db, key);
        const after = await snapshot(b.db, key);
        expect(before.training_turns!.length).toBe(exported.training_pairs.length);
        expect(before.response_breakdowns!.length).toBeGreaterThan(before.training_turns!.length);
        expect(after).toEqual(before);
      } finally {
        await b.dispose();
      }
    }
  });

  it('finds a conversation by uuid and by number, and reports a missing one', async () => {
    const conv = await a.db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', keys[0]!).executeTakeFirstOrThrow();
    const byUuid = await exportConversationSeed(a.db, conv.id);
    const byNumber = await exportConversationSeed(a.db, conv.conversation_number);
    expect(byUuid).toEqual(byNumber);
    expect(byUuid.training_pairs[0]!.conversation_id).toBe(keys[0]);
    const err = await exportConversationSeed(a.db, 'fp_nobody_999').then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConversationExportError);
    expect((err as ConversationExportError).kind).toBe('not_found');
  });
});
