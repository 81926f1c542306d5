/** The one place an Anthropic client is constructed. */
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import type { Config } from '../config';
import type { Logger } from '../logger';

/** Optional extras for createClaudeClient. */
export interface ClaudeClientOptions {
  /**
   * Where the SDK's own messages go (each retry is logged at info, e.g. "failed with status 429 -
   * retrying"). Without it the SDK writes warnings and errors to the console.
   */
  logger?: Logger;
}

/**
 * Creates the Anthropic client from `config.anthropic`, or returns null when there is no API key (ERA
 * then answers in offline mode). The SDK's retries (429, 408, 409, 5xx, 529, connection errors, honouring
 * `retry-after`) and the per-request timeout come from the config.
 */
export function createClaudeClient(config: Config['anthropic'], options: ClaudeClientOptions = {}): Anthropic | null {
  if (!config.apiKey) return null;
  return new Anthropic({
    apiKey: config.apiKey,
    // null, not undefined: the SDK would otherwise read ANTHROPIC_BASE_URL itself, and config.ts is
    // the only reader of the environment.
    baseURL: config.baseURL ?? null,
    maxRetries: config.maxRetries,
    timeout: config.timeoutMs,
    ...(options.logger ? { logger: options.logger.child({ component: 'anthropic-sdk' }), logLevel: 'info' as const } : {}),
  });
}

/**
 * Whether ERR is an error the SDK raised for an API call. A guard rather than `instanceof`, whose
 * narrowing leaves the class's type parameters as `any`.
 */
export function isApiError(err: unknown): err is APIError {
  return err instanceof APIError;
}
