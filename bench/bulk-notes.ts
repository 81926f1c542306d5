/**
 * 100,000 notes into one session (1,000 turns), with the session counters kept by the triggers.
 *
 * - after: the statement-level triggers (migration 20261202130100), notes in multi-row INSERTs of
 *   5,000 rows and as one INSERT … SELECT; then single-row inserts into that 100,000-note session (what
 *   the bot pays per note there);
 * - before: the spec's row-level triggers (the migration undone), which recount the session after every
 *   row, so each note costs more than the last. Notes go in (250 a statement) for BEFORE_SECONDS; the
 *   last statement's cost per note times 100,000 is a lower bound for the whole insert.
 * On PGlite always, and on Postgres when DATABASE_URL is set. Prints figures, asserts nothing.
 *
 *   node -r @swc-node/register bench/bulk-notes.ts [notes]
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db';
import * as statementCounts from '../db/migrations/20261202130100_statement_level_session_counts';
import { createTestDatabase, type TestDbKind, testDbKinds } from '../bot-tests/helpers/db';

const NOTES = Number.parseInt(process.argv[2] ?? '100000', 10);
const TURNS = 1000;
const CHUNK = 5000;
const BEFORE_SECONDS = Number.parseInt(process.env.BENCH_BEFORE_SECONDS ?? '20', 10);
const BEFORE_CHUNK = 250;

type Db = Kysely<Database>;

/** The migration functions take an untyped Kysely, as migrate.ts hands them one. */
function untyped<T>(db: Kysely<T>): Kysely<unknown> {
  return db as Kysely<unknown>;
}

async function sessionWithTurns(db: Db, tester: string): Promise<string[]> {
  const s = await db.insertInto('prompt_tuning_sessions').values({ tester_id: tester }).returning('id').executeTakeFirstOrThrow();
  await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response)
    SELECT ${s.id}::uuid, n, 'question ' || n, 'answer ' || n FROM generate_series(1, ${TURNS}) n`.execute(db);
  const turns = await db.selectFrom('tuning_conversation_turns').select('id').where('session_id', '=', s.id).orderBy('turn_number').execute();
  return turns.map((t) => t.id);
}

/** Inserts COUNT notes spread over TURNS in multi-row statements of CHUNK; returns ms. */
async function multiRow(db: Db, turns: string[], count: number, chunk = CHUNK, offset = 0): Promise<number> {
  const started = performance.now();
  for (let start = offset; start < offset + count; start += chunk) {
    const values = [];
    for (let i = start; i < Math.min(offset + count, start + chunk); i += 1) {
      values.push({ turn_id: turns[i % turns.length] ?? '', improvement_note: `note ${i}: too formal, needs more empathy`, category: 'tone' });
    }
    await db.insertInto('tuning_improvements').values(values).execute();
  }
  return performance.now() - started;
}

async function checkCounts(db: Db, turns: string[]): Promise<string> {
  const r = await sql<{ total: number; actual: number }>`
    SELECT s.total_improvements AS total, (SELECT count(*)::int FROM tuning_improvements i WHERE i.turn_id = ANY(${turns}::uuid[])) AS actual
    FROM prompt_tuning_sessions s JOIN tuning_conversation_turns t ON t.session_id = s.id WHERE t.id = ${turns[0] ?? ''}::uuid`.execute(db);
  const row = r.rows[0];
  return row && row.total === row.actual ? `exact (${row.actual})` : `WRONG (${row?.total ?? '?'} vs ${row?.actual ?? '?'})`;
}

const fmt = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);

async function benchKind(kind: TestDbKind): Promise<void> {
  const t = await createTestDatabase(kind);
  try {
    const turnsA = await sessionWithTurns(t.db, 'bench-a');
    const after = await multiRow(t.db, turnsA, NOTES);
    console.log(`  after  ${NOTES.toLocaleString('en-US')} notes, multi-row (${CHUNK}/statement): ${fmt(after)}; counters ${await checkCounts(t.db, turnsA)}`);

    const turnsB = await sessionWithTurns(t.db, 'bench-b');
    const started = performance.now();
    await sql`INSERT INTO tuning_improvements (turn_id, improvement_note, category)
      SELECT turn_id, 'note ' || k, 'tone' FROM unnest(${turnsB}::uuid[]) turn_id CROSS JOIN generate_series(1, ${Math.ceil(NOTES / TURNS)}) k`.execute(t.db);
    console.log(`  after  ${NOTES.toLocaleString('en-US')} notes, one INSERT … SELECT: ${fmt(performance.now() - started)}; counters ${await checkCounts(t.db, turnsB)}`);

    const singles: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const s0 = performance.now();
      await t.db.insertInto('tuning_improvements').values({ turn_id: turnsA[i] ?? '', improvement_note: `single ${i}` }).execute();
      singles.push(performance.now() - s0);
    }
    singles.sort((a, b) => a - b);
    console.log(`  after  one more note in a ${NOTES.toLocaleString('en-US')}-note session (single-row insert): p50 ${(singles[99] ?? 0).toFixed(1)} ms, p99 ${(singles[197] ?? 0).toFixed(1)} ms`);

    // The spec's row-level triggers back, exactly as the counts migration's down() restores them.
    await statementCounts.down(untyped(t.db));
    const turns = await sessionWithTurns(t.db, 'bench-before');
    let inserted = 0;
    let last = 0;
    const began = performance.now();
    while (performance.now() - began < BEFORE_SECONDS * 1000) {
      last = await multiRow(t.db, turns, BEFORE_CHUNK, BEFORE_CHUNK, inserted);
      inserted += BEFORE_CHUNK;
    }
    const perNote = last / BEFORE_CHUNK;
    console.log(`  before spec's row trigger: ${inserted.toLocaleString('en-US')} notes in ${fmt(performance.now() - began)}, the last ${BEFORE_CHUNK} at ${perNote.toFixed(1)} ms a note (counters ${await checkCounts(t.db, turns)})`);
    console.log(`  before ${NOTES.toLocaleString('en-US')} notes would take at least ${((perNote * NOTES) / 60_000).toFixed(0)} min (each note costs more than the last) → after ≥ ${((perNote * NOTES) / after).toFixed(0)}× faster`);
    await statementCounts.up(untyped(t.db));
  } finally {
    await t.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`bulk notes: ${NOTES.toLocaleString('en-US')} notes into one session of ${TURNS} turns`);
  for (const kind of testDbKinds) {
    console.log(`${kind}:`);
    await benchKind(kind);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
