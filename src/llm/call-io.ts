/**
 * A model call's request and output in the call log's shape (spec/003), and back.
 *
 * `callRequestOf` takes the Messages request body exactly as it goes to the SDK and splits it the way the
 * call log stores it: the system prompt as text (stored once per content hash), the messages, the tools,
 * the output schema, and every other field in `params`. Nothing is lost: `rebuildRequestBody` puts the
 * same body back together (a system prompt sent as text blocks keeps their boundaries and cache_control
 * in `params.system_blocks`; `output_config` keeps all but its schema in `params.output_config`).
 * The body is copied through JSON, so a caller that mutates its request afterwards (a retry appending
 * messages) does not change what was recorded, and what is stored is what went over the wire.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { CallOutput, CallRequest } from './types';

/** A Messages request body as the SDK sends it (`stream` included when the call streamed). */
export type MessagesRequestBody = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'> & { stream?: boolean };

/** One system block's place in the flattened text: its length and everything but its text. */
interface SystemBlockShape {
  chars: number;
  [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy holding only what JSON carries: what the SDK serialises is what gets recorded. */
function jsonCopy(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * The call log's view of a request body: copy it the moment it is sent.
 * @param body the body as passed to `messages.create` / `messages.stream` / a batch request's `params`;
 *   pass `stream: true` for a streamed call so the record rebuilds the body that went out.
 */
export function callRequestOf(body: MessagesRequestBody): CallRequest {
  const copy = jsonCopy(body);
  const { model, system, messages, tools, output_config: outputConfig, ...rest } = isRecord(copy) ? copy : {};
  const params: Record<string, unknown> = { ...rest };

  let systemText: string | null = null;
  if (typeof system === 'string') {
    systemText = system;
  } else if (Array.isArray(system)) {
    const blocks = system.filter(isRecord);
    systemText = blocks.map((b) => (typeof b.text === 'string' ? b.text : '')).join('');
    params.system_blocks = blocks.map(({ text, ...shape }): SystemBlockShape => ({ ...shape, chars: typeof text === 'string' ? text.length : 0 }));
  }

  let outputSchema: Record<string, unknown> | null = null;
  if (isRecord(outputConfig)) {
    const { format, ...otherConfig } = outputConfig;
    if (isRecord(format) && isRecord(format.schema)) {
      const { schema, ...otherFormat } = format;
      outputSchema = schema;
      params.output_config = { ...otherConfig, format: otherFormat };
    } else {
      params.output_config = outputConfig;
    }
  }

  return {
    ...(typeof model === 'string' ? { model } : {}),
    system: systemText,
    messages: (Array.isArray(messages) ? messages : []) as Anthropic.MessageParam[],
    tools: Array.isArray(tools) ? (tools as Anthropic.Tool[]) : null,
    outputSchema,
    params,
  };
}

/** Splits flattened system text back into the blocks it was sent as. */
function systemBlocks(text: string, shapes: unknown[]): Array<Record<string, unknown>> {
  let at = 0;
  return shapes.filter(isRecord).map(({ chars, ...shape }) => {
    const n = typeof chars === 'number' ? chars : 0;
    const block = { ...shape, text: text.slice(at, at + n) };
    at += n;
    return block;
  });
}

/**
 * The request body a stored request was made from, field for field (JSON key order aside).
 * `model` overrides the stored requested model (older records, or a replay against another model).
 */
export function rebuildRequestBody(request: CallRequest, model?: string): Record<string, unknown> {
  const { system_blocks: shapes, output_config: outputConfig, ...rest } = request.params;
  const body: Record<string, unknown> = { ...rest };
  const chosen = model ?? request.model;
  if (chosen !== undefined) body.model = chosen;
  body.messages = request.messages;
  if (request.system !== null) body.system = Array.isArray(shapes) ? systemBlocks(request.system, shapes) : request.system;
  if (request.tools) body.tools = request.tools;
  if (request.outputSchema) {
    const config = isRecord(outputConfig) ? outputConfig : {};
    const format = isRecord(config.format) ? config.format : { type: 'json_schema' };
    body.output_config = { ...config, format: { ...format, schema: request.outputSchema } };
  } else if (outputConfig !== undefined) {
    body.output_config = outputConfig;
  }
  return body;
}

/** The text of a reply: its text blocks, in order (thinking and tool blocks are not text). */
export function textOfContent(content: readonly Anthropic.ContentBlock[]): string {
  return content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/**
 * The output of a call that asked for a JSON schema: its text, and the parsed value when the text is
 * JSON (a cut-off or refused answer keeps only its text).
 */
export function structuredOutputOf(text: string): CallOutput {
  try {
    return { text, structured: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}
