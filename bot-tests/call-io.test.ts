/**
 * Spec 003's input → output pair of every call: the request split and rebuilt exactly, stored with its
 * call-log row (the system prompt once per content hash), read back, and never at the cost of the
 * call's own row.
 */
import { sql } from 'kysely';
import {
  type CallIo,
  type CallLogEntry,
  callRequestOf,
  createCallLog,
  rebuildRequestBody,
  structuredOutputOf,
  systemPromptHash,
  ZERO_LLM_USAGE,
} from '../src/llm';
import { readCallIo } from '../src/llm/call-io-store';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const SYSTEM = 'You are ERA. '.repeat(200);

/** A body shaped like ERA's streamed answer request: cached system block, history, passages. */
const eraBody = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  stream: true,
  system: [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }],
  messages: [
    { role: 'user' as const, content: 'Earlier question' },
    { role: 'assistant' as const, content: 'Earlier answer [1]' },
    {
      role: 'user' as const,
      content: [
        { type: 'text' as const, text: 'Policy passages…\n\n[1] Attendance\nThree no-shows…' },
        { type: 'text' as const, text: 'My employee did not show up — what now? 😟' },
      ],
    },
  ],
};

const intentBody = {
  model: 'claude-haiku-5-5',
  max_tokens: 100,
  system: 'Label the message.',
  messages: [{ role: 'user' as const, content: '<message>\nhello\n</message>' }],
  output_config: { format: { type: 'json_schema' as const, schema: { type: 'object', properties: { intent: { type: 'string' } }, required: ['intent'], additionalProperties: false } } },
};

describe('call request: split and rebuilt', () => {
  test('a system prompt sent as a cached block comes back as that block, and the stream flag with it', () => {
    const request = callRequestOf(eraBody);
    expect(request.system).toBe(SYSTEM);
    expect(request.model).toBe('claude-sonnet-5-5');
    expect(request.params).toEqual({ max_tokens: 1024, stream: true, system_blocks: [{ type: 'text', cache_control: { type: 'ephemeral' }, chars: SYSTEM.length }] });
    expect(rebuildRequestBody(request)).toEqual(JSON.parse(JSON.stringify(eraBody)));
  });

  test('several system blocks keep their boundaries', () => {
    const body = { ...eraBody, system: [{ type: 'text' as const, text: 'one ' }, { type: 'text' as const, text: 'two', cache_control: { type: 'ephemeral' as const } }] };
    const request = callRequestOf(body);
    expect(request.system).toBe('one two');
    expect(rebuildRequestBody(request)).toEqual(JSON.parse(JSON.stringify(body)));
  });

  test('an output schema is kept apart from the rest of output_config, and put back', () => {
    const request = callRequestOf(intentBody);
    expect(request.outputSchema).toEqual(intentBody.output_config.format.schema);
    expect(request.params).toEqual({ max_tokens: 100, output_config: { format: { type: 'json_schema' } } });
    expect(rebuildRequestBody(request)).toEqual(intentBody);
  });

  test('no system prompt, tools, and a later change to the caller\'s body does not reach the record', () => {
    const body = {
      model: 'm',
      max_tokens: 10,
      messages: [{ role: 'user' as const, content: 'hi' }],
      tools: [{ name: 'lookup', description: 'd', input_schema: { type: 'object' as const, properties: {} } }],
    };
    const request = callRequestOf(body);
    body.messages.push({ role: 'user', content: 'appended after the call' });
    expect(request.system).toBeNull();
    expect(request.messages).toHaveLength(1);
    expect(rebuildRequestBody(request)).toEqual({ ...body, messages: [{ role: 'user', content: 'hi' }] });
  });

  test('structured output keeps the text and parses it when it is JSON', () => {
    expect(structuredOutputOf('{"intent":"leave","confidence":0.9}')).toEqual({ text: '{"intent":"leave","confidence":0.9}', structured: { intent: 'leave', confidence: 0.9 } });
    expect(structuredOutputOf('{"intent":"lea')).toEqual({ text: '{"intent":"lea' });
  });
});

describe.each(testDbKinds)('call I/O storage on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.dispose();
  });
  beforeEach(async () => {
    await sql`TRUNCATE llm_call_io, llm_calls, llm_system_prompts CASCADE`.execute(database.db);
  });

  const entry = (io: CallIo | undefined, extra: Partial<CallLogEntry> = {}): CallLogEntry => ({
    purpose: 'answer',
    model: 'claude-sonnet-5-5-20261001',
    usage: { ...ZERO_LLM_USAGE, inputTokens: 12, outputTokens: 34 },
    latencyMs: 120,
    status: 'ok',
    ...(io ? { io } : {}),
    ...extra,
  });

  const lastCallId = async (): Promise<string> =>
    (await database.db.selectFrom('llm_calls').select('id').orderBy('created_at', 'desc').executeTakeFirstOrThrow()).id;

  test('the request and output are stored with the call and read back unchanged', async () => {
    const { logger, lines } = capturingLogger();
    const log = createCallLog({ db: database.db, logger, pricing: null });
    const io: CallIo = { request: callRequestOf(eraBody), output: { text: 'Answer with “quotes” and [1].' } };
    await log.record(entry(io));
    const stored = await readCallIo(database.db, await lastCallId());
    expect(stored).toEqual(io);
    expect(rebuildRequestBody(stored?.request ?? io.request)).toEqual(JSON.parse(JSON.stringify(eraBody)));
    const row = await database.db.selectFrom('llm_call_io').selectAll().executeTakeFirstOrThrow();
    expect(row.system_sha256).toBe(systemPromptHash(SYSTEM));
    expect(row.requested_model).toBe('claude-sonnet-5-5');
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  });

  test('a system prompt sent with many calls is stored once', async () => {
    const log = createCallLog({ db: database.db, logger: capturingLogger().logger, pricing: null });
    for (let i = 0; i < 3; i += 1) await log.record(entry({ request: callRequestOf(eraBody), output: { text: `answer ${i}` } }));
    await log.record(entry({ request: callRequestOf(intentBody), output: structuredOutputOf('{"intent":"leave"}') }, { purpose: 'intent' }));
    const prompts = await database.db.selectFrom('llm_system_prompts').select(['sha256', 'text']).orderBy('text').execute();
    expect(prompts.map((p) => p.text)).toEqual(['Label the message.', SYSTEM]);
    expect(await database.db.selectFrom('llm_call_io').selectAll().execute()).toHaveLength(4);
    const intent = await database.db.selectFrom('llm_calls').select('id').where('purpose', '=', 'intent').executeTakeFirstOrThrow();
    expect((await readCallIo(database.db, intent.id))?.output).toEqual({ text: '{"intent":"leave"}', structured: { intent: 'leave' } });
  });

  test('concurrent calls with the same new system prompt all store their I/O', async () => {
    const log = createCallLog({ db: database.db, logger: capturingLogger().logger, pricing: null });
    const body = { ...eraBody, system: [{ type: 'text' as const, text: `fresh prompt ${kind}` }] };
    await Promise.all(Array.from({ length: 8 }, (_, i) => log.record(entry({ request: callRequestOf(body), output: { text: `a${i}` } }))));
    expect(await database.db.selectFrom('llm_system_prompts').selectAll().execute()).toHaveLength(1);
    expect(await database.db.selectFrom('llm_call_io').selectAll().execute()).toHaveLength(8);
  });

  test('a failed call keeps its request with no output; a call without io stores no I/O row', async () => {
    const log = createCallLog({ db: database.db, logger: capturingLogger().logger, pricing: null });
    await log.record(entry({ request: callRequestOf(intentBody), output: null }, { status: 'error', error: 'overloaded' }));
    const failed = await lastCallId();
    expect(await readCallIo(database.db, failed)).toEqual({ request: callRequestOf(intentBody), output: null });
    await log.record(entry(undefined, { model: 'template' }));
    expect(await readCallIo(database.db, await lastCallId())).toBeNull();
    expect(await database.db.selectFrom('llm_calls').selectAll().execute()).toHaveLength(2);
  });

  test('I/O the database refuses still leaves the call row, and says so in the log', async () => {
    const { logger, lines } = capturingLogger();
    const log = createCallLog({ db: database.db, logger, pricing: null });
    // JSONB cannot hold U+0000: the I/O statement fails as a whole.
    const io: CallIo = { request: callRequestOf({ ...intentBody, messages: [{ role: 'user', content: 'nul \u0000 here' }] }), output: { text: 'x' } };
    await log.record(entry(io, { requestId: 'req_nul' }));
    const calls = await database.db.selectFrom('llm_calls').select(['request_id', 'input_tokens']).execute();
    expect(calls).toEqual([{ request_id: 'req_nul', input_tokens: 12 }]);
    expect(await database.db.selectFrom('llm_call_io').selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom('llm_system_prompts').selectAll().execute()).toEqual([]);
    expect(lines.find((l) => l.msg.includes('input/output could not be stored'))).toMatchObject({ requestId: 'req_nul', purpose: 'answer' });
  });

  test('a missing I/O table does not fail the caller or lose the call row', async () => {
    const { logger, lines } = capturingLogger();
    const log = createCallLog({ db: database.db, logger, pricing: null });
    await sql`ALTER TABLE llm_call_io RENAME TO llm_call_io_gone`.execute(database.db);
    try {
      await expect(log.record(entry({ request: callRequestOf(eraBody), output: { text: 'kept' } }))).resolves.toBeUndefined();
      expect(await database.db.selectFrom('llm_calls').selectAll().execute()).toHaveLength(1);
      expect(lines.some((l) => l.level === 40 && l.msg.includes('input/output could not be stored'))).toBe(true);
    } finally {
      await sql`ALTER TABLE llm_call_io_gone RENAME TO llm_call_io`.execute(database.db);
    }
  });

  test('deleting a call deletes its I/O (cascade); the shared system prompt stays', async () => {
    const log = createCallLog({ db: database.db, logger: capturingLogger().logger, pricing: null });
    await log.record(entry({ request: callRequestOf(eraBody), output: { text: 'a' } }));
    await database.db.deleteFrom('llm_calls').execute();
    expect(await database.db.selectFrom('llm_call_io').selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom('llm_system_prompts').selectAll().execute()).toHaveLength(1);
  });
});
