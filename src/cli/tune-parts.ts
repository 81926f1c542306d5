/**
 * The tune CLI's composition: config → database (migrated, knowledge ingested) → Claude client (or none:
 * offline) → the tuning loop's services. Logs go to stderr at warn, so tables on stdout stay readable.
 */
import pino from 'pino';
import { connectDatabase, type DatabaseHandle, type DatabaseTarget, migrateToLatest } from '../../db';
import type { Config } from '../config';
import { createEraResponder, createPromptSource } from '../era';
import { createFullTextRetriever, ingestKnowledge } from '../era/retrieval';
import { type BatchReplayDeps, createJudge, type Judge, type RescoreDeps, type SuggestDeps } from '../insights';
import { type CallLog, createCallLog, createClaudeClient, loadPricing } from '../llm';
import { createLogger, type Logger } from '../logger';

export interface TuneParts {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  callLog: CallLog;
  judge: Judge;
  online: boolean;
  replay: BatchReplayDeps;
  rescore: RescoreDeps;
  suggest: SuggestDeps;
}

/** Builds the parts (on `database` instead of the configured one when given); close the database when done. */
export async function buildParts(config: Config, options: { database?: DatabaseTarget } = {}): Promise<TuneParts> {
  const level = config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace' ? 'warn' : config.logLevel;
  const logger = createLogger(level, pino.destination(2));
  const database = await connectDatabase(options.database ?? config.database);
  try {
    await migrateToLatest(database.db);
    const knowledge = await ingestKnowledge(database.db, config.knowledgeDir);
    const db = database.db;
    const pricing = loadPricing({ file: config.modelPricingFile, logger });
    const callLog = createCallLog({ db, logger, pricing });
    const client = createClaudeClient(config.anthropic, { logger });
    const era = createEraResponder({ anthropic: config.anthropic, client, logger });
    const judge = createJudge({ db, client, model: config.judge.model, rubricPath: config.judge.rubricPath, callLog, logger });
    const retriever = knowledge.totalDocuments > 0 ? createFullTextRetriever(db, config.retrieval) : null;
    const pollMs = config.generationBatchPollMs;
    return {
      config, database, logger, callLog, judge, online: client !== null,
      replay: { db, era, anthropic: config.anthropic, retriever, judge, callLog, logger, historyTurns: config.historyTurns, client, pollMs },
      rescore: { db, judge, logger, client, callLog, pollMs },
      suggest: { db, client, model: config.anthropic.model, prompt: createPromptSource(config.promptPath), callLog, logger },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
