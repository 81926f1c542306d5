/**
 * The pure halves of a Claude call: building the Messages request from a turn, reading the reply, and
 * classifying failures. Kept apart from the transport so the streaming responder can reuse all three.
 */
import type Anthropic from '@anthropic-ai/sdk';
import {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import type { Config } from '../config';
import { isApiError } from '../llm';
import { EraUnavailableError, type EraUnavailableKind } from './errors';
import type { EraAnswer, EraTurnInput, EraUsage } from './types';

/** The Messages request body for one turn, without the `stream` flag (the transport chooses that). */
export type EraMessagesParams = Omit<Anthropic.MessageCreateParamsNonStreaming, 'stream'>;

/**
 * Builds the request: the system prompt as one cached text block, then the history (oldest first,
 * user/assistant alternating), then the new user message.
 */
export function buildMessagesParams(input: EraTurnInput, anthropic: Config['anthropic']): EraMessagesParams {
  const messages: Anthropic.MessageParam[] = [];
  for (const turn of input.history) {
    // The API rejects empty text blocks, and a turn whose answer failed has none: dropping the whole
    // pair keeps the strict user/assistant alternation the conversation needs.
    if (turn.user.trim() === '' || turn.assistant.trim() === '') continue;
    messages.push({ role: 'user', content: turn.user }, { role: 'assistant', content: turn.assistant });
  }
  messages.push({ role: 'user', content: userContent(input) });

  // No `temperature` (so none in config either): the SDK (1.x) sends anthropic-version 2026-10-21,
  // which rejects temperature, top_p and top_k with a 400 even at their defaults, and has dropped them
  // from its types.
  const params: EraMessagesParams = { model: anthropic.model, max_tokens: anthropic.maxTokens, messages };
  if (input.systemPrompt.trim() !== '') {
    // The prompt is the same for every turn of a session (and across sessions until it is edited), so
    // caching it makes each later turn cheaper and faster. Below the model's minimum cacheable length
    // the API simply ignores the marker.
    params.system = [{ type: 'text', text: input.systemPrompt, cache_control: { type: 'ephemeral' } }];
  }
  return params;
}

/**
 * The new user turn: the numbered policy passages (when there are any) as their own block, then the
 * question. Earlier turns go without their passages, which keeps the history short.
 */
function userContent(input: EraTurnInput): string | Anthropic.TextBlockParam[] {
  const passages = input.passages ?? [];
  if (passages.length === 0) return input.message;
  const listed = passages
    .map((p) => `[${p.n}] ${p.title}${p.section ? ` — ${p.section}` : ''}\n${p.text}`)
    .join('\n\n');
  return [
    {
      type: 'text',
      text: `Policy passages for this question. Answer from them and cite each fact with its number in square brackets, like [1] or [2]; do not cite a passage you did not use.\n\n${listed}`,
    },
    { type: 'text', text: input.message },
  ];
}

/** Maps the API's usage (whose cache counters may be null or absent) to ours. */
export function toEraUsage(usage: Partial<Anthropic.Usage> | null | undefined): EraUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}

/** The answer's text: every text block, in order. Non-text blocks (thinking, tool use) are not shown. */
export function answerText(content: readonly Anthropic.ContentBlock[]): string {
  return content
    .filter((block): block is Anthropic.TextBlock => block.type === 'text')
    .map((block) => block.text)
    .join('');
}

/**
 * Turns a complete Message into an EraAnswer.
 * @throws EraUnavailableError kind 'empty' when there is no text to show (a refusal, only tool calls).
 */
export function messageToAnswer(message: Anthropic.Message, requestId: string | null, latencyMs: number): EraAnswer {
  const text = answerText(message.content);
  if (text.trim() === '') {
    throw new EraUnavailableError('empty', `Claude returned no text (stop reason: ${message.stop_reason ?? 'none'})`, {
      status: 200,
      requestId,
    });
  }
  return {
    text,
    model: message.model,
    offline: false,
    stopReason: message.stop_reason ?? null,
    usage: toEraUsage(message.usage),
    requestId,
    latencyMs,
  };
}

/** Error-body `type` values, for failures that carry no HTTP status (an `error` event mid-stream). */
const KIND_BY_ERROR_TYPE: Readonly<Record<string, EraUnavailableKind>> = {
  rate_limit_error: 'rate_limited',
  overloaded_error: 'overloaded',
  api_error: 'server_error',
  timeout_error: 'timeout',
  invalid_request_error: 'bad_request',
  request_too_large: 'bad_request',
  not_found_error: 'bad_request',
  authentication_error: 'auth',
  permission_error: 'auth',
  billing_error: 'auth',
};

function kindOfStatus(status: number): EraUnavailableKind {
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  // 402 (billing) and 403 are account problems the operator fixes, like a bad key.
  if (status === 401 || status === 402 || status === 403) return 'auth';
  return 'bad_request';
}

/**
 * The kind of an SDK error. Subclasses are tested before their parents (timeout before connection,
 * overloaded before server error); statuses without a class of their own fall back to the status.
 */
function kindOf(err: APIError): EraUnavailableKind {
  if (err instanceof APIConnectionTimeoutError) return 'timeout';
  if (err instanceof APIConnectionError) return 'connection';
  if (err instanceof RateLimitError) return 'rate_limited';
  if (err instanceof OverloadedError) return 'overloaded';
  if (err instanceof InternalServerError) return 'server_error';
  if (err instanceof AuthenticationError || err instanceof PermissionDeniedError) return 'auth';
  if (err instanceof BadRequestError) return 'bad_request';
  if (typeof err.status === 'number') return kindOfStatus(err.status);
  return (err.type ? KIND_BY_ERROR_TYPE[err.type] : undefined) ?? 'server_error';
}

/**
 * Classifies a failed call. SDK errors become EraUnavailableError; a caller's abort (APIUserAbortError)
 * and anything that is not an SDK error (a bug of ours) are returned unchanged, so they are not disguised
 * as Claude being unavailable.
 */
export function toEraUnavailableError(err: unknown): unknown {
  if (err instanceof EraUnavailableError) return err;
  if (err instanceof APIUserAbortError) return err;
  if (isApiError(err)) {
    const status = typeof err.status === 'number' ? err.status : null;
    return new EraUnavailableError(kindOf(err), err.message, { status, requestId: err.requestID ?? null, cause: err });
  }
  if (err instanceof AnthropicError) {
    // The SDK refused the request before sending it (for example, a max_tokens too large to send
    // without streaming): a configuration problem, like a 400.
    return new EraUnavailableError('bad_request', err.message, { cause: err });
  }
  return err;
}
