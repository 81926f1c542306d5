/**
 * Sign-in outside Teams: `/dashboard` in the chat gives a short-lived link carrying a signed token;
 * the server trades it for a session cookie (HttpOnly, SameSite=Strict, Secure on https) holding
 * another signed token. Both are HS256 JWTs (jose) under keys derived from the export signing
 * secret, one per purpose, so a link cannot serve as a session nor an export link as either.
 */
import { createHmac } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';

export type SignedPurpose = 'link' | 'session';

export interface SignedIdentity {
  testerId: string;
  name: string | null;
  email: string | null;
}

const AUDIENCE: Record<SignedPurpose, string> = { link: 'tuning-bot/dashboard-link', session: 'tuning-bot/dashboard-session' };

/** A link or session token that is forged, altered, expired or for another purpose. */
export class SignedTokenError extends Error {
  constructor(readonly reason: string) {
    super(`dashboard token rejected: ${reason}`);
    this.name = 'SignedTokenError';
  }
}

function keyFor(secret: string, purpose: SignedPurpose): Uint8Array {
  return createHmac('sha256', secret).update(`tuning-bot dashboard ${purpose} v1`).digest();
}

/** Signs an identity for `ttlSeconds` from `now` (epoch ms). */
export async function signIdentity(secret: string, purpose: SignedPurpose, who: SignedIdentity, ttlSeconds: number, now: number = Date.now()): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ n: who.name, e: who.email })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(who.testerId)
    .setAudience(AUDIENCE[purpose])
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keyFor(secret, purpose));
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Checks signature, purpose and expiry (no skew: we made it); returns the identity or throws SignedTokenError. */
export async function verifyIdentity(secret: string, purpose: SignedPurpose, token: string, now: number = Date.now()): Promise<SignedIdentity> {
  if (token.length > 4096) throw new SignedTokenError('too long');
  try {
    const { payload } = await jwtVerify(token, keyFor(secret, purpose), { algorithms: ['HS256'], audience: AUDIENCE[purpose], currentDate: new Date(now), requiredClaims: ['exp', 'sub'] });
    const sub = payload.sub;
    if (!sub) throw new SignedTokenError('no subject');
    return { testerId: sub, name: typeof payload.n === 'string' ? payload.n : null, email: typeof payload.e === 'string' ? payload.e : null };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw new SignedTokenError(err.code);
    throw err;
  }
}
