/**
 * Teams SSO for the tab: the page asks Teams for a token (authentication.getAuthToken) and sends it
 * as a bearer; here it is checked like any Entra ID access token for our app — RS256 signature
 * against the keys the OpenID metadata names, audience (the app's api:// resource or its id), issuer
 * (v2 or v1 form, for the token's own tenant, or the configured one for single-tenant apps), expiry
 * with two minutes of skew — and mapped to the tester id the bot uses: the AAD object id (`oid`).
 */
import { createRemoteJWKSet, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';

export interface TeamsSsoOptions {
  /** The bot's app id (MicrosoftAppId). */
  appId: string;
  /** The tab's SSO resource, api://<host>/<appId>. */
  resource: string;
  /** Single-tenant apps: only this tenant's tokens. */
  tenantId?: string;
  /** The OpenID metadata document; its jwks_uri gives the signing keys. */
  openIdConfigUrl: string;
  /** Seconds of clock skew allowed on exp and nbf. */
  clockToleranceSec?: number;
  now?: () => number;
}

/** A token that is not a valid Teams SSO token for this app; `reason` goes to the log, never to the caller. */
export class SsoTokenError extends Error {
  constructor(readonly reason: string) {
    super(`Teams SSO token rejected: ${reason}`);
    this.name = 'SsoTokenError';
  }
}

export interface SsoIdentity {
  oid: string;
  tid: string;
  name: string | null;
  email: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** The two issuer forms Entra ID uses for a tenant (v2.0 tokens, v1.0 tokens). */
export function issuersFor(tid: string): string[] {
  return [`https://login.microsoftonline.com/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
}

/** A verifier whose keys are fetched from the metadata on first use and cached (jose refreshes on unknown kid). */
export function createTeamsSsoVerifier(options: TeamsSsoOptions): (token: string) => Promise<SsoIdentity> {
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  const keys = async (): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    if (jwks) return jwks;
    const res = await fetch(options.openIdConfigUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`OpenID metadata answered ${String(res.status)}`);
    const meta = (await res.json()) as { jwks_uri?: unknown };
    const uri = str(meta.jwks_uri);
    if (!uri) throw new Error('OpenID metadata has no jwks_uri');
    jwks = createRemoteJWKSet(new URL(uri));
    return jwks;
  };
  return async (token) => {
    const jwkSet = await keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwkSet, {
        algorithms: ['RS256'],
        audience: [options.resource, options.appId, `api://${options.appId}`],
        clockTolerance: options.clockToleranceSec ?? 120,
        requiredClaims: ['exp', 'iss', 'aud'],
        ...(options.now ? { currentDate: new Date(options.now()) } : {}),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) throw new SsoTokenError(err.code);
      throw err;
    }
    const tid = str(payload.tid);
    const oid = str(payload.oid);
    if (!tid || !oid) throw new SsoTokenError('no tid or oid claim');
    if (options.tenantId && tid !== options.tenantId) throw new SsoTokenError('another tenant');
    if (!payload.iss || !issuersFor(tid).includes(payload.iss)) throw new SsoTokenError('issuer does not match the tenant');
    const email = str(payload.preferred_username) ?? str(payload.upn) ?? str(payload.email);
    return { oid, tid, name: str(payload.name), email: email?.toLowerCase() ?? null };
  };
}
