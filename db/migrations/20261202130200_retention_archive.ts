/**
 * Retention (spec/000's "Archive Old Sessions", spec/004's 90 days for raw prompt logs): archive tables
 * made the spec's way, `LIKE … INCLUDING ALL`, for sessions, turns, notes, their call records (llm_calls
 * and llm_call_io) and prompt-capture rows; and a lease table so one scheduled task runs at a time
 * across bot instances.
 *
 * What INCLUDING ALL copies and what is done about it:
 * - defaults, NOT NULL, CHECK constraints (with their names), comments: kept;
 * - indexes, primary and unique keys: kept, renamed `<source index>_archive` (LIKE would name them
 *   itself) — except the copy of uq_tuning_sessions_one_open_per_tester, dropped: it is a rule about
 *   live sessions, and history may hold several never-closed sessions of one tester;
 * - foreign keys and triggers are not copied: archived rows reference nothing live (a restore puts them
 *   back through the live tables' constraints and counting triggers).
 * nlu_prompt_logs gets an index on conversation_id (idx_nlu_prompt_logs_conversation): deleting a
 * session cascades to its prompt-capture rows by that column.
 * prompt_tuning_sessions_archive also records when a session was archived (`archived_at`, its only
 * column beyond the source's). A column added to a source table later must be added to its archive
 * table in the same migration: the retention tool compares them and refuses to run otherwise.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

const TABLES = ['prompt_tuning_sessions', 'tuning_conversation_turns', 'tuning_improvements', 'llm_calls', 'llm_call_io', 'nlu_prompt_logs'];

export async function up(db: Kysely<unknown>): Promise<void> {
  // Deleting a session cascades to its prompt-capture rows by conversation_id, which had no index: each
  // deleted session scanned the whole log. (Created first, so the archive table gets it too.)
  await sql`CREATE INDEX idx_nlu_prompt_logs_conversation ON nlu_prompt_logs(conversation_id)`.execute(db);
  for (const table of TABLES) {
    await sql`CREATE TABLE ${sql.table(`${table}_archive`)} (LIKE ${sql.table(table)} INCLUDING ALL)`.execute(db);
  }
  // Name each copied index after the source index with the same definition.
  await sql`
DO $$
DECLARE
  t TEXT;
  arc RECORD;
  src RECORD;
BEGIN
  FOREACH t IN ARRAY ARRAY['prompt_tuning_sessions', 'tuning_conversation_turns', 'tuning_improvements', 'llm_calls', 'llm_call_io', 'nlu_prompt_logs'] LOOP
    FOR arc IN
      SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = (t || '_archive')::regclass
    LOOP
      FOR src IN
        SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = t::regclass
      LOOP
        IF regexp_replace(src.def, '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ', '') = regexp_replace(arc.def, '^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ', '')
           AND (src.def LIKE 'CREATE UNIQUE %') = (arc.def LIKE 'CREATE UNIQUE %') THEN
          EXECUTE format('ALTER INDEX %I RENAME TO %I', arc.name, left(src.name, 55) || '_archive');
          EXIT;
        END IF;
      END LOOP;
    END LOOP;
  END LOOP;
END;
$$;
`.execute(db);
  await sql`
DROP INDEX uq_tuning_sessions_one_open_per_tester_archive;

ALTER TABLE prompt_tuning_sessions_archive ADD COLUMN archived_at TIMESTAMP NOT NULL DEFAULT NOW();
CREATE INDEX idx_tuning_sessions_archived_at_archive ON prompt_tuning_sessions_archive(archived_at);

COMMENT ON TABLE prompt_tuning_sessions_archive IS 'Archived tuning sessions (retention); restore with npm run db:retention -- restore <id>';
COMMENT ON TABLE tuning_conversation_turns_archive IS 'Turns of archived sessions';
COMMENT ON TABLE tuning_improvements_archive IS 'Notes of archived sessions';
COMMENT ON TABLE llm_calls_archive IS 'Call-log rows of archived sessions (and tester calls past retention)';
COMMENT ON TABLE llm_call_io_archive IS 'Call I/O of archived call-log rows';
COMMENT ON TABLE nlu_prompt_logs_archive IS 'Prompt-capture rows of archived sessions, and rows past retention';

CREATE TABLE task_leases (
  name TEXT CONSTRAINT pk_task_leases PRIMARY KEY,
  holder TEXT NOT NULL,
  acquired_at TIMESTAMP NOT NULL DEFAULT NOW(),
  expires_at TIMESTAMP NOT NULL,
  CONSTRAINT chk_task_leases_expiry CHECK (expires_at > acquired_at)
);
COMMENT ON TABLE task_leases IS
  'One row per running scheduled task (retention, analyses): whoever holds an unexpired lease runs it; a crashed holder''s lease expires';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS task_leases`.execute(db);
  await sql`DROP INDEX IF EXISTS idx_nlu_prompt_logs_conversation`.execute(db);
  for (const table of [...TABLES].reverse()) {
    await sql`DROP TABLE IF EXISTS ${sql.table(`${table}_archive`)}`.execute(db);
  }
}
