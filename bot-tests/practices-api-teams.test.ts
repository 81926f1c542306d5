/**
 * Best practices served: GET /api/best-practices (spec 002) through the real server — filters, paging,
 * bad parameters, one practice with its sources, open in local mode and 401 without a valid Bearer key
 * when deployed — and /practices in Teams as a card (search, filters, refresh for admins only, the
 * offline label), through the real bot.
 */
import { Writable } from 'node:stream';
import type restify from 'restify';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { analyzePractices } from '../src/insights';
import { createCallLog } from '../src/llm';
import { createLogger } from '../src/logger';
import { listen } from '../src/server';
import { ALEX, cardOf, cardTexts, createHarness, type Harness } from './helpers/bot-harness';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { seedPracticeData } from './helpers/practices-fixtures';

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
const KEY = 'api-key-for-the-practices-tests-0123456789';

interface ListBody {
  success: boolean;
  error?: string;
  data: { items: Array<{ id: string; model: string; category: string; effectivenessScore: number; title: string; keyInsights: string[]; tags: string[] }>; page: number; pageSize: number; total: number; totalPages: number };
  stats: Array<{ model: string; totalPractices: number }>;
}

async function start(t: TestDatabase, env: Record<string, string> = {}) {
  const config = loadConfig({ EXPORT_SIGNING_SECRET: 'practices-test-secret-long-enough-0123456789', ...env });
  const app = createApp({ config, database: t, logger: quiet(), anthropic: null });
  const port = await listen(app.server, 0, '127.0.0.1');
  return { base: `http://127.0.0.1:${port}`, server: app.server };
}

describe.each(testDbKinds)('GET /api/best-practices on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await seedPracticeData(t.db);
    await seedPracticeData(t.db, { sessions: 8, model: 'claude-haiku-5-5', testerPrefix: 'h' });
    const logger = quiet();
    await analyzePractices({ db: t.db, client: null, model: 'm', callLog: createCallLog({ db: t.db, logger, pricing: null }), logger }, { holder: 'test' });
  });
  afterAll(async () => {
    await t.dispose();
  });

  describe('local mode: open', () => {
    let base: string;
    let server: restify.Server;
    beforeAll(async () => {
      ({ base, server } = await start(t));
    });
    afterAll(() => server.close());
    const get = async (q: string) => {
      const res = await fetch(`${base}/api/best-practices${q}`);
      return { status: res.status, body: (await res.json()) as ListBody };
    };

    it('lists active practices, most effective first, with per-model statistics', async () => {
      const { status, body } = await get('?pageSize=100');
      expect(status).toBe(200);
      expect(body.success).toBe(true);
      const scores = body.data.items.map((p) => p.effectivenessScore);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(new Set(body.data.items.map((p) => p.model))).toEqual(new Set(['claude-sonnet-5-5', 'claude-haiku-5-5']));
      expect(body.data.total).toBe(body.data.items.length);
      expect(body.stats.map((s) => s.model).sort()).toEqual(['claude-haiku-5-5', 'claude-sonnet-5-5']);
      expect(Array.isArray(body.data.items[0]?.keyInsights)).toBe(true);
    });

    it('filters by model, category and minimum effectiveness, and pages', async () => {
      const all = (await get('?pageSize=100')).body.data.items;
      const haiku = (await get('?model=claude-haiku-5-5&pageSize=100')).body;
      expect(haiku.data.items.length).toBe(all.filter((p) => p.model === 'claude-haiku-5-5').length);
      expect(haiku.data.items.every((p) => p.model === 'claude-haiku-5-5')).toBe(true);
      const leave = (await get('?category=leave&pageSize=100')).body;
      expect(leave.data.items.length).toBeGreaterThan(0);
      expect(leave.data.items.every((p) => p.category === 'leave')).toBe(true);
      const cut = [...all.map((p) => p.effectivenessScore)].sort((a, b) => a - b)[Math.floor(all.length / 2)] ?? 0;
      const strong = (await get(`?minEffectiveness=${cut}&pageSize=100`)).body;
      expect(strong.data.items.length).toBe(all.filter((p) => p.effectivenessScore >= cut).length);
      expect(strong.data.items.length).toBeLessThan(all.length);
      const page2 = (await get('?pageSize=2&page=2')).body;
      expect(page2.data).toEqual(expect.objectContaining({ page: 2, pageSize: 2, total: all.length, totalPages: Math.ceil(all.length / 2) }));
      expect(page2.data.items.map((p) => p.id)).toEqual(all.slice(2, 4).map((p) => p.id));
    });

    it('gives one practice with its source sessions, 404 for an unknown one', async () => {
      const first = (await get('')).body.data.items[0];
      const res = await fetch(`${base}/api/best-practices/${first?.id ?? ''}`);
      expect(res.status).toBe(200);
      const one = (await res.json()) as { data: { id: string; sources: Array<{ sessionId: string; contributionScore: number }> } };
      expect(one.data.id).toBe(first?.id);
      expect(one.data.sources.length).toBeGreaterThan(0);
      expect((await fetch(`${base}/api/best-practices/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      expect((await fetch(`${base}/api/best-practices/nope`)).status).toBe(400);
    });

    it.each([
      ['?minEffectiveness=101', /minEffectiveness must be a number from 0 to 100/],
      ['?minEffectiveness=abc', /minEffectiveness/],
      ['?page=0', /page must be a whole number/],
      ['?pageSize=500', /pageSize must be a whole number from 1 to 100/],
      ['?status=deleted', /status must be active, archived or all/],
      ['?model=', /model must be 1-100 characters/],
      ['?minEffectivness=50', /unknown parameter "minEffectivness"/],
    ])('%s → 400 naming what is wrong', async (q, error) => {
      const { status, body } = await get(q);
      expect(status).toBe(400);
      expect(body.success).toBe(false);
      expect(body.error).toMatch(error);
    });
  });

  describe('deployed (Bot Framework credentials): a Bearer API key', () => {
    let base: string;
    let server: restify.Server;
    beforeAll(async () => {
      ({ base, server } = await start(t, { MicrosoftAppId: 'app-id', MicrosoftAppPassword: 'pw', MicrosoftAppTenantId: 'tenant', MicrosoftAppType: 'SingleTenant', API_KEYS: KEY }));
    });
    afterAll(() => server.close());

    it.each([
      ['no credentials', {}],
      ['a wrong key', { Authorization: 'Bearer not-the-key-but-long-enough-000000' }],
      ['another scheme', { Authorization: `Basic ${KEY}` }],
    ])('refuses %s with a bare 401', async (_what, headers: Record<string, string>) => {
      for (const path of ['/api/best-practices', '/api/best-practices?model=claude-sonnet-5-5', '/api/best-practices/00000000-0000-4000-8000-000000000000']) {
        const res = await fetch(`${base}${path}`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await res.json()).toEqual({ success: false, error: 'Unauthorized' });
      }
    });

    it('answers with the key', async () => {
      const res = await fetch(`${base}/api/best-practices?category=leave`, { headers: { Authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as ListBody).data.total).toBeGreaterThan(0);
    });
  });
});

describe.each(testDbKinds)('/practices in Teams on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { env: { ADMIN_ALLOWLIST: ALEX.email } });
    await seedPracticeData(h.t.db);
  });
  afterAll(async () => {
    await h.close();
  });

  it('before any analysis, says there are none and who can run it', async () => {
    const card = cardOf((await h.say('/practices'))[0]);
    expect(cardTexts(card).join('\n')).toMatch(/No best practices yet[\s\S]*\/practices refresh/);
  });

  it('refuses a refresh from a tester who is not an admin, and runs nothing', async () => {
    const sent = await h.say('/practices refresh');
    expect(sent.map((a) => a.text).join(' ')).toMatch(/Only an admin \(ADMIN_ALLOWLIST\) can run/);
    expect(await h.t.db.selectFrom('best_practices').select('id').execute()).toEqual([]);
  });

  it('runs the analysis for an admin and answers with the card, labelled offline', async () => {
    const sent = await h.say('/practices refresh', { user: ALEX });
    const texts = cardTexts(cardOf(sent[0])).join('\n');
    expect(texts).toMatch(/Analysis done: 120 replies, \d+ top replies; \d+ new, 0 updated, 0 archived practice\(s\)\. Offline mode/);
    expect(texts).toMatch(/Offline extraction \(no ANTHROPIC_API_KEY\)/);
    expect(texts).toMatch(/effectiveness \d+\.\d\/100/);
    const stored = await h.t.db.selectFrom('best_practices').select('id').execute();
    expect(stored.length).toBeGreaterThan(0);
  });

  it('searches and filters by argument; a bad filter gets a clear message', async () => {
    const leave = cardTexts(cardOf((await h.say('/practices leave'))[0])).join('\n');
    expect(leave).toMatch(/matching `leave`/);
    expect(leave).toMatch(/leave · claude-sonnet-5-5 · effectiveness/);
    expect(leave).not.toMatch(/\bpay · claude/);
    const none = cardTexts(cardOf((await h.say('/practices model=gpt-4'))[0])).join('\n');
    expect(none).toMatch(/0 practice\(s\) matching[\s\S]*No practice matches these filters/);
    const bad = await h.say('/practices min=150');
    expect(bad.map((a) => a.text).join(' ')).toMatch(/min= is an effectiveness from 0 to 100; "150" is not/);
  });
});
