/**
 * The loopback fake's Message Batches API, driven by the real SDK's client.messages.batches: create,
 * polling to the end, JSONL results, validation, cancel, list pagination and one-shot batch errors.
 */
import Anthropic, { AnthropicError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from '@anthropic-ai/sdk';
import type { BatchCreateParams, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';

const MODEL = 'claude-opus-5-5';
const params = (text: string) => ({ model: MODEL, max_tokens: 64, messages: [{ role: 'user' as const, content: text }] });
const request = (customId: string, text = `question ${customId}`) => ({ custom_id: customId, params: params(text) });

let fake: FakeAnthropic;
let client: Anthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => { fake.reset(); });

async function resultsOf(id: string): Promise<MessageBatchIndividualResponse[]> {
  const lines: MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(id)) lines.push(line);
  return lines;
}

/** Sends requests the SDK's types would refuse, as a buggy caller could. */
const createRaw = (requests: unknown[]) => client.messages.batches.create({ requests } as unknown as BatchCreateParams);

describe('fake Message Batches API', () => {
  it('creates a batch, reports in_progress for pollsBeforeEnd retrieves, then ends with succeeded, errored and expired results', async () => {
    fake.batchOptions({ pollsBeforeEnd: 1, expire: ['late'] });
    // The expired request comes first and must not consume the queued 529, which goes to 'broken'.
    fake.enqueue({ status: 529 });
    const created = await client.messages.batches.create({
      requests: [request('late'), request('broken'), request('fine', 'What is a Roth IRA?')],
    });
    expect(created).toMatchObject({
      id: 'msgbatch_fake_000001',
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    });
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(24 * 60 * 60 * 1000);
    expect(fake.pending()).toBe(1); // nothing is worked out before the batch ends

    const first = await client.messages.batches.retrieve(created.id);
    expect(first.processing_status).toBe('in_progress');
    expect(first.results_url).toBeNull();
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 1 },
      results_url: `${fake.baseURL}/v1/messages/batches/msgbatch_fake_000001/results`,
    });
    expect(ended.ended_at).not.toBeNull();
    expect(fake.pending()).toBe(0);

    const results = await resultsOf(created.id);
    expect(results.map((r) => [r.custom_id, r.result.type])).toEqual([
      ['late', 'expired'],
      ['broken', 'errored'],
      ['fine', 'succeeded'],
    ]);
    expect(results[1]!.result).toEqual({
      type: 'errored',
      error: { type: 'error', error: { type: 'overloaded_error', message: expect.any(String) }, request_id: expect.any(String) },
    });
    const succeeded = results[2]!.result;
    if (succeeded.type !== 'succeeded') throw new Error('expected succeeded');
    expect(succeeded.message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: 'Fake answer to: What is a Roth IRA?' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    expect(succeeded.message.usage.output_tokens).toBeGreaterThan(1);
    // Batch work is not a Messages call.
    expect(fake.messageRequests()).toHaveLength(0);
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect(fake.batches().map((b) => b.processing_status)).toEqual(['ended']);
  });

  it('answers results as JSONL with application/binary and a request-id, and 400 before the batch ends', async () => {
    fake.batchOptions({ pollsBeforeEnd: 3 });
    const { id } = await client.messages.batches.create({ requests: [request('a'), request('b')] });
    // The SDK retrieves first and refuses a batch without results_url.
    await expect(client.messages.batches.results(id)).rejects.toThrow(AnthropicError);
    await expect(client.messages.batches.results(id)).rejects.toThrow(/No batch `results_url`/);
    const early = await fetch(`${fake.baseURL}/v1/messages/batches/${id}/results`, { headers: { 'x-api-key': 'test' } });
    expect(early.status).toBe(400);
    expect(early.headers.get('request-id')).toMatch(/^req_fake_/);
    expect(await early.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('batch has not ended') } });

    fake.endBatch(id);
    expect(fake.batches()[0]!.processing_status).toBe('ended');
    const response = await fetch(`${fake.baseURL}/v1/messages/batches/${id}/results`, { headers: { 'x-api-key': 'test' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/binary');
    expect(response.headers.get('request-id')).toMatch(/^req_fake_/);
    const lines = (await response.text()).trim().split('\n').map((l) => JSON.parse(l) as MessageBatchIndividualResponse);
    expect(lines.map((l) => [l.custom_id, l.result.type])).toEqual([['a', 'succeeded'], ['b', 'succeeded']]);
    expect((await resultsOf(id)).map((l) => l.custom_id)).toEqual(['a', 'b']);
  });

  it.each([
    ['an empty requests array', [], /^requests: /],
    ['a custom_id with a space', [request('ok'), request('not ok')], /^requests\.1\.custom_id: /],
    ['a 65-character custom_id', [request('x'.repeat(65))], /^requests\.0\.custom_id: /],
    ['a duplicate custom_id', [request('a'), request('b'), request('a')], /^requests\.2\.custom_id: duplicate/],
    ['invalid params at index 2', [request('a'), request('b'), { custom_id: 'c', params: { ...params('hi'), max_tokens: 0 } }], /^requests\.2\.params\.max_tokens: /],
    ['an empty message at index 1', [request('a'), { custom_id: 'b', params: { ...params('hi'), messages: [] } }], /^requests\.1\.params\.messages: /],
    ['stream: true', [request('a'), { custom_id: 'b', params: { ...params('hi'), stream: true } }], /^requests\.1\.params\.stream: /],
  ])('refuses %s with a 400 naming the index and creates nothing', async (_name, requests, message) => {
    fake.enqueue({ text: 'kept' });
    const error = await createRaw(requests).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(message) } });
    expect(fake.batches()).toEqual([]);
    expect(fake.pending()).toBe(1);
    await expect(client.messages.batches.retrieve('msgbatch_fake_000001')).rejects.toBeInstanceOf(NotFoundError);
    // The sequence was not used up either.
    expect((await client.messages.batches.create({ requests: [request('a')] })).id).toBe('msgbatch_fake_000001');
  });

  it('refuses a create without a credential with a 401', async () => {
    const response = await fetch(`${fake.baseURL}/v1/messages/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requests: [request('a')] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(fake.batches()).toEqual([]);
  });

  it('cancels: completeBeforeCancel requests keep their results, the rest are canceled without using steps', async () => {
    fake.batchOptions({ pollsBeforeEnd: 5, completeBeforeCancel: 1 });
    fake.enqueue({ text: 'first answer' }, { text: 'never used' });
    const { id } = await client.messages.batches.create({ requests: [request('one'), request('two'), request('three')] });
    expect((await client.messages.batches.retrieve(id)).processing_status).toBe('in_progress');

    const canceling = await client.messages.batches.cancel(id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).not.toBeNull();
    expect(canceling.results_url).toBeNull();

    // The next retrieve ends it, although pollsBeforeEnd is not reached.
    const ended = await client.messages.batches.retrieve(id);
    expect(ended).toMatchObject({
      processing_status: 'ended',
      cancel_initiated_at: canceling.cancel_initiated_at,
      request_counts: { processing: 0, succeeded: 1, errored: 0, canceled: 2, expired: 0 },
    });
    const results = await resultsOf(id);
    expect(results.map((r) => r.result.type)).toEqual(['succeeded', 'canceled', 'canceled']);
    expect(results[0]!.result).toMatchObject({ message: { content: [{ type: 'text', text: 'first answer' }] } });
    expect(results[1]!.result).toEqual({ type: 'canceled' });
    expect(fake.pending()).toBe(1);

    // Canceling an ended batch changes nothing.
    expect(await client.messages.batches.cancel(id)).toEqual(ended);
  });

  it('lists batches newest first and the SDK pages through them with limit 2', async () => {
    for (const customId of ['a', 'b', 'c']) await client.messages.batches.create({ requests: [request(customId)] });

    const firstPage = await client.messages.batches.list({ limit: 2 });
    expect(firstPage.data.map((b) => b.id)).toEqual(['msgbatch_fake_000003', 'msgbatch_fake_000002']);
    expect(firstPage).toMatchObject({ has_more: true, first_id: 'msgbatch_fake_000003', last_id: 'msgbatch_fake_000002' });

    const listed: string[] = [];
    for await (const batch of client.messages.batches.list({ limit: 2 })) listed.push(batch.id);
    expect(listed).toEqual(['msgbatch_fake_000003', 'msgbatch_fake_000002', 'msgbatch_fake_000001']);
    const listCalls = fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/messages/batches?'));
    expect(listCalls.map((r) => new URL(r.path, fake.baseURL).searchParams.get('after_id'))).toEqual([null, null, 'msgbatch_fake_000002']);

    const before = await client.messages.batches.list({ before_id: 'msgbatch_fake_000001', limit: 1 });
    expect(before.data.map((b) => b.id)).toEqual(['msgbatch_fake_000002']);
    expect(before.has_more).toBe(true);
    expect((await client.messages.batches.list()).data).toHaveLength(3);
  });

  it('enqueueBatchApi makes the next batch requests fail once each, before anything is created or polled', async () => {
    fake.enqueueBatchApi({ status: 500 });
    await expect(client.messages.batches.create({ requests: [request('a')] })).rejects.toBeInstanceOf(InternalServerError);
    expect(fake.batches()).toEqual([]);
    expect(fake.batchCreateRequests()).toHaveLength(1);

    fake.batchOptions({ pollsBeforeEnd: 1 });
    const { id } = await client.messages.batches.create({ requests: [request('a')] });
    expect(id).toBe('msgbatch_fake_000001');
    fake.enqueueBatchApi({ status: 429, retryAfterMs: 0 });
    await expect(client.messages.batches.retrieve(id)).rejects.toBeInstanceOf(RateLimitError);
    // The failed retrieve was not a poll.
    expect((await client.messages.batches.retrieve(id)).processing_status).toBe('in_progress');
    expect((await client.messages.batches.retrieve(id)).processing_status).toBe('ended');
  });

  it('leaves /v1/messages as it was: messageRequests excludes batch calls, JSON and streaming answers unchanged', async () => {
    await client.messages.batches.create({ requests: [request('a')] });
    const message = await client.messages.create(params('Hello there'));
    expect(message).toMatchObject({
      id: expect.stringMatching(/^msg_fake_\d{6}$/),
      content: [{ type: 'text', text: 'Fake answer to: Hello there' }],
      stop_reason: 'end_turn',
      stop_details: null,
    });
    const streamed = await client.messages.stream(params('A longer question to stream back')).finalMessage();
    expect(streamed.content).toEqual([{ type: 'text', text: 'Fake answer to: A longer question to stream back' }]);
    // About 4 characters a token: 27 and 48 characters.
    expect([message.usage.output_tokens, streamed.usage.output_tokens]).toEqual([7, 12]);

    expect(fake.messageRequests().map((r) => r.path)).toEqual(['/v1/messages', '/v1/messages']);
    expect(fake.batchCreateRequests().map((r) => r.path)).toEqual(['/v1/messages/batches']);
    const unknown = await fetch(`${fake.baseURL}/v1/messages/batches/msgbatch_fake_000001/nothing`, { headers: { 'x-api-key': 'test' } });
    expect(unknown.status).toBe(404);
  });
});
