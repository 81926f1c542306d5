/** Configuration of the data-handling settings: API keys, redaction, anonymisation, retention. */
import { loadConfig } from '../src/config';

describe('data-handling configuration', () => {
  it('is off or empty by default: no API keys, no redaction, no scheduled retention', () => {
    const c = loadConfig({});
    expect(c.apiKeys).toEqual([]);
    expect(c.privacy).toEqual({ redact: [], anonymizeSecret: undefined });
    expect(c.retention).toBeNull();
  });

  it('reads keys (case kept), redaction kinds and a retention schedule', () => {
    const hashed = `sha256:${'a'.repeat(64)}`;
    const c = loadConfig({
      API_KEYS: `Key-One-ABCDEFGHIJKLMNOPQRSTUV, ${hashed}`,
      REDACT_PII: 'emails, phones',
      EXPORT_SIGNING_SECRET: 's'.repeat(32),
      RETENTION_DAYS: '90',
      RETENTION_ARCHIVE: 'true',
      RETENTION_TIME_UTC: '02:30',
    });
    expect(c.apiKeys).toEqual(['Key-One-ABCDEFGHIJKLMNOPQRSTUV', hashed]);
    expect(c.privacy).toEqual({ redact: ['emails', 'phones'], anonymizeSecret: 's'.repeat(32) });
    expect(c.retention).toEqual({ days: 90, archive: true, timeUtc: '02:30', batchSessions: 100 });
    expect(loadConfig({ REDACT_PII: 'none' }).privacy.redact).toEqual([]);
    expect(loadConfig({ ANONYMIZE_SECRET: 'x'.repeat(40), EXPORT_SIGNING_SECRET: 's'.repeat(32) }).privacy.anonymizeSecret).toBe('x'.repeat(40));
  });

  it.each([
    [{ API_KEYS: 'short' }, /API_KEYS: each key must be at least 24 characters/],
    [{ API_KEYS: 'sha256:abc' }, /API_KEYS: each key must be at least 24 characters/],
    [{ REDACT_PII: 'emails,addresses' }, /REDACT_PII: use emails, phones/],
    [{ ANONYMIZE_SECRET: 'short' }, /ANONYMIZE_SECRET: must be at least 32 characters/],
    [{ RETENTION_DAYS: '0' }, /RETENTION_DAYS: Number must be greater than or equal to 1/],
    [{ RETENTION_DAYS: 'ninety' }, /RETENTION_DAYS: Expected number/],
    [{ RETENTION_ARCHIVE: 'maybe' }, /RETENTION_ARCHIVE: Invalid enum value/],
    [{ RETENTION_TIME_UTC: '25:00' }, /RETENTION_TIME_UTC: must be HH:MM/],
    [{ RETENTION_BATCH_SESSIONS: '0' }, /RETENTION_BATCH_SESSIONS: Number must be greater than or equal to 1/],
  ])('rejects %o naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
