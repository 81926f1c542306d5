/**
 * The dated price table (date selection, dated model ids, unknown models, the arithmetic) and the call
 * log on each database kind, including a broken log table that must not fail the caller.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { DEFAULT_MODEL } from '../src/config';
import { createCallLog, loadPricing, parsePricing, PricingFileError, type CallLogEntry, type LlmUsage } from '../src/llm';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { capturingLogger } from './helpers/capturing-logger';


const usage = (u: Partial<LlmUsage> = {}): LlmUsage => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, ...u });
const price = (model: string, effective: string, input: number, output: number) => ({
  model,
  effective,
  input_per_mtok: input,
  output_per_mtok: output,
  cache_read_per_mtok: input / 10,
  cache_write_per_mtok: input * 1.25,
});

const TABLE = {
  currency: 'USD',
  prices: [
    price('claude-test-1', '2026-01-01', 2, 10),
    price('claude-test-1', '2026-06-01', 1, 5),
    price('claude-test-1-5', '2026-01-01', 4, 20),
  ],
};

describe('pricing', () => {
  test('picks the newest entry in force on the (UTC) day of the call', () => {
    const pricing = parsePricing(TABLE, { source: 'test' });
    expect(pricing.priceFor('claude-test-1', new Date('2026-03-15T12:00:00Z'))?.effective).toBe('2026-01-01');
    expect(pricing.priceFor('claude-test-1', new Date('2026-05-31T23:59:59Z'))?.effective).toBe('2026-01-01');
    expect(pricing.priceFor('claude-test-1', new Date('2026-06-01T00:00:00Z'))?.effective).toBe('2026-06-01');
    expect(pricing.priceFor('claude-test-1', new Date('2027-02-01T00:00:00Z'))?.inputPerMtok).toBe(1);
    // Before any entry there is no price, rather than a guess.
    expect(pricing.priceFor('claude-test-1', new Date('2025-12-31T23:59:59Z'))).toBeNull();
  });

  test('matches a model id exactly first, then a dated snapshot id by its alias', () => {
    const pricing = parsePricing(TABLE, { source: 'test' });
    const at = new Date('2026-07-01T00:00:00Z');
    expect(pricing.priceFor('claude-test-1-5', at)?.model).toBe('claude-test-1-5');
    expect(pricing.priceFor('claude-test-1-20260701', at)?.model).toBe('claude-test-1');
    expect(pricing.priceFor('claude-test-1@20260701', at)?.model).toBe('claude-test-1');
    // The longest alias wins: not claude-test-1.
    expect(pricing.priceFor('claude-test-1-5-20260701', at)?.model).toBe('claude-test-1-5');
    // A different model that merely shares a prefix is unknown, not priced as its neighbour.
    expect(pricing.priceFor('claude-test-1-7', at)).toBeNull();
    expect(pricing.priceFor('claude-test-10', at)).toBeNull();
  });

  test('computes the cost from all four token counts, to the micro-dollar', () => {
    const pricing = parsePricing(TABLE, { source: 'test' });
    const at = new Date('2026-03-01T09:00:00Z');
    // 1000×2 + 500×10 + 2000×0.2 + 400×2.5 = 8400 micro-dollars.
    expect(pricing.costOf('claude-test-1', usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 400 }), at)).toEqual({
      costUsd: 0.0084,
      priceDate: '2026-01-01',
    });
    // The same call after the price cut.
    expect(pricing.costOf('claude-test-1', usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 400 }), new Date('2026-06-02'))).toEqual({
      costUsd: 0.0042,
      priceDate: '2026-06-01',
    });
    // 1×4 + 3×0.4 = 5.2 micro-dollars, rounded.
    expect(pricing.costOf('claude-test-1-5', usage({ inputTokens: 1, cacheReadTokens: 3 }), at)?.costUsd).toBe(0.000005);
    expect(pricing.costOf('claude-test-1', usage(), at)?.costUsd).toBe(0);
  });

  test('a Message Batches call costs half of the same call made directly', () => {
    const pricing = parsePricing(TABLE, { source: 'test' });
    const at = new Date('2026-03-01T09:00:00Z');
    const u = usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 400 });
    expect(pricing.costOf('claude-test-1', u, at, { batch: true })).toEqual({ costUsd: 0.0042, priceDate: '2026-01-01' });
    expect(pricing.costOf('claude-test-1', u, at, { batch: false })?.costUsd).toBe(0.0084);
  });

  test('returns null for an unknown model and logs it once per model', () => {
    const { logger, lines } = capturingLogger();
    const pricing = parsePricing(TABLE, { source: 'test', logger });
    const at = new Date('2026-03-01T00:00:00Z');
    expect(pricing.costOf('gpt-unknown', usage({ inputTokens: 10 }), at)).toBeNull();
    expect(pricing.costOf('gpt-unknown', usage({ inputTokens: 10 }), at)).toBeNull();
    expect(pricing.costOf('claude-mystery', usage({ inputTokens: 10 }), at)).toBeNull();
    const warnings = lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.model)).toEqual(['gpt-unknown', 'claude-mystery']);
  });

  test('ships a table covering the default models, with cache prices in the published ratios', () => {
    const pricing = loadPricing();
    expect(pricing.source).toBe('shipped');
    const now = new Date();
    for (const model of [DEFAULT_MODEL, 'claude-haiku-5-5', 'claude-opus-5-5', 'claude-haiku-4-5-20251001']) {
      expect(pricing.priceFor(model, now)).not.toBeNull();
    }
    for (const p of pricing.prices) {
      expect(p.cacheReadPerMtok).toBeCloseTo(p.inputPerMtok * 0.1, 6);
      expect(p.cacheWritePerMtok).toBeCloseTo(p.inputPerMtok * 1.25, 6);
      expect(p.outputPerMtok).toBeGreaterThan(p.inputPerMtok);
    }
  });

  test('loads a replacement file, and rejects a missing or invalid one naming the problem', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pricing-'));
    try {
      const good = path.join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ currency: 'USD', prices: [price('claude-local', '2026-01-01', 1, 2)] }));
      expect(loadPricing({ file: good }).prices.map((p) => p.model)).toEqual(['claude-local']);

      expect(() => loadPricing({ file: path.join(dir, 'missing.json') })).toThrow(PricingFileError);
      const notJson = path.join(dir, 'bad.json');
      writeFileSync(notJson, '{ nope');
      expect(() => loadPricing({ file: notJson })).toThrow(PricingFileError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parsePricing({ currency: 'USD', prices: [price('m', '2026-02-30', 1, 2)] }, { source: 'x' })).toThrow(/prices\.0\.effective/);
    expect(() => parsePricing({ currency: 'USD', prices: [price('m', '2026-01-01', -1, 2)] }, { source: 'x' })).toThrow(/input_per_mtok/);
    expect(() => parsePricing({ currency: 'EUR', prices: [price('m', '2026-01-01', 1, 2)] }, { source: 'x' })).toThrow(/currency/);
    expect(() =>
      parsePricing({ currency: 'USD', prices: [price('m', '2026-01-01', 1, 2), price('m', '2026-01-01', 3, 4)] }, { source: 'x' }),
    ).toThrow(/duplicate entry for m/);
  });
});

describe.each(testDbKinds)('call log on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const pricing = parsePricing(TABLE, { source: 'test' });

  async function sessionAndTurn(tester: string) {
    const session = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester }).returning('id').executeTakeFirstOrThrow();
    const turn = await t.db
      .insertInto('tuning_conversation_turns')
      .values({ session_id: session.id, turn_number: 1, user_message: 'q', era_response: 'a' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { sessionId: session.id, turnId: turn.id };
  }

  const entry = (overrides: Partial<CallLogEntry> = {}): CallLogEntry => ({
    purpose: 'answer',
    model: 'claude-test-1',
    usage: usage({ inputTokens: 1000, outputTokens: 500, cacheReadTokens: 2000, cacheWriteTokens: 400 }),
    latencyMs: 1234.4,
    status: 'ok',
    at: new Date('2026-03-01T09:00:00Z'),
    ...overrides,
  });

  test('writes a row with the tokens, ids and the computed cost', async () => {
    const { logger } = capturingLogger();
    const { sessionId, turnId } = await sessionAndTurn('aad-cost');
    await createCallLog({ db: t.db, logger, pricing }).record(
      entry({ promptVersion: 'abc1234', stopReason: 'end_turn', requestId: 'req_1', sessionId, turnId, testerId: 'aad-cost', metadata: { stream: true, skipped: undefined, at: new Date('2026-01-02T03:04:05Z') } }),
    );
    const row = await t.db
      .selectFrom('llm_calls')
      .selectAll()
      .select(sql<string>`to_char(price_date, 'YYYY-MM-DD')`.as('price_day'))
      .where('request_id', '=', 'req_1')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      purpose: 'answer',
      provider: 'anthropic',
      model: 'claude-test-1',
      prompt_version: 'abc1234',
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_tokens: 2000,
      cache_write_tokens: 400,
      latency_ms: 1234,
      cost_usd: '0.008400',
      price_day: '2026-01-01',
      stop_reason: 'end_turn',
      status: 'ok',
      error: null,
      session_id: sessionId,
      turn_id: turnId,
      tester_id: 'aad-cost',
      // Stored as JSON would have it: undefined dropped, a Date as its ISO string.
      metadata: { stream: true, at: '2026-01-02T03:04:05.000Z' },
    });
    expect(row.created_at.toISOString()).toBe('2026-03-01T09:00:00.000Z');
    expect(row.metadata).toEqual({ stream: true, at: '2026-01-02T03:04:05.000Z' });
  });

  test('stores a failed call and an unpriced model without a cost', async () => {
    const { logger } = capturingLogger();
    await createCallLog({ db: t.db, logger, pricing }).record(
      entry({ model: 'claude-unpriced', status: 'error', error: `InternalServerError: ${'x'.repeat(5000)}`, requestId: 'req_err', usage: usage(), latencyMs: null }),
    );
    const row = await t.db.selectFrom('llm_calls').selectAll().where('request_id', '=', 'req_err').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'error', cost_usd: null, price_date: null, latency_ms: null, input_tokens: 0, metadata: {} });
    expect(row.error?.startsWith('InternalServerError: xxx')).toBe(true);
    expect(row.error?.length).toBe(2000);
  });

  test('keeps the call when its session is deleted (the spend record outlives the session)', async () => {
    const { logger } = capturingLogger();
    const { sessionId, turnId } = await sessionAndTurn('aad-set-null');
    await createCallLog({ db: t.db, logger, pricing }).record(entry({ requestId: 'req_keep', sessionId, turnId }));
    await t.db.deleteFrom('prompt_tuning_sessions').where('id', '=', sessionId).execute();
    const row = await t.db.selectFrom('llm_calls').select(['session_id', 'turn_id']).where('request_id', '=', 'req_keep').executeTakeFirstOrThrow();
    expect(row).toEqual({ session_id: null, turn_id: null });
  });

  test('rejects an unknown purpose or status by the named constraints', async () => {
    await expect(
      sql`insert into llm_calls (purpose, model, status) values ('chitchat', 'm', 'ok')`.execute(t.db),
    ).rejects.toThrow(/chk_llm_calls_purpose/);
    await expect(sql`insert into llm_calls (purpose, model, status) values ('answer', 'm', 'maybe')`.execute(t.db)).rejects.toThrow(/chk_llm_calls_status/);
  });

  test('a write that fails (a turn that does not exist) resolves and logs the ids', async () => {
    const { logger, lines } = capturingLogger();
    const missingTurn = '00000000-0000-4000-8000-000000000000';
    await expect(createCallLog({ db: t.db, logger, pricing }).record(entry({ turnId: missingTurn, testerId: 'aad-fk', requestId: 'req_fk' }))).resolves.toBeUndefined();
    const error = lines.find((l) => l.level === 50);
    expect(error).toMatchObject({ turnId: missingTurn, testerId: 'aad-fk', requestId: 'req_fk', purpose: 'answer', component: 'call-log' });
    expect(JSON.stringify(error?.err)).toMatch(/fk_llm_calls_turn/);
  });

  test('a broken log table does not fail the caller', async () => {
    const { logger, lines } = capturingLogger();
    const callLog = createCallLog({ db: t.db, logger, pricing });
    await sql`alter table llm_calls rename to llm_calls_broken`.execute(t.db);
    try {
      await expect(callLog.record(entry({ requestId: 'req_broken', sessionId: null, testerId: 'aad-broken' }))).resolves.toBeUndefined();
    } finally {
      await sql`alter table llm_calls_broken rename to llm_calls`.execute(t.db);
    }
    const error = lines.find((l) => l.level === 50);
    expect(error?.msg).toMatch(/could not be logged/);
    expect(error).toMatchObject({ requestId: 'req_broken', testerId: 'aad-broken' });
    expect(JSON.stringify(error?.err)).toMatch(/llm_calls/);

    // Once the table is back, the same log works again.
    await callLog.record(entry({ requestId: 'req_after' }));
    const count = await t.db.selectFrom('llm_calls').select((eb) => eb.fn.countAll<string>().as('n')).where('request_id', 'in', ['req_broken', 'req_after']).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});
