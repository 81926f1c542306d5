/**
 * ERA's responder through the real @anthropic-ai/sdk against the loopback fake Messages API: request
 * shape, answer mapping, retries and the failure kinds, and the offline stand-in.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic, { APIUserAbortError } from '@anthropic-ai/sdk';
import type { Model } from '@anthropic-ai/sdk/resources/messages';
import { DEFAULT_MODEL, type Config } from '../src/config';
import {
  createEraResponder,
  EraUnavailableError,
  OFFLINE_LABEL,
  toEraUnavailableError,
  type EraResponder,
  type EraTurnInput,
} from '../src/era';
import { createClaudeClient } from '../src/llm';
import { createLogger } from '../src/logger';
import { startFakeAnthropic, type FakeAnthropic } from './helpers/fake-anthropic';

const PROMPT = '# ERA\nYou are ERA, the employee relations assistant for Northwind Fitness Clubs.';

function anthropicConfig(baseURL: string, overrides: Partial<Config['anthropic']> = {}): Config['anthropic'] {
  return { apiKey: 'sk-test-key', baseURL, model: DEFAULT_MODEL, maxTokens: 321, maxRetries: 2, timeoutMs: 10_000, ...overrides };
}

function turn(message: string, overrides: Partial<EraTurnInput> = {}): EraTurnInput {
  return { message, history: [], systemPrompt: PROMPT, sessionId: 'session-1', ...overrides };
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A responder wired as src/index.ts will wire it, with its log lines captured. */
function makeEra(config: Config['anthropic']): { era: EraResponder; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger = createLogger('info', { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const client = createClaudeClient(config, { logger });
  return { era: createEraResponder({ anthropic: config, client, logger }), logs };
}

async function unavailable(promise: Promise<unknown>): Promise<EraUnavailableError> {
  const err: unknown = await promise.then(
    () => new Error('expected the answer to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EraUnavailableError);
  return err as EraUnavailableError;
}

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterEach(() => { fake.reset(); });
afterAll(async () => {
  await fake.close();
});

describe('ERA through Claude', () => {
  test('maps a successful answer: text, model, usage, stop reason, request id', async () => {
    fake.enqueue({
      text: 'Thanks for flagging this. ',
      content: [
        { type: 'text', text: 'Thanks for flagging this. ' },
        { type: 'text', text: 'Here is what to do.' },
      ],
      stopReason: 'max_tokens',
      usage: { input_tokens: 120, output_tokens: 7, cache_read_input_tokens: 90, cache_creation_input_tokens: 30 },
    });
    const { era, logs } = makeEra(anthropicConfig(fake.baseURL));
    expect(era.mode).toBe('claude');
    expect(era.model).toBe(DEFAULT_MODEL);

    const answer = await era.answer(turn('An employee missed two shifts.'));

    expect(answer).toMatchObject({
      text: 'Thanks for flagging this. Here is what to do.',
      model: DEFAULT_MODEL,
      offline: false,
      stopReason: 'max_tokens',
      usage: { inputTokens: 120, outputTokens: 7, cacheReadTokens: 90, cacheWriteTokens: 30 },
    });
    expect(answer.requestId).toMatch(/^req_fake_\d{6}$/);
    expect(Number.isInteger(answer.latencyMs)).toBe(true);
    const answered = logs.find((l) => l.msg === 'era answered');
    expect(answered).toMatchObject({ sessionId: 'session-1', requestId: answer.requestId, inputTokens: 120 });
    expect(logs.some((l) => l.msg === 'era answer truncated at max_tokens')).toBe(true);
  });

  test('sends the cached system prompt, then the history in order, then the message', async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL, { model: 'claude-haiku-5-5', maxTokens: 777 }));
    await era.answer(
      turn('And if she does it again?', {
        history: [
          { user: 'She was late twice.', assistant: 'Document both dates.' },
          { user: 'Done. Now what?', assistant: 'Have a coaching conversation.' },
        ],
      }),
    );

    const [request] = fake.messageRequests();
    expect(request?.body).toEqual({
      model: 'claude-haiku-5-5',
      max_tokens: 777,
      system: [{ type: 'text', text: PROMPT, cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'She was late twice.' },
        { role: 'assistant', content: 'Document both dates.' },
        { role: 'user', content: 'Done. Now what?' },
        { role: 'assistant', content: 'Have a coaching conversation.' },
        { role: 'user', content: 'And if she does it again?' },
      ],
    });
    // The API version the SDK sends rejects sampling parameters, so no temperature is sent.
    expect(request?.body).not.toHaveProperty('temperature');
    const credential = String(request?.headers['x-api-key'] ?? request?.headers.authorization ?? '');
    expect(credential).toContain('sk-test-key');
  });

  test('drops history turns without an answer and omits an empty system prompt', async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL));
    await era.answer(
      turn('Third question', {
        systemPrompt: '  \n',
        history: [
          { user: 'First question', assistant: '' },
          { user: 'Second question', assistant: 'Second answer' },
        ],
      }),
    );
    const body = fake.messageRequests()[0]?.body;
    expect(body).not.toHaveProperty('system');
    expect(body?.messages).toEqual([
      { role: 'user', content: 'Second question' },
      { role: 'assistant', content: 'Second answer' },
      { role: 'user', content: 'Third question' },
    ]);
  });

  test('reports prompt-cache writes, then reads, for the same system prompt', async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL));
    const first = await era.answer(turn('Question one'));
    const second = await era.answer(turn('Question two'));
    expect(first.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(first.usage.cacheReadTokens).toBe(0);
    expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens);
    expect(second.usage.cacheWriteTokens).toBe(0);
  });

  test('429 with retry-after is retried by the SDK, then succeeds', async () => {
    fake.enqueue({ status: 429, retryAfter: 1 }, { text: 'Answer after the rate limit' });
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 1 }));
    const answer = await era.answer(turn('Can I approve PTO during blackout dates?'));
    expect(answer.text).toBe('Answer after the rate limit');
    expect(fake.messageRequests()).toHaveLength(2);
  });

  test('529 overloaded is retried, then succeeds', async () => {
    fake.enqueue({ status: 529, retryAfterMs: 10 }, { text: 'Answer after overload' });
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 1 }));
    const answer = await era.answer(turn('How do I write a final warning?'));
    expect(answer.text).toBe('Answer after overload');
    expect(fake.messageRequests()).toHaveLength(2);
  });

  test('a dropped connection is retried, then succeeds', async () => {
    fake.enqueue({ hangUp: true }, { text: 'Answer after reconnect' });
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 1 }));
    expect((await era.answer(turn('Hello'))).text).toBe('Answer after reconnect');
    expect(fake.messageRequests()).toHaveLength(2);
  });

  test('a persistent 500 fails as server_error after maxRetries + 1 requests, logged with the request id', async () => {
    fake.reply(() => ({ status: 500, retryAfterMs: 5 }));
    const { era, logs } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 2 }));
    const err = await unavailable(era.answer(turn('Is this a protected leave?')));
    expect(err).toMatchObject({ kind: 'server_error', status: 500 });
    expect(err.requestId).toMatch(/^req_fake_\d{6}$/);
    expect(fake.messageRequests()).toHaveLength(3);
    const logged = logs.find((l) => l.msg === 'era unavailable');
    expect(logged).toMatchObject({ kind: 'server_error', status: 500, requestId: err.requestId, sessionId: 'session-1' });
  });

  test.each([
    [{ status: 529 }, 'overloaded', 529],
    [{ status: 429 }, 'rate_limited', 429],
    [{ status: 400 }, 'bad_request', 400],
    [{ status: 401 }, 'auth', 401],
    [{ status: 403 }, 'auth', 403],
    [{ status: 404 }, 'bad_request', 404],
  ] as const)('an exhausted %j fails as %s', async (step, kind, status) => {
    fake.reply(() => step);
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 0 }));
    const err = await unavailable(era.answer(turn('Question')));
    expect(err).toMatchObject({ kind, status });
  });

  test('400 and 401 are not retried', async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 2 }));
    fake.enqueue({ status: 400 });
    expect((await unavailable(era.answer(turn('Question')))).kind).toBe('bad_request');
    fake.enqueue({ status: 401 });
    expect((await unavailable(era.answer(turn('Question')))).kind).toBe('auth');
    expect(fake.messageRequests()).toHaveLength(2);
    expect(fake.pending()).toBe(0);
  });

  test('a refused connection fails as connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));

    const { era } = makeEra(anthropicConfig(`http://127.0.0.1:${port}`, { maxRetries: 0 }));
    const err = await unavailable(era.answer(turn('Question')));
    expect(err).toMatchObject({ kind: 'connection', status: null, requestId: null });
  });

  test('an answer slower than the timeout fails as timeout', async () => {
    fake.enqueue({ delayMs: 30_000 });
    const { era } = makeEra(anthropicConfig(fake.baseURL, { maxRetries: 0, timeoutMs: 200 }));
    const err = await unavailable(era.answer(turn('Question')));
    expect(err.kind).toBe('timeout');
  });

  test.each([
    ['no content blocks', { text: '' }],
    ['only whitespace', { text: '  \n ' }],
    ['only a tool call', { text: '', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }], stopReason: 'tool_use' }],
  ])('an answer with %s fails as empty', async (_label, step) => {
    fake.enqueue(step);
    const { era } = makeEra(anthropicConfig(fake.baseURL));
    const err = await unavailable(era.answer(turn('Question')));
    expect(err.kind).toBe('empty');
    expect(err.requestId).toMatch(/^req_fake_/);
  });

  test("an abort through the signal is the caller's, not ERA being unavailable", async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL));
    const controller = new AbortController();
    controller.abort();
    await expect(era.answer(turn('Question'), controller.signal)).rejects.toBeInstanceOf(APIUserAbortError);
  });
});

describe('ERA offline', () => {
  test('without an API key there is no client, and the answer is labelled and makes no request', async () => {
    const config = anthropicConfig(fake.baseURL, { apiKey: undefined });
    expect(createClaudeClient(config)).toBeNull();
    const { era } = makeEra(config);
    expect(era.mode).toBe('offline');
    expect(era.model).toBe('offline');

    const input = turn('An employee was a no-call/no-show for her opening shift. Can I fire her?', {
      history: [{ user: 'Hi', assistant: 'Hello' }],
    });
    const answer = await era.answer(input);

    expect(answer.text.split('\n')[0]).toBe(OFFLINE_LABEL);
    expect(OFFLINE_LABEL).toMatch(/not Claude's answer/);
    expect(answer.text).toContain('An employee was a no-call/no-show for her opening shift. Can I fire her?');
    expect(answer.text).toMatch(/ER/);
    expect(answer.text).toContain('Message 2 of this session');
    expect(answer).toMatchObject({
      model: 'offline',
      offline: true,
      stopReason: null,
      requestId: null,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
    expect((await era.answer(input)).text).toBe(answer.text);
    expect(fake.requests).toHaveLength(0);
  });

  test('the approach follows the topic of the question', async () => {
    const { era } = makeEra(anthropicConfig(fake.baseURL, { apiKey: undefined }));
    const harassment = await era.answer(turn('A trainer says a coworker keeps making sexual comments and it feels like harassment.'));
    const pay = await era.answer(turn('My front desk lead forgot to clock in and her paycheck is short.'));
    expect(harassment.text).toContain('harassment or discrimination');
    expect(pay.text).toContain('pay or timekeeping');
    expect(pay.text).not.toContain('harassment or discrimination');
  });
});

describe('the client and the model', () => {
  test('createClaudeClient applies the configured base URL, retries and timeout', () => {
    const client = createClaudeClient(anthropicConfig(fake.baseURL, { maxRetries: 4, timeoutMs: 12_345 }));
    expect(client).toBeInstanceOf(Anthropic);
    expect(client?.baseURL).toBe(fake.baseURL);
    expect(client?.maxRetries).toBe(4);
    expect(client?.timeout).toBe(12_345);
  });

  test('the default model is a known SDK model and the SDK does not warn that it is deprecated', async () => {
    // Compile-time: the Model union minus its open `string & {}` member must contain the default.
    type KnownModel = Model extends infer M ? (M extends string ? (string extends M ? never : M) : never) : never;
    const known: KnownModel = DEFAULT_MODEL;
    expect(known).toBe('claude-sonnet-5-5');

    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const client = new Anthropic({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
      await client.messages.create({ model: DEFAULT_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      expect(warn.mock.calls.flat().join(' ')).not.toMatch(/deprecated/i);
      // The control: a model on the SDK's deprecation list does warn, so the check above can fail.
      await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      expect(warn.mock.calls.flat().join(' ')).toMatch(/deprecated/i);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('the fake Messages API (other suites rely on it)', () => {
  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': 'sk-test' }): Promise<Response> =>
    fetch(`${fake.baseURL}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const minimal = { model: DEFAULT_MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

  test('streams Server-Sent Events in the API order, which the SDK assembles into the message', async () => {
    const text = 'Start by documenting the dates, then talk with the employee privately.';
    fake.enqueue({ text }, { text });
    const client = new Anthropic({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const params = {
      model: DEFAULT_MODEL,
      max_tokens: 100,
      system: [{ type: 'text' as const, text: PROMPT, cache_control: { type: 'ephemeral' as const } }],
      messages: [{ role: 'user' as const, content: 'She was late again.' }],
    };

    const events: string[] = [];
    for await (const event of await client.messages.create({ ...params, stream: true })) events.push(event.type);
    const deltas = events.filter((t) => t === 'content_block_delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(deltas).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);

    const stream = client.messages.stream(params);
    const pieces: string[] = [];
    stream.on('text', (piece) => pieces.push(piece));
    const message = await stream.finalMessage();
    expect(pieces.join('')).toBe(text);
    expect(message).toMatchObject({ model: DEFAULT_MODEL, role: 'assistant', stop_reason: 'end_turn', content: [{ type: 'text', text }] });
    expect(message.usage.output_tokens).toBeGreaterThan(1);
    expect(message.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(fake.messageRequests().map((r) => r.body?.stream)).toEqual([true, true]);
  });

  test('an error event mid-stream reaches the SDK with its type, and maps to overloaded', async () => {
    fake.enqueue({ text: 'one two three four five six seven eight nine ten', streamError: { afterChunks: 1 } });
    const client = new Anthropic({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
    const stream = client.messages.stream({ model: DEFAULT_MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const err: unknown = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'overloaded_error' });
    expect(toEraUnavailableError(err)).toMatchObject({ kind: 'overloaded', status: null });
  });

  test('errors carry the API body shape, request-id and the retry headers', async () => {
    fake.enqueue({ status: 429, retryAfter: 3, retryAfterMs: 3000, shouldRetry: true });
    const res = await post(minimal);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('retry-after-ms')).toBe('3000');
    expect(res.headers.get('x-should-retry')).toBe('true');
    const requestId = res.headers.get('request-id');
    expect(requestId).toMatch(/^req_fake_/);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.any(String) }, request_id: requestId });
  });

  test('rejects what the API rejects, and answers other paths with 404 JSON', async () => {
    const version = { 'x-api-key': 'sk-test', 'anthropic-version': '2026-10-21' };
    const sampling = await post({ ...minimal, temperature: 0.3 }, version);
    expect(sampling.status).toBe(400);
    expect(await sampling.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'temperature: Extra inputs are not permitted' } });
    expect((await post({ ...minimal, messages: [{ role: 'user', content: '' }] })).status).toBe(400);
    expect((await post({ ...minimal, max_tokens: 0 })).status).toBe(400);
    expect((await post(minimal, {})).status).toBe(401);
    expect((await post(minimal)).status).toBe(200);

    const models = await fetch(`${fake.baseURL}/v1/models`);
    expect(models.status).toBe(404);
    expect(await models.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(fake.requests).toHaveLength(6);
    expect(fake.messageRequests()).toHaveLength(5);
  });
});
