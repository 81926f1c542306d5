/**
 * Authentication of the bot's JSON APIs (/api/…): one small module every API route uses.
 *
 * - Deployed (Bot Framework credentials configured): a request needs `Authorization: Bearer <key>` with
 *   a key from API_KEYS. Keys are held only as SHA-256 digests (API_KEYS may give `sha256:<hex>` so the
 *   plain key is never stored) and compared in constant time against every configured digest, so
 *   neither the timing nor the answer tells which key, or how much of one, matched.
 * - Local mode (no MicrosoftAppId: the server binds to 127.0.0.1 unless HOST says otherwise): open, as
 *   the bot itself is.
 * A refusal is a bare 401 with `WWW-Authenticate: Bearer`: no detail of what was wrong.
 * A Teams SSO token path can join later as another principal kind (a tester, scoped to their own data).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** Who is calling. `admin` principals may read every tester's data; others only their own. */
export type ApiPrincipal =
  | { kind: 'local'; admin: true }
  | { kind: 'api-key'; admin: true; keyId: string }
  | { kind: 'tester'; admin: boolean; testerId: string };

/** The part of a request authentication reads. */
export interface ApiRequest {
  headers: IncomingHttpHeaders;
}

export interface ApiAuth {
  /** Whether requests must carry credentials (false in local mode). */
  readonly required: boolean;
  /** The caller, or null when the request must be refused with 401. */
  authenticate(req: ApiRequest): ApiPrincipal | null;
}

export interface ApiAuthOptions {
  /** True when the bot runs with Bot Framework credentials (config.auth set). */
  required: boolean;
  /** API_KEYS: plain keys, or `sha256:<64 hex>` digests of keys. */
  apiKeys: readonly string[];
}

const DIGEST_PREFIX = 'sha256:';

function digestOf(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The configured keys as digests; a `sha256:` entry is taken as the digest itself. */
function digests(keys: readonly string[]): Buffer[] {
  return keys.map((k) => (k.startsWith(DIGEST_PREFIX) ? Buffer.from(k.slice(DIGEST_PREFIX.length), 'hex') : digestOf(k)));
}

/** The bearer token of an Authorization header, or null. */
function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m?.[1] ?? null;
}

/** Creates the authenticator. */
export function createApiAuth(options: ApiAuthOptions): ApiAuth {
  const known = digests(options.apiKeys);
  return {
    required: options.required,
    authenticate(req) {
      if (!options.required) return { kind: 'local', admin: true };
      const token = bearerToken(req.headers.authorization);
      if (token === null || token.length > 512) return null;
      const presented = digestOf(token);
      let matched: Buffer | null = null;
      // Every digest is compared, whatever matched first: the time does not depend on which key it is.
      for (const d of known) {
        if (d.length === presented.length && timingSafeEqual(d, presented)) matched = d;
      }
      return matched ? { kind: 'api-key', admin: true, keyId: matched.toString('hex').slice(0, 8) } : null;
    },
  };
}

/** Sends a JSON body with the headers every API answer carries. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

/** The 401 every API gives without valid credentials: nothing about why. */
export function sendUnauthorized(res: ServerResponse): void {
  sendJson(res, 401, { success: false, error: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer realm="tuning-bot"' });
}
