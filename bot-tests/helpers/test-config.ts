/**
 * The configuration both test harnesses give the real app (bot-harness: TestAdapter; wire-harness: the
 * real server): ERA's prompt, a signing secret, a public address, and Claude at the loopback fake when
 * there is one (offline otherwise). ENV goes over these.
 */
import { type Config, loadConfig } from '../../src/config';
import type { FakeAnthropic } from './fake-anthropic';

export function testAppConfig(fake: FakeAnthropic | null, env: Record<string, string> = {}): Config {
  return loadConfig({
    MASTER_PROMPT_PATH: 'examples/era/MASTER_PROMPT.md',
    EXPORT_SIGNING_SECRET: 'test-secret-that-is-long-enough-0123456789',
    PUBLIC_BASE_URL: 'http://bot.test',
    ...(fake ? { ANTHROPIC_API_KEY: 'sk-test', ANTHROPIC_BASE_URL: fake.baseURL } : {}),
    ...env,
  });
}
