/**
 * Restores one archived session: its row, turns, notes, call records and prompt-capture rows go back to
 * the live tables and leave the archive, in one transaction, with the tuning loop's rows archived with
 * it: the turns' judgements, the session's suggestions, its replays (each with its own replay session,
 * restored the same way) and their comparisons. A reference to something no longer live (a replay's
 * suggestion or replay session archived or deleted elsewhere) comes back empty, as its foreign key's
 * ON DELETE SET NULL would have left it. The turns and notes go back in one
 * multi-row statement each, so the session counters are recounted once per table (and come out equal
 * to the rows, as always). The session's updated_at becomes now: a restored session counts as used,
 * so the next retention run leaves it for another retention period.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db';
import { checkedColumnLists, columnList, type ColumnLists } from './archive-tables';
import { RestoreError } from './errors';
import { type RetentionCounts, zeroCounts } from './retention';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The archived session REF names: its full id, or a prefix of at least 8 characters unique in the archive. */
async function resolve(db: Kysely<Database>, ref: string): Promise<string> {
  const r = ref.trim().toLowerCase();
  if (UUID.test(r)) {
    const found = await db.selectFrom('prompt_tuning_sessions_archive').select('id').where('id', '=', r).executeTakeFirst();
    if (found) return found.id;
    const live = await db.selectFrom('prompt_tuning_sessions').select('id').where('id', '=', r).executeTakeFirst();
    throw new RestoreError(live ? `Session ${r} is live, not archived: nothing to restore.` : `No archived session ${r}.`);
  }
  if (!/^[0-9a-f-]{8,36}$/.test(r)) throw new RestoreError(`"${ref.slice(0, 40)}" is not a session id: give the full id or its first 8 characters.`);
  const matches = await sql<{ id: string }>`SELECT id FROM prompt_tuning_sessions_archive WHERE id::text LIKE ${`${r}%`} LIMIT 6`.execute(db);
  if (matches.rows.length === 0) throw new RestoreError(`No archived session starts with ${r}.`);
  if (matches.rows.length > 1) throw new RestoreError(`${matches.rows.length > 5 ? 'More than 5' : matches.rows.length} archived sessions start with ${r}; give more of the id: ${matches.rows.map((m) => m.id).join(', ')}.`);
  return matches.rows[0]?.id ?? '';
}

async function moveBack(trx: Kysely<Database>, columns: ColumnLists, table: keyof ColumnLists, where: ReturnType<typeof sql>): Promise<number> {
  const cols = columnList(columns[table]);
  const r = await sql`INSERT INTO ${sql.table(table)} (${cols}) SELECT ${cols} FROM ${sql.table(`${table}_archive`)} WHERE ${where}`.execute(trx);
  await sql`DELETE FROM ${sql.table(`${table}_archive`)} WHERE ${where}`.execute(trx);
  return Number(r.numAffectedRows ?? 0);
}

/** Restores archived session REF; returns its id and what came back. */
export async function restoreArchivedSession(db: Kysely<Database>, ref: string): Promise<{ sessionId: string; counts: RetentionCounts }> {
  const columns = await checkedColumnLists(db);
  const sessionId = await resolve(db, ref);
  try {
    return await db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('prompt_tuning_sessions_archive').select('id').where('id', '=', sessionId).forUpdate().executeTakeFirst();
      if (!locked) throw new RestoreError(`Session ${sessionId} was restored by someone else meanwhile.`);
      const id = sql`${sessionId}::uuid`;
      // The session and the replay sessions archived with it.
      const replaySessions = await sql<{ id: string }>`
        SELECT r.replay_session_id AS id FROM prompt_replays_archive r
        JOIN prompt_tuning_sessions_archive s ON s.id = r.replay_session_id
        WHERE r.source_session_id = ${id}`.execute(trx);
      const ids = sql`${[sessionId, ...replaySessions.rows.map((r) => r.id)]}::uuid[]`;
      const turns = sql`SELECT id FROM tuning_conversation_turns_archive WHERE session_id = ANY(${ids})`;
      const calls = sql`(session_id = ANY(${ids}) OR turn_id IN (${turns}))`;
      // Children are found through the archived turns, so they are moved before the turns are.
      const counts: RetentionCounts = zeroCounts();
      counts.sessions = await moveBack(trx, columns, 'prompt_tuning_sessions', sql`id = ANY(${ids})`);
      const notesWhere = sql`turn_id IN (${turns})`;
      const logsWhere = sql`(conversation_id = ANY(${ids}) OR turn_id IN (${turns}))`;
      const ioWhere = sql`call_id IN (SELECT id FROM llm_calls_archive WHERE ${calls})`;
      // Turns first (notes, calls and logs reference them), each child set before its parent leaves the archive.
      const cols = columnList(columns.tuning_conversation_turns);
      const t = await sql`INSERT INTO tuning_conversation_turns (${cols}) SELECT ${cols} FROM tuning_conversation_turns_archive WHERE session_id = ANY(${ids})`.execute(trx);
      counts.turns = Number(t.numAffectedRows ?? 0);
      counts.notes = await moveBack(trx, columns, 'tuning_improvements', notesWhere);
      const c = columnList(columns.llm_calls);
      counts.calls = Number((await sql`INSERT INTO llm_calls (${c}) SELECT ${c} FROM llm_calls_archive WHERE ${calls}`.execute(trx)).numAffectedRows ?? 0);
      counts.callIo = await moveBack(trx, columns, 'llm_call_io', ioWhere);
      await sql`DELETE FROM llm_calls_archive WHERE ${calls}`.execute(trx);
      counts.promptLogs = await moveBack(trx, columns, 'nlu_prompt_logs', logsWhere);
      counts.judgements = await moveBack(trx, columns, 'turn_judgements', notesWhere);
      counts.suggestions = await moveBack(trx, columns, 'prompt_suggestions', sql`session_id = ANY(${ids})`);
      // Replays, then comparisons: what they point at outside this restore may be gone; such a reference
      // comes back empty (SET NULL), and a comparison whose replay or sessions are not live stays archived.
      const replaysWhere = sql`(source_session_id = ANY(${ids}) OR replay_session_id = ANY(${ids}))`;
      await sql`UPDATE prompt_replays_archive SET suggestion_id = NULL
        WHERE ${replaysWhere} AND suggestion_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prompt_suggestions p WHERE p.id = prompt_replays_archive.suggestion_id)`.execute(trx);
      await sql`UPDATE prompt_replays_archive SET replay_session_id = NULL
        WHERE ${replaysWhere} AND replay_session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM prompt_tuning_sessions s WHERE s.id = prompt_replays_archive.replay_session_id)`.execute(trx);
      counts.replays = await moveBack(trx, columns, 'prompt_replays', sql`source_session_id = ANY(${ids})`);
      const live = (col: string, table: string) => sql`(${sql.ref(col)} IS NULL OR EXISTS (SELECT 1 FROM ${sql.table(table)} x WHERE x.id = ${sql.ref(`prompt_version_comparisons_archive.${col}`)}))`;
      counts.comparisons = await moveBack(trx, columns, 'prompt_version_comparisons', sql`(source_session_id = ANY(${ids}) OR replay_session_id = ANY(${ids}) OR replay_id IN (SELECT id FROM prompt_replays WHERE source_session_id = ANY(${ids})))
        AND ${live('replay_id', 'prompt_replays')} AND ${live('source_session_id', 'prompt_tuning_sessions')} AND ${live('replay_session_id', 'prompt_tuning_sessions')}`);
      await sql`DELETE FROM tuning_conversation_turns_archive WHERE session_id = ANY(${ids})`.execute(trx);
      return { sessionId, counts };
    });
  } catch (err) {
    const constraint = (err as { constraint?: unknown } | null)?.constraint;
    if (constraint === 'uq_tuning_sessions_one_open_per_tester') {
      throw new RestoreError(`Session ${sessionId} was never ended and its tester has an open session now; end that one (/end) and restore again.`, { cause: err });
    }
    throw err;
  }
}
