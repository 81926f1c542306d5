/**
 * Migration 20261202120000 (the tuning loop): spec 000's six metric columns and their CHECKs, spec 000's
 * prompt_version_comparisons with its columns exactly (plus our additions), every constraint and index
 * named, and the migration going down and up again with data in place.
 */
import { sql } from 'kysely';
import { appliedMigrations, migrateDown, migrateToLatest } from '../db';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const MIGRATION = '20261202120000_tuning_insights';
const TABLES = ['turn_judgements', 'prompt_suggestions', 'prompt_replays', 'insight_batches', 'insight_batch_requests', 'prompt_version_comparisons'];

describe.each(testDbKinds)('tuning-loop schema (%s)', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function newTurn(tester: string) {
    const s = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester }).returning('id').executeTakeFirstOrThrow();
    return t.db.insertInto('tuning_conversation_turns')
      .values({ session_id: s.id, turn_number: 1, user_message: 'q', era_response: 'a' })
      .returningAll().executeTakeFirstOrThrow();
  }

  it('adds spec 000\'s six metric columns, nullable, with the 1-5 CHECKs', async () => {
    const cols = await sql<{ column_name: string; data_type: string; is_nullable: string }>`
      select column_name, data_type, is_nullable from information_schema.columns
      where table_schema = current_schema() and table_name = 'tuning_conversation_turns'
        and column_name in ('has_policy_citation','appropriate_action_suggested','structure_complete','professionalism_score','empathy_score','clarity_score')
      order by column_name`.execute(t.db);
    expect(cols.rows).toEqual([
      { column_name: 'appropriate_action_suggested', data_type: 'boolean', is_nullable: 'YES' },
      { column_name: 'clarity_score', data_type: 'integer', is_nullable: 'YES' },
      { column_name: 'empathy_score', data_type: 'integer', is_nullable: 'YES' },
      { column_name: 'has_policy_citation', data_type: 'boolean', is_nullable: 'YES' },
      { column_name: 'professionalism_score', data_type: 'integer', is_nullable: 'YES' },
      { column_name: 'structure_complete', data_type: 'boolean', is_nullable: 'YES' },
    ]);
    const turn = await newTurn('aad-metrics');
    expect(turn.professionalism_score).toBeNull();
    for (const column of ['professionalism_score', 'empathy_score', 'clarity_score'] as const) {
      for (const bad of [0, 6]) {
        await expect(t.db.updateTable('tuning_conversation_turns').set({ [column]: bad }).where('id', '=', turn.id).execute())
          .rejects.toThrow(/chk_tuning_turns_/);
      }
      await t.db.updateTable('tuning_conversation_turns').set({ [column]: 5 }).where('id', '=', turn.id).execute();
    }
  });

  it('creates prompt_version_comparisons with spec 000\'s columns first, then the additions', async () => {
    const cols = await sql<{ column_name: string; data_type: string; is_nullable: string }>`
      select column_name, data_type, is_nullable from information_schema.columns
      where table_schema = current_schema() and table_name = 'prompt_version_comparisons' order by ordinal_position`.execute(t.db);
    expect(cols.rows.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['id', 'uuid', 'NO'],
      ['version_a', 'text', 'NO'],
      ['version_b', 'text', 'NO'],
      ['metric_name', 'text', 'NO'],
      ['version_a_score', 'double precision', 'YES'],
      ['version_b_score', 'double precision', 'YES'],
      ['comparison_date', 'timestamp without time zone', 'YES'],
      ['replay_id', 'uuid', 'YES'],
      ['source_session_id', 'uuid', 'YES'],
      ['replay_session_id', 'uuid', 'YES'],
      ['version_a_turns', 'integer', 'YES'],
      ['version_b_turns', 'integer', 'YES'],
    ]);
    const row = await t.db.insertInto('prompt_version_comparisons')
      .values({ version_a: 'abc1234', version_b: 'sha256:0123456789ab', metric_name: 'clarity_score', version_a_score: 3.5, version_b_score: 4 })
      .returningAll().executeTakeFirstOrThrow();
    expect(row.comparison_date).toBeInstanceOf(Date);
  });

  it('names every constraint and index of its tables (no generated names)', async () => {
    const constraints = await sql<{ conname: string }>`
      select c.conname from pg_constraint c join pg_class r on r.oid = c.conrelid
      where r.relname in (${sql.join(TABLES)}) and c.contype <> 'n'`.execute(t.db);
    const indexes = await sql<{ indexname: string }>`
      select indexname from pg_indexes where schemaname = current_schema() and tablename in (${sql.join(TABLES)})`.execute(t.db);
    const names = [...constraints.rows.map((r) => r.conname), ...indexes.rows.map((r) => r.indexname)];
    expect(names.length).toBeGreaterThan(20);
    // Postgres names unnamed ones <table>_<column>_check / _fkey / _key / _pkey.
    expect(names.filter((n) => /_(check|fkey|key|pkey)$/.test(n))).toEqual([]);
    const turnChecks = await sql<{ conname: string }>`
      select c.conname from pg_constraint c join pg_class r on r.oid = c.conrelid
      where r.relname = 'tuning_conversation_turns' and c.contype = 'c' order by 1`.execute(t.db);
    expect(turnChecks.rows.map((r) => r.conname)).toEqual(['chk_tuning_turns_clarity_score', 'chk_tuning_turns_empathy_score', 'chk_tuning_turns_professionalism_score']);
  });

  it('keeps one judgement per turn, rubric version and judge model; an ok judgement must carry its three scores', async () => {
    const turn = await newTurn('aad-judgement');
    const base = { turn_id: turn.id, rubric_version: 'era-judge-1', judge_model: 'claude-haiku-5-5' };
    await t.db.insertInto('turn_judgements').values({ ...base, status: 'ok', professionalism_score: 4, empathy_score: 3, clarity_score: 5 }).execute();
    await expect(t.db.insertInto('turn_judgements').values({ ...base, status: 'ok', professionalism_score: 4, empathy_score: 3, clarity_score: 5 }).execute())
      .rejects.toThrow(/uq_turn_judgements_turn_rubric_model/);
    await expect(t.db.insertInto('turn_judgements').values({ ...base, rubric_version: 'era-judge-2', status: 'ok', professionalism_score: 4 }).execute())
      .rejects.toThrow(/chk_turn_judgements_ok_has_scores/);
    await t.db.insertInto('turn_judgements').values({ ...base, rubric_version: 'era-judge-2', status: 'error', error: 'overloaded' }).execute();
  });

  it('accepts the suggestion purpose in the call log', async () => {
    await t.db.insertInto('llm_calls').values({ purpose: 'suggestion', model: 'claude-sonnet-5-5', status: 'ok' }).execute();
    await expect(sql`insert into llm_calls (purpose, model, status) values ('brainstorm', 'm', 'ok')`.execute(t.db)).rejects.toThrow(/chk_llm_calls_purpose/);
  });

  it('goes down (suggestion calls kept as rewrite, replay sessions removed) and up again', async () => {
    const source = await newTurn('aad-down');
    const replaySession = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: null, metadata: { kind: 'replay' } }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('prompt_replays').values({
      source_session_id: source.session_id, replay_session_id: replaySession.id, candidate_kind: 'file', candidate_ref: 'x.md',
      candidate_version: 'sha256:000000000000', candidate_sha256: '0'.repeat(64), candidate_prompt: 'p', total_turns: 1,
    }).execute();
    // Later migrations (other capabilities') go down first and come back up with it.
    const before = await appliedMigrations(t.db);
    const at = before.indexOf(MIGRATION);
    expect(at).toBeGreaterThanOrEqual(0);
    const fromHere = before.slice(at);
    expect(await migrateDown(t.db, fromHere.length)).toEqual([...fromHere].reverse().map((m) => `Down ${m}`));
    const purposes = await sql<{ purpose: string; was: string | null }>`select purpose, metadata->>'purpose_was' as was from llm_calls`.execute(t.db);
    expect(purposes.rows).toEqual([{ purpose: 'rewrite', was: 'suggestion' }]);
    const left = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name in (${sql.join(TABLES)})`.execute(t.db);
    expect(left.rows[0]?.n).toBe(0);
    const sessions = await sql<{ id: string }>`select id from prompt_tuning_sessions where id = ${replaySession.id}`.execute(t.db);
    expect(sessions.rows).toEqual([]);
    const col = await sql<{ n: number }>`select count(*)::int as n from information_schema.columns where table_name = 'tuning_conversation_turns' and column_name = 'clarity_score'`.execute(t.db);
    expect(col.rows[0]?.n).toBe(0);
    expect(await migrateToLatest(t.db)).toEqual(fromHere.map((m) => `Up ${m}`));
  });
});
