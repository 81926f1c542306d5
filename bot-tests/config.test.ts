/** Configuration: .env.example is valid as shipped, and every bad value names its variable. */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError, DEFAULT_MODEL, loadConfig } from '../src/config';

describe('configuration', () => {
  it('accepts .env.example as shipped, with the documented defaults', () => {
    const env = (parseEnv as (s: string) => Record<string, string>)(readFileSync('.env.example', 'utf8'));
    const c = loadConfig(env);
    expect(c).toMatchObject({
      port: 3978,
      host: '127.0.0.1',
      auth: null,
      database: { kind: 'pglite' },
      anthropic: { model: DEFAULT_MODEL, maxTokens: 1024, maxRetries: 2 },
      maxNoteChars: 4000,
      exportLinkTtlMinutes: 15,
      retrieval: { topK: 5, minSimilarity: 0.1 },
      streamUpdateIntervalMs: 1500,
      judge: { model: 'claude-haiku-5-5', concurrency: 2 },
      streaming: 'auto',
      turnQueue: { concurrency: 32, limit: 500 },
    });
    expect(c.publicBaseUrl).toBe('http://localhost:3978');
    expect(c.judge.rubricPath).toMatch(/examples\/era\/JUDGE_RUBRIC\.md$/);
  });

  it('binds to all interfaces only when Bot Framework auth is configured', () => {
    expect(loadConfig({ MicrosoftAppId: 'id', MicrosoftAppPassword: 'pw' }).host).toBe('0.0.0.0');
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT: Expected number/],
    [{ PORT: '70000' }, /PORT: Number must be less than or equal to 65535/],
    [{ DATABASE_URL: 'mysql://localhost/db' }, /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/],
    [{ MicrosoftAppId: 'abc' }, /MicrosoftAppPassword: is required when MicrosoftAppId is set/],
    [{ MicrosoftAppId: 'abc', MicrosoftAppPassword: 'x', MicrosoftAppType: 'SingleTenant' }, /MicrosoftAppTenantId: is required for SingleTenant/],
    [{ MicrosoftAppPassword: 'x' }, /MicrosoftAppId: is required when MicrosoftAppPassword/],
    [{ MicrosoftAppType: 'Whatever' }, /MicrosoftAppType: Invalid enum value/],
    [{ EXPORT_SIGNING_SECRET: 'short' }, /EXPORT_SIGNING_SECRET: must be at least 32 characters/],
    [{ RETRIEVAL_MIN_SIMILARITY: '2' }, /RETRIEVAL_MIN_SIMILARITY: Number must be less than or equal to 1/],
    [{ PUBLIC_BASE_URL: 'not a url' }, /PUBLIC_BASE_URL: Invalid url/],
    [{ JUDGE_CONCURRENCY: '0' }, /JUDGE_CONCURRENCY: Number must be greater than or equal to 1/],
    [{ JUDGE_MODEL: '' }, /JUDGE_MODEL: String must contain at least 1 character/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: Invalid enum value/],
  ])('names the variable in %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
