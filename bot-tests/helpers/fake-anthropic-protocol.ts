/**
 * The wire side of the fake Messages API (see fake-anthropic.ts): the request and step types, the API's
 * validation rules and error types, usage estimation, stream chunking, the Message and error bodies, and
 * the Message Batches shapes (batch, results, request counts, list pages). Pure functions, no I/O.
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

/** The API's error body: an HTTP error response, or the `error` of an errored batch result. */
export interface FakeErrorBody {
  type: 'error';
  error: { type: string; message: string };
  request_id: string | null;
}

export function errorBody(status: number, message: string, requestId: string | null): FakeErrorBody {
  return { type: 'error', error: { type: errorType(status), message }, request_id: requestId };
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

/** A non-streaming Messages response. */
export interface FakeMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Array<Record<string, unknown>>;
  stop_reason: string | null;
  stop_sequence: null;
  stop_details: null;
  usage: FakeUsage;
}

/**
 * The Message a text step answers `body` with: its content (one text block, none for '', or the raw
 * blocks), stop_reason (default end_turn) and estimated usage (which updates the cache simulation `seen`).
 */
export function buildMessage(body: MessagesRequestBody, step: FakeTextStep, id: string, seen: Set<string>): FakeMessage {
  const content: Array<Record<string, unknown>> = step.content ?? (step.text === '' ? [] : [{ type: 'text', text: step.text }]);
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: step.stopReason === undefined ? 'end_turn' : step.stopReason,
    stop_sequence: null,
    stop_details: null,
    usage: estimateUsage(body, step.text, seen, step.usage),
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

// ---- Message Batches -------------------------------------------------------------------------------

export const MAX_BATCH_REQUESTS = 100_000;
export const CUSTOM_ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** One request of a batch that passed validation. */
export interface FakeBatchRequest {
  custom_id: string;
  params: MessagesRequestBody;
}

export interface FakeBatchRequestCounts {
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** The API's MessageBatch. */
export interface FakeMessageBatch {
  id: string;
  type: 'message_batch';
  processing_status: 'in_progress' | 'canceling' | 'ended';
  request_counts: FakeBatchRequestCounts;
  created_at: string;
  expires_at: string;
  ended_at: string | null;
  archived_at: string | null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

export type FakeBatchResult =
  | { type: 'succeeded'; message: FakeMessage }
  | { type: 'errored'; error: FakeErrorBody }
  | { type: 'canceled' }
  | { type: 'expired' };

/** One line of a batch's results (the API's MessageBatchIndividualResponse). */
export interface FakeBatchIndividualResponse {
  custom_id: string;
  result: FakeBatchResult;
}

/** A page of a list endpoint. */
export interface FakePage<T> {
  data: T[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/**
 * The reason the API would reject this batch create body, or null: 'auth' without a credential, else a
 * message naming the field, e.g. `requests.2.params.max_tokens: ...`. Each params is checked as a
 * Messages request sent with the same headers, and must not ask for streaming.
 */
export function invalidBatchReason(body: Record<string, unknown> | null, headers: IncomingHttpHeaders): string | null {
  if (!headers['x-api-key'] && !headers.authorization) return 'auth';
  if (!body) return 'body: not a JSON object';
  const { requests } = body;
  if (!Array.isArray(requests) || requests.length === 0) return 'requests: at least one request is required';
  if (requests.length > MAX_BATCH_REQUESTS) return `requests: at most ${MAX_BATCH_REQUESTS} requests are allowed`;
  const seen = new Set<string>();
  for (const [i, request] of requests.entries()) {
    if (!isObject(request)) return `requests.${i}: must be an object`;
    const id = request.custom_id;
    if (typeof id !== 'string' || !CUSTOM_ID_PATTERN.test(id)) return `requests.${i}.custom_id: must match ${CUSTOM_ID_PATTERN.source}`;
    if (seen.has(id)) return `requests.${i}.custom_id: duplicate custom_id '${id}' (custom_ids must be unique within a batch)`;
    seen.add(id);
    if (!isObject(request.params)) return `requests.${i}.params: Field required`;
    if (request.params.stream === true) return `requests.${i}.params.stream: streaming is not supported in batches`;
    const invalid = invalidReason(request.params, headers);
    if (invalid) return `requests.${i}.params.${invalid}`;
  }
  return null;
}

/** The request counts of an ended batch. */
export function countResults(results: FakeBatchIndividualResponse[]): FakeBatchRequestCounts {
  const counts: FakeBatchRequestCounts = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  for (const { result } of results) counts[result.type] += 1;
  return counts;
}

/**
 * One page of `items` (already newest first) as the API pages them: `limit` (1-1000, default 20) items
 * after `after_id`, or the `limit` items just before `before_id`. Returns the reason for a bad query.
 */
export function pageOf<T extends { id: string }>(items: T[], query: URLSearchParams): FakePage<T> | string {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return 'limit: must be an integer from 1 to 1000';
  const afterId = query.get('after_id');
  const beforeId = query.get('before_id');
  if (afterId !== null && beforeId !== null) return 'after_id: cannot be combined with before_id';
  const indexOf = (id: string): number => items.findIndex((item) => item.id === id);
  let data: T[];
  let hasMore: boolean;
  if (beforeId !== null) {
    const end = indexOf(beforeId);
    if (end < 0) return `before_id: unknown id '${beforeId}'`;
    const start = Math.max(0, end - limit);
    data = items.slice(start, end);
    hasMore = start > 0;
  } else {
    const start = afterId === null ? 0 : indexOf(afterId) + 1;
    if (start === 0 && afterId !== null) return `after_id: unknown id '${afterId}'`;
    data = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  }
  return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
