/**
 * The parts a replay needs, real and local: a migrated database with the shipped knowledge base
 * ingested, the full-text retriever, ERA through the real SDK against the loopback fake (answering with
 * fake-insights' deterministic ERA, the judge and the suggester), the judge, and a recording call log.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Config } from '../../src/config';
import { createClaudeResponder, createOfflineResponder, createPromptSource, type EraResponder } from '../../src/era';
import { createFullTextRetriever, ingestKnowledge } from '../../src/era/retrieval';
import { createJudge, type Judge, type ReplayDeps, type SuggestDeps } from '../../src/insights';
import type { Logger } from '../../src/logger';
import { capturingLogger, type LogLine } from './capturing-logger';
import type { TestDatabase } from './db';
import type { FakeAnthropic } from './fake-anthropic';
import { eraReply } from './fake-insights';
import { fakeClient, recordingCallLog } from './insights-fixtures';

export const RUBRIC = `${__dirname}/../../examples/era/JUDGE_RUBRIC.md`;
export const KNOWLEDGE = `${__dirname}/../../examples/era/knowledge`;

export function anthropicConfig(baseURL: string): Config['anthropic'] {
  return { apiKey: 'sk-test', baseURL, model: 'claude-sonnet-5-5', maxTokens: 1024, maxRetries: 0, timeoutMs: 60_000 };
}

export interface World {
  client: Anthropic | null;
  era: EraResponder;
  judge: Judge;
  calls: ReturnType<typeof recordingCallLog>;
  logger: Logger;
  lines: LogLine[];
  replay: ReplayDeps;
  suggest(promptPath: string): SuggestDeps;
}

/** Ingests the knowledge base once per database (idempotent). */
export async function withKnowledge(t: TestDatabase): Promise<void> {
  await ingestKnowledge(t.db, KNOWLEDGE);
}

/** Builds the parts; `online: false` is offline mode (no client anywhere). */
export function world(t: TestDatabase, fake: FakeAnthropic, options: { online?: boolean; retrieval?: boolean } = {}): World {
  const online = options.online ?? true;
  fake.reply((body) => eraReply(body));
  const { logger, lines } = capturingLogger();
  const calls = recordingCallLog(t.db, logger);
  const client = online ? fakeClient(fake.baseURL) : null;
  const anthropic = anthropicConfig(fake.baseURL);
  const era = client ? createClaudeResponder({ anthropic, client, logger }) : createOfflineResponder({ logger });
  const judge = createJudge({ db: t.db, client, model: 'claude-haiku-5-5', rubricPath: RUBRIC, callLog: calls, logger });
  const retriever = options.retrieval === false ? null : createFullTextRetriever(t.db, { topK: 5, minSimilarity: 0.08 });
  return {
    client, era, judge, calls, logger, lines,
    replay: { db: t.db, era, anthropic, retriever, judge, callLog: calls, logger, historyTurns: 20 },
    suggest: (promptPath) => ({ db: t.db, client, model: anthropic.model, prompt: createPromptSource(promptPath), callLog: calls, logger }),
  };
}
