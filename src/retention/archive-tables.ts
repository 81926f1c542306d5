/**
 * The live tables retention archives and their `_archive` twins, with the column lists both share.
 * Copies name their columns (never `SELECT *`), and a run first checks that each archive table has
 * exactly its source's columns (plus archived_at on the sessions' archive): a column added to one
 * side only would otherwise fail a copy halfway or, worse, drop data silently.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db';
import { ArchiveSchemaError } from './errors';

export const ARCHIVED_TABLES = [
  'prompt_tuning_sessions', 'tuning_conversation_turns', 'tuning_improvements', 'llm_calls', 'llm_call_io', 'nlu_prompt_logs',
  'turn_judgements', 'prompt_suggestions', 'prompt_replays', 'prompt_version_comparisons',
] as const;
export type ArchivedTable = (typeof ARCHIVED_TABLES)[number];

/** Columns an archive table has beyond its source. */
const ARCHIVE_ONLY: Readonly<Record<ArchivedTable, readonly string[]>> = {
  prompt_tuning_sessions: ['archived_at'],
  tuning_conversation_turns: [],
  tuning_improvements: [],
  llm_calls: [],
  llm_call_io: [],
  nlu_prompt_logs: [],
  turn_judgements: [],
  prompt_suggestions: [],
  prompt_replays: [],
  prompt_version_comparisons: [],
};

/** Each table's shared columns, in the source's order. */
export type ColumnLists = Readonly<Record<ArchivedTable, readonly string[]>>;

async function columnsOf(db: Kysely<Database> | Transaction<Database>, table: string): Promise<string[]> {
  const r = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table}
    ORDER BY ordinal_position`.execute(db);
  return r.rows.map((row) => row.column_name);
}

/**
 * The shared column lists, after checking every pair.
 * @throws ArchiveSchemaError naming each table and the columns only one side has.
 */
export async function checkedColumnLists(db: Kysely<Database> | Transaction<Database>): Promise<ColumnLists> {
  const lists = {} as Record<ArchivedTable, readonly string[]>;
  const problems: string[] = [];
  for (const table of ARCHIVED_TABLES) {
    const live = await columnsOf(db, table);
    const archive = await columnsOf(db, `${table}_archive`);
    if (archive.length === 0) {
      problems.push(`${table}_archive does not exist (run the migrations)`);
      continue;
    }
    const onlyLive = live.filter((c) => !archive.includes(c));
    const onlyArchive = archive.filter((c) => !live.includes(c) && !ARCHIVE_ONLY[table].includes(c));
    if (onlyLive.length) problems.push(`${table}_archive lacks ${onlyLive.join(', ')}`);
    if (onlyArchive.length) problems.push(`${table} lacks ${onlyArchive.join(', ')} that ${table}_archive has`);
    lists[table] = live;
  }
  if (problems.length) {
    throw new ArchiveSchemaError(
      `The archive tables do not match the live tables: ${problems.join('; ')}. Add the same columns to both in a migration; nothing was changed.`,
    );
  }
  return lists;
}

/** `col1, col2, …` as identifiers. */
export function columnList(columns: readonly string[]) {
  return sql.join(columns.map((c) => sql.ref(c)));
}
