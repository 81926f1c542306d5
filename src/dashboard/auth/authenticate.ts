/**
 * One question for every dashboard request: who is this? In order: a bearer token (Teams SSO), the
 * session cookie a sign-in link set, then local mode. Anything else is 401 with a generic body; a
 * valid identity the bot would refuse (TESTER_ALLOWLIST) is 403. Reasons go to the log only.
 */
import type { IncomingMessage } from 'node:http';
import { isAdmin, LOCAL_TESTER_ID, mayUseBot, type Principal } from './principal';
import { SignedTokenError, signIdentity, verifyIdentity, type SignedIdentity } from './signed-tokens';
import { createTeamsSsoVerifier, SsoTokenError, type TeamsSsoOptions } from './teams-sso';

export const SESSION_COOKIE = 'tb_dashboard';

export interface DashboardAuthOptions {
  /** Teams SSO settings; null when the bot has no app id (local mode). */
  teams: TeamsSsoOptions | null;
  /** HMAC secret the link and session keys are derived from (the export signing secret). */
  secret: string;
  adminAllowlist: readonly string[];
  testerAllowlist: readonly string[];
  linkTtlMinutes: number;
  sessionHours: number;
  /** Where the bot is reached; links point here and cookies are Secure when it is https. */
  publicBaseUrl: string;
  now?: () => number;
}

export type AuthOutcome = { ok: true; principal: Principal } | { ok: false; status: 401 | 403; reason: string };

export interface DashboardAuth {
  /** Who sent the request, or why not. */
  authenticate(req: IncomingMessage): Promise<AuthOutcome>;
  /** A link that signs the tester in (the `/dashboard` chat command). */
  signInLink(who: SignedIdentity): Promise<{ url: string; expiresAt: Date }>;
  /** Trades a link token for a Set-Cookie value; throws SignedTokenError when the link is not good. */
  redeemLink(token: string): Promise<{ setCookie: string; principal: Principal }>;
  /** Whether local mode is on (no app id): loopback requests need no sign-in. */
  readonly localMode: boolean;
}

const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;
const LOOPBACK_HOST = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d+)?$/i;

/**
 * A request from this machine to a loopback name, not relayed: a tunnel or reverse proxy forwarding to
 * localhost shows a loopback peer, but it names another Host or adds Forwarded / X-Forwarded-For.
 */
export function isLocalRequest(req: IncomingMessage): boolean {
  const peer = req.socket.remoteAddress ?? '';
  const host = req.headers.host ?? '';
  return LOOPBACK_ADDRESS.test(peer) && LOOPBACK_HOST.test(host) && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Builds the authenticator. */
export function createDashboardAuth(options: DashboardAuthOptions): DashboardAuth {
  const now = options.now ?? Date.now;
  const verifySso = options.teams ? createTeamsSsoVerifier({ ...options.teams, now }) : null;
  const secure = options.publicBaseUrl.startsWith('https://');
  const principalOf = (who: SignedIdentity, via: Principal['via']): AuthOutcome => {
    if (!mayUseBot(options.testerAllowlist, options.adminAllowlist, who.testerId, who.email)) return { ok: false, status: 403, reason: 'not on the tester allowlist' };
    return { ok: true, principal: { ...who, admin: isAdmin(options.adminAllowlist, who.testerId, who.email), via } };
  };

  const authenticate = async (req: IncomingMessage): Promise<AuthOutcome> => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const m = /^Bearer ([A-Za-z0-9._~+/=-]{1,8192})$/.exec(authorization);
      if (!m?.[1]) return { ok: false, status: 401, reason: 'malformed authorization header' };
      if (!verifySso) return { ok: false, status: 401, reason: 'bearer token but Teams SSO is not configured (no MicrosoftAppId)' };
      try {
        const id = await verifySso(m[1]);
        return principalOf({ testerId: id.oid, name: id.name, email: id.email }, 'teams-sso');
      } catch (err) {
        if (err instanceof SsoTokenError) return { ok: false, status: 401, reason: err.reason };
        throw err;
      }
    }
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (cookie) {
      try {
        return principalOf(await verifyIdentity(options.secret, 'session', cookie, now()), 'link');
      } catch (err) {
        if (!(err instanceof SignedTokenError)) throw err;
        // A stale cookie on this machine still falls through to local mode.
        if (!(options.teams === null && isLocalRequest(req))) return { ok: false, status: 401, reason: `session cookie: ${err.reason}` };
      }
    }
    if (options.teams === null && isLocalRequest(req)) {
      return { ok: true, principal: { testerId: LOCAL_TESTER_ID, name: 'Local user', email: null, admin: true, via: 'local' } };
    }
    return { ok: false, status: 401, reason: 'no credentials' };
  };

  return {
    localMode: options.teams === null,
    authenticate,
    signInLink: async (who) => {
      const { token, expiresAt } = await signIdentity(options.secret, 'link', who, options.linkTtlMinutes * 60, now());
      return { url: `${options.publicBaseUrl}/dashboard/signin?token=${encodeURIComponent(token)}`, expiresAt };
    },
    redeemLink: async (token) => {
      const who = await verifyIdentity(options.secret, 'link', token, now());
      const outcome = principalOf(who, 'link');
      if (!outcome.ok) throw new SignedTokenError(outcome.reason);
      const { token: session } = await signIdentity(options.secret, 'session', who, options.sessionHours * 3600, now());
      const attrs = [`${SESSION_COOKIE}=${session}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${String(options.sessionHours * 3600)}`];
      if (secure) attrs.push('Secure');
      return { setCookie: attrs.join('; '), principal: outcome.principal };
    },
  };
}
