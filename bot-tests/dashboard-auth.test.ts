/**
 * Signing in to the dashboard on the real server, PGlite and Postgres: Teams SSO tokens checked
 * against a loopback Entra ID (signature, audience, issuer, expiry), tester isolation, admin-only
 * pages, the /dashboard chat link traded for a cookie, and local mode closed once an app id is set.
 */
import { SignJWT } from 'jose';
import { createHarness, MEG, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { closeServer, type FakeEntra, listenOnLoopback, seedBestPractices, seedComparedReplay, type SeedScores, seedTuningSessions, SSO_APP_ID, startFakeEntra, TENANT } from './helpers/dashboard-fixtures';
import { request } from './helpers/http-client';

const A = { oid: 'aad-meg-0001', name: 'Meg Tester', email: 'meg@northwind.example' };
const B = { oid: 'aad-alex-0002', name: 'Alex Wilber', email: 'alex@northwind.example' };
const ADMIN = { oid: 'aad-admin-0009', name: 'Ada Admin', email: 'ada@northwind.example' };
const OUTSIDER = { oid: 'aad-out-0010', name: 'Otto Outside', email: 'otto@elsewhere.example' };
const RESOURCE = `api://bot.test/${SSO_APP_ID}`;
const GENERIC_401 = { error: 'Sign in to use the dashboard.' };
const API_KEY = 'dashboard-auth-test-api-key-0123456789abcdef';

type Json = Record<string, unknown>;

describe.each(testDbKinds)('dashboard sign-in on %s', (kind) => {
  let h: Harness;
  let entra: FakeEntra;
  let base: string;
  let bSession: string;
  let seededSessions: Awaited<ReturnType<typeof seedTuningSessions>>;
  const api = (path: string, headers: Record<string, string> = {}) => request(`${base}/api/dashboard${path}`, { headers });
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const tokenFor = (user: typeof A, overrides: Json = {}, options: { forged?: boolean; expiresInSec?: number } = {}) =>
    entra.token({ ...entra.claims(user, RESOURCE), ...overrides }, options);

  beforeAll(async () => {
    entra = await startFakeEntra();
    h = await createHarness(kind, {
      env: {
        MicrosoftAppId: SSO_APP_ID,
        MicrosoftAppPassword: 'not-used-by-these-tests',
        DASHBOARD_OPENID_CONFIG_URL: entra.openIdConfigUrl,
        ADMIN_ALLOWLIST: ADMIN.email,
        TESTER_ALLOWLIST: `${A.email},${B.oid},${MEG.email}`,
        API_KEYS: API_KEY,
      },
    });
    const seeded = await seedTuningSessions(h.t.db, 6, [
      { id: A.oid, name: A.name, email: A.email },
      { id: B.oid, name: B.name, email: B.email },
    ]);
    bSession = seeded.find((s) => s.testerId === B.oid)?.id ?? '';
    seededSessions = seeded;
    base = await listenOnLoopback(h.app.server);
  });
  afterAll(async () => {
    await closeServer(h.app.server);
    await entra.close();
    await h.close();
  });

  it('refuses an unsigned request with 401 and a generic body, even on loopback once an app id is set', async () => {
    for (const path of ['/me', '/sessions', `/sessions/${bSession}`, '/training/conversations', '/jobs', '/nothing']) {
      const r = await api(path);
      expect(r.status).toBe(401);
      expect(r.json).toEqual(GENERIC_401);
    }
    expect((await request(`${base}/api/dashboard/training/generate`, { method: 'POST', body: { ids: [] } })).status).toBe(401);
  });

  it("gives tester A their own sessions only, and B's session answers 404 with none of its data", async () => {
    const token = await tokenFor(A);
    const me = (await api('/me', bearer(token))).json as Json;
    expect(me).toMatchObject({ testerId: A.oid, admin: false, via: 'teams-sso', pages: ['sessions', 'compare', 'practices'] });
    const list = (await api('/sessions?pageSize=100', bearer(token))).json as { rows: Json[]; total: number; facets: { testers: unknown[] } };
    expect(list.total).toBe(3);
    expect(list.rows.every((r) => r.testerId === A.oid)).toBe(true);
    expect(list.facets.testers).toEqual([]);
    // Asking for B's sessions by filter changes nothing: a tester sees only their own.
    expect(((await api(`/sessions?pageSize=100&tester=${B.oid}`, bearer(token))).json as { total: number }).total).toBe(3);
    const other = await api(`/sessions/${bSession}`, bearer(token));
    expect(other.status).toBe(404);
    expect(other.json).toEqual({ error: 'No such session, or it is not yours.' });
    expect(other.text).not.toContain(B.oid);
    expect(other.text).not.toContain('Question');
  });

  it('keeps training data, quality and jobs for admins; an admin sees every tester', async () => {
    const tester = bearer(await tokenFor(B));
    for (const path of ['/training/conversations', '/training/conversations/1', '/quality', '/jobs']) {
      const r = await api(path, tester);
      expect(r.status).toBe(403);
      expect(r.json).toEqual({ error: 'This page is for admins (ADMIN_ALLOWLIST).' });
    }
    const admin = bearer(await tokenFor(ADMIN));
    expect(((await api('/me', admin)).json as Json).pages).toEqual(['sessions', 'compare', 'practices', 'training', 'quality', 'jobs']);
    expect(((await api('/sessions?pageSize=100', admin)).json as { total: number }).total).toBe(6);
    expect((await api(`/sessions/${bSession}`, admin)).status).toBe(200);
    expect((await api('/quality', admin)).status).toBe(200);
  });

  it("lets tester A compare only the replays of A's sessions; B's replay answers 404, B's versions count none of A's turns", async () => {
    // One replay of A's and one of B's, seeded here: their sessions would count in the admin's session total above.
    const scored: SeedScores = { cite: true, action: true, structure: true, professionalism: 4, empathy: 4, clarity: 4 };
    const turnsOf = (n: number) => Array.from({ length: n }, () => ({ old: scored, fresh: scored, chunks: ['chunk-0'] }));
    const aSession = seededSessions.find((s) => s.testerId === A.oid && s.turns <= 2);
    const bReplayed = seededSessions.find((s) => s.testerId === B.oid);
    if (!aSession || !bReplayed) throw new Error('no sessions to replay');
    const aReplay = (await seedComparedReplay(h.t.db, aSession.id, 'aaaa111', turnsOf(aSession.turns))).id;
    const bReplay = (await seedComparedReplay(h.t.db, bReplayed.id, 'bbbb222', turnsOf(bReplayed.turns))).id;
    const a = bearer(await tokenFor(A));
    const list = (await api('/compare/replays', a)).json as { rows: Json[]; total: number; versions: string[] };
    expect([list.total, list.rows.map((r) => r.id)]).toEqual([1, [aReplay]]);
    expect(list.versions).not.toContain('bbbb222');
    expect((await api(`/compare/replays/${aReplay}`, a)).status).toBe(200);
    const theirs = await api(`/compare/replays/${bReplay}`, a);
    expect(theirs.status).toBe(404);
    expect(theirs.json).toEqual({ error: 'No such replay, or it is not of your session.' });
    // B's candidate version has only B's replay behind it: for A there is nothing under it.
    expect((await api('/compare/versions?a=a1b2c3d&b=bbbb222', a)).json).toMatchObject({ sessionsB: 0, total: 0 });
    const b = bearer(await tokenFor(B));
    const mine = (await api('/compare/versions?a=e4f5a6b&b=aaaa111', b)).json as { sessionsA: number; sessionsB: number };
    expect(mine.sessionsB).toBe(0);
    const admin = bearer(await tokenFor(ADMIN));
    expect(((await api('/compare/replays', admin)).json as { total: number }).total).toBe(2);
    expect((await api(`/compare/replays/${bReplay}`, admin)).status).toBe(200);
  });

  it("shows a tester every practice but only their own sessions' ids among its sources", async () => {
    await seedBestPractices(h.t.db);
    // The fixtures' tester-0 becomes A: A's sources show their ids, the other testers' do not.
    await h.t.db.updateTable('prompt_tuning_sessions').set({ tester_id: A.oid }).where('tester_id', '=', 'tester-0').execute();
    const mine = new Set((await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', A.oid).execute()).map((r) => r.id));
    type Practices = { total: number; rows: Array<{ sources: Array<{ sessionId: string | null }> }> };
    const admin = (await api('/practices?pageSize=100', bearer(await tokenFor(ADMIN)))).json as Practices;
    const tester = (await api('/practices?pageSize=100', bearer(await tokenFor(A)))).json as Practices;
    expect(tester.total).toBe(admin.total);
    const adminIds = admin.rows.flatMap((r) => r.sources.map((x) => x.sessionId));
    const testerIds = tester.rows.flatMap((r) => r.sources.map((x) => x.sessionId));
    expect(testerIds).toHaveLength(adminIds.length);
    expect(testerIds.filter((id) => id !== null).every((id) => mine.has(id))).toBe(true);
    expect(testerIds.filter((id) => id !== null).length).toBe(adminIds.filter((id) => id !== null && mine.has(id)).length);
    expect(testerIds.some((id) => id === null)).toBe(true);
  });

  it('refuses expired, wrong-audience, wrong-issuer, other-tenant-mismatch, forged and unsigned tokens with 401', async () => {
    const bad: Array<[string, Promise<string>]> = [
      ['expired', tokenFor(A, {}, { expiresInSec: -600 })],
      ['wrong audience', tokenFor(A, { aud: `api://bot.test/00000000-0000-4000-8000-000000000000` })],
      ['wrong issuer', tokenFor(A, { iss: 'https://login.example.com/v2.0' })],
      ['issuer of another tenant', tokenFor(A, { iss: 'https://login.microsoftonline.com/11111111-1111-4111-8111-111111111111/v2.0' })],
      ['no oid', tokenFor(A, { oid: undefined })],
      ['forged signature', tokenFor(A, {}, { forged: true })],
      ['HS256 with a guessable key', new SignJWT(entra.claims(A, RESOURCE)).setProtectedHeader({ alg: 'HS256', kid: 'test-key-1' }).setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32)))],
      ['alg none', Promise.resolve(`${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...entra.claims(A, RESOURCE), exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url')}.`)],
      ['garbage', Promise.resolve('not.a.token')],
    ];
    for (const [what, token] of bad) {
      const r = await api('/sessions', bearer(await token));
      expect([what, r.status, r.json]).toEqual([what, 401, GENERIC_401]);
    }
    expect((await api('/me', { Authorization: 'Basic abc' })).status).toBe(401);
    // v1 issuer form and the bare app id as audience are both Entra ID's own: accepted.
    const v1 = await tokenFor(A, { iss: `https://sts.windows.net/${TENANT}/`, aud: SSO_APP_ID });
    expect((await api('/me', bearer(v1))).status).toBe(200);
  });

  it('does not take an API key (the /api/best-practices credential) for a dashboard sign-in', async () => {
    expect((await request(`${base}/api/best-practices`, { headers: bearer(API_KEY) })).status).toBe(200);
    for (const path of ['/me', '/sessions', '/practices', '/compare/replays']) {
      const r = await api(path, bearer(API_KEY));
      expect([path, r.status, r.json]).toEqual([path, 401, GENERIC_401]);
    }
  });

  it('answers 403 for a valid token of someone the bot would refuse (TESTER_ALLOWLIST)', async () => {
    const r = await api('/me', bearer(await tokenFor(OUTSIDER)));
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: 'You are not on the list of testers for this bot.' });
  });

  it('/dashboard in the chat gives a link that signs in with a cookie; a tampered cookie or reused link kind is refused', async () => {
    const sent = await h.say('/dashboard');
    const text = sent.map((a) => a.text ?? '').join('\n');
    const m = /\((http:\/\/bot\.test\/dashboard\/signin\?token=[^)\s]+)\)/.exec(text);
    if (!m?.[1]) throw new Error(`no link in: ${text}`);
    const link = m[1].replace('http://bot.test', base);
    const signin = await request(link);
    expect(signin.status).toBe(302);
    expect(signin.headers.location).toBe('/dashboard/');
    const setCookie = signin.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^tb_dashboard=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const cookie = setCookie.split(';')[0] ?? '';
    const me = (await api('/me', { Cookie: cookie })).json as Json;
    expect(me).toMatchObject({ testerId: MEG.account.aadObjectId, via: 'link', admin: false });
    expect(((await api('/sessions?pageSize=100', { Cookie: cookie })).json as { rows: Json[] }).rows.every((r) => r.testerId === A.oid)).toBe(true);
    const tampered = `${cookie.slice(0, -3)}${cookie.endsWith('A') ? 'B' : 'A'}xx`;
    expect((await api('/me', { Cookie: tampered })).status).toBe(401);
    // The link's token is not a session, nor the other way round.
    const linkToken = decodeURIComponent(new URL(link).searchParams.get('token') ?? '');
    expect((await api('/me', { Cookie: `tb_dashboard=${linkToken}` })).status).toBe(401);
    expect((await request(`${base}/dashboard/signin?token=${encodeURIComponent(cookie.split('=')[1] ?? '')}`)).status).toBe(401);
    const bad = await request(`${base}/dashboard/signin?token=nonsense`);
    expect(bad.status).toBe(401);
    expect(bad.text).toContain('Send <code>/dashboard</code> to the bot for a new one');
  });

  it('/dashboard in a group chat sends no link (it would sign in whoever opens it) and says where to ask', async () => {
    const sent = await h.say('<at>Tuning Bot</at> /dashboard', { conversation: { id: '19:group-chat@thread.v2', conversationType: 'groupChat', isGroup: true } });
    const text = sent.map((a) => a.text ?? '').join('\n');
    expect(text).toBe('The dashboard link signs you in, so I only send it in our one-to-one chat: send `/dashboard` to me there.');
    expect(text).not.toMatch(/signin\?token=/);
  });

  it('serves the tab shell and assets with a CSP that lets Teams frame it and allows no inline script', async () => {
    const shell = await request(`${base}/dashboard/sessions`);
    expect(shell.status).toBe(200);
    const csp = String(shell.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toMatch(/frame-ancestors 'self' https:\/\/teams\.microsoft\.com https:\/\/\*\.teams\.microsoft\.com https:\/\/\*\.cloud\.microsoft/);
    expect(shell.text).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>/);
    const script = /src="(\/dashboard\/assets\/app-[A-Z0-9]+\.js)"/.exec(shell.text)?.[1];
    if (!script) throw new Error('no script in the shell');
    const asset = await request(`${base}${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-encoding']).toBe('gzip');
    expect((await request(`${base}/dashboard/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await request(`${base}/dashboard`)).headers.location).toBe('/dashboard/');
  });
});
