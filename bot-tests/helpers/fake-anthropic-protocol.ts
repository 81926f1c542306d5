/**
 * The wire side of the fake Messages API (see fake-anthropic.ts): the request and step types, the API's
 * validation rules and error types, usage estimation and stream chunking. Pure functions, no I/O.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One HTTP request the fake received, in arrival order. */
export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. '/v1/messages'. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; null when there was no body or it was not a JSON object. */
  body: Record<string, unknown> | null;
  rawBody: string;
}

/** A Messages request body that passed validation. */
export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  messages: Array<{ role: 'user' | 'assistant'; content: unknown }>;
  system?: unknown;
  stream?: boolean;
  [key: string]: unknown;
}

/** The API's usage counters. */
export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface FakeTextStep {
  /** The answer. '' yields `content: []`. */
  text: string;
  stopReason?: string | null;
  usage?: Partial<FakeUsage>;
  /** Raw content blocks instead of one text block (e.g. a tool_use block). */
  content?: Array<Record<string, unknown>>;
  /** Streaming: the text_delta chunks (default: the text split into up to four pieces). */
  chunks?: string[];
  /** Streaming: pause between chunks. */
  chunkDelayMs?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Streaming: send an `event: error` after this many chunks and end the stream. */
  streamError?: { afterChunks: number; type?: string; message?: string };
}
export interface FakeErrorStep {
  status: number;
  /** Sent as `retry-after` (seconds). The SDK waits this long; 0 makes it use its own backoff. */
  retryAfter?: number;
  /** Sent as `retry-after-ms`, which the SDK prefers: keeps retry tests fast. */
  retryAfterMs?: number;
  /** Sent as `x-should-retry`, which overrides the SDK's own retry decision. */
  shouldRetry?: boolean;
  /** The whole response body (default: the API's error shape for the status). */
  body?: unknown;
  delayMs?: number;
}
export interface FakeDelayStep {
  delayMs: number;
}
export interface FakeHangUpStep {
  hangUp: true;
}
export type FakeStep = FakeTextStep | FakeErrorStep | FakeDelayStep | FakeHangUpStep;

/** Produces the default answer: the text, or a whole step. */
export type FakeResponder = (body: MessagesRequestBody, request: RecordedRequest) => string | FakeStep;

/** The text of the last user message (string content or its text blocks). */
export function lastUserText(body: MessagesRequestBody): string {
  const last = [...body.messages].reverse().find((m) => m.role === 'user');
  return last ? textOf(last.content) : '';
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((b) => (isObject(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const tokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export function errorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** The reason the API would reject this body, or null. */
export function invalidReason(body: Record<string, unknown> | null, headers: IncomingHttpHeaders): string | null {
  if (!headers['x-api-key'] && !headers.authorization) return 'auth';
  if (!body) return 'body: not a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return 'max_tokens: Field required (a positive integer)';
  }
  const version = String(headers['anthropic-version'] ?? '');
  for (const sampling of ['temperature', 'top_p', 'top_k']) {
    if (version >= '2026-10-21' && sampling in body) return `${sampling}: Extra inputs are not permitted`;
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, m] of body.messages.entries()) {
    if (!isObject(m) || (m.role !== 'user' && m.role !== 'assistant')) return `messages.${i}.role: must be user or assistant`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks) || blocks.length === 0) return `messages.${i}.content: must be non-empty`;
    if (blocks.some((b) => isObject(b) && b.type === 'text' && (typeof b.text !== 'string' || b.text === ''))) {
      return `messages.${i}: text content blocks must be non-empty`;
    }
  }
  if (Array.isArray(body.system) && body.system.some((b) => !isObject(b) || b.type !== 'text' || !b.text)) {
    return 'system: text content blocks must be non-empty';
  }
  return null;
}

/**
 * Usage as the API would count it (about 4 characters a token). A cache_control-marked system prompt is
 * written to the cache the first time `seen` meets it and read from it afterwards; input_tokens, as in
 * the API, excludes the cached part.
 */
export function estimateUsage(
  body: MessagesRequestBody,
  outputText: string,
  seen: Set<string>,
  override?: Partial<FakeUsage>,
): FakeUsage {
  const systemText = typeof body.system === 'string' ? body.system : textOf(body.system);
  const total = tokens(systemText + body.messages.map((m) => textOf(m.content)).join('\n'));
  const cacheable = Array.isArray(body.system) && body.system.some((b) => isObject(b) && isObject(b.cache_control));
  const cached = cacheable ? tokens(systemText) : 0;
  const key = `${body.model}\u0000${JSON.stringify(body.system)}`;
  const hit = cacheable && seen.has(key);
  if (cacheable) seen.add(key);
  return {
    input_tokens: Math.max(0, total - cached),
    output_tokens: tokens(outputText),
    cache_creation_input_tokens: cacheable && !hit ? cached : 0,
    cache_read_input_tokens: hit ? cached : 0,
    ...override,
  };
}

/** Splits text into up to four chunks at spaces, so a stream has several deltas. */
export function splitIntoChunks(text: string): string[] {
  if (text.length < 8) return [text];
  const size = Math.ceil(text.length / 4);
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > size) {
    const cut = rest.lastIndexOf(' ', size);
    const at = cut > 0 ? cut + 1 : size;
    chunks.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  if (rest) chunks.push(rest);
  return chunks;
}
