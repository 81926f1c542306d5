/**
 * Tokens on /api/messages with MicrosoftAppId set (issue 9, failure 4): botframework-connector's
 * OpenID metadata URLs point at a loopback key server, so real tokens can be minted and checked.
 * A forged or invalid token gets 401, unreachable key metadata 503, a valid token 200; no body
 * names a URL or an internal error.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { testDbKinds } from './helpers/db';
import { startWire, type Wire } from './helpers/wire-harness';

const APP_ID = '00000000-0000-0000-0000-00000000abcd';
const ISSUER = 'https://api.botframework.com';

interface KeyServer {
  base: string;
  close(): Promise<void>;
}

async function startKeyServer(publicKey: KeyObject): Promise<KeyServer> {
  const jwk = publicKey.export({ format: 'jwk' });
  let base = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/openid') res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
    else if (req.url === '/keys') res.end(JSON.stringify({ keys: [{ ...jwk, kid: 'good-key', kty: 'RSA', use: 'sig', endorsements: ['msteams'] }] }));
    else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`;
  return { base, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }) };
}

function jwt(privateKey: KeyObject, claims: Record<string, unknown>, kid = 'good-key'): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${enc({ alg: 'RS256', typ: 'JWT', kid })}.${enc({ iss: ISSUER, aud: APP_ID, nbf: now - 60, exp: now + 600, ...claims })}`;
  return `${head}.${sign('RSA-SHA256', Buffer.from(head), privateKey).toString('base64url')}`;
}

/**
 * The public cloud's settings with the OpenID metadata at `metadataUrl`: botframework-connector takes
 * custom endpoints only as a whole set (any one given, the rest are not defaulted).
 */
const cloudWithKeysAt = (metadataUrl: string) => ({
  ValidateAuthority: true,
  ToChannelFromBotLoginUrl: 'https://login.microsoftonline.com/botframework.com',
  ToChannelFromBotOAuthScope: 'https://api.botframework.com',
  ToBotFromChannelTokenIssuer: ISSUER,
  OAuthUrl: 'https://api.botframework.com',
  ToBotFromChannelOpenIdMetadataUrl: metadataUrl,
  ToBotFromEmulatorOpenIdMetadataUrl: metadataUrl,
  CallerId: 'urn:botframework:azure',
});

const AUTH_ENV = { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'not-a-real-secret', MicrosoftAppType: 'MultiTenant' };

describe.each(testDbKinds)('tokens on /api/messages (%s)', (kind) => {
  const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let keys: KeyServer;
  let wire: Wire;
  beforeAll(async () => {
    keys = await startKeyServer(good.publicKey);
    wire = await startWire(kind, {
      offline: true,
      env: AUTH_ENV,
      authOverrides: cloudWithKeysAt(`${keys.base}/openid`),
    });
  }, 180_000);
  afterAll(async () => {
    await wire.close();
    await keys.close();
  });

  const turns = async () => (await wire.t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length;
  const noInternals = (body: unknown) => {
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/https?:|127\.0\.0\.1|openid|jwks|stack|signature|Error:/i);
  };

  it.each([
    ['a token signed by another key', () => jwt(other.privateKey, { serviceurl: wire.connector.serviceUrl })],
    ['a token for another app', () => jwt(good.privateKey, { aud: 'someone-else', serviceurl: wire.connector.serviceUrl })],
    ['an expired token', () => jwt(good.privateKey, { exp: Math.floor(Date.now() / 1000) - 3600, serviceurl: wire.connector.serviceUrl })],
    ['a token naming a key the metadata does not have', () => jwt(other.privateKey, { serviceurl: wire.connector.serviceUrl }, 'unknown-key')],
    ['a malformed token', () => 'not.a.jwt'],
  ])('answers %s with 401, a body naming nothing internal, and no turn', async (_what, token) => {
    const before = await turns();
    const res = await wire.post(wire.message('sneaky question', { group: true }), { authorization: `Bearer ${token()}` });
    expect(res.status).toBe(401);
    noInternals(res.body);
    expect(await turns()).toBe(before);
    expect(wire.connector.requests).toHaveLength(0);
  });

  it('answers a valid token with 200', async () => {
    const res = await wire.post(wire.message('a real question', { group: true }), { authorization: `Bearer ${jwt(good.privateKey, { serviceurl: wire.connector.serviceUrl })}` });
    expect(res.status).toBe(200);
  });

  it('answers 503 with Retry-After when the key metadata cannot be reached, naming nothing internal', async () => {
    const down = await startWire(kind, {
      offline: true,
      env: AUTH_ENV,
      database: wire.t,
      // A port nothing listens on.
      authOverrides: cloudWithKeysAt('http://127.0.0.1:9/openid'),
    });
    try {
      const res = await fetch(`${down.base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt(good.privateKey, { serviceurl: down.connector.serviceUrl })}` },
        body: JSON.stringify(down.message('a question while keys are down', { group: true })),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      noInternals(await res.json());
    } finally {
      await down.close();
    }
  });
});
