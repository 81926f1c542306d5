/**
 * Signed, expiring export links. A token is `base64url(JSON {s, t, exp}) + "." +
 * base64url(HMAC-SHA256(first part, secret))`: stateless, so any bot instance holding the secret can
 * serve a link another instance made. The payload is signed, not encrypted; it holds the session id
 * and the tester's AAD object id, which are not secret. The token itself is a bearer credential:
 * never log it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { TuningError } from './errors';

/** Who may download what. */
export interface ExportLinkClaims {
  sessionId: string;
  testerId: string;
  /** The download is anonymised this way (spec 004); absent: as stored (with the configured redaction). */
  anonymize?: 'strip' | 'pseudonymize';
}

export interface VerifiedExportLink extends ExportLinkClaims {
  expiresAt: Date;
}

export interface CreatedExportLink {
  token: string;
  expiresAt: Date;
}

export type ExportLinkErrorReason = 'malformed' | 'bad_signature' | 'expired';

/** A token that cannot be honoured, and why. */
export class ExportLinkError extends TuningError {
  readonly userMessage: string;
  constructor(readonly reason: ExportLinkErrorReason) {
    super(`export link rejected: ${reason}`);
    this.userMessage = reason === 'expired' ? 'This download link has expired: send /export again for a fresh one.' : 'This download link is not valid: send /export again for a fresh one.';
  }
}

/** Longer tokens are refused before any decoding or hashing: a cheap guard against junk. */
export const MAX_EXPORT_TOKEN_LENGTH = 2048;
/** HMAC-SHA256 keys shorter than the hash add no strength; the config asks for as much. */
export const MIN_EXPORT_SECRET_LENGTH = 32;
const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Claims are ids; anything near this long was not made by us. */
const MAX_CLAIM_LENGTH = 256;

interface Payload {
  s: string;
  t: string;
  exp: number;
  /** Anonymisation mode, signed with the rest so a link holder cannot drop it. */
  a?: 'strip' | 'pseudonymize';
}

function checkSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length < MIN_EXPORT_SECRET_LENGTH) {
    throw new RangeError(`the export signing secret must be at least ${MIN_EXPORT_SECRET_LENGTH} characters`);
  }
}

function sign(payloadPart: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payloadPart, 'ascii').digest();
}

/**
 * Decodes strict base64url. Node's decoder skips characters it does not know and ignores the unused
 * low bits of the last character, so several strings decode to the same bytes; re-encoding and
 * comparing accepts exactly one spelling, which keeps a token from having look-alike variants.
 */
function decodeBase64url(part: string): Buffer | null {
  if (!BASE64URL.test(part)) return null;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : null;
}

function isClaim(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CLAIM_LENGTH;
}

function parsePayload(bytes: Buffer): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { s, t, exp, a } = value as Record<string, unknown>;
  if (!isClaim(s) || !isClaim(t) || typeof exp !== 'number' || !Number.isSafeInteger(exp)) return null;
  if (a !== undefined && a !== 'strip' && a !== 'pseudonymize') return null;
  return a === undefined ? { s, t, exp } : { s, t, exp, a };
}

/**
 * Signs a link to a session's export for one tester, valid for `ttlMinutes` from `now` (epoch ms).
 * Throws RangeError on a secret shorter than 32 characters, a non-positive TTL or empty ids.
 */
export function createExportToken(claims: ExportLinkClaims, secret: string, ttlMinutes: number, now: number = Date.now()): CreatedExportLink {
  checkSecret(secret);
  if (!Number.isFinite(ttlMinutes) || ttlMinutes <= 0) throw new RangeError(`ttlMinutes must be positive, got ${ttlMinutes}`);
  if (!isClaim(claims.sessionId) || !isClaim(claims.testerId)) {
    throw new RangeError(`sessionId and testerId must be non-empty strings of at most ${MAX_CLAIM_LENGTH} characters`);
  }
  const exp = Math.floor(now + ttlMinutes * 60_000);
  const payload: Payload = { s: claims.sessionId, t: claims.testerId, exp, ...(claims.anonymize ? { a: claims.anonymize } : {}) };
  const payloadPart = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const token = `${payloadPart}.${sign(payloadPart, secret).toString('base64url')}`;
  return { token, expiresAt: new Date(exp) };
}

/**
 * Checks a token's shape, then its signature (in constant time), then its expiry, in that order, so
 * nothing from an unsigned payload is trusted. Returns the claims or throws ExportLinkError:
 * `malformed` (not a token of ours: wrong shape, not base64url, too long, bad payload),
 * `bad_signature` (signed with another secret, or altered), `expired` (`now` is at or past expiry).
 */
export function verifyExportToken(token: string, secret: string, now: number = Date.now()): VerifiedExportLink {
  checkSecret(secret);
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_EXPORT_TOKEN_LENGTH) {
    throw new ExportLinkError('malformed');
  }
  const parts = token.split('.');
  if (parts.length !== 2) throw new ExportLinkError('malformed');
  const [payloadPart, signaturePart] = parts as [string, string];
  const payloadBytes = decodeBase64url(payloadPart);
  const signature = decodeBase64url(signaturePart);
  if (!payloadBytes || !signature) throw new ExportLinkError('malformed');

  const expected = sign(payloadPart, secret);
  // timingSafeEqual needs equal lengths; a length differs only in a forged or cut token, and the
  // expected length is public anyway, so checking it first leaks nothing.
  if (signature.length !== SIGNATURE_BYTES || !timingSafeEqual(signature, expected)) {
    throw new ExportLinkError('bad_signature');
  }
  const payload = parsePayload(payloadBytes);
  if (!payload) throw new ExportLinkError('malformed');
  if (now >= payload.exp) throw new ExportLinkError('expired');
  return { sessionId: payload.s, testerId: payload.t, expiresAt: new Date(payload.exp), ...(payload.a ? { anonymize: payload.a } : {}) };
}
