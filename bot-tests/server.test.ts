/** The HTTP surface: /api/messages through CloudAdapter (auth on and off), /healthz, the CSV link. */
import { Writable } from 'node:stream';
import type restify from 'restify';
import { type App, createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { listen } from '../src/server';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeConnector, startFakeConnector } from './helpers/fake-connector';

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));

async function start(t: TestDatabase, env: Record<string, string> = {}) {
  const config = loadConfig({ EXPORT_SIGNING_SECRET: 'server-test-secret-long-enough-0123456789', PORT: '3978', ...env });
  const app = createApp({ config, database: t, logger: quiet(), anthropic: null });
  const port = await listen(app.server, 0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${port}`, server: app.server };
}

/** A message is acknowledged before its turn runs: waits for the app's queued turns to finish. */
async function idle(app: App): Promise<void> {
  while (app.delivery.queue.size > 0) await new Promise((r) => setTimeout(r, 10));
}

function message(serviceUrl: string, text: string, id: string) {
  return {
    type: 'message',
    id,
    text,
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:http-user', name: 'Http Tester', aadObjectId: 'aad-http-1' },
    recipient: { id: '28:bot', name: 'Tuning Bot' },
    conversation: { id: 'a:http-conv', conversationType: 'groupChat' },
  };
}

describe.each(testDbKinds)('HTTP server on %s', (kind) => {
  let t: TestDatabase;
  let connector: FakeConnector;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    connector = await startFakeConnector();
  });
  afterAll(async () => {
    await connector.close();
    await t.dispose();
  });

  describe('without Bot Framework credentials', () => {
    let base: string;
    let server: restify.Server;
    let app: App;
    beforeAll(async () => {
      ({ base, server, app } = await start(t));
    });
    afterAll(() => server.close());

    it('answers /healthz with the database kind and the Claude mode', async () => {
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', database: { kind, reachable: true }, claude: { configured: false, mode: 'offline' }, auth: 'none (local only)' });
    });

    it('answers a malformed JSON body with 400, not 500', async () => {
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "message", ' });
      expect(res.status).toBe(400);
    });

    it('takes a real message over HTTP, replies through the connector, and serves the CSV behind /export', async () => {
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message(connector.serviceUrl, 'Is a no-call/no-show a firing offence?', 'm1')) });
      expect(res.status).toBe(200);
      await idle(app);
      const turns = await t.db.selectFrom('tuning_conversation_turns').selectAll().execute();
      expect(turns.map((x) => x.user_message)).toContain('Is a no-call/no-show a firing offence?');
      await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message(connector.serviceUrl, '/export', 'm2')) });
      await idle(app);
      const exportCard = connector.activities
        .flatMap((a) => (a.attachments as Array<{ content: { actions?: Array<{ url?: string }> } | undefined }> | undefined) ?? [])
        .find((att) => att.content?.actions?.[0]?.url?.includes('/exports/'));
      const link = exportCard!.content!.actions![0]!.url!.replace('http://localhost:3978', base);
      const csv = await fetch(link);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      const body = (await csv.text()).replace(/^\uFEFF/, '');
      const lines = body.trim().split(/\r?\n/);
      expect(lines[0]).toBe('turn_number,user_message,era_response,improvement_note,category,timestamp');
      expect(lines[1]).toMatch(/^1,Is a no-call\/no-show a firing offence\?,/);
      const forged = await fetch(link.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
      expect(forged.status).toBe(403);
    });
  });

  describe('with Bot Framework credentials', () => {
    let base: string;
    let server: restify.Server;
    beforeAll(async () => {
      ({ base, server } = await start(t, {
        MicrosoftAppId: '00000000-0000-0000-0000-00000000abcd',
        MicrosoftAppPassword: 'not-a-real-secret',
        MicrosoftAppType: 'MultiTenant',
      }));
    });
    afterAll(() => server.close());

    const countTurns = async () => (await t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length;

    it.each([
      ['no Authorization header', {}],
      ['a malformed token', { authorization: 'Bearer not.a.jwt' }],
      [
        'a forged token from an unknown issuer',
        {
          authorization: `Bearer ${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'x' })).toString('base64url')}.${Buffer.from(
            JSON.stringify({ iss: 'https://evil.example', aud: '00000000-0000-0000-0000-00000000abcd', exp: Math.floor(Date.now() / 1000) + 600 }),
          ).toString('base64url')}.c2lnbmF0dXJl`,
        },
      ],
    ])('rejects %s with 401 and touches nothing', async (_what, headers) => {
      const before = await countTurns();
      const res = await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(message(connector.serviceUrl, 'sneaky question', `x-${Math.random()}`)),
      });
      expect(res.status).toBe(401);
      expect(await countTurns()).toBe(before);
    });

    it('reports auth in /healthz', async () => {
      expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ auth: 'bot-framework' });
    });
  });
});
