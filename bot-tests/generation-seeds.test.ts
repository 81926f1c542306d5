import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenerationFileError, importPlan, importSeeds, SeedImportError, type SeedImportProgress } from '../src/generation';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const SEEDS_DIR = path.resolve(__dirname, '../examples/financial-planning/seeds');
// The shipped seeds in conversation-number order: 1 Marcus (3 turns), 2 Jennifer (4 turns), 3 David (3 turns).
const MARCUS = path.join(SEEDS_DIR, 'fp_marcus_001.json');
const JENNIFER = path.join(SEEDS_DIR, 'fp_jennifer_001.json');
const DAVID = path.join(SEEDS_DIR, 'fp_david_001.json');
const SEEDS = [MARCUS, JENNIFER, DAVID];
const PLAN = path.resolve(__dirname, '../examples/financial-planning/plan.json');

interface SeedJson {
  training_pairs: { id: string; conversation_id: string; conversation_metadata: { conversation_number: number }; response_breakdown: { sentences: unknown[] } }[];
}
const readSeed = async (file: string): Promise<SeedJson> => JSON.parse(await readFile(file, 'utf8'));

const TABLES = ['training_conversations', 'training_turns', 'emotional_context', 'response_strategies', 'response_breakdowns', 'quality_metrics'] as const;

describe.each(testDbKinds)('seed import on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  let expectedTurns = 0;
  let expectedSentences = 0;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dir = await mkdtemp(path.join(os.tmpdir(), 'gen-seeds-'));
    for (const f of SEEDS) {
      const s = await readSeed(f);
      expectedTurns += s.training_pairs.length;
      expectedSentences += s.training_pairs.reduce((n, p) => n + p.response_breakdown.sentences.length, 0);
    }
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of TABLES) {
      const r = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      out[table] = Number(r.n);
    }
    return out;
  }

  it('imports the shipped seeds into every table, approved and flagged as seeds', async () => {
    const progress: SeedImportProgress[] = [];
    const summary = await importSeeds(t.db, SEEDS, { onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ files: 3, filesFailed: 0, conversationsImported: 3, conversationsSkipped: 0, turnsImported: expectedTurns, sentencesImported: expectedSentences });
    expect(summary.imported).toEqual(['fp_marcus_001', 'fp_jennifer_001', 'fp_david_001']);
    expect(progress.map((p) => [p.fileIndex, p.status, p.conversationsImported])).toEqual([[1, 'imported', 1], [2, 'imported', 1], [3, 'imported', 1]]);
    // Turns 3 + 4 + 3; sentence breakdowns (5+6+5) + (5+6+7+6) + (4+5+4).
    expect(expectedTurns).toBe(10);
    expect(expectedSentences).toBe(16 + 24 + 13);
    expect(await counts()).toEqual({
      training_conversations: 3, training_turns: 10, emotional_context: 10,
      response_strategies: 10, response_breakdowns: 53, quality_metrics: 3,
    });

    const conv = await t.db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', 'fp_marcus_001').executeTakeFirstOrThrow();
    expect(conv).toMatchObject({ is_seed_example: true, generation_status: 'approved', human_reviewed: true, use_for_variations: true, turn_count: 3, total_sentences: 16, persona_type: 'Marcus' });
    // Mean of the per-turn annotator scores, to one decimal: quality (4.8, 4.9, 4.9), empathy (4.8, 4.6, 4.7).
    expect(Number(conv.quality_score)).toBe(4.9);
    expect(Number(conv.empathy_score)).toBe(4.7);
    expect(Number(conv.clarity_score)).toBe(4.9);

    const q = await t.db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', conv.id).executeTakeFirstOrThrow();
    expect(q).toMatchObject({
      total_turns: 3, total_sentences: 16, sentences_analyzed: 16, sentences_with_word_rationale: 16,
      has_complete_emotional_context: true, has_emotional_progression: true, has_primary_strategy: true, has_strategy_rationale: true,
      all_required_fields_complete: true, ready_for_training: true, needs_review: false, reviewer_approved: true,
    });
    expect(Number(q.word_choice_rationale_completeness)).toBe(1);
    expect(Number(q.overall_quality_score)).toBe(4.9);
    expect(q.total_word_count).toBe(conv.total_word_count);
    expect(q.technique_count).toBeGreaterThanOrEqual(6);

    const turns = await t.db.selectFrom('training_turns').selectAll().where('conversation_id', '=', conv.id).orderBy('turn_number').execute();
    expect(turns.map((x) => x.turn_id)).toEqual(['fp_marcus_001_turn1', 'fp_marcus_001_turn2', 'fp_marcus_001_turn3']);
    expect(turns[2]!.conversation_history).toHaveLength(4);
    const sentences = await t.db.selectFrom('response_breakdowns').selectAll().where('turn_id', '=', turns[0]!.id).orderBy('sentence_number').execute();
    expect(sentences.map((s) => s.sentence_number)).toEqual([1, 2, 3, 4, 5]);
    expect(turns[0]!.target_response).toContain(sentences[2]!.sentence_text);
    expect(Object.keys(sentences[0]!.word_choice_rationale).length).toBeGreaterThanOrEqual(3);
    const emotion = await t.db.selectFrom('emotional_context').selectAll().where('turn_id', '=', turns[1]!.id).executeTakeFirstOrThrow();
    expect(emotion.previous_turn_emotion).toBe('Confusion');
    expect(emotion.client_needs).toHaveLength(3);

    // The four-turn seed: every layer complete, scores the means of its per-turn annotator scores.
    const jen = await t.db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', 'fp_jennifer_001').executeTakeFirstOrThrow();
    expect(jen).toMatchObject({ conversation_number: 2, persona_type: 'Jennifer', tier_template: 'tier1_template_a', turn_count: 4, total_sentences: 24, is_seed_example: true, generation_status: 'approved' });
    // quality (4.8, 4.7, 4.8, 4.9), empathy (4.9, 4.7, 4.8, 4.9), clarity (4.7, 4.6, 4.7, 4.8).
    expect(Number(jen.quality_score)).toBe(4.8);
    expect(Number(jen.empathy_score)).toBe(4.8);
    expect(Number(jen.clarity_score)).toBe(4.7);
    const jq = await t.db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', jen.id).executeTakeFirstOrThrow();
    expect(jq).toMatchObject({
      total_turns: 4, total_sentences: 24, sentences_analyzed: 24, sentences_with_word_rationale: 24, has_emotional_progression: true,
      all_required_fields_complete: true, ready_for_training: true, needs_review: false,
    });
    const jenTurns = await t.db.selectFrom('training_turns').select(['turn_id', 'conversation_history']).where('conversation_id', '=', jen.id).orderBy('turn_number').execute();
    expect(jenTurns.map((x) => x.turn_id)).toEqual([1, 2, 3, 4].map((n) => `fp_jennifer_001_turn${n}`));
    expect(jenTurns[3]!.conversation_history).toHaveLength(6);
  });

  it('skips every conversation on a second run and changes nothing', async () => {
    const before = await counts();
    const summary = await importSeeds(t.db, SEEDS);
    expect(summary).toMatchObject({ conversationsImported: 0, conversationsSkipped: 3, turnsImported: 0, filesFailed: 0 });
    expect(summary.skipped.map((s) => s.conversationId)).toEqual(['fp_marcus_001', 'fp_jennifer_001', 'fp_david_001']);
    expect(await counts()).toEqual(before);
  });

  it('rolls a file back whole when a field deep inside is broken, naming the file and the path', async () => {
    const before = await counts();
    const seed = await readSeed(MARCUS) as SeedJson & { training_pairs: { emotional_context: { detected_emotions: { primary_confidence: number } } }[] };
    for (const p of seed.training_pairs) {
      p.conversation_id = 'fp_marcus_090';
      p.id = p.id.replace('fp_marcus_001', 'fp_marcus_090');
      p.conversation_metadata.conversation_number = 90;
    }
    seed.training_pairs[2]!.emotional_context.detected_emotions.primary_confidence = 1.7;
    const bad = path.join(dir, 'broken-seed.json');
    await writeFile(bad, JSON.stringify(seed));
    const summary = await importSeeds(t.db, [bad, DAVID]);
    expect(summary.filesFailed).toBe(1);
    expect(summary.failed[0]!.error).toBeInstanceOf(GenerationFileError);
    expect(summary.failed[0]!.error.message).toContain(bad);
    expect(summary.failed[0]!.error.message).toContain('training_pairs[2].emotional_context.detected_emotions.primary_confidence');
    expect(summary.conversationsSkipped).toBe(1);
    expect(await counts()).toEqual(before);
  });

  it('rolls back the rows already written when the database refuses a later turn', async () => {
    const before = await counts();
    const seed = await readSeed(DAVID);
    seed.training_pairs.forEach((p, i) => {
      p.conversation_id = 'fp_david_090';
      // The last turn reuses a turn_id already in the database: valid JSON, refused by the UNIQUE constraint.
      p.id = i === 2 ? 'fp_marcus_001_turn1' : p.id.replace('fp_david_001', 'fp_david_090');
      p.conversation_metadata.conversation_number = 91;
    });
    const bad = path.join(dir, 'clashing-seed.json');
    await writeFile(bad, JSON.stringify(seed));
    const summary = await importSeeds(t.db, [bad]);
    expect(summary.filesFailed).toBe(1);
    const error = summary.failed[0]!.error;
    expect(error).toBeInstanceOf(SeedImportError);
    expect(error.message).toContain(`${bad}: training_pairs[2]:`);
    expect(error.message).toMatch(/unique|duplicate/i);
    expect(await counts()).toEqual(before);
    const ghost = await t.db.selectFrom('training_conversations').select('id').where('conversation_id', '=', 'fp_david_090').executeTakeFirst();
    expect(ghost).toBeUndefined();
  });
});

describe.each(testDbKinds)('seed import over the plan on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('fills the planned seed slots instead of adding rows, and the plan then leaves them alone', async () => {
    await importPlan(t.db, PLAN);
    const planned = await t.db.selectFrom('training_conversations').select(['id', 'tier_template']).where('conversation_id', '=', 'fp_david_001').executeTakeFirstOrThrow();
    const summary = await importSeeds(t.db, SEEDS);
    expect(summary).toMatchObject({ conversationsImported: 3, conversationsSkipped: 0, filesFailed: 0 });
    const rows = await t.db.selectFrom('training_conversations').selectAll().execute();
    expect(rows).toHaveLength(100);
    const david = rows.find((r) => r.conversation_id === 'fp_david_001')!;
    expect(david).toMatchObject({ id: planned.id, generation_status: 'approved', is_seed_example: true, tier_template: planned.tier_template });
    expect(rows.filter((r) => r.generation_status === 'approved')).toHaveLength(3);
    // The four-turn seed fills planned slot 2 with the plan's shape.
    expect(rows.find((r) => r.conversation_id === 'fp_jennifer_001')).toMatchObject({ conversation_number: 2, turn_count: 4, tier_template: 'tier1_template_a', tier_batch: 1 });

    const again = await importPlan(t.db, PLAN);
    expect(again.conversations.added + again.conversations.updated).toBe(0);
    const after = await t.db.selectFrom('training_conversations').select('generation_status').where('conversation_id', '=', 'fp_david_001').executeTakeFirstOrThrow();
    expect(after.generation_status).toBe('approved');
  });
});
