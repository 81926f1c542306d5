/** Chooses how ERA answers: Claude when a client is configured, the labelled offline stand-in otherwise. */
import type Anthropic from '@anthropic-ai/sdk';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { createClaudeResponder } from './claude-responder';
import { createOfflineResponder } from './offline-responder';
import type { EraResponder } from './types';

/** What createEraResponder needs; `client` is null when there is no API key (see createClaudeClient). */
export interface EraResponderDeps {
  anthropic: Config['anthropic'];
  client: Anthropic | null;
  logger: Logger;
}

/**
 * Creates ERA's responder: Claude mode with a client, offline mode (no network, deterministic,
 * labelled as not Claude's answer) without one.
 */
export function createEraResponder(deps: EraResponderDeps): EraResponder {
  if (deps.client) {
    return createClaudeResponder({ anthropic: deps.anthropic, client: deps.client, logger: deps.logger });
  }
  deps.logger.warn({ component: 'era', mode: 'offline' }, 'no ANTHROPIC_API_KEY: ERA answers in offline mode');
  return createOfflineResponder({ logger: deps.logger });
}
