/**
 * Retention archives the tuning loop's rows too. Before this, archiving a session deleted its turns'
 * judgements, its suggestions, its replays and their comparisons (they cascade from the session), so a
 * restore brought the conversation back without its scores or its replays. Archive tables made as
 * 20261202130200 made the others (`LIKE … INCLUDING ALL`, copied indexes renamed `<source>_archive`,
 * no foreign keys or triggers) for turn_judgements, prompt_suggestions, prompt_replays and
 * prompt_version_comparisons. A replay's own session (its replayed turns) is archived and restored with
 * its source session. insight_batch_requests (a Message Batches request in flight) is bookkeeping of a
 * batch, not history, and is not archived.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

const TABLES = ['turn_judgements', 'prompt_suggestions', 'prompt_replays', 'prompt_version_comparisons'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of TABLES) {
    await sql`CREATE TABLE ${sql.table(`${table}_archive`)} (LIKE ${sql.table(table)} INCLUDING ALL)`.execute(db);
  }
  await sql`
DO $$
DECLARE
  t TEXT;
  arc RECORD;
  src RECORD;
BEGIN
  FOREACH t IN ARRAY ARRAY['turn_judgements', 'prompt_suggestions', 'prompt_replays', 'prompt_version_comparisons'] LOOP
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
COMMENT ON TABLE turn_judgements_archive IS 'Judge scores of archived turns';
COMMENT ON TABLE prompt_suggestions_archive IS 'Prompt suggestions of archived sessions';
COMMENT ON TABLE prompt_replays_archive IS 'Replays of archived sessions (their replay sessions are archived with them)';
COMMENT ON TABLE prompt_version_comparisons_archive IS 'Comparisons of archived replays and sessions';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [...TABLES].reverse()) {
    await sql`DROP TABLE IF EXISTS ${sql.table(`${table}_archive`)}`.execute(db);
  }
}
