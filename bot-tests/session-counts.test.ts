/**
 * The spec's session counters under statement-level triggers: total_turns and total_improvements equal
 * COUNT(*) after single inserts, multi-row and INSERT … SELECT bulk inserts over several sessions,
 * concurrent inserts from two connections (Postgres), and after the migration is undone and redone.
 */
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../db';
import * as statementCounts from '../db/migrations/20261202130100_statement_level_session_counts';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

type Db = Kysely<Database>;

/** Migration functions take an untyped Kysely, as the migrator hands them one. */
function untyped<T>(db: Kysely<T>): Kysely<unknown> {
  return db as Kysely<unknown>;
}

/** Every session whose counters differ from the rows it has. */
async function wrongCounts(db: Db): Promise<Array<{ id: string; total_turns: number; turns: number; total_improvements: number; notes: number }>> {
  const r = await sql<{ id: string; total_turns: number; turns: number; total_improvements: number; notes: number }>`
    SELECT s.id, s.total_turns, s.total_improvements,
      (SELECT count(*)::int FROM tuning_conversation_turns t WHERE t.session_id = s.id) AS turns,
      (SELECT count(*)::int FROM tuning_improvements i JOIN tuning_conversation_turns t ON t.id = i.turn_id WHERE t.session_id = s.id) AS notes
    FROM prompt_tuning_sessions s`.execute(db);
  return r.rows.filter((row) => row.total_turns !== row.turns || row.total_improvements !== row.notes);
}

async function counts(db: Db, id: string) {
  return db.selectFrom('prompt_tuning_sessions').select(['total_turns', 'total_improvements']).where('id', '=', id).executeTakeFirstOrThrow();
}

describe.each(testDbKinds)('session counters on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const session = async (tester: string) => (await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester }).returning('id').executeTakeFirstOrThrow()).id;

  test('single inserts count one by one, as the spec\'s trigger did', async () => {
    const s = await session('single');
    const turn = (await t.db.insertInto('tuning_conversation_turns').values({ session_id: s, turn_number: 1, user_message: 'q', era_response: 'a' }).returning('id').executeTakeFirstOrThrow()).id;
    expect(await counts(t.db, s)).toEqual({ total_turns: 1, total_improvements: 0 });
    await t.db.insertInto('tuning_improvements').values({ turn_id: turn, improvement_note: 'n1' }).execute();
    await t.db.insertInto('tuning_improvements').values({ turn_id: turn, improvement_note: 'n2' }).execute();
    expect(await counts(t.db, s)).toEqual({ total_turns: 1, total_improvements: 2 });
  });

  test('one multi-row statement over several sessions sets each session\'s own counts', async () => {
    const a = await session('bulk-a');
    const b = await session('bulk-b');
    const turns = await t.db.insertInto('tuning_conversation_turns').values([
      ...[1, 2, 3].map((n) => ({ session_id: a, turn_number: n, user_message: 'q', era_response: 'a' })),
      ...[1, 2].map((n) => ({ session_id: b, turn_number: n, user_message: 'q', era_response: 'a' })),
    ]).returning(['id', 'session_id']).execute();
    await t.db.insertInto('tuning_improvements').values(turns.flatMap((tr) => [{ turn_id: tr.id, improvement_note: 'x' }, { turn_id: tr.id, improvement_note: 'y' }])).execute();
    expect(await counts(t.db, a)).toEqual({ total_turns: 3, total_improvements: 6 });
    expect(await counts(t.db, b)).toEqual({ total_turns: 2, total_improvements: 4 });
  });

  test('INSERT … SELECT of 20,000 notes into one session counts them all', async () => {
    const s = await session('select');
    await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response)
      SELECT ${s}::uuid, n, 'q' || n, 'a' || n FROM generate_series(1, 200) n`.execute(t.db);
    await sql`INSERT INTO tuning_improvements (turn_id, improvement_note)
      SELECT t.id, 'note ' || k FROM tuning_conversation_turns t CROSS JOIN generate_series(1, 100) k WHERE t.session_id = ${s}::uuid`.execute(t.db);
    expect(await counts(t.db, s)).toEqual({ total_turns: 200, total_improvements: 20_000 });
  });

  test('a rolled-back insert leaves the counts as they were', async () => {
    const s = await session('rollback');
    await t.db.insertInto('tuning_conversation_turns').values({ session_id: s, turn_number: 1, user_message: 'q', era_response: 'a' }).execute();
    await expect(t.db.transaction().execute(async (trx) => {
      await trx.insertInto('tuning_conversation_turns').values({ session_id: s, turn_number: 2, user_message: 'q', era_response: 'a' }).execute();
      throw new Error('abandon');
    })).rejects.toThrow('abandon');
    expect(await counts(t.db, s)).toEqual({ total_turns: 1, total_improvements: 0 });
  });

  test('every session\'s counters equal its rows; the migration goes down to the spec\'s triggers and up again', async () => {
    expect(await wrongCounts(t.db)).toEqual([]);
    // Its own down() (whatever migrations came after it): the spec's row-level triggers come back.
    await statementCounts.down(untyped(t.db));
    // The spec's row trigger is back: still exact for a single insert.
    const s = await session('after-down');
    await t.db.insertInto('tuning_conversation_turns').values({ session_id: s, turn_number: 1, user_message: 'q', era_response: 'a' }).execute();
    expect(await counts(t.db, s)).toEqual({ total_turns: 1, total_improvements: 0 });
    const level = await sql<{ tgtype: number }>`SELECT tgtype FROM pg_trigger WHERE tgname = 'trigger_update_turn_count'`.execute(t.db);
    // tgtype bit 0 set = FOR EACH ROW.
    expect((level.rows[0]?.tgtype ?? 0) & 1).toBe(1);
    await statementCounts.up(untyped(t.db));
    const again = await sql<{ tgtype: number }>`SELECT tgtype FROM pg_trigger WHERE tgname = 'trigger_update_turn_count'`.execute(t.db);
    expect((again.rows[0]?.tgtype ?? 1) & 1).toBe(0);
    expect(await wrongCounts(t.db)).toEqual([]);
  });

  if (kind === 'postgres') {
    test('two connections inserting into one session at once: the counts are exact', async () => {
      const s = await session('concurrent');
      const turns = await t.db.insertInto('tuning_conversation_turns')
        .values([1, 2].map((n) => ({ session_id: s, turn_number: n, user_message: 'q', era_response: 'a' }))).returning('id').execute();
      const [one, two] = [new pg.Client({ connectionString: t.url }), new pg.Client({ connectionString: t.url })];
      await one.connect();
      await two.connect();
      try {
        for (let round = 0; round < 5; round += 1) {
          await one.query('BEGIN');
          await two.query('BEGIN');
          await one.query('INSERT INTO tuning_improvements (turn_id, improvement_note) VALUES ($1, $2)', [turns[0]?.id, `one ${round}`]);
          // Blocks on the session row until `one` commits, then counts with `one`'s note included.
          const blocked = two.query('INSERT INTO tuning_improvements (turn_id, improvement_note) SELECT $1::uuid, $2 || k FROM generate_series(1, 3) k', [turns[1]?.id, `two ${round} `]);
          await new Promise((r) => setTimeout(r, 50));
          await one.query('COMMIT');
          await blocked;
          await two.query('COMMIT');
        }
        // And many at once, in autocommit.
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? one : two).query('INSERT INTO tuning_improvements (turn_id, improvement_note) VALUES ($1, $2)', [turns[i % 2]?.id, `burst ${i}`])));
      } finally {
        await one.end();
        await two.end();
      }
      expect(await counts(t.db, s)).toEqual({ total_turns: 2, total_improvements: 5 * 4 + 20 });
      expect(await wrongCounts(t.db)).toEqual([]);
    });
  }
});
