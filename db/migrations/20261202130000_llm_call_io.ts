/**
 * Every model call's input and output (spec/003: keep the input → output pair of every generation).
 *
 * - llm_system_prompts: a system prompt's text, stored once per SHA-256 of its content. ERA sends the
 *   same several-kilobyte prompt with every turn; storing it per call would multiply it by the turns.
 * - llm_call_io: one row per llm_calls row that recorded its I/O, in its own table rather than columns
 *   of llm_calls: the call log stays narrow for the cost and latency queries that scan it, while these
 *   rows carry whole conversations (kilobytes each). Deleted with its call (ON DELETE CASCADE).
 *
 * The request is kept so it rebuilds the body that was sent: `messages`, `tools` and the output schema as
 * sent, the requested model, and `params` (every other field of the body: max_tokens, stream,
 * output_config minus its schema, and `system_blocks` when the system prompt went as text blocks).
 * The output: `has_output` false when the call failed before answering; else the text (what arrived, for
 * a stream the tester stopped) and the parsed structured output when the call asked for a schema.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE llm_system_prompts (
  sha256 TEXT
    CONSTRAINT pk_llm_system_prompts PRIMARY KEY
    CONSTRAINT chk_llm_system_prompts_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  text TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT NOW()
);

COMMENT ON TABLE llm_system_prompts IS
  'System prompts sent to models, stored once per SHA-256 (hex) of their text';

CREATE TABLE llm_call_io (
  call_id UUID
    CONSTRAINT pk_llm_call_io PRIMARY KEY
    CONSTRAINT fk_llm_call_io_call REFERENCES llm_calls(id) ON DELETE CASCADE,
  system_sha256 TEXT
    CONSTRAINT fk_llm_call_io_system REFERENCES llm_system_prompts(sha256),
  requested_model TEXT,
  messages JSONB NOT NULL
    CONSTRAINT chk_llm_call_io_messages_array CHECK (jsonb_typeof(messages) = 'array'),
  tools JSONB,
  output_schema JSONB,
  params JSONB NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT chk_llm_call_io_params_object CHECK (jsonb_typeof(params) = 'object'),
  has_output BOOLEAN NOT NULL,
  output_text TEXT,
  output_structured JSONB,
  CONSTRAINT chk_llm_call_io_output_present
    CHECK (has_output OR (output_text IS NULL AND output_structured IS NULL))
);

CREATE INDEX idx_llm_call_io_system ON llm_call_io(system_sha256);

COMMENT ON TABLE llm_call_io IS
  'The request and output of a model call (llm_calls), for fine-tuning exports and exact replays';
COMMENT ON COLUMN llm_call_io.requested_model IS
  'The model the request named; llm_calls.model is the one that answered';
COMMENT ON COLUMN llm_call_io.messages IS
  'The Messages API messages array exactly as sent';
COMMENT ON COLUMN llm_call_io.params IS
  'Every other request field (max_tokens, stream, output_config without its schema, …); system_blocks when the system prompt went as text blocks';
COMMENT ON COLUMN llm_call_io.has_output IS
  'False when the call failed before any output; a stopped stream keeps what arrived';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TABLE IF EXISTS llm_call_io;
DROP TABLE IF EXISTS llm_system_prompts;
`.execute(db);
}
