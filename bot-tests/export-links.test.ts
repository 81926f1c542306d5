import { createHmac } from 'node:crypto';
import {
  createExportToken,
  ExportLinkError,
  type ExportLinkErrorReason,
  MAX_EXPORT_TOKEN_LENGTH,
  verifyExportToken,
} from '../src/tuning/export-links';

const secret = 'test-secret-0123456789-abcdefghijklmnop';
const otherSecret = 'another-secret-0123456789-abcdefghijklm';
const now = Date.UTC(2025, 9, 24, 10, 0, 0);
const claims = { sessionId: '3f8a1c2e-1111-4222-8333-444455556666', testerId: 'aad-object-id-1' };

function reasonOf(token: string, key = secret, at = now): ExportLinkErrorReason | 'accepted' {
  try {
    verifyExportToken(token, key, at);
    return 'accepted';
  } catch (err) {
    if (err instanceof ExportLinkError) return err.reason;
    throw err;
  }
}

/** Signs an arbitrary payload part with the real secret: a token only a bug of ours could make. */
function signRaw(payloadPart: string): string {
  return `${payloadPart}.${createHmac('sha256', secret).update(payloadPart).digest('base64url')}`;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('export links', () => {
  const { token, expiresAt } = createExportToken(claims, secret, 15, now);
  const [payloadPart, signaturePart] = token.split('.') as [string, string];

  it('round-trips the session, the tester and the expiry', () => {
    expect(expiresAt.toISOString()).toBe('2025-10-24T10:15:00.000Z');
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyExportToken(token, secret, now)).toEqual({ ...claims, expiresAt });
    expect(JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'))).toEqual({ s: claims.sessionId, t: claims.testerId, exp: expiresAt.getTime() });
  });

  it('is valid until the last millisecond before expiry, and expired from it on', () => {
    expect(reasonOf(token, secret, expiresAt.getTime() - 1)).toBe('accepted');
    expect(reasonOf(token, secret, expiresAt.getTime())).toBe('expired');
    expect(reasonOf(token, secret, expiresAt.getTime() + 86_400_000)).toBe('expired');
  });

  it('throws a typed error carrying the reason', () => {
    expect(() => verifyExportToken(token, secret, expiresAt.getTime())).toThrow(ExportLinkError);
    expect(() => verifyExportToken(token, secret, expiresAt.getTime())).toThrow('export link rejected: expired');
  });

  it('rejects a token signed with another secret', () => {
    expect(reasonOf(token, otherSecret)).toBe('bad_signature');
    expect(reasonOf(createExportToken(claims, otherSecret, 15, now).token)).toBe('bad_signature');
  });

  it('rejects a tampered payload: another session, another tester, a later expiry', () => {
    const forge = (p: object) => `${b64(JSON.stringify(p))}.${signaturePart}`;
    expect(reasonOf(forge({ s: '00000000-0000-4000-8000-000000000000', t: claims.testerId, exp: expiresAt.getTime() }))).toBe('bad_signature');
    expect(reasonOf(forge({ s: claims.sessionId, t: 'aad-someone-else', exp: expiresAt.getTime() }))).toBe('bad_signature');
    expect(reasonOf(forge({ s: claims.sessionId, t: claims.testerId, exp: expiresAt.getTime() + 3_600_000 }))).toBe('bad_signature');
    // One character changed anywhere in the payload part.
    for (let i = 0; i < payloadPart.length; i += 7) {
      const c = payloadPart[i] === 'A' ? 'B' : 'A';
      const tampered = `${payloadPart.slice(0, i)}${c}${payloadPart.slice(i + 1)}.${signaturePart}`;
      expect(['bad_signature', 'malformed']).toContain(reasonOf(tampered));
    }
  });

  it('rejects a tampered signature, including a change only in the unused low bits of its last character', () => {
    const flipFirst = `${payloadPart}.${signaturePart[0] === 'A' ? 'B' : 'A'}${signaturePart.slice(1)}`;
    expect(reasonOf(flipFirst)).toBe('bad_signature');
    // 32 bytes are 43 base64url characters; the last one carries 4 bits and 2 unused ones. Node's
    // decoder ignores those, so without the canonical check this variant would verify.
    const last = signaturePart[signaturePart.length - 1] as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const lookalike = `${payloadPart}.${signaturePart.slice(0, -1)}${sibling}`;
    expect(Buffer.from(lookalike.split('.')[1] as string, 'base64url')).toEqual(Buffer.from(signaturePart, 'base64url'));
    expect(reasonOf(lookalike)).toBe('malformed');
  });

  it('rejects truncated tokens', () => {
    // A cut signature is either a non-canonical spelling (malformed) or too short (bad_signature).
    for (let cut = 1; cut < signaturePart.length; cut += 1) {
      expect(['malformed', 'bad_signature']).toContain(reasonOf(token.slice(0, -cut)));
    }
    expect(reasonOf(`${payloadPart}.${signaturePart.slice(0, 40)}`)).toBe('bad_signature');
    expect(reasonOf(`${payloadPart}.`)).toBe('malformed');
    expect(reasonOf(payloadPart)).toBe('malformed');
    expect(reasonOf(`.${signaturePart}`)).toBe('malformed');
    expect(reasonOf(token.slice(0, 5))).toBe('malformed');
    expect(reasonOf('')).toBe('malformed');
  });

  it('rejects extra dots and extra parts', () => {
    expect(reasonOf(`${token}.`)).toBe('malformed');
    expect(reasonOf(`${token}.${signaturePart}`)).toBe('malformed');
    expect(reasonOf(`${payloadPart}..${signaturePart}`)).toBe('malformed');
    expect(reasonOf(`.${token}`)).toBe('malformed');
  });

  it('rejects characters outside base64url', () => {
    for (const bad of ['+', '/', '=', ' ', '%2E', '\n', 'é', '\u0000']) {
      expect(reasonOf(`${payloadPart}${bad}.${signaturePart}`)).toBe('malformed');
      expect(reasonOf(`${payloadPart}.${signaturePart}${bad}`)).toBe('malformed');
    }
    // Standard base64 of the same bytes is not accepted either.
    expect(reasonOf(`${payloadPart}.${Buffer.from(signaturePart, 'base64url').toString('base64')}`)).toBe('malformed');
  });

  it('rejects a huge token before decoding it', () => {
    const huge = `${'A'.repeat(MAX_EXPORT_TOKEN_LENGTH)}.${signaturePart}`;
    expect(reasonOf(huge)).toBe('malformed');
    expect(reasonOf('A'.repeat(1_000_000))).toBe('malformed');
  });

  it('rejects a correctly signed payload that is not ours', () => {
    expect(reasonOf(signRaw(b64('not json')))).toBe('malformed');
    expect(reasonOf(signRaw(b64('[1,2]')))).toBe('malformed');
    expect(reasonOf(signRaw(b64('null')))).toBe('malformed');
    expect(reasonOf(signRaw(b64(JSON.stringify({ s: claims.sessionId, t: claims.testerId }))))).toBe('malformed');
    expect(reasonOf(signRaw(b64(JSON.stringify({ s: claims.sessionId, t: '', exp: now + 1000 }))))).toBe('malformed');
    expect(reasonOf(signRaw(b64(JSON.stringify({ s: 42, t: claims.testerId, exp: now + 1000 }))))).toBe('malformed');
    expect(reasonOf(signRaw(b64(JSON.stringify({ s: claims.sessionId, t: claims.testerId, exp: '9999999999999' }))))).toBe('malformed');
    expect(reasonOf(signRaw(b64(JSON.stringify({ s: claims.sessionId, t: claims.testerId, exp: now + 1000 }))))).toBe('accepted');
  });

  it('makes a different token for a different tester, session or expiry', () => {
    const tokens = new Set([
      token,
      createExportToken({ ...claims, testerId: 'aad-other' }, secret, 15, now).token,
      createExportToken({ ...claims, sessionId: '00000000-0000-4000-8000-000000000000' }, secret, 15, now).token,
      createExportToken(claims, secret, 16, now).token,
    ]);
    expect(tokens.size).toBe(4);
  });

  it('refuses a short secret, a non-positive TTL and empty ids', () => {
    expect(() => createExportToken(claims, 'short', 15, now)).toThrow(RangeError);
    expect(() => verifyExportToken(token, 'short', now)).toThrow(RangeError);
    expect(() => createExportToken(claims, secret, 0, now)).toThrow(RangeError);
    expect(() => createExportToken(claims, secret, Number.NaN, now)).toThrow(RangeError);
    expect(() => createExportToken({ ...claims, testerId: '' }, secret, 15, now)).toThrow(RangeError);
  });

  it('uses the current time by default', () => {
    const fresh = createExportToken(claims, secret, 1);
    expect(fresh.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(verifyExportToken(fresh.token, secret).sessionId).toBe(claims.sessionId);
  });
});
