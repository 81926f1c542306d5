/**
 * GET /api/generations/latest (spec 003's cached read) through the real server: the newest stored
 * output per purpose, its scopes, its bad input, and the JSON APIs' authentication (open locally, a
 * Bearer API key when Bot Framework credentials are configured; 401 without a valid one).
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import type restify from 'restify';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createApiAuth, createGenerationsLatestHandler } from '../src/http';
import { callRequestOf, createCallLog, type CallLogEntry, ZERO_LLM_USAGE } from '../src/llm';
import { createLogger } from '../src/logger';
import { createAnonymizer } from '../src/privacy';
import { listen } from '../src/server';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
const KEY = 'api-key-for-the-tests-0123456789';
const OTHER_KEY = 'second-api-key-for-the-tests-abcdef';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

async function start(t: TestDatabase, env: Record<string, string> = {}) {
  const config = loadConfig({ EXPORT_SIGNING_SECRET: 'api-test-secret-long-enough-0123456789', ...env });
  const app = createApp({ config, database: t, logger: quiet(), anthropic: null });
  const port = await listen(app.server, 0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, server: app.server };
}

describe.each(testDbKinds)('GET /api/generations/latest on %s', (kind) => {
  let t: TestDatabase;
  let sessionA: string;
  let sessionB: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    sessionA = (await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'aad-a' }).returning('id').executeTakeFirstOrThrow()).id;
    sessionB = (await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'aad-b' }).returning('id').executeTakeFirstOrThrow()).id;
    const log = createCallLog({ db: t.db, logger: capturingLogger().logger, pricing: null });
    const body = { model: 'claude-haiku-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'q' }] };
    const call = (minutes: number, extra: Partial<CallLogEntry>): CallLogEntry => ({
      purpose: 'answer', model: 'claude-sonnet-5-5', usage: ZERO_LLM_USAGE, latencyMs: 10, status: 'ok', at: new Date(T0 + minutes * 60_000),
      io: { request: callRequestOf(body), output: { text: `answer at ${minutes}` } }, ...extra,
    });
    await log.record(call(0, { sessionId: sessionA, testerId: 'aad-a' }));
    await log.record(call(1, { sessionId: sessionB, testerId: 'aad-b', io: { request: callRequestOf(body), output: { text: 'B: call 555-123-4567' } } }));
    await log.record(call(2, { sessionId: sessionA, testerId: 'aad-a', status: 'error', io: { request: callRequestOf(body), output: null } }));
    await log.record(call(3, { sessionId: sessionA, testerId: 'aad-a', metadata: { cancelled: true }, io: { request: callRequestOf(body), output: { text: 'part' } } }));
    await log.record(call(4, { purpose: 'intent', io: { request: callRequestOf(body), output: { text: '{"intent":"leave"}', structured: { intent: 'leave' } } } }));
    await log.record(call(5, { purpose: 'suggestion', sessionId: sessionA, testerId: 'aad-a', io: { request: callRequestOf(body), output: { text: '{"summary":"warmer"}', structured: { summary: 'warmer', edits: [] } } } }));
    await log.record(call(6, { purpose: 'practices', io: { request: callRequestOf(body), output: { text: '{"title":"Acknowledge first"}', structured: { title: 'Acknowledge first' } } } }));
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe('local mode (no Bot Framework credentials): open', () => {
    let base: string;
    let server: restify.Server;
    beforeAll(async () => {
      ({ base, server } = await start(t, { REDACT_PII: 'phones' }));
    });
    afterAll(() => server.close());

    it('answers the newest answered output of the purpose, cached, with when it was made', async () => {
      const res = await fetch(`${base}/api/generations/latest?purpose=answer`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      // The failed and the stopped call are newer but are not outputs to reuse; the phone is redacted.
      expect(await res.json()).toEqual({
        success: true,
        data: {
          purpose: 'answer', callId: expect.any(String), model: 'claude-sonnet-5-5', promptVersion: null, sessionId: sessionB, turnId: null,
          output: { text: 'B: call [phone]' }, cached: true, cachedAt: '2026-11-20T10:01:00.000Z',
        },
      });
    });

    it('gives structured output as stored, and narrows by session or tester', async () => {
      const intent = (await (await fetch(`${base}/api/generations/latest?purpose=intent`)).json()) as { data: { output: unknown } };
      expect(intent.data.output).toEqual({ text: '{"intent":"leave"}', structured: { intent: 'leave' } });
      const a = (await (await fetch(`${base}/api/generations/latest?purpose=answer&sessionId=${sessionA}`)).json()) as { data: { output: { text: string } } };
      expect(a.data.output.text).toBe('answer at 0');
      const byTester = (await (await fetch(`${base}/api/generations/latest?purpose=answer&testerId=aad-a`)).json()) as { data: { sessionId: string } };
      expect(byTester.data.sessionId).toBe(sessionA);
    });

    it("serves every purpose the call log stores, the tuning loop's suggestions and the best-practice analysis included", async () => {
      const suggestion = (await (await fetch(`${base}/api/generations/latest?purpose=suggestion`)).json()) as { data: { purpose: string; sessionId: string; output: unknown } };
      expect(suggestion.data).toMatchObject({ purpose: 'suggestion', sessionId: sessionA, output: { text: '{"summary":"warmer"}', structured: { summary: 'warmer', edits: [] } } });
      const practices = (await (await fetch(`${base}/api/generations/latest?purpose=practices`)).json()) as { data: { purpose: string; output: unknown } };
      expect(practices.data).toMatchObject({ purpose: 'practices', output: { structured: { title: 'Acknowledge first' } } });
      const bad = (await (await fetch(`${base}/api/generations/latest?purpose=nope`)).json()) as { error: string };
      expect(bad.error).toBe('unknown purpose; use one of answer, intent, generation, judging, rewrite, suggestion, practices');
    });

    it.each([
      ['', 400, /purpose is required/],
      ['?purpose=answers', 400, /unknown purpose/],
      ['?purpose=answer&sessionId=not-a-uuid', 400, /sessionId must be a session id/],
      ['?purpose=answer&testerId=', 400, /testerId must be a tester id/],
      ['?purpose=rewrite', 404, /No stored output for purpose rewrite yet/],
      ['?purpose=answer&sessionId=00000000-0000-4000-8000-000000000000', 404, /No stored output/],
    ])('%s → %i with a plain JSON error', async (query, status, error) => {
      const res = await fetch(`${base}/api/generations/latest${query}`);
      expect(res.status).toBe(status);
      const body = (await res.json()) as { success: boolean; error: string };
      expect(body.success).toBe(false);
      expect(body.error).toMatch(error);
    });
  });

  describe('deployed (Bot Framework credentials): a Bearer API key is required', () => {
    let base: string;
    let server: restify.Server;
    beforeAll(async () => {
      const hashed = `sha256:${createHash('sha256').update(OTHER_KEY).digest('hex')}`;
      ({ base, server } = await start(t, { MicrosoftAppId: 'app-id', MicrosoftAppPassword: 'pw', HOST: '127.0.0.1', API_KEYS: `${KEY},${hashed}` }));
    });
    afterAll(() => server.close());

    it.each([
      ['no header', undefined],
      ['a wrong key', `Bearer ${KEY}x`],
      ['a key prefix', `Bearer ${KEY.slice(0, 10)}`],
      ['another scheme', `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}`],
      ['an empty bearer', 'Bearer '],
      ['the hash itself', `Bearer sha256:${createHash('sha256').update(OTHER_KEY).digest('hex')}`],
    ])('refuses %s with a bare 401', async (_what, authorization) => {
      const res = await fetch(`${base}/api/generations/latest?purpose=answer`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tuning-bot"');
      expect(await res.json()).toEqual({ success: false, error: 'Unauthorized' });
    });

    it('accepts a configured key, and a key configured only by its SHA-256', async () => {
      for (const key of [KEY, OTHER_KEY]) {
        const res = await fetch(`${base}/api/generations/latest?purpose=answer`, { headers: { authorization: `bearer ${key}` } });
        expect(res.status).toBe(200);
      }
    });

    it('checks credentials before anything else: a bad query without a key is still 401', async () => {
      expect((await fetch(`${base}/api/generations/latest?purpose=nope`)).status).toBe(401);
    });
  });

  it('with credentials configured and no API_KEYS, refuses everything', async () => {
    const auth = createApiAuth({ required: true, apiKeys: [] });
    expect(auth.authenticate({ headers: { authorization: `Bearer ${KEY}` } })).toBeNull();
  });

  it('holds a non-admin tester principal to their own calls, whatever the query asks', async () => {
    const handler = createGenerationsLatestHandler({
      db: t.db, logger: quiet(), privacy: createAnonymizer({ anonymize: null, secret: '', redact: [] }),
      auth: { required: true, authenticate: () => ({ kind: 'tester', admin: false, testerId: 'aad-a' }) },
    });
    const server = createServer((req, res) => void handler({ headers: req.headers, url: req.url }, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const res = await fetch(`http://127.0.0.1:${port}/api/generations/latest?purpose=answer&testerId=aad-b`);
    server.close();
    const sent = { status: res.status, body: await res.text() };
    expect(sent.status).toBe(200);
    expect((JSON.parse(sent.body) as { data: { sessionId: string } }).data.sessionId).toBe(sessionA);
  });

  it('answers 503 when the database fails, without details', async () => {
    const { base, server } = await start(t);
    await sql`ALTER TABLE llm_call_io RENAME TO llm_call_io_away`.execute(t.db);
    try {
      const res = await fetch(`${base}/api/generations/latest?purpose=answer`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ success: false, error: 'Unavailable right now; try again in a minute' });
    } finally {
      await sql`ALTER TABLE llm_call_io_away RENAME TO llm_call_io`.execute(t.db);
      server.close();
    }
  });
});
