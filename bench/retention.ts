/**
 * Retention of 100,000 turns: SESSIONS old sessions of TURNS turns each, every turn with a note, a
 * call-log row with its I/O and a prompt-capture row (500,000 rows in all), archived (copy + delete,
 * one transaction per 100 sessions), then the same data again deleted without archive, then a restore
 * of one archived session. On PGlite always, and on Postgres when DATABASE_URL is set. Prints figures.
 *
 *   node -r @swc-node/register bench/retention.ts [sessions] [turnsPerSession]
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db';
import { restoreArchivedSession, runRetention, type RetentionCounts } from '../src/retention';
import { createTestDatabase, type TestDbKind, testDbKinds } from '../bot-tests/helpers/db';

const SESSIONS = Number.parseInt(process.argv[2] ?? '1000', 10);
const TURNS = Number.parseInt(process.argv[3] ?? '100', 10);
const DAY = 86_400_000;

async function seed(db: Kysely<Database>): Promise<void> {
  const at = new Date(Date.now() - 200 * DAY);
  await sql`ALTER TABLE prompt_tuning_sessions DISABLE TRIGGER update_sessions_updated_at`.execute(db);
  await sql`INSERT INTO prompt_tuning_sessions (tester_id, session_start, session_end, updated_at)
    SELECT 'bench-' || n, ${at}::timestamp, ${at}::timestamp + interval '1 hour', ${at}::timestamp FROM generate_series(1, ${SESSIONS}) n`.execute(db);
  await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response, timestamp)
    SELECT s.id, k, 'My employee did not show up again, what now? ' || k, repeat('Document it and follow the attendance policy [1]. ', 12), ${at}::timestamp
    FROM prompt_tuning_sessions s CROSS JOIN generate_series(1, ${TURNS}) k`.execute(db);
  await sql`INSERT INTO tuning_improvements (turn_id, improvement_note, category, timestamp) SELECT id, 'Too formal', 'tone', ${at}::timestamp FROM tuning_conversation_turns`.execute(db);
  await sql`INSERT INTO llm_calls (created_at, purpose, model, status, session_id, turn_id, tester_id)
    SELECT ${at}::timestamp, 'answer', 'claude-sonnet-5-5', 'ok', session_id, id, 'bench' FROM tuning_conversation_turns`.execute(db);
  await sql`INSERT INTO llm_system_prompts (sha256, text) VALUES (${'a'.repeat(64)}, 'You are ERA.') ON CONFLICT DO NOTHING`.execute(db);
  await sql`INSERT INTO llm_call_io (call_id, system_sha256, messages, params, has_output, output_text)
    SELECT id, ${'a'.repeat(64)}, '[{"role":"user","content":"My employee did not show up again"}]'::jsonb, '{"max_tokens":1024}'::jsonb, true, 'Document it.' FROM llm_calls`.execute(db);
  await sql`INSERT INTO nlu_prompt_logs (created_at, user_id, conversation_id, message_index, turn_id, prompt, predicted_intent, confidence, source)
    SELECT ${at}::timestamp, 'bench', session_id, turn_number, id, user_message, 'attendance', 0.9, 'rule' FROM tuning_conversation_turns`.execute(db);
  // Backdate what the counting triggers touched: every session is 200 days idle.
  await sql`UPDATE prompt_tuning_sessions SET updated_at = ${at}::timestamp`.execute(db);
  await sql`ALTER TABLE prompt_tuning_sessions ENABLE TRIGGER update_sessions_updated_at`.execute(db);
  await sql`ANALYZE`.execute(db);
}

const fmt = (c: RetentionCounts) => `${c.sessions} sessions, ${c.turns.toLocaleString('en-US')} turns, ${c.notes.toLocaleString('en-US')} notes, ${c.calls.toLocaleString('en-US')} calls + I/O, ${c.promptLogs.toLocaleString('en-US')} prompt logs`;

async function benchKind(kind: TestDbKind): Promise<void> {
  const t = await createTestDatabase(kind);
  try {
    let started = performance.now();
    await seed(t.db);
    console.log(`  ${kind}: seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const cutoff = new Date(Date.now() - 90 * DAY);
    started = performance.now();
    const archived = await runRetention(t.db, { cutoff, archive: true, batchSessions: 100 });
    console.log(`  ${kind}: --archive ${fmt(archived.counts)} in ${((performance.now() - started) / 1000).toFixed(1)} s (${archived.batches} transactions)`);
    const one = await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').limit(1).executeTakeFirstOrThrow();
    started = performance.now();
    const restored = await restoreArchivedSession(t.db, one.id);
    console.log(`  ${kind}: restore of one session (${restored.counts.turns} turns and their rows) in ${(performance.now() - started).toFixed(0)} ms`);
    await sql`TRUNCATE prompt_tuning_sessions_archive, tuning_conversation_turns_archive, tuning_improvements_archive, llm_calls_archive, llm_call_io_archive, nlu_prompt_logs_archive`.execute(t.db);
    await sql`TRUNCATE prompt_tuning_sessions, llm_calls, llm_call_io CASCADE`.execute(t.db);
    await seed(t.db);
    started = performance.now();
    const deleted = await runRetention(t.db, { cutoff, archive: false, batchSessions: 100 });
    console.log(`  ${kind}: delete (no archive) ${fmt(deleted.counts)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await t.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`retention: ${SESSIONS} idle sessions × ${TURNS} turns = ${(SESSIONS * TURNS).toLocaleString('en-US')} turns`);
  for (const kind of testDbKinds) await benchKind(kind);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
