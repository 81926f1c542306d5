/** The knowledge base ERA answers from (policy documents and their chunks); see migration 20261124090000. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { JsonbWithDefault, JsonObject, TimestampWithDefault } from './schema-types';

/** One Markdown policy document of the knowledge folder. */
export interface KnowledgeDocumentsTable {
  id: Generated<string>;
  /** Relative to the knowledge folder, forward slashes. Unique. */
  source_path: string;
  title: string;
  topic: string | null;
  /** SHA-256 hex of the file bytes. */
  content_hash: string;
  byte_size: number;
  chunk_count: Generated<number>;
  ingested_at: TimestampWithDefault;
  /** Also set by a trigger on every update. */
  updated_at: TimestampWithDefault;
  metadata: JsonbWithDefault<JsonObject | null>;
}

/** A passage of a document. */
export interface KnowledgeChunksTable {
  id: Generated<string>;
  document_id: string;
  chunk_index: number;
  /** Heading path, e.g. "3. Reporting › 3.2 Timing"; null before the first heading. */
  section: string | null;
  content: string;
  word_count: number;
  /** Questions managers would ask that the chunk's section answers (document expansion); never shown. */
  questions: ColumnType<string[], string[] | undefined, string[]>;
  /** GENERATED ALWAYS … STORED: read as tsvector text, never written. */
  tsv: ColumnType<string, never, never>;
}

/** One row (id 1): the knowledge base version, bumped by a trigger on every change (migration 20261202110000). */
export interface KnowledgeStateTable {
  id: Generated<number>;
  /** BIGINT NOT NULL DEFAULT 1: pg reads it as a string, PGlite as a bigint; select it as `version::text`. */
  version: ColumnType<string | bigint, string | number | undefined, string | number>;
  changed_at: TimestampWithDefault;
}

/** The knowledge base tables, composed into `Database` by db/schema.ts. */
export interface KnowledgeTables {
  knowledge_documents: KnowledgeDocumentsTable;
  knowledge_chunks: KnowledgeChunksTable;
  knowledge_state: KnowledgeStateTable;
}

export type KnowledgeDocument = Selectable<KnowledgeDocumentsTable>;
export type NewKnowledgeDocument = Insertable<KnowledgeDocumentsTable>;
export type KnowledgeChunk = Selectable<KnowledgeChunksTable>;
export type NewKnowledgeChunk = Insertable<KnowledgeChunksTable>;
