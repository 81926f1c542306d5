/**
 * The sign-in module's pieces on their own: local mode answers only a request from this machine to a
 * loopback name that no proxy relayed; signed link and session tokens expire and keep their purpose.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { dashboardCommand } from '../src/dashboard';
import { cookieValue, createDashboardAuth, isLocalRequest, SignedTokenError, signIdentity, verifyIdentity } from '../src/dashboard/auth';
import { pagesFor } from '../src/dashboard/contract';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

/** A request as node:http hands it over, with a chosen peer address and headers. */
function incoming(remoteAddress: string, headers: Record<string, string>): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.headers = headers;
  return req;
}

describe('local mode', () => {
  const auth = createDashboardAuth({ teams: null, secret: SECRET, adminAllowlist: [], testerAllowlist: [], linkTtlMinutes: 15, sessionHours: 8, publicBaseUrl: 'http://localhost:3978' });

  it('is open to a loopback peer asking for a loopback host', async () => {
    for (const [peer, host] of [['127.0.0.1', '127.0.0.1:3978'], ['::1', '[::1]:3978'], ['::ffff:127.0.0.1', 'localhost:3978'], ['127.0.0.2', 'localhost']]) {
      expect(isLocalRequest(incoming(peer as string, { host: host as string }))).toBe(true);
      expect(await auth.authenticate(incoming(peer as string, { host: host as string }))).toMatchObject({ ok: true, principal: { testerId: 'local', admin: true, via: 'local' } });
    }
  });

  it('is closed to another machine, another host name, and anything a proxy relayed', async () => {
    const refused: Array<[string, Record<string, string>]> = [
      ['10.0.0.7', { host: '127.0.0.1:3978' }],
      ['192.168.1.20', { host: 'localhost:3978' }],
      ['203.0.113.5', { host: 'tuning.example.com' }],
      ['127.0.0.1', { host: 'tuning.example.com' }],
      ['127.0.0.1', { host: 'localhost.evil.example' }],
      ['127.0.0.1', { host: 'localhost:3978', 'x-forwarded-for': '203.0.113.5' }],
      ['127.0.0.1', { host: 'localhost:3978', forwarded: 'for=203.0.113.5' }],
      ['127.0.0.1', {}],
    ];
    for (const [peer, headers] of refused) {
      expect(isLocalRequest(incoming(peer, headers))).toBe(false);
      expect(await auth.authenticate(incoming(peer, headers))).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('gives the plain address for /dashboard, and no link', async () => {
    const reply = await dashboardCommand(auth, 'http://localhost:3978', { id: 'x', name: null, email: null });
    expect(reply).toEqual({ url: null, text: 'The dashboard is at [http://localhost:3978/dashboard/](http://localhost:3978/dashboard/) — in local mode it needs no sign-in on this machine.' });
  });
});

describe('signed link and session tokens', () => {
  const who = { testerId: 'aad-meg-0001', name: 'Meg', email: 'meg@northwind.example' };
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('round-trip, expire at their time, and never serve another purpose or secret', async () => {
    const { token, expiresAt } = await signIdentity(SECRET, 'link', who, 900, now);
    expect(expiresAt.toISOString()).toBe('2026-12-01T10:15:00.000Z');
    expect(await verifyIdentity(SECRET, 'link', token, now + 899_000)).toEqual(who);
    await expect(verifyIdentity(SECRET, 'link', token, now + 901_000)).rejects.toBeInstanceOf(SignedTokenError);
    await expect(verifyIdentity(SECRET, 'session', token, now)).rejects.toBeInstanceOf(SignedTokenError);
    await expect(verifyIdentity(`${SECRET}x`, 'link', token, now)).rejects.toBeInstanceOf(SignedTokenError);
    await expect(verifyIdentity(SECRET, 'link', 'x'.repeat(5000), now)).rejects.toBeInstanceOf(SignedTokenError);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; tb_dashboard=abc.def; b=2', 'tb_dashboard')).toBe('abc.def');
    expect(cookieValue('tb_dashboardx=1', 'tb_dashboard')).toBeNull();
    expect(cookieValue(undefined, 'tb_dashboard')).toBeNull();
  });

  it('a link for someone the allowlist refuses signs no one in', async () => {
    const auth = createDashboardAuth({ teams: null, secret: SECRET, adminAllowlist: [], testerAllowlist: ['someone@else.example'], linkTtlMinutes: 15, sessionHours: 8, publicBaseUrl: 'https://bot.example.com' });
    const link = await auth.signInLink(who);
    expect(link.url).toMatch(/^https:\/\/bot\.example\.com\/dashboard\/signin\?token=/);
    const token = decodeURIComponent(new URL(link.url).searchParams.get('token') ?? '');
    await expect(auth.redeemLink(token)).rejects.toBeInstanceOf(SignedTokenError);
  });

  it('marks the cookie Secure when the bot is served over https', async () => {
    const auth = createDashboardAuth({ teams: null, secret: SECRET, adminAllowlist: [who.email], testerAllowlist: [], linkTtlMinutes: 15, sessionHours: 2, publicBaseUrl: 'https://bot.example.com' });
    const token = decodeURIComponent(new URL((await auth.signInLink(who)).url).searchParams.get('token') ?? '');
    const { setCookie, principal } = await auth.redeemLink(token);
    expect(setCookie).toMatch(/; Max-Age=7200; Secure$/);
    expect(principal).toMatchObject({ admin: true, via: 'link' });
  });
});

describe('the navigation', () => {
  it('offers the admin pages to admins only, and Compare and Best practices only once the server turns them on', () => {
    expect(pagesFor(false)).toEqual(['sessions']);
    expect(pagesFor(true)).toEqual(['sessions', 'training', 'quality', 'jobs']);
    // Compare shows a tester the replays of their own sessions (and is not for admins only).
    expect(pagesFor(false, ['compare', 'practices'])).toEqual(['sessions', 'compare', 'practices']);
    expect(pagesFor(true, ['practices'])).toEqual(['sessions', 'practices', 'training', 'quality', 'jobs']);
    expect(pagesFor(true, ['compare', 'practices'])).toEqual(['sessions', 'compare', 'practices', 'training', 'quality', 'jobs']);
  });
});
