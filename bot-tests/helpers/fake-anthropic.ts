/**
 * A loopback fake of the Anthropic Messages API, for driving the real @anthropic-ai/sdk in tests.
 *
 *   const fake = await startFakeAnthropic();
 *   const client = new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 1 });
 *   fake.reply((body) => `echo: ${lastUserText(body)}`);            // the default answer
 *   fake.enqueue({ status: 429, retryAfter: 1 }, { text: 'ok' });   // then one-shot behaviours, in order
 *   ...
 *   expect(fake.messageRequests()).toHaveLength(2);
 *   await fake.close();
 *
 * POST /v1/messages answers like the API: a JSON Message, or Server-Sent Events when the body has
 * `stream: true` (message_start, ping, content_block_start, several text_delta chunks, content_block_stop,
 * message_delta with stop_reason and usage, message_stop). Every response has a `request-id` header;
 * errors use the API's body shape. Requests are validated as the API would (model, max_tokens, non-empty
 * messages and text blocks, a credential, and under anthropic-version 2026-10-21 no temperature/top_p/
 * top_k), so a malformed request fails the test with a 400. Any other path answers 404 JSON.
 *
 * Steps (enqueue) apply to the next /v1/messages requests, one each, before the default responder:
 *   { text, stopReason?, usage?, content?, chunks?, chunkDelayMs?, delayMs?, streamError? }  a success
 *   { status, retryAfter?, retryAfterMs?, shouldRetry?, body?, delayMs? }  an error response
 *   { delayMs }       wait, then answer with the default responder (outlast a client timeout with it)
 *   { hangUp: true }  destroy the socket without answering (a connection error)
 * Usage is estimated (about 4 characters a token) and prompt caching is simulated: the first request
 * with a given cache_control-marked system prompt reports cache_creation_input_tokens, later ones
 * cache_read_input_tokens. Pass `usage` to fix the numbers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  errorType,
  estimateUsage,
  invalidReason,
  isObject,
  lastUserText,
  splitIntoChunks,
  type FakeErrorStep,
  type FakeResponder,
  type FakeStep,
  type FakeTextStep,
  type MessagesRequestBody,
  type RecordedRequest,
} from './fake-anthropic-protocol';

export * from './fake-anthropic-protocol';

export interface FakeAnthropic {
  /** e.g. http://127.0.0.1:41234, to pass as the SDK's baseURL. */
  readonly baseURL: string;
  /** Every request received, any path. */
  readonly requests: RecordedRequest[];
  /** The POST /v1/messages requests only. */
  messageRequests(): RecordedRequest[];
  /** Sets the default responder (used when no step is queued). */
  reply(fn: FakeResponder): void;
  /** Queues one-shot behaviours for the next /v1/messages requests. */
  enqueue(...steps: FakeStep[]): void;
  /** Steps still queued. */
  pending(): number;
  /** Forgets requests, queued steps, the cache simulation, and restores the default responder. */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: FakeStep[] = [];
  const cachedPrompts = new Set<string>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const defaultText = (body: MessagesRequestBody): string => `Fake answer to: ${lastUserText(body)}`;
  let responder: FakeResponder = defaultText;
  let sequence = 0;

  /** Waits, unless the client goes away first; resolves whether the response is still wanted. */
  const wait = (ms: number | undefined, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (!ms) return resolve(!res.destroyed);
      const onClose = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      timers.add(timer);
      res.once('close', onClose);
    });

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const sendError = (res: ServerResponse, requestId: string, status: number, message: string, step?: FakeErrorStep): void => {
    const headers: Record<string, string> = { 'request-id': requestId };
    if (step?.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
    if (step?.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
    if (step?.shouldRetry !== undefined) headers['x-should-retry'] = String(step.shouldRetry);
    const body = step?.body ?? { type: 'error', error: { type: errorType(status), message }, request_id: requestId };
    sendJson(res, status, body, headers);
  };

  async function sendMessage(res: ServerResponse, requestId: string, body: MessagesRequestBody, step: FakeTextStep): Promise<void> {
    if (!(await wait(step.delayMs, res))) return;
    const content: Array<Record<string, unknown>> = step.content ?? (step.text === '' ? [] : [{ type: 'text', text: step.text }]);
    const usage = estimateUsage(body, step.text, cachedPrompts, step.usage);
    const stopReason = step.stopReason === undefined ? 'end_turn' : step.stopReason;
    const message = { id: `msg_fake_${requestId.slice(9)}`, type: 'message', role: 'assistant', model: body.model, content };
    const headers = { 'request-id': requestId };
    if (!body.stream) {
      sendJson(res, 200, { ...message, stop_reason: stopReason, stop_sequence: null, stop_details: null, usage }, headers);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    const event = (type: string, data: Record<string, unknown>): void => {
      // A client that aborted mid-stream has closed the socket; writing would only raise an error.
      if (!res.destroyed) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    };
    let sent = 0;
    const failed = (): boolean => {
      if (!step.streamError || sent < step.streamError.afterChunks) return false;
      const error = { type: step.streamError.type ?? 'overloaded_error', message: step.streamError.message ?? 'Overloaded' };
      event('error', { error, request_id: requestId });
      res.end();
      return true;
    };
    const startUsage = { ...usage, output_tokens: Math.min(1, usage.output_tokens) };
    event('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: startUsage } });
    event('ping', {});
    for (const [index, block] of content.entries()) {
      if (block.type !== 'text') {
        event('content_block_start', { index, content_block: block });
        event('content_block_stop', { index });
        continue;
      }
      event('content_block_start', { index, content_block: { type: 'text', text: '' } });
      const chunks = step.chunks ?? splitIntoChunks(String(block.text));
      for (const chunk of chunks) {
        if (failed()) return;
        if (sent > 0 && !(await wait(step.chunkDelayMs, res))) return;
        event('content_block_delta', { index, delta: { type: 'text_delta', text: chunk } });
        sent += 1;
      }
      if (failed()) return;
      event('content_block_stop', { index });
    }
    event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null, stop_details: null }, usage });
    event('message_stop', {});
    res.end();
  }

  async function sendErrorStep(res: ServerResponse, requestId: string, step: FakeErrorStep): Promise<void> {
    if (await wait(step.delayMs, res)) sendError(res, requestId, step.status, `Fake ${step.status} (${errorType(step.status)})`, step);
  }

  async function handleMessages(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest, requestId: string): Promise<void> {
    const queued = queue.shift();
    // Errors and hang-ups come before validation, as a rate limiter or a broken network would.
    if (queued && 'hangUp' in queued) return void req.socket.destroy();
    if (queued && 'status' in queued) return sendErrorStep(res, requestId, queued);
    const invalid = invalidReason(recorded.body, recorded.headers);
    if (invalid === 'auth') return sendError(res, requestId, 401, 'x-api-key or authorization header is required');
    if (invalid) return sendError(res, requestId, 400, invalid);
    const body = recorded.body as MessagesRequestBody;
    if (queued && 'text' in queued) return sendMessage(res, requestId, body, queued);
    // A bare delay: wait, then answer as the default responder would.
    if (queued && !(await wait(queued.delayMs, res))) return;
    const produced = responder(body, recorded);
    const step: FakeStep = typeof produced === 'string' ? { text: produced } : produced;
    if ('text' in step) return sendMessage(res, requestId, body, step);
    if ('hangUp' in step) return void req.socket.destroy();
    if ('status' in step) return sendErrorStep(res, requestId, step);
    // A responder asking for a delay gets the built-in answer after it (asking itself again would loop).
    if (await wait(step.delayMs, res)) await sendMessage(res, requestId, body, { text: defaultText(body) });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown = null;
      try {
        parsed = rawBody ? JSON.parse(rawBody) : null;
      } catch {
        parsed = null;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: isObject(parsed) ? parsed : null,
        rawBody,
      };
      requests.push(recorded);
      sequence += 1;
      const requestId = `req_fake_${String(sequence).padStart(6, '0')}`;
      if (recorded.method !== 'POST' || recorded.path.split('?')[0] !== '/v1/messages') {
        sendError(res, requestId, 404, `Not found: ${recorded.method} ${recorded.path}`);
        return;
      }
      handleMessages(req, res, recorded, requestId).catch((err: unknown) => {
        // A bug in the fake or in a test's responder: answer 500 so the test sees it, never hang.
        if (!res.headersSent) sendError(res, requestId, 500, `fake-anthropic failed: ${String(err)}`);
        else res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake-anthropic: no TCP address');

  return {
    baseURL: `http://127.0.0.1:${address.port}`,
    requests,
    messageRequests: () => requests.filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/v1/messages'),
    reply(fn) {
      responder = fn;
    },
    enqueue(...steps) {
      queue.push(...steps);
    },
    pending: () => queue.length,
    reset() {
      requests.length = 0;
      queue.length = 0;
      cachedPrompts.clear();
      responder = defaultText;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
