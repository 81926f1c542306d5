/**
 * Sessions of a chosen age with everything retention moves: turns, notes, call records with I/O and
 * prompt-capture rows. Ages are set by backdating the rows (the updated_at trigger is off while the
 * fixture writes, as if the rows had been written back then).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db';

type Db = Kysely<Database>;

export interface AgedSessionSpec {
  tester: string;
  daysAgo: number;
  turns: number;
  notesPerTurn: number;
  /** Leave the session open (session_end NULL). */
  open?: boolean;
}

const DAY = 86_400_000;

/** Inserts a session DAYS_AGO old with its rows, in multi-row statements; returns its id. */
export async function insertAgedSession(db: Db, spec: AgedSessionSpec, now = Date.now()): Promise<string> {
  const at = new Date(now - spec.daysAgo * DAY);
  return db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE prompt_tuning_sessions DISABLE TRIGGER update_sessions_updated_at`.execute(trx);
    const s = await trx.insertInto('prompt_tuning_sessions')
      .values({ tester_id: spec.tester, tester_email: `${spec.tester}@northwind.example`, tester_name: `Tester ${spec.tester}`, session_start: at, session_end: spec.open ? null : new Date(at.getTime() + 3_600_000), master_prompt_version: 'abc1234', metadata: { conversation_id: `conv-${spec.tester}` } })
      .returning('id').executeTakeFirstOrThrow();
    if (spec.turns > 0) {
      await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response, timestamp, search_results, avg_similarity, metadata)
        SELECT ${s.id}::uuid, n, 'question ' || n, 'answer ' || n, ${at}::timestamp + n * interval '1 second',
               '{"results": []}'::jsonb, 0.5, jsonb_build_object('reply_activity_id', ${s.id}::text || '-' || n)
        FROM generate_series(1, ${spec.turns}) n`.execute(trx);
      if (spec.notesPerTurn > 0) {
        await sql`INSERT INTO tuning_improvements (turn_id, improvement_note, category, timestamp)
          SELECT t.id, 'note ' || k || ' on ' || t.turn_number, 'tone', t.timestamp + k * interval '1 millisecond'
          FROM tuning_conversation_turns t CROSS JOIN generate_series(1, ${spec.notesPerTurn}) k WHERE t.session_id = ${s.id}::uuid`.execute(trx);
      }
      await sql`INSERT INTO llm_calls (created_at, purpose, model, status, session_id, turn_id, tester_id)
        SELECT t.timestamp, 'answer', 'claude-test', 'ok', ${s.id}::uuid, t.id, ${spec.tester} FROM tuning_conversation_turns t WHERE t.session_id = ${s.id}::uuid`.execute(trx);
      await sql`INSERT INTO llm_system_prompts (sha256, text) VALUES (${'0'.repeat(64)}, 'fixture prompt') ON CONFLICT DO NOTHING`.execute(trx);
      await sql`INSERT INTO llm_call_io (call_id, system_sha256, messages, params, has_output, output_text)
        SELECT c.id, ${'0'.repeat(64)}, '[{"role":"user","content":"q"}]'::jsonb, '{"max_tokens":10}'::jsonb, true, 'a'
        FROM llm_calls c WHERE c.session_id = ${s.id}::uuid`.execute(trx);
      await sql`INSERT INTO nlu_prompt_logs (created_at, user_id, conversation_id, message_index, turn_id, prompt, predicted_intent, confidence, source)
        SELECT t.timestamp, ${spec.tester}, ${s.id}::uuid, t.turn_number, t.id, t.user_message, 'attendance', 0.9, 'rule'
        FROM tuning_conversation_turns t WHERE t.session_id = ${s.id}::uuid`.execute(trx);
    }
    await sql`UPDATE prompt_tuning_sessions SET updated_at = ${at} WHERE id = ${s.id}::uuid`.execute(trx);
    await sql`ALTER TABLE prompt_tuning_sessions ENABLE TRIGGER update_sessions_updated_at`.execute(trx);
    return s.id;
  });
}

/** A JSON snapshot of every row retention touches for SESSION_ID in the live (or archive) tables. */
export async function snapshot(db: Db, sessionId: string, suffix: '' | '_archive' = ''): Promise<Record<string, unknown[]>> {
  const t = (name: string) => sql.table(`${name}${suffix}`);
  const id = sql`${sessionId}::uuid`;
  const q = async (query: ReturnType<typeof sql>) => (await sql<{ j: unknown }>`SELECT to_jsonb(x) AS j FROM (${query}) x`.execute(db)).rows.map((r) => r.j);
  const turnIds = sql`SELECT id FROM ${t('tuning_conversation_turns')} WHERE session_id = ${id}`;
  return {
    session: await q(sql`SELECT ${sql.join(SESSION_COLUMNS.map((c) => sql.ref(c)))} FROM ${t('prompt_tuning_sessions')} WHERE id = ${id}`),
    turns: await q(sql`SELECT * FROM ${t('tuning_conversation_turns')} WHERE session_id = ${id} ORDER BY turn_number`),
    notes: await q(sql`SELECT * FROM ${t('tuning_improvements')} WHERE turn_id IN (${turnIds}) ORDER BY id`),
    calls: await q(sql`SELECT * FROM ${t('llm_calls')} WHERE session_id = ${id} ORDER BY id`),
    io: await q(sql`SELECT * FROM ${t('llm_call_io')} WHERE call_id IN (SELECT id FROM ${t('llm_calls')} WHERE session_id = ${id}) ORDER BY call_id`),
    logs: await q(sql`SELECT * FROM ${t('nlu_prompt_logs')} WHERE conversation_id = ${id} ORDER BY id`),
  };
}

/** The session columns a restore keeps as they were (updated_at becomes the restore time). */
const SESSION_COLUMNS = ['id', 'session_start', 'session_end', 'master_prompt_version', 'branch_name', 'total_turns', 'total_improvements', 'tester_id', 'tester_email', 'tester_name', 'metadata', 'created_at'];

/** Sessions in both the live and archive tables, and ids in neither, among IDS. */
export async function splitBrain(db: Db, ids: string[]): Promise<{ both: string[]; neither: string[] }> {
  const live = new Set((await db.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
  const archived = new Set((await db.selectFrom('prompt_tuning_sessions_archive').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
  return { both: ids.filter((i) => live.has(i) && archived.has(i)), neither: ids.filter((i) => !live.has(i) && !archived.has(i)) };
}

/**
 * The tuning loop's rows for SESSION_ID (aged like it): a judgement of each turn, a suggestion, a
 * replay of the session with its own replay session (one replayed turn, judged) and two comparisons.
 * Returns the replay's id and its session's id.
 */
export async function insertTuningLoopRows(db: Db, sessionId: string): Promise<{ replayId: string; replaySessionId: string }> {
  return db.transaction().execute(async (trx) => {
    const id = sql`${sessionId}::uuid`;
    const at = sql`(SELECT session_start FROM prompt_tuning_sessions WHERE id = ${id})`;
    await sql`INSERT INTO turn_judgements (turn_id, rubric_version, judge_model, status, professionalism_score, empathy_score, clarity_score, judged_at)
      SELECT t.id, 'r1', 'judge-model', 'ok', 4, 3, 5, t.timestamp FROM tuning_conversation_turns t WHERE t.session_id = ${id}`.execute(trx);
    const suggestion = await sql<{ id: string }>`INSERT INTO prompt_suggestions (session_id, created_at, updated_at, status, mode, prompt_path, base_version, base_sha256, summary)
      VALUES (${id}, ${at}, ${at}, 'ready', 'claude', 'MASTER_PROMPT.md', 'abc1234', ${'a'.repeat(64)}, 'warmer openings') RETURNING id`.execute(trx);
    await sql`ALTER TABLE prompt_tuning_sessions DISABLE TRIGGER update_sessions_updated_at`.execute(trx);
    const replaySession = await sql<{ id: string }>`INSERT INTO prompt_tuning_sessions (session_start, session_end, updated_at, master_prompt_version)
      VALUES (${at}, ${at}, ${at}, 'def5678') RETURNING id`.execute(trx);
    const rs = replaySession.rows[0]!.id;
    await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response, timestamp)
      VALUES (${rs}::uuid, 1, 'question 1', 'replayed answer 1', ${at})`.execute(trx);
    await sql`UPDATE prompt_tuning_sessions SET updated_at = ${at} WHERE id = ${rs}::uuid`.execute(trx);
    await sql`ALTER TABLE prompt_tuning_sessions ENABLE TRIGGER update_sessions_updated_at`.execute(trx);
    await sql`INSERT INTO turn_judgements (turn_id, rubric_version, judge_model, status, professionalism_score, empathy_score, clarity_score)
      SELECT id, 'r1', 'judge-model', 'ok', 5, 4, 5 FROM tuning_conversation_turns WHERE session_id = ${rs}::uuid`.execute(trx);
    const replay = await sql<{ id: string }>`INSERT INTO prompt_replays (created_at, updated_at, source_session_id, replay_session_id, candidate_kind, candidate_ref, candidate_version, candidate_sha256, candidate_prompt, suggestion_id, status, total_turns, done_turns)
      VALUES (${at}, ${at}, ${id}, ${rs}::uuid, 'suggestion', ${suggestion.rows[0]!.id}, 'def5678', ${'b'.repeat(64)}, 'You are ERA.', ${suggestion.rows[0]!.id}::uuid, 'completed', 1, 1) RETURNING id`.execute(trx);
    const replayId = replay.rows[0]!.id;
    await sql`INSERT INTO prompt_version_comparisons (version_a, version_b, metric_name, version_a_score, version_b_score, comparison_date, replay_id, source_session_id, replay_session_id)
      VALUES ('abc1234', 'def5678', 'empathy', 3, 4, ${at}, ${replayId}::uuid, ${id}, ${rs}::uuid),
             ('abc1234', 'def5678', 'clarity', 5, 5, ${at}, ${replayId}::uuid, ${id}, ${rs}::uuid)`.execute(trx);
    return { replayId, replaySessionId: rs };
  });
}

/** The tuning loop's rows of SESSION_ID and its replays, live (or archived), as JSON. */
export async function loopSnapshot(db: Db, sessionId: string, suffix: '' | '_archive' = ''): Promise<Record<string, unknown[]>> {
  const t = (name: string) => sql.table(`${name}${suffix}`);
  const id = sql`${sessionId}::uuid`;
  const q = async (query: ReturnType<typeof sql>) => (await sql<{ j: unknown }>`SELECT to_jsonb(x) AS j FROM (${query}) x`.execute(db)).rows.map((r) => r.j);
  const replays = sql`SELECT id FROM ${t('prompt_replays')} WHERE source_session_id = ${id}`;
  const sessions = sql`SELECT ${id} UNION SELECT replay_session_id FROM ${t('prompt_replays')} WHERE source_session_id = ${id}`;
  return {
    judgements: await q(sql`SELECT * FROM ${t('turn_judgements')} WHERE turn_id IN (SELECT id FROM ${t('tuning_conversation_turns')} WHERE session_id IN (${sessions})) ORDER BY id`),
    suggestions: await q(sql`SELECT * FROM ${t('prompt_suggestions')} WHERE session_id = ${id} ORDER BY id`),
    replays: await q(sql`SELECT * FROM ${t('prompt_replays')} WHERE source_session_id = ${id} ORDER BY id`),
    comparisons: await q(sql`SELECT * FROM ${t('prompt_version_comparisons')} WHERE replay_id IN (${replays}) ORDER BY id`),
    replayTurns: await q(sql`SELECT * FROM ${t('tuning_conversation_turns')} WHERE session_id IN (SELECT replay_session_id FROM ${t('prompt_replays')} WHERE source_session_id = ${id}) ORDER BY id`),
  };
}
