/**
 * Retention (spec/000's cleanup and archive; spec/004's 90 days for raw prompt logs).
 *
 * A session is old when nothing happened in it since the cutoff: it started, ended and was last
 * updated (every turn and note updates it) before then. Old sessions go in batches of N, each batch in
 * one transaction: with `archive`, their rows are copied to the `_archive` tables and then deleted;
 * without, deleted. A batch is the session, its turns, their notes, the session's call records
 * (llm_calls with their llm_call_io), its prompt-capture rows, and the tuning loop's rows: the turns'
 * judgements, the session's suggestions, its replays with their comparisons, and each replay's own
 * session (the replayed turns, with everything above), which goes with its source session and is
 * never picked on its own. Because copy and delete commit
 * together, a run stopped anywhere (a crash, a kill, a lost connection) leaves every session either
 * live or archived — never both, never neither — and running again carries on.
 *
 * After the sessions, by age alone: prompt-capture rows older than the cutoff (spec 004's raw-log
 * retention, also for sessions still in use) and tester-linked call records with no session left.
 * Generation calls (no tester) are training data, not tester data, and stay.
 *
 * Batches pick their rows with FOR UPDATE SKIP LOCKED, so rows another transaction is writing are left
 * for the next run rather than waited on. A dry run counts what a run would do and changes nothing.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../../db';
import { checkedColumnLists, columnList, type ColumnLists } from './archive-tables';

type Db = Kysely<Database>;
type Trx = Transaction<Database>;

/** Rows a run archived or deleted (or, dry, would). */
export interface RetentionCounts {
  sessions: number;
  turns: number;
  notes: number;
  /** llm_calls rows (of the sessions, and tester calls past the cutoff with no session). */
  calls: number;
  /** llm_call_io rows of those calls. */
  callIo: number;
  /** nlu_prompt_logs rows (of the sessions, and any past the cutoff). */
  promptLogs: number;
  /** turn_judgements rows of the sessions' turns. */
  judgements: number;
  /** prompt_suggestions rows of the sessions. */
  suggestions: number;
  /** prompt_replays rows of the sessions (as source or as the replay's own session). */
  replays: number;
  /** prompt_version_comparisons rows of those replays and sessions. */
  comparisons: number;
}

export interface RetentionOptions {
  /** Rows older than this go. */
  cutoff: Date;
  /** Copy to the archive tables before deleting. */
  archive: boolean;
  /** Count only. */
  dryRun?: boolean;
  /** Sessions per transaction (default 100); also the rows per batch of prompt logs and calls × 50. */
  batchSessions?: number;
  /** Called after each committed batch (progress, lease renewal); a rejection stops the run. */
  onBatch?: (done: RetentionCounts, batch: number) => Promise<void>;
  /** Checked between batches: an aborted run stops after the batch in hand (nothing half done). */
  signal?: AbortSignal;
  /** Test hook: runs inside a batch's transaction after the copy, before the delete. */
  afterCopy?: (batch: number) => Promise<void>;
}

export interface RetentionResult {
  mode: 'archive' | 'delete';
  dryRun: boolean;
  cutoff: Date;
  batches: number;
  counts: RetentionCounts;
  /** True when the signal stopped the run before it was done. */
  stopped: boolean;
}

export const DEFAULT_BATCH_SESSIONS = 100;
const ROWS_PER_SESSION_BATCH = 50;

export const zeroCounts = (): RetentionCounts => ({ sessions: 0, turns: 0, notes: 0, calls: 0, callIo: 0, promptLogs: 0, judgements: 0, suggestions: 0, replays: 0, comparisons: 0 });
const zero = zeroCounts;
const add = (a: RetentionCounts, b: RetentionCounts): RetentionCounts => {
  const out = zero();
  for (const k of Object.keys(out) as Array<keyof RetentionCounts>) out[k] = a[k] + b[k];
  return out;
};

/** Sessions with no activity since CUTOFF; a replay's own session is not picked: it goes with its source. */
const oldSession = (cutoff: Date) =>
  sql<boolean>`GREATEST(s.session_start, COALESCE(s.session_end, s.session_start), COALESCE(s.updated_at, s.session_start)) < ${cutoff}
    AND NOT EXISTS (SELECT 1 FROM prompt_replays r WHERE r.replay_session_id = s.id)`;

/** The replay sessions of the replays of the sessions IDS (a uuid[] expression). */
const replaySessionsOf = (ids: RawBuilder<unknown>) =>
  sql`SELECT replay_session_id FROM prompt_replays WHERE source_session_id = ANY(${ids}) AND replay_session_id IS NOT NULL`;

/**
 * What belongs to a set of sessions (their ids as a uuid[] expression). Calls and prompt logs are found
 * by session or by turn through a UNION, not an OR, so each side uses its index.
 */
function sessionScope(ids: RawBuilder<unknown>) {
  const turns = sql`SELECT id FROM tuning_conversation_turns WHERE session_id = ANY(${ids})`;
  const calls = sql`id IN (SELECT id FROM llm_calls WHERE session_id = ANY(${ids}) UNION SELECT id FROM llm_calls WHERE turn_id IN (${turns}))`;
  return {
    sessions: sql`id = ANY(${ids})`,
    turns: sql`session_id = ANY(${ids})`,
    notes: sql`turn_id IN (${turns})`,
    calls,
    callIo: sql`call_id IN (SELECT id FROM llm_calls WHERE ${calls})`,
    promptLogs: sql`id IN (SELECT id FROM nlu_prompt_logs WHERE conversation_id = ANY(${ids}) UNION SELECT id FROM nlu_prompt_logs WHERE turn_id IN (${turns}))`,
    judgements: sql`turn_id IN (${turns})`,
    suggestions: sql`session_id = ANY(${ids})`,
    replays: sql`(source_session_id = ANY(${ids}) OR replay_session_id = ANY(${ids}))`,
    comparisons: sql`(source_session_id = ANY(${ids}) OR replay_session_id = ANY(${ids}) OR replay_id IN (SELECT id FROM prompt_replays WHERE source_session_id = ANY(${ids})))`,
  };
}

async function countWhere(db: Db | Trx, table: string, where: RawBuilder<unknown>): Promise<number> {
  const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${where}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

async function copy(trx: Trx, columns: ColumnLists, table: keyof ColumnLists, where: RawBuilder<unknown>): Promise<void> {
  const cols = columnList(columns[table]);
  await sql`INSERT INTO ${sql.table(`${table}_archive`)} (${cols}) SELECT ${cols} FROM ${sql.table(table)} WHERE ${where}`.execute(trx);
}

/** One batch of old sessions, copied (archive) and deleted in TRX. Returns what it moved. */
async function sessionBatch(trx: Trx, options: RetentionOptions, columns: ColumnLists | null, batch: number, size: number): Promise<RetentionCounts | null> {
  const picked = await sql<{ id: string }>`
    SELECT s.id FROM prompt_tuning_sessions s WHERE ${oldSession(options.cutoff)}
    ORDER BY s.session_start, s.id LIMIT ${size} FOR UPDATE SKIP LOCKED`.execute(trx);
  if (picked.rows.length === 0) return null;
  const pickedIds = sql`${picked.rows.map((r) => r.id)}::uuid[]`;
  // The replays' own sessions go with their sources.
  const replaySessions = await sql<{ id: string }>`SELECT id FROM prompt_tuning_sessions WHERE id IN (${replaySessionsOf(pickedIds)}) FOR UPDATE`.execute(trx);
  const ids = [...picked.rows, ...replaySessions.rows].map((r) => r.id);
  const scope = sessionScope(sql`${ids}::uuid[]`);
  const counts: RetentionCounts = {
    sessions: ids.length,
    turns: await countWhere(trx, 'tuning_conversation_turns', scope.turns),
    notes: await countWhere(trx, 'tuning_improvements', scope.notes),
    calls: await countWhere(trx, 'llm_calls', scope.calls),
    callIo: await countWhere(trx, 'llm_call_io', scope.callIo),
    promptLogs: await countWhere(trx, 'nlu_prompt_logs', scope.promptLogs),
    judgements: await countWhere(trx, 'turn_judgements', scope.judgements),
    suggestions: await countWhere(trx, 'prompt_suggestions', scope.suggestions),
    replays: await countWhere(trx, 'prompt_replays', scope.replays),
    comparisons: await countWhere(trx, 'prompt_version_comparisons', scope.comparisons),
  };
  if (columns) {
    await copy(trx, columns, 'prompt_tuning_sessions', scope.sessions);
    await copy(trx, columns, 'tuning_conversation_turns', scope.turns);
    await copy(trx, columns, 'tuning_improvements', scope.notes);
    await copy(trx, columns, 'llm_calls', scope.calls);
    await copy(trx, columns, 'llm_call_io', scope.callIo);
    await copy(trx, columns, 'nlu_prompt_logs', scope.promptLogs);
    await copy(trx, columns, 'turn_judgements', scope.judgements);
    await copy(trx, columns, 'prompt_suggestions', scope.suggestions);
    await copy(trx, columns, 'prompt_replays', scope.replays);
    await copy(trx, columns, 'prompt_version_comparisons', scope.comparisons);
  }
  await options.afterCopy?.(batch);
  // Calls first (their I/O cascades), then prompt logs, then the sessions (turns, notes, judgements,
  // suggestions, replays and comparisons cascade).
  await sql`DELETE FROM llm_calls WHERE ${scope.calls}`.execute(trx);
  await sql`DELETE FROM nlu_prompt_logs WHERE ${scope.promptLogs}`.execute(trx);
  await sql`DELETE FROM prompt_tuning_sessions WHERE ${scope.sessions}`.execute(trx);
  return counts;
}

/** One batch of rows past the cutoff by their own age (prompt logs, or session-less tester calls). */
async function ageBatch(trx: Trx, options: RetentionOptions, columns: ColumnLists | null, kind: 'promptLogs' | 'calls', size: number): Promise<RetentionCounts | null> {
  const table = kind === 'calls' ? 'llm_calls' : 'nlu_prompt_logs';
  const extra = kind === 'calls' ? sql`AND session_id IS NULL AND tester_id IS NOT NULL` : sql``;
  const picked = await sql<{ id: string }>`
    SELECT id FROM ${sql.table(table)} WHERE created_at < ${options.cutoff} ${extra}
    ORDER BY created_at, id LIMIT ${size} FOR UPDATE SKIP LOCKED`.execute(trx);
  if (picked.rows.length === 0) return null;
  const ids = sql`${picked.rows.map((r) => r.id)}::uuid[]`;
  const counts = zero();
  if (kind === 'calls') {
    counts.calls = picked.rows.length;
    counts.callIo = await countWhere(trx, 'llm_call_io', sql`call_id = ANY(${ids})`);
    if (columns) {
      await copy(trx, columns, 'llm_calls', sql`id = ANY(${ids})`);
      await copy(trx, columns, 'llm_call_io', sql`call_id = ANY(${ids})`);
    }
  } else {
    counts.promptLogs = picked.rows.length;
    if (columns) await copy(trx, columns, 'nlu_prompt_logs', sql`id = ANY(${ids})`);
  }
  await sql`DELETE FROM ${sql.table(table)} WHERE id = ANY(${ids})`.execute(trx);
  return counts;
}

/** Deadlock (a tester writing to an old session at that moment): the batch is simply tried again. */
const RETRYABLE = new Set(['40P01', '40001']);

async function inTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (attempt >= 3 || typeof code !== 'string' || !RETRYABLE.has(code)) throw err;
    }
  }
}

/** What a run with these options would archive or delete, changing nothing. */
export async function countRetention(db: Db, cutoff: Date): Promise<RetentionCounts> {
  const picked = sql`ARRAY(SELECT s.id FROM prompt_tuning_sessions s WHERE ${oldSession(cutoff)})`;
  const ids = sql`ARRAY(SELECT unnest(${picked}) UNION SELECT id FROM prompt_tuning_sessions WHERE id IN (${replaySessionsOf(picked)}))`;
  const scope = sessionScope(ids);
  const byAgeLogs = sql`created_at < ${cutoff} AND NOT COALESCE(${scope.promptLogs}, false)`;
  const byAgeCalls = sql`created_at < ${cutoff} AND session_id IS NULL AND tester_id IS NOT NULL AND NOT COALESCE(${scope.calls}, false)`;
  return {
    sessions: await countWhere(db, 'prompt_tuning_sessions', scope.sessions),
    turns: await countWhere(db, 'tuning_conversation_turns', scope.turns),
    notes: await countWhere(db, 'tuning_improvements', scope.notes),
    calls: (await countWhere(db, 'llm_calls', scope.calls)) + (await countWhere(db, 'llm_calls', byAgeCalls)),
    callIo: (await countWhere(db, 'llm_call_io', scope.callIo)) + (await countWhere(db, 'llm_call_io', sql`call_id IN (SELECT id FROM llm_calls WHERE ${byAgeCalls})`)),
    promptLogs: (await countWhere(db, 'nlu_prompt_logs', scope.promptLogs)) + (await countWhere(db, 'nlu_prompt_logs', byAgeLogs)),
    judgements: await countWhere(db, 'turn_judgements', scope.judgements),
    suggestions: await countWhere(db, 'prompt_suggestions', scope.suggestions),
    replays: await countWhere(db, 'prompt_replays', scope.replays),
    comparisons: await countWhere(db, 'prompt_version_comparisons', scope.comparisons),
  };
}

/**
 * Runs retention. Every batch commits on its own; the result counts what was committed.
 * @throws ArchiveSchemaError (before touching anything) when an archive table does not match its source.
 */
export async function runRetention(db: Db, options: RetentionOptions): Promise<RetentionResult> {
  const mode = options.archive ? 'archive' : 'delete';
  const base = { mode, cutoff: options.cutoff } as const;
  if (options.dryRun) return { ...base, dryRun: true, batches: 0, counts: await countRetention(db, options.cutoff), stopped: false };
  const columns = options.archive ? await checkedColumnLists(db) : null;
  const size = options.batchSessions ?? DEFAULT_BATCH_SESSIONS;
  let counts = zero();
  let batches = 0;
  const phases: Array<(trx: Trx) => Promise<RetentionCounts | null>> = [
    (trx) => sessionBatch(trx, options, columns, batches + 1, size),
    (trx) => ageBatch(trx, options, columns, 'promptLogs', size * ROWS_PER_SESSION_BATCH),
    (trx) => ageBatch(trx, options, columns, 'calls', size * ROWS_PER_SESSION_BATCH),
  ];
  for (const phase of phases) {
    for (;;) {
      if (options.signal?.aborted) return { ...base, dryRun: false, batches, counts, stopped: true };
      const moved = await inTransaction(db, phase);
      if (!moved) break;
      batches += 1;
      counts = add(counts, moved);
      await options.onBatch?.(counts, batches);
    }
  }
  return { ...base, dryRun: false, batches, counts, stopped: false };
}
