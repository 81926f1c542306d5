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
 *
 * The Message Batches API is served too, for the SDK's client.messages.batches:
 *   POST /v1/messages/batches               create: {requests: [{custom_id, params}]}, validated as the API
 *                                           does (a credential; 1-100000 requests; custom_id matching
 *                                           ^[a-zA-Z0-9_-]{1,64}$ and unique; each params a valid Messages
 *                                           request without stream: true); a violation is a 400 naming
 *                                           the index (`requests.2.params.max_tokens: ...`) and creates
 *                                           nothing. Answers the MessageBatch, id msgbatch_fake_000001 on.
 *   GET  /v1/messages/batches/{id}          retrieve; each call is a poll (below). 404 for an unknown id.
 *   POST /v1/messages/batches/{id}/cancel   in_progress -> canceling (cancel_initiated_at set); an ended
 *                                           batch is answered unchanged.
 *   GET  /v1/messages/batches/{id}/results  JSONL (content-type application/binary), one
 *                                           {custom_id, result} line per request in request order; 400
 *                                           "batch has not ended" before the batch has ended.
 *   GET  /v1/messages/batches?limit=&after_id=&before_id=  a page, newest first (limit default 20).
 * Processing: fake.batchOptions({ pollsBeforeEnd, expire, completeBeforeCancel }) sets the options of the
 * batches created after it (each batch keeps its own). A batch reports in_progress for its first
 * `pollsBeforeEnd` retrieves (default 0) and ends on the next one; fake.endBatch(id) ends it at once. A
 * canceling batch ends on its next retrieve. On ending, each request's result is worked out in request
 * order with the /v1/messages machinery: the next enqueue() step, else the default responder (called with
 * the request's params and the create request, its body/rawBody replaced by those params). A text step is
 * `succeeded` with the Message /v1/messages would answer (same usage estimate and cache simulation); an
 * error step is `errored` with {type: 'error', error: {type, message}, request_id}; a hang-up is an
 * errored api_error; delays are skipped. custom_ids in `expire` are `expired`, and after a cancel every
 * request but the first `completeBeforeCancel` (default 0) is `canceled`: neither consumes a step.
 * enqueueBatchApi(...errorSteps) makes the next requests to any /v1/messages/batches* path fail, one each,
 * before authentication and routing, as with enqueue() (so a create that fails creates nothing).
 *
 * The tuning loop's judge and suggester (fake-insights.ts): a request whose structured-output schema is the
 * judge's (professionalism / empathy / clarity) or the suggester's (summary / edits) is answered as that
 * role, deterministically, on /v1/messages and in batches alike, whatever the default responder; queued
 * steps still come first. fake.judge(fn) sets how the judge scores a reply (default: defaultJudgeScores).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  buildMessage,
  countResults,
  errorBody,
  errorType,
  invalidBatchReason,
  invalidReason,
  isObject,
  lastUserText,
  pageOf,
  splitIntoChunks,
  type FakeBatchIndividualResponse,
  type FakeBatchRequest,
  type FakeBatchResult,
  type FakeErrorStep,
  type FakeMessageBatch,
  type FakeResponder,
  type FakeStep,
  type FakeTextStep,
  type MessagesRequestBody,
  type RecordedRequest,
} from './fake-anthropic-protocol';
import { defaultJudgeScores, type FakeJudgeFn, insightsAnswer } from './fake-insights';

export * from './fake-anthropic-protocol';

/** How the batches created from now on behave (see the header). */
export interface FakeBatchOptions {
  /** Retrieves that still report in_progress; the next one ends the batch. Default 0. */
  pollsBeforeEnd?: number;
  /** custom_ids whose result is `expired`. */
  expire?: string[];
  /** After a cancel, this many leading requests are still worked out normally. Default 0. */
  completeBeforeCancel?: number;
}

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
  /** The POST /v1/messages/batches requests only (failed ones included). */
  batchCreateRequests(): RecordedRequest[];
  /** Copies of the batches as they stand, in creation order. */
  batches(): FakeMessageBatch[];
  /** Replaces the options of the batches created from now on (omitted fields take their defaults). */
  batchOptions(options: FakeBatchOptions): void;
  /** Ends a batch now, as its next retrieve would; no-op when it has ended. Throws for an unknown id. */
  endBatch(id: string): void;
  /** Queues one-shot error responses for the next requests to any /v1/messages/batches* path. */
  enqueueBatchApi(...steps: FakeErrorStep[]): void;
  /** Sets how the fake judge scores ERA's reply text (reset restores defaultJudgeScores). */
  judge(fn: FakeJudgeFn): void;
  /**
   * Forgets requests, queued steps, the cache simulation, batches (numbering restarts at 1), batch
   * options and queued batch errors, and restores the default responder.
   */
  reset(): void;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

const BATCHES = '/v1/messages/batches';
const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_BATCH_OPTIONS: Required<FakeBatchOptions> = { pollsBeforeEnd: 0, expire: [], completeBeforeCancel: 0 };

/** A batch and what the fake needs to finish it. */
interface BatchState {
  /** What the API answers; updated in place. */
  batch: FakeMessageBatch;
  /** 1 for msgbatch_fake_000001. */
  number: number;
  requests: FakeBatchRequest[];
  /** The create request, handed (with each request's params as its body) to the default responder. */
  create: RecordedRequest;
  options: Required<FakeBatchOptions>;
  retrieves: number;
  /** Set when the batch ends. */
  results: FakeBatchIndividualResponse[] | null;
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
  let judgeScores: FakeJudgeFn = defaultJudgeScores;
  /** The judge or suggester answers by schema; anything else goes to the test's responder. */
  const respond = (body: MessagesRequestBody, recorded: RecordedRequest): string | FakeStep => insightsAnswer(body, judgeScores) ?? responder(body, recorded);
  let sequence = 0;
  const batchStates: BatchState[] = [];
  const batchQueue: FakeErrorStep[] = [];
  let batchOptions: Required<FakeBatchOptions> = DEFAULT_BATCH_OPTIONS;
  let batchSequence = 0;
  let baseURL = '';

  /** Waits, unless the client goes away first; resolves whether the response is still wanted. */
  const wait = (ms: number | undefined, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (!ms) { resolve(!res.destroyed); return; }
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
    sendJson(res, status, step?.body ?? errorBody(status, message, requestId), headers);
  };

  async function sendMessage(res: ServerResponse, requestId: string, body: MessagesRequestBody, step: FakeTextStep): Promise<void> {
    if (!(await wait(step.delayMs, res))) return;
    const message = buildMessage(body, step, `msg_fake_${requestId.slice(9)}`, cachedPrompts);
    const { content, usage, stop_reason: stopReason } = message;
    const headers = { 'request-id': requestId };
    if (!body.stream) { sendJson(res, 200, message, headers); return; }
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
    if (invalid === 'auth') { sendError(res, requestId, 401, 'x-api-key or authorization header is required'); return; }
    if (invalid) { sendError(res, requestId, 400, invalid); return; }
    const body = recorded.body as MessagesRequestBody;
    if (queued && 'text' in queued) return sendMessage(res, requestId, body, queued);
    // A bare delay: wait, then answer as the default responder would.
    if (queued && !(await wait(queued.delayMs, res))) return;
    const produced = respond(body, recorded);
    const step: FakeStep = typeof produced === 'string' ? { text: produced } : produced;
    if ('text' in step) return sendMessage(res, requestId, body, step);
    if ('hangUp' in step) return void req.socket.destroy();
    if ('status' in step) return sendErrorStep(res, requestId, step);
    // A responder asking for a delay gets the built-in answer after it (asking itself again would loop).
    if (await wait(step.delayMs, res)) await sendMessage(res, requestId, body, { text: defaultText(body) });
  }

  /** The result of request `index` of a batch: the next queued step, else the default responder. */
  function batchResult(state: BatchState, index: number): FakeBatchResult {
    const request = state.requests[index];
    if (!request) throw new Error(`batch ${String(state.number)} has no request ${String(index)}`);
    const { params } = request;
    const key = `b${String(state.number).padStart(6, '0')}_${index}`;
    const queued = queue.shift();
    // A queued bare delay is skipped: the default responder answers, as it would after the wait.
    let step: FakeStep | undefined = queued && ('text' in queued || 'status' in queued || 'hangUp' in queued) ? queued : undefined;
    if (!step) {
      const produced = respond(params, { ...state.create, body: params, rawBody: JSON.stringify(params) });
      step = typeof produced === 'string' ? { text: produced } : produced;
    }
    const errored = (status: number, message: string): FakeBatchResult => ({
      type: 'errored',
      error: errorBody(status, message, `req_fake_${key}`),
    });
    if ('hangUp' in step) return errored(500, 'Fake hang-up (api_error)');
    if ('status' in step) return errored(step.status, `Fake ${step.status} (${errorType(step.status)})`);
    // A responder asking for a delay gets the built-in answer, as on /v1/messages.
    const text: FakeTextStep = 'text' in step ? step : { text: defaultText(params) };
    return { type: 'succeeded', message: buildMessage(params, text, `msg_fake_${key}`, cachedPrompts) };
  }

  /** Ends a batch: works out every result in request order (all of them before changing the batch). */
  function finishBatch(state: BatchState): void {
    if (state.results) return;
    const canceling = state.batch.processing_status === 'canceling';
    const expire = new Set(state.options.expire);
    const results = state.requests.map(({ custom_id }, index): FakeBatchIndividualResponse => {
      if (expire.has(custom_id)) return { custom_id, result: { type: 'expired' } };
      if (canceling && index >= state.options.completeBeforeCancel) return { custom_id, result: { type: 'canceled' } };
      return { custom_id, result: batchResult(state, index) };
    });
    state.results = results;
    Object.assign(state.batch, {
      processing_status: 'ended',
      ended_at: new Date().toISOString(),
      request_counts: countResults(results),
      results_url: `${baseURL}${BATCHES}/${state.batch.id}/results`,
    } satisfies Partial<FakeMessageBatch>);
  }

  function createBatch(res: ServerResponse, recorded: RecordedRequest, requestId: string): void {
    const invalid = invalidBatchReason(recorded.body, recorded.headers);
    if (invalid) { sendError(res, requestId, 400, invalid); return; }
    const requests = (recorded.body?.requests as Array<Record<string, unknown>>).map((r) => ({
      custom_id: r.custom_id as string,
      params: r.params as MessagesRequestBody,
    }));
    batchSequence += 1;
    const created = new Date();
    const batch: FakeMessageBatch = {
      id: `msgbatch_fake_${String(batchSequence).padStart(6, '0')}`,
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + DAY_MS).toISOString(),
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    };
    const options = { ...batchOptions, expire: [...batchOptions.expire] };
    batchStates.push({ batch, number: batchSequence, requests, create: recorded, options, retrieves: 0, results: null });
    sendJson(res, 200, batch, { 'request-id': requestId });
  }

  async function handleBatches(res: ServerResponse, recorded: RecordedRequest, requestId: string): Promise<void> {
    // Queued errors come before authentication and routing, as on /v1/messages.
    const queued = batchQueue.shift();
    if (queued) return sendErrorStep(res, requestId, queued);
    if (!recorded.headers['x-api-key'] && !recorded.headers.authorization) {
      sendError(res, requestId, 401, 'x-api-key or authorization header is required'); return;
    }
    const url = new URL(recorded.path, 'http://fake.invalid');
    const [id, action, ...extra] = url.pathname.slice(BATCHES.length).split('/').filter(Boolean).map(decodeURIComponent);
    const route = `${recorded.method} ${id === undefined ? '' : '{id}'}${action === undefined ? '' : `/${action}`}`;
    const headers = { 'request-id': requestId };
    if (route === 'POST ') { createBatch(res, recorded, requestId); return; }
    if (route === 'GET ') {
      const page = pageOf([...batchStates].reverse().map((s) => s.batch), url.searchParams);
      if (typeof page === 'string') { sendError(res, requestId, 400, page); return; }
      sendJson(res, 200, page, headers); return;
    }
    if (extra.length > 0 || !['GET {id}', 'POST {id}/cancel', 'GET {id}/results'].includes(route)) {
      sendError(res, requestId, 404, `Not found: ${recorded.method} ${recorded.path}`); return;
    }
    const state = batchStates.find((s) => s.batch.id === id);
    if (!state) { sendError(res, requestId, 404, `message_batch_id: no message batch '${id}'`); return; }
    const { batch } = state;
    if (route === 'GET {id}') {
      state.retrieves += 1;
      if (batch.processing_status === 'canceling' || state.retrieves > state.options.pollsBeforeEnd) finishBatch(state);
      sendJson(res, 200, batch, headers); return;
    }
    if (route === 'POST {id}/cancel') {
      if (batch.processing_status === 'in_progress') {
        batch.processing_status = 'canceling';
        batch.cancel_initiated_at = new Date().toISOString();
      }
      sendJson(res, 200, batch, headers); return;
    }
    if (!state.results) {
      sendError(res, requestId, 400, `batch has not ended (processing_status: ${batch.processing_status})`); return;
    }
    res.writeHead(200, { 'content-type': 'application/binary', ...headers });
    res.end(state.results.map((line) => `${JSON.stringify(line)}\n`).join(''));
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
      const route = recorded.path.split('?')[0] ?? '';
      const isBatches = route === BATCHES || route.startsWith(`${BATCHES}/`);
      if (!isBatches && (recorded.method !== 'POST' || route !== '/v1/messages')) {
        sendError(res, requestId, 404, `Not found: ${recorded.method} ${recorded.path}`);
        return;
      }
      const handled = isBatches ? handleBatches(res, recorded, requestId) : handleMessages(req, res, recorded, requestId);
      handled.catch((err: unknown) => {
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
    server.listen(0, '127.0.0.1', () => { resolve(); });
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake-anthropic: no TCP address');
  baseURL = `http://127.0.0.1:${address.port}`;

  return {
    baseURL,
    requests,
    messageRequests: () => requests.filter((r) => r.method === 'POST' && r.path.split('?')[0] === '/v1/messages'),
    batchCreateRequests: () => requests.filter((r) => r.method === 'POST' && r.path.split('?')[0] === BATCHES),
    batches: () => batchStates.map((s) => structuredClone(s.batch)),
    batchOptions(options) {
      for (const key of ['pollsBeforeEnd', 'completeBeforeCancel'] as const) {
        const n = options[key];
        if (n !== undefined && (!Number.isInteger(n) || n < 0)) throw new Error(`fake-anthropic: ${key} must be a non-negative integer`);
      }
      batchOptions = { ...DEFAULT_BATCH_OPTIONS, ...options, expire: [...(options.expire ?? [])] };
    },
    endBatch(id) {
      const state = batchStates.find((s) => s.batch.id === id);
      if (!state) throw new Error(`fake-anthropic: no message batch '${id}'`);
      finishBatch(state);
    },
    enqueueBatchApi(...steps) {
      batchQueue.push(...steps);
    },
    reply(fn) {
      responder = fn;
    },
    judge(fn) {
      judgeScores = fn;
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
      judgeScores = defaultJudgeScores;
      batchStates.length = 0;
      batchQueue.length = 0;
      batchOptions = DEFAULT_BATCH_OPTIONS;
      batchSequence = 0;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => { resolve(); }));
    },
  };
}
