/**
 * The training-data schema (migration 20261125090000) on each database kind: defaults, every CHECK,
 * every UNIQUE, the cascades, the updated_at triggers, the JSONB array round trip, the job-item claim
 * query, and a clean down/up of the migration.
 */
import { type Kysely, sql } from 'kysely';
import {
  appliedMigrations,
  type Database,
  type JsonText,
  migrateDown,
  migrateToLatest,
  type NewConversationTemplate,
  type NewEmotionalContext,
  type NewGenerationJob,
  type NewGenerationJobItem,
  type NewQualityMetrics,
  type NewResponseBreakdown,
  type NewResponseStrategy,
  type NewTrainingConversation,
  type NewTrainingTurn,
  toJsonb,
} from '../db';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const TRAINING_TABLES = [
  'training_conversations', 'training_turns', 'emotional_context', 'response_strategies', 'response_breakdowns',
  'conversation_templates', 'generation_jobs', 'quality_metrics', 'generation_job_items',
] as const;

/** A value the column's type forbids, to reach the database's own CHECK. */
function bad<T>(value: unknown): T {
  return value as T;
}

describe.each(testDbKinds)('training schema on %s', (kind) => {
  let t: TestDatabase;
  let db: Kysely<Database>;
  let seq = 0;
  const key = (prefix: string) => `${prefix}_${(seq += 1)}`;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    db = t.db;
  });
  afterAll(async () => {
    await t.dispose();
  });

  const conversation = (over: Partial<NewTrainingConversation> = {}) =>
    db.insertInto('training_conversations').values({
      conversation_id: key('fp_marcus'), conversation_number: 2, persona_type: 'Marcus', persona_name: 'Marcus Thompson',
      topic_category: 'RSUs confusion', tier: 'tier1_template', turn_count: 3, ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const turn = async (over: Partial<NewTrainingTurn> = {}) => {
    const conversationId = over.conversation_id ?? (await conversation()).id;
    return db.insertInto('training_turns').values({
      turn_id: key('fp_marcus_turn'), conversation_id: conversationId, turn_number: 1, system_prompt: 'You are Elena.',
      user_input: 'What are RSUs?', target_response: 'Good question.', ...over,
    }).returningAll().executeTakeFirstOrThrow();
  };

  const emotional = async (over: Partial<NewEmotionalContext> = {}) =>
    db.insertInto('emotional_context').values({
      turn_id: over.turn_id ?? (await turn()).id, primary_emotion: 'Confusion', primary_confidence: 0.8, intensity: '0.65',
      valence: 'negative', client_needs: toJsonb([{ priority: 1, need: 'clarity', rationale: 'confused' }]), ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const strategy = async (over: Partial<NewResponseStrategy> = {}) =>
    db.insertInto('response_strategies').values({
      turn_id: over.turn_id ?? (await turn()).id, primary_strategy: 'validate_then_explain', primary_rationale: 'Because.',
      tone_selection: 'warm', pacing: 'moderate', tactical_choices: { validate_first: true },
      specific_techniques: toJsonb([{ technique: 'normalise', application: 'many are confused', purpose: 'reduce shame' }]), ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const breakdown = async (over: Partial<NewResponseBreakdown> = {}) =>
    db.insertInto('response_breakdowns').values({
      turn_id: over.turn_id ?? (await turn()).id, sentence_number: 1, sentence_text: 'Good question.', function: 'validate',
      emotional_purpose: 'reassure', technique: 'affirmation', teaches_model: 'open warmly',
      word_choice_rationale: { 'Good question': 'normalises asking' }, ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const template = (over: Partial<NewConversationTemplate> = {}) =>
    db.insertInto('conversation_templates').values({
      template_id: key('tier1_template'), template_name: 'Tier 1 Template A', tier: 'tier1_template', template_prompt: 'Write…', ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const job = (over: Partial<NewGenerationJob> = {}) =>
    db.insertInto('generation_jobs').values({
      job_type: 'batch', target_conversation_ids: toJsonb<string[]>([]), total_conversations: 0, ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const metrics = async (over: Partial<NewQualityMetrics> = {}) =>
    db.insertInto('quality_metrics').values({
      conversation_id: over.conversation_id ?? (await conversation()).id, total_turns: 3, total_sentences: 12, total_word_count: 240,
      overall_quality_score: 4.5, empathy_score: '4.0', clarity_score: 5, appropriateness_score: 4, brand_voice_alignment: 4.2, ...over,
    }).returningAll().executeTakeFirstOrThrow();

  const item = async (over: Partial<NewGenerationJobItem> = {}) =>
    db.insertInto('generation_job_items').values({
      job_id: over.job_id ?? (await job()).id, conversation_id: over.conversation_id ?? (await conversation()).id, position: 0, ...over,
    }).returningAll().executeTakeFirstOrThrow();

  it('gives a new conversation the spec defaults and reads DECIMAL as exact strings', async () => {
    const c = await conversation({ quality_score: 4.5, empathy_score: '4.0', clarity_score: 5, appropriateness_score: 4,
      brand_voice_score: 3.5, starting_emotion_intensity: 0.8 });
    expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(c.generation_status).toBe('planned');
    expect(c.is_seed_example).toBe(false);
    expect(c.use_for_variations).toBe(false);
    expect(c.human_reviewed).toBe(false);
    expect(c.created_by).toBeNull();
    expect(c.generation_date).toBeNull();
    expect(c.created_at).toBeInstanceOf(Date);
    expect(c.updated_at).toBeInstanceOf(Date);
    expect(Math.abs(c.created_at!.getTime() - Date.now())).toBeLessThan(60_000);
    expect([c.quality_score, c.empathy_score, c.clarity_score, c.starting_emotion_intensity]).toEqual(['4.5', '4.0', '5.0', '0.80']);
  });

  it('gives a new job, job item and template their defaults', async () => {
    const j = await job();
    expect(j.status).toBe('queued');
    expect([j.current_conversation_index, j.completed_conversations, j.failed_conversations]).toEqual([0, 0, 0]);
    expect([j.total_api_calls, j.total_tokens_used, j.total_cost_cents]).toEqual([0, 0, 0]);
    expect(j.batch_id).toBeNull();
    expect(j.template_id).toBeNull();
    expect(j.results_summary).toBeNull();
    expect(j.created_at).toBeInstanceOf(Date);

    const i = await item({ job_id: j.id });
    expect(i.status).toBe('pending');
    expect(i.attempts).toBe(0);
    expect(i.result).toEqual({});
    expect([i.claimed_by, i.claimed_at, i.lease_expires_at, i.last_error, i.batch_request_id]).toEqual([null, null, null, null, null]);
    expect(i.updated_at).toBeInstanceOf(Date);

    const tp = await template();
    expect(tp.is_active).toBe(true);
    expect(tp.generated_conversation_count).toBe(0);

    const m = await metrics();
    expect([m.has_complete_emotional_context, m.ready_for_training, m.needs_review, m.reviewer_approved]).toEqual([false, false, false, false]);
    expect(m.overall_quality_score).toBe('4.5');
  });

  it('round-trips JSONB arrays written with toJsonb, and objects written as objects', async () => {
    const tr = await turn({ positive_indicators: toJsonb(['asks a follow-up']), conversation_history: toJsonb([{ role: 'user', content: 'hi' }]) });
    expect(tr.positive_indicators).toEqual(['asks a follow-up']);
    expect(tr.conversation_history).toEqual([{ role: 'user', content: 'hi' }]);
    expect(tr.neutral_indicators).toBeNull();
    const e = await emotional({ turn_id: tr.id, red_flags: toJsonb([{ flag: 'f', implication: 'i', handling: 'h' }]) });
    expect(e.client_needs).toEqual([{ priority: 1, need: 'clarity', rationale: 'confused' }]);
    expect(e.red_flags).toEqual([{ flag: 'f', implication: 'i', handling: 'h' }]);
    expect(await sql<{ t: string }>`select jsonb_typeof(client_needs) as t from emotional_context where id = ${e.id}`.execute(db))
      .toEqual(expect.objectContaining({ rows: [{ t: 'array' }] }));
    const s = await strategy({ turn_id: tr.id });
    expect(s.tactical_choices).toEqual({ validate_first: true });
    const j = await job({ target_conversation_ids: toJsonb([tr.conversation_id]), results_summary: { [tr.conversation_id]: { status: 'ok' } } });
    expect(j.target_conversation_ids).toEqual([tr.conversation_id]);
    expect(j.results_summary).toEqual({ [tr.conversation_id]: { status: 'ok' } });
  });

  it('documents why arrays go through toJsonb: pg sends a raw JS array as a Postgres array literal', async () => {
    const raw = bad<JsonText<string[]>>(['a', 'b']);
    const insert = turn({ demonstrates_skills: raw });
    if (kind === 'postgres') await expect(insert).rejects.toThrow(/invalid input syntax for type json/);
    else expect((await insert).demonstrates_skills).toEqual(['a', 'b']);
  });

  // Each case sets one bad value on an otherwise valid row (the builders above insert valid rows).
  const checkCases: Array<[string, string, string, () => Promise<unknown>]> = [
    ['conversation_number 0', 'training_conversations', 'valid_conversation_number', () => conversation({ conversation_number: 0 })],
    ['conversation_number 101', 'training_conversations', 'valid_conversation_number', () => conversation({ conversation_number: 101 })],
    ['conversation tier', 'training_conversations', 'valid_tier', () => conversation({ tier: bad('tier4_other') })],
    ['generation_status', 'training_conversations', 'valid_generation_status', () => conversation({ generation_status: bad('done') })],
    ['quality_score 5.5', 'training_conversations', 'valid_quality_scores', () => conversation({ quality_score: 5.5, empathy_score: 4, clarity_score: 4, appropriateness_score: 4, brand_voice_score: 4 })],
    ['empathy_score 0.5 with a quality_score', 'training_conversations', 'valid_quality_scores', () => conversation({ quality_score: 4, empathy_score: 0.5, clarity_score: 4, appropriateness_score: 4, brand_voice_score: 4 })],
    ['turn_number 0', 'training_turns', 'valid_turn_number', () => turn({ turn_number: 0 })],
    ['turn_number 7', 'training_turns', 'valid_turn_number', () => turn({ turn_number: 7 })],
    ['primary_confidence 1.5', 'emotional_context', 'valid_confidence_scores', () => emotional({ primary_confidence: 1.5 })],
    ['secondary_confidence -0.1', 'emotional_context', 'valid_confidence_scores', () => emotional({ secondary_confidence: -0.1 })],
    ['tertiary_confidence 1.01', 'emotional_context', 'valid_confidence_scores', () => emotional({ tertiary_confidence: '1.01' })],
    ['valence', 'emotional_context', 'valid_valence', () => emotional({ valence: bad('neutral') })],
    ['pacing', 'response_strategies', 'valid_pacing', () => strategy({ pacing: bad('glacial') })],
    ['template tier', 'conversation_templates', 'valid_tier', () => template({ tier: bad('tier0') })],
    ['job_type', 'generation_jobs', 'valid_job_type', () => job({ job_type: bad('weekly') })],
    ['job status', 'generation_jobs', 'valid_status', () => job({ status: bad('paused') })],
    ['overall_quality_score 0.9', 'quality_metrics', 'valid_quality_scores', () => metrics({ overall_quality_score: 0.9 })],
    ['brand_voice_alignment 5.1', 'quality_metrics', 'valid_quality_scores', () => metrics({ brand_voice_alignment: 5.1 })],
    ['item status', 'generation_job_items', 'chk_generation_job_items_status', () => item({ status: bad('running') })],
    ['item attempts -1', 'generation_job_items', 'chk_generation_job_items_attempts_non_negative', () => item({ attempts: -1 })],
    ['item position -1', 'generation_job_items', 'chk_generation_job_items_position_non_negative', () => item({ position: -1 })],
    ['claimed item without a lease', 'generation_job_items', 'chk_generation_job_items_claim_has_lease', () => item({ status: 'claimed', claimed_by: 'w1', claimed_at: new Date() })],
  ];

  it.each(checkCases)('rejects %s (%s.%s)', async (_label, table, constraint, insert) => {
    await expect(insert()).rejects.toThrow(`new row for relation "${table}" violates check constraint "${constraint}"`);
  });

  it('accepts the boundary values of the CHECKs, and a conversation with no scores', async () => {
    await conversation({ conversation_number: 1 });
    await conversation({ conversation_number: 100, quality_score: 1, empathy_score: 5, clarity_score: 1, appropriateness_score: 5, brand_voice_score: 1 });
    await turn({ turn_number: 6 });
    await emotional({ primary_confidence: 0, secondary_confidence: 1, tertiary_confidence: null, valence: 'mixed' });
    await strategy({ pacing: 'slow' });
    await metrics({ overall_quality_score: 1, brand_voice_alignment: 5 });
    const claimed = await item({ status: 'claimed', claimed_by: 'w1', claimed_at: new Date(), lease_expires_at: new Date(Date.now() + 60_000) });
    expect(claimed.status).toBe('claimed');
  });

  const uniqueCases: Array<[string, () => Promise<unknown>]> = [
    ['uq_training_conversations_conversation_id', async () => { await conversation({ conversation_id: 'fp_dup' }); await conversation({ conversation_id: 'fp_dup' }); }],
    ['uq_training_turns_turn_id', async () => { await turn({ turn_id: 'fp_dup_turn1' }); await turn({ turn_id: 'fp_dup_turn1' }); }],
    ['unique_conversation_turn', async () => { const c = await conversation(); await turn({ conversation_id: c.id }); await turn({ conversation_id: c.id }); }],
    ['unique_turn_emotional_context', async () => { const tr = await turn(); await emotional({ turn_id: tr.id }); await emotional({ turn_id: tr.id }); }],
    ['unique_turn_response_strategy', async () => { const tr = await turn(); await strategy({ turn_id: tr.id }); await strategy({ turn_id: tr.id }); }],
    ['unique_turn_sentence', async () => { const tr = await turn(); await breakdown({ turn_id: tr.id }); await breakdown({ turn_id: tr.id }); }],
    ['uq_conversation_templates_template_id', async () => { await template({ template_id: 'tier1_dup' }); await template({ template_id: 'tier1_dup' }); }],
    ['unique_conversation_metrics', async () => { const c = await conversation(); await metrics({ conversation_id: c.id }); await metrics({ conversation_id: c.id }); }],
    ['uq_generation_jobs_batch_id', async () => { await job({ batch_id: 'msgbatch_dup' }); await job({ batch_id: 'msgbatch_dup' }); }],
    ['uq_generation_job_items_job_conversation', async () => {
      const [j, c] = [await job(), await conversation()];
      await item({ job_id: j.id, conversation_id: c.id, position: 0 });
      await item({ job_id: j.id, conversation_id: c.id, position: 1 });
    }],
    ['uq_generation_job_items_job_position', async () => { const j = await job(); await item({ job_id: j.id, position: 3 }); await item({ job_id: j.id, position: 3 }); }],
  ];

  it.each(uniqueCases)('enforces %s', async (constraint, insertTwice) => {
    await expect(insertTwice()).rejects.toThrow(`duplicate key value violates unique constraint "${constraint}"`);
  });

  it('allows the same position or conversation in different jobs, and any number of jobs without a batch id', async () => {
    const c = await conversation();
    const [a, b] = [await job(), await job()];
    await item({ job_id: a.id, conversation_id: c.id, position: 0 });
    await item({ job_id: b.id, conversation_id: c.id, position: 0 });
    const count = await db.selectFrom('generation_job_items').select((eb) => eb.fn.countAll<string>().as('n')).where('conversation_id', '=', c.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  it('cascades a conversation delete to its turns, their annotations, its quality metrics and job items', async () => {
    const c = await conversation();
    const other = await conversation();
    const [t1, t2] = [await turn({ conversation_id: c.id, turn_number: 1 }), await turn({ conversation_id: c.id, turn_number: 2 })];
    const kept = await turn({ conversation_id: other.id });
    for (const tr of [t1, t2, kept]) {
      await emotional({ turn_id: tr.id });
      await strategy({ turn_id: tr.id });
      await breakdown({ turn_id: tr.id, sentence_number: 1 });
      await breakdown({ turn_id: tr.id, sentence_number: 2 });
    }
    await metrics({ conversation_id: c.id });
    await metrics({ conversation_id: other.id });
    const j = await job({ target_conversation_ids: toJsonb([c.id, other.id]), total_conversations: 2 });
    await item({ job_id: j.id, conversation_id: c.id, position: 0 });
    await item({ job_id: j.id, conversation_id: other.id, position: 1 });

    await db.deleteFrom('training_conversations').where('id', '=', c.id).execute();

    const turnIds = [t1.id, t2.id];
    expect(await db.selectFrom('training_turns').select('id').where('conversation_id', '=', c.id).execute()).toHaveLength(0);
    expect(await db.selectFrom('emotional_context').select('id').where('turn_id', 'in', turnIds).execute()).toHaveLength(0);
    expect(await db.selectFrom('response_strategies').select('id').where('turn_id', 'in', turnIds).execute()).toHaveLength(0);
    expect(await db.selectFrom('response_breakdowns').select('id').where('turn_id', 'in', turnIds).execute()).toHaveLength(0);
    expect(await db.selectFrom('quality_metrics').select('id').where('conversation_id', '=', c.id).execute()).toHaveLength(0);
    expect(await db.selectFrom('generation_job_items').select('conversation_id').where('job_id', '=', j.id).execute())
      .toEqual([{ conversation_id: other.id }]);
    // The other conversation's rows, and the job itself, are untouched.
    expect(await db.selectFrom('emotional_context').select('id').where('turn_id', '=', kept.id).execute()).toHaveLength(1);
    expect(await db.selectFrom('response_strategies').select('id').where('turn_id', '=', kept.id).execute()).toHaveLength(1);
    expect(await db.selectFrom('response_breakdowns').select('id').where('turn_id', '=', kept.id).execute()).toHaveLength(2);
    expect(await db.selectFrom('quality_metrics').select('id').where('conversation_id', '=', other.id).execute()).toHaveLength(1);
    expect(await db.selectFrom('generation_jobs').select('id').where('id', '=', j.id).execute()).toHaveLength(1);
  });

  it('cascades a turn delete to its annotations, and a job delete to its items only', async () => {
    const tr = await turn();
    await emotional({ turn_id: tr.id });
    await strategy({ turn_id: tr.id });
    await breakdown({ turn_id: tr.id });
    await db.deleteFrom('training_turns').where('id', '=', tr.id).execute();
    for (const table of ['emotional_context', 'response_strategies', 'response_breakdowns'] as const) {
      expect(await db.selectFrom(table).select('id').where('turn_id', '=', tr.id).execute()).toHaveLength(0);
    }
    const c = await conversation();
    const j = await job();
    await item({ job_id: j.id, conversation_id: c.id });
    await db.deleteFrom('generation_jobs').where('id', '=', j.id).execute();
    expect(await db.selectFrom('generation_job_items').select('id').where('job_id', '=', j.id).execute()).toHaveLength(0);
    expect(await db.selectFrom('training_conversations').select('id').where('id', '=', c.id).execute()).toHaveLength(1);
  });

  it('keeps a template that a job used (fk_generation_jobs_template has no ON DELETE)', async () => {
    const tp = await template();
    await job({ template_id: tp.id });
    await expect(db.deleteFrom('conversation_templates').where('id', '=', tp.id).execute())
      .rejects.toThrow(/violates foreign key constraint "fk_generation_jobs_template"/);
    await expect(job({ template_id: '00000000-0000-4000-8000-000000000000' }))
      .rejects.toThrow(/violates foreign key constraint "fk_generation_jobs_template"/);
  });

  it('sets updated_at on every update through the triggers, overriding a stale value', async () => {
    const stale = new Date('2000-01-01T00:00:00Z');
    const c = await conversation();
    const tr = await turn({ conversation_id: c.id });
    const tp = await template();
    const j = await job();
    const m = await metrics({ conversation_id: c.id });
    const i = await item({ job_id: j.id, conversation_id: c.id });
    // Setting updated_at to 2000 would stick without a trigger; with one it becomes now().
    const results = [
      await db.updateTable('training_conversations').set({ reviewer_notes: 'ok', updated_at: stale }).where('id', '=', c.id).returning('updated_at').executeTakeFirstOrThrow(),
      await db.updateTable('training_turns').set({ user_intent: 'learn', updated_at: stale }).where('id', '=', tr.id).returning('updated_at').executeTakeFirstOrThrow(),
      await db.updateTable('conversation_templates').set({ is_active: false, updated_at: stale }).where('id', '=', tp.id).returning('updated_at').executeTakeFirstOrThrow(),
      await db.updateTable('generation_jobs').set({ status: 'in_progress', updated_at: stale }).where('id', '=', j.id).returning('updated_at').executeTakeFirstOrThrow(),
      await db.updateTable('quality_metrics').set({ needs_review: true, updated_at: stale }).where('id', '=', m.id).returning('updated_at').executeTakeFirstOrThrow(),
      await db.updateTable('generation_job_items').set({ attempts: 1, updated_at: stale }).where('id', '=', i.id).returning('updated_at').executeTakeFirstOrThrow(),
    ];
    for (const r of results) {
      expect(r.updated_at).toBeInstanceOf(Date);
      expect(Math.abs(r.updated_at!.getTime() - Date.now())).toBeLessThan(60_000);
    }
  });

  it('claims the lowest pending item with FOR UPDATE SKIP LOCKED, then the next', async () => {
    const j = await job();
    const items = [];
    for (const position of [2, 0, 1, 3]) items.push(await item({ job_id: j.id, position }));
    await db.updateTable('generation_job_items').set({ status: 'succeeded' }).where('job_id', '=', j.id).where('position', '=', 0).execute();
    await db.updateTable('generation_job_items').set({ status: 'skipped' }).where('job_id', '=', j.id).where('position', '=', 1).execute();

    const claimNext = (worker: string) => db.transaction().execute(async (trx) => {
      const next = await trx.selectFrom('generation_job_items').select(['id', 'position'])
        .where('job_id', '=', j.id).where('status', '=', 'pending')
        .orderBy('position').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!next) return undefined;
      return trx.updateTable('generation_job_items')
        .set((eb) => ({ status: 'claimed', claimed_by: worker, claimed_at: sql<Date>`now()`,
          lease_expires_at: sql<Date>`now() + interval '5 minutes'`, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', next.id).returningAll().executeTakeFirstOrThrow();
    });

    const first = await claimNext('w1');
    expect(first).toMatchObject({ position: 2, status: 'claimed', claimed_by: 'w1', attempts: 1 });
    expect(first!.lease_expires_at!.getTime()).toBeGreaterThan(first!.claimed_at!.getTime());
    const second = await claimNext('w2');
    expect(second).toMatchObject({ position: 3, claimed_by: 'w2' });
    expect(await claimNext('w3')).toBeUndefined();

    // An expired lease is found through the partial index's predicate and can be reclaimed.
    await db.updateTable('generation_job_items').set({ lease_expires_at: new Date(Date.now() - 1000) }).where('id', '=', first!.id).execute();
    const expired = await db.selectFrom('generation_job_items').select('position')
      .where('status', '=', 'claimed').where('lease_expires_at', '<', sql<Date>`now()`).where('job_id', '=', j.id).execute();
    expect(expired).toEqual([{ position: 2 }]);
  });

  if (kind === 'postgres') {
    it('lets a second worker skip the item a first worker holds locked (Postgres only: PGlite is one session)', async () => {
      const j = await job();
      for (const position of [0, 1]) await item({ job_id: j.id, position });
      const pick = (trx: Kysely<Database>) => trx.selectFrom('generation_job_items').select('position')
        .where('job_id', '=', j.id).where('status', '=', 'pending').orderBy('position').limit(1).forUpdate().skipLocked().executeTakeFirst();
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => { locked = r; });
      const first = db.transaction().execute(async (trx) => {
        const row = await pick(trx);
        locked();
        await held;
        return row;
      });
      await isLocked;
      const second = await db.transaction().execute((trx) => pick(trx));
      release();
      expect(await first).toEqual({ position: 0 });
      expect(second).toEqual({ position: 1 });
    });
  }

  it('has every named index (partial ones included), constraint and table comment', async () => {
    const idx = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where schemaname = current_schema()`.execute(db);
    const defs = new Map(idx.rows.map((r) => [r.indexname, r.indexdef]));
    for (const name of ['idx_conversations_number', 'idx_conversations_persona', 'idx_conversations_tier', 'idx_conversations_status',
      'idx_conversations_topic', 'idx_conversations_is_seed', 'idx_turns_conversation', 'idx_turns_turn_number', 'idx_turns_difficulty',
      'idx_emotional_context_turn', 'idx_emotional_context_primary', 'idx_emotional_context_valence', 'idx_response_strategies_turn',
      'idx_response_strategies_primary', 'idx_response_breakdowns_turn', 'idx_response_breakdowns_sentence_num', 'idx_templates_tier',
      'idx_templates_active', 'idx_generation_jobs_status', 'idx_generation_jobs_created_by', 'idx_quality_metrics_conversation',
      'idx_quality_metrics_ready_for_training', 'idx_quality_metrics_needs_review', 'idx_generation_job_items_conversation']) {
      expect([name, defs.has(name)]).toEqual([name, true]);
    }
    expect(defs.get('idx_generation_jobs_created_at')).toMatch(/\(created_at DESC\)/);
    expect(defs.get('idx_generation_job_items_claim')).toMatch(/\(job_id, status, "?position"?\)/);
    expect(defs.get('idx_generation_job_items_lease')).toMatch(/\(lease_expires_at\) WHERE \(status = 'claimed'::text\)/);
    expect(defs.get('uq_generation_jobs_batch_id')).toMatch(/UNIQUE.*WHERE \(batch_id IS NOT NULL\)/);

    const cons = await sql<{ conname: string; table: string }>`
      select conname, conrelid::regclass::text as table from pg_constraint
      where connamespace = current_schema()::regnamespace and conrelid::regclass::text = any(${[...TRAINING_TABLES]})`.execute(db);
    // Postgres would name unnamed ones <table>_<column>_fkey / _key / _check / _pkey.
    expect(cons.rows.filter((r) => /_(fkey|key|check|pkey)$/.test(r.conname))).toEqual([]);
    expect(cons.rows.map((r) => r.conname)).toEqual(expect.arrayContaining([
      'pk_training_conversations', 'fk_training_turns_conversation', 'fk_emotional_context_turn', 'fk_response_strategies_turn',
      'fk_response_breakdowns_turn', 'fk_quality_metrics_conversation', 'fk_generation_job_items_job', 'fk_generation_job_items_conversation',
    ]));

    for (const table of TRAINING_TABLES) {
      const c = await sql<{ c: string | null }>`select obj_description(${table}::regclass, 'pg_class') as c`.execute(db);
      expect([table, typeof c.rows[0]?.c]).toEqual([table, 'string']);
    }
  });

  it('runs its migration down (dropping all nine tables, keeping update_updated_at_column) and up again', async () => {
    const before = await appliedMigrations(db);
    // Later migrations (if any) go down first, then this one.
    const later = before.slice(before.indexOf('20261125090000_training_data') + 1);
    expect(before).toContain('20261125090000_training_data');
    expect(await migrateDown(db, later.length + 1)).toEqual([...[...later].reverse().map((m) => `Down ${m}`), 'Down 20261125090000_training_data']);
    const left = await sql<{ table_name: string }>`select table_name from information_schema.tables
      where table_schema = current_schema() and table_name = any(${[...TRAINING_TABLES]})`.execute(db);
    expect(left.rows).toEqual([]);
    const fn = await sql<{ n: number }>`select count(*)::int as n from pg_proc where proname = 'update_updated_at_column'`.execute(db);
    expect(fn.rows[0]?.n).toBe(1);
    expect(await migrateToLatest(db)).toEqual(['Up 20261125090000_training_data', ...later.map((m) => `Up ${m}`)]);
    const c = await conversation();
    expect(c.generation_status).toBe('planned');
  });
});
