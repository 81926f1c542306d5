/**
 * The knowledge base ERA answers from: policy documents (one row per Markdown file) and their chunks,
 * each chunk with a stored full-text vector (section headings weighted A, body text B) behind a GIN
 * index for Postgres full-text retrieval. Runs the same on Postgres 15 and PGlite.
 *
 * Chunks go with their document (ON DELETE CASCADE): re-ingesting a changed file replaces them.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE knowledge_documents (
  id UUID NOT NULL DEFAULT gen_random_uuid(),
  source_path TEXT NOT NULL,
  title TEXT NOT NULL,
  topic TEXT,
  content_hash TEXT NOT NULL,
  byte_size INTEGER NOT NULL,
  chunk_count INTEGER NOT NULL DEFAULT 0,
  ingested_at TIMESTAMP NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
  metadata JSONB DEFAULT '{}'::jsonb,
  CONSTRAINT pk_knowledge_documents PRIMARY KEY (id),
  CONSTRAINT uq_knowledge_documents_source_path UNIQUE (source_path),
  CONSTRAINT chk_knowledge_documents_content_hash CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT chk_knowledge_documents_sizes_non_negative CHECK (byte_size >= 0 AND chunk_count >= 0)
);

CREATE INDEX idx_knowledge_documents_topic ON knowledge_documents(topic) WHERE topic IS NOT NULL;

CREATE TRIGGER update_knowledge_documents_updated_at
  BEFORE UPDATE ON knowledge_documents
  FOR EACH ROW
  EXECUTE FUNCTION update_updated_at_column();

COMMENT ON TABLE knowledge_documents IS
  'Policy documents ERA answers from, one row per Markdown file in the knowledge folder';
COMMENT ON COLUMN knowledge_documents.source_path IS
  'Path of the file relative to the knowledge folder, with forward slashes';
COMMENT ON COLUMN knowledge_documents.topic IS
  'Topic id from the document''s "Topic:" line (attendance, scheduling, leave, ...); NULL when absent';
COMMENT ON COLUMN knowledge_documents.content_hash IS
  'SHA-256 (hex) of the file bytes: an unchanged file is not re-ingested';
COMMENT ON COLUMN knowledge_documents.metadata IS
  'Ingestion details: chunker version and settings';

CREATE TABLE knowledge_chunks (
  id UUID NOT NULL DEFAULT gen_random_uuid(),
  document_id UUID NOT NULL,
  chunk_index INTEGER NOT NULL,
  section TEXT,
  content TEXT NOT NULL,
  word_count INTEGER NOT NULL,
  -- '/' becomes a space first: the default parser reads "no-call/no-show" or "CPR/AED" as one file-path
  -- token, so "show" or "CPR" in a question would never match them. Retrieval does the same to the question.
  tsv TSVECTOR GENERATED ALWAYS AS (
    setweight(to_tsvector('english', translate(coalesce(section, ''), '/', ' ')), 'A') ||
    setweight(to_tsvector('english', translate(content, '/', ' ')), 'B')
  ) STORED,
  CONSTRAINT pk_knowledge_chunks PRIMARY KEY (id),
  CONSTRAINT fk_knowledge_chunks_document FOREIGN KEY (document_id)
    REFERENCES knowledge_documents(id) ON DELETE CASCADE,
  CONSTRAINT uq_knowledge_chunks_document_index UNIQUE (document_id, chunk_index),
  CONSTRAINT chk_knowledge_chunks_counts_non_negative CHECK (chunk_index >= 0 AND word_count >= 0)
);

CREATE INDEX idx_knowledge_chunks_tsv ON knowledge_chunks USING GIN (tsv);
-- No separate index on document_id: uq_knowledge_chunks_document_index leads with it and serves the
-- per-document lookups and the cascade; a second index would only slow every insert.

COMMENT ON TABLE knowledge_chunks IS
  'Passages of a knowledge document, a few hundred words each, as retrieved for ERA';
COMMENT ON COLUMN knowledge_chunks.chunk_index IS
  'Position of the chunk in its document, from 0';
COMMENT ON COLUMN knowledge_chunks.section IS
  'Heading path of the chunk, e.g. "3. Reporting › 3.2 Timing"; NULL before the first heading';
COMMENT ON COLUMN knowledge_chunks.content IS
  'Chunk text; may begin with a sentence repeated from the previous chunk of the same section';
COMMENT ON COLUMN knowledge_chunks.tsv IS
  'Full-text vector (english, "/" read as a space): section heading path weighted A, content weighted B';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TABLE IF EXISTS knowledge_chunks;
DROP TABLE IF EXISTS knowledge_documents;
`.execute(db);
}
