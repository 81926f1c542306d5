import { sql } from 'kysely';
import { appliedMigrations, migrateDown, migrateToLatest } from '../db';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

describe.each(testDbKinds)('database on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function newSession(tester = 'aad-1') {
    return t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester, master_prompt_version: 'abc1234' }).returningAll().executeTakeFirstOrThrow();
  }

  it('applies the spec defaults to a new session', async () => {
    const s = await newSession('aad-defaults');
    expect(s.branch_name).toBe('prompt-tuning');
    expect(s.total_turns).toBe(0);
    expect(s.total_improvements).toBe(0);
    expect(s.metadata).toEqual({});
    expect(s.session_end).toBeNull();
    expect(s.session_start).toBeInstanceOf(Date);
    expect(Math.abs(s.session_start.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('keeps total_turns, total_improvements and updated_at right through the triggers', async () => {
    const s = await newSession('aad-triggers');
    const before = s.updated_at!;
    await new Promise((r) => setTimeout(r, 15));
    const turn = await t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: s.id, turn_number: 1, user_message: 'q', era_response: 'a' })
      .returningAll().executeTakeFirstOrThrow();
    await t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: s.id, turn_number: 2, user_message: 'q2', era_response: 'a2' }).execute();
    await t.db.insertInto('tuning_improvements').values([
      { turn_id: turn.id, improvement_note: 'Too formal', category: 'tone' },
      { turn_id: turn.id, improvement_note: 'Good response, no changes needed', category: null },
    ]).execute();
    const after = await t.db.selectFrom('prompt_tuning_sessions').selectAll().where('id', '=', s.id).executeTakeFirstOrThrow();
    expect(after.total_turns).toBe(2);
    expect(after.total_improvements).toBe(2);
    expect(after.updated_at!.getTime()).toBeGreaterThan(before.getTime());

    const touched = after.updated_at!;
    await new Promise((r) => setTimeout(r, 15));
    await t.db.updateTable('prompt_tuning_sessions').set({ tester_name: 'Meg' }).where('id', '=', s.id).execute();
    const renamed = await t.db.selectFrom('prompt_tuning_sessions').select('updated_at').where('id', '=', s.id).executeTakeFirstOrThrow();
    expect(renamed.updated_at!.getTime()).toBeGreaterThan(touched.getTime());
  });

  it('cascades a session delete to its turns and their notes', async () => {
    const s = await newSession('aad-cascade');
    const turn = await t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: s.id, turn_number: 1, user_message: 'q', era_response: 'a' }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('tuning_improvements').values({ turn_id: turn.id, improvement_note: 'n' }).execute();
    await t.db.deleteFrom('prompt_tuning_sessions').where('id', '=', s.id).execute();
    const turns = await t.db.selectFrom('tuning_conversation_turns').select('id').where('session_id', '=', s.id).execute();
    const notes = await t.db.selectFrom('tuning_improvements').select('id').where('turn_id', '=', turn.id).execute();
    expect(turns).toHaveLength(0);
    expect(notes).toHaveLength(0);
  });

  it('rejects a second turn with the same number in a session', async () => {
    const s = await newSession('aad-unique-turn');
    const values = { session_id: s.id, turn_number: 1, user_message: 'q', era_response: 'a' };
    await t.db.insertInto('tuning_conversation_turns').values(values).execute();
    await expect(t.db.insertInto('tuning_conversation_turns').values(values).execute()).rejects.toThrow(/unique_session_turn/);
  });

  it('allows one open session per tester, and any number of closed ones', async () => {
    const s = await newSession('aad-one-open');
    await expect(newSession('aad-one-open')).rejects.toThrow(/uq_tuning_sessions_one_open_per_tester/);
    await t.db.updateTable('prompt_tuning_sessions').set({ session_end: new Date() }).where('id', '=', s.id).execute();
    await newSession('aad-one-open');
    await expect(newSession('aad-one-open')).rejects.toThrow(/uq_tuning_sessions_one_open_per_tester/);
  });

  it('has the spec indexes, partial ones included, and the comments', async () => {
    const rows = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where schemaname = current_schema()`.execute(t.db);
    const defs = new Map(rows.rows.map((r) => [r.indexname, r.indexdef]));
    for (const name of ['idx_tuning_sessions_start', 'idx_tuning_sessions_tester', 'idx_tuning_sessions_branch',
      'idx_tuning_turns_session', 'idx_tuning_turns_timestamp', 'idx_tuning_improvements_turn', 'idx_tuning_improvements_timestamp']) {
      expect(defs.get(name)).toBeDefined();
    }
    expect(defs.get('idx_tuning_sessions_active')).toMatch(/WHERE \(session_end IS NULL\)/);
    expect(defs.get('idx_tuning_turns_similarity')).toMatch(/WHERE \(avg_similarity IS NOT NULL\)/);
    expect(defs.get('idx_tuning_improvements_category')).toMatch(/WHERE \(category IS NOT NULL\)/);
    const comment = await sql<{ c: string }>`select obj_description('prompt_tuning_sessions'::regclass, 'pg_class') as c`.execute(t.db);
    expect(comment.rows[0]?.c).toBe('Tracks prompt tuning testing sessions for MASTER_PROMPT.md optimization');
    const colComment = await sql<{ c: string }>`
      select col_description('tuning_improvements'::regclass, attnum) as c from pg_attribute
      where attrelid = 'tuning_improvements'::regclass and attname = 'category'`.execute(t.db);
    expect(colComment.rows[0]?.c).toBe('Optional category: tone, content, citation, clarity, structure, action');
  });

  it('stores a note once per card submission id', async () => {
    const s = await newSession('aad-submission');
    const turn = await t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: s.id, turn_number: 1, user_message: 'q', era_response: 'a' }).returning('id').executeTakeFirstOrThrow();
    const note = { turn_id: turn.id, improvement_note: 'n', metadata: { submission_id: 'nonce-1' } };
    await t.db.insertInto('tuning_improvements').values(note).execute();
    await t.db.insertInto('tuning_improvements').values(note).onConflict((oc) => oc.doNothing()).execute();
    const count = await t.db.selectFrom('tuning_improvements').select((eb) => eb.fn.countAll<string | number>().as('n')).where('turn_id', '=', turn.id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('isolates concurrent transactions: a rollback in one keeps the other\'s writes', async () => {
    const s = await newSession('aad-tx');
    let releaseA!: () => void;
    const gate = new Promise<void>((r) => { releaseA = r; });
    const failing = t.db.transaction().execute(async (trx) => {
      await trx.insertInto('tuning_conversation_turns').values({ session_id: s.id, turn_number: 1, user_message: 'rolled back', era_response: 'x' }).execute();
      await gate;
      throw new Error('boom');
    });
    const succeeding = t.db.transaction().execute(async (trx) => {
      await trx.insertInto('tuning_conversation_turns').values({ session_id: s.id, turn_number: 2, user_message: 'kept', era_response: 'y' }).execute();
    });
    // Let the second transaction be queued (PGlite) or run (Postgres) before the first ends.
    await new Promise((r) => setTimeout(r, 50));
    releaseA();
    await expect(failing).rejects.toThrow('boom');
    await succeeding;
    const rows = await t.db.selectFrom('tuning_conversation_turns').select('user_message').where('session_id', '=', s.id).execute();
    expect(rows.map((r) => r.user_message)).toEqual(['kept']);
  });

  it('runs every migration down and up again', async () => {
    const names = await appliedMigrations(t.db);
    expect(names.length).toBeGreaterThanOrEqual(2);
    const down = await migrateDown(t.db, 'all');
    expect(down).toHaveLength(names.length);
    const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables
      where table_schema = current_schema() and table_name in ('prompt_tuning_sessions','tuning_conversation_turns','tuning_improvements','bot_state')`.execute(t.db);
    expect(tables.rows[0]?.n).toBe(0);
    const fns = await sql<{ n: number }>`select count(*)::int as n from pg_proc where proname in ('update_session_metrics','update_improvement_count','update_updated_at_column')`.execute(t.db);
    expect(fns.rows[0]?.n).toBe(0);
    const up = await migrateToLatest(t.db);
    expect(up).toHaveLength(names.length);
    const s = await newSession('aad-after-redo');
    expect(s.total_turns).toBe(0);
  });
});
