/**
 * A version number of the knowledge base, bumped by any change to its documents or chunks, so every
 * bot instance can keep an in-process retrieval index and check with one cheap read that it is
 * current (issue 12). A statement-level trigger bumps it, whoever writes: ingestion, a bulk load, a
 * hand edit. One row; updating it serialises writers only for the instant of the bump.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE knowledge_state (
  id SMALLINT NOT NULL DEFAULT 1,
  version BIGINT NOT NULL DEFAULT 1,
  changed_at TIMESTAMP NOT NULL DEFAULT NOW(),
  CONSTRAINT pk_knowledge_state PRIMARY KEY (id),
  CONSTRAINT chk_knowledge_state_single_row CHECK (id = 1),
  CONSTRAINT chk_knowledge_state_version_positive CHECK (version > 0)
);

INSERT INTO knowledge_state (id, version) VALUES (1, 1);

CREATE OR REPLACE FUNCTION bump_knowledge_version()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE knowledge_state SET version = version + 1, changed_at = NOW() WHERE id = 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trg_knowledge_documents_bump_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON knowledge_documents
  FOR EACH STATEMENT
  EXECUTE FUNCTION bump_knowledge_version();

CREATE TRIGGER trg_knowledge_chunks_bump_version
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON knowledge_chunks
  FOR EACH STATEMENT
  EXECUTE FUNCTION bump_knowledge_version();

COMMENT ON TABLE knowledge_state IS
  'One row: the knowledge base version, bumped by every statement that changes knowledge_documents or knowledge_chunks';
COMMENT ON COLUMN knowledge_state.version IS
  'Changes whenever the knowledge base does: a retrieval index built at version v is current while this is v';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TRIGGER IF EXISTS trg_knowledge_chunks_bump_version ON knowledge_chunks;
DROP TRIGGER IF EXISTS trg_knowledge_documents_bump_version ON knowledge_documents;
DROP FUNCTION IF EXISTS bump_knowledge_version();
DROP TABLE IF EXISTS knowledge_state;
`.execute(db);
}
