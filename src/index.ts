/**
 * The composition root: config → database (migrated) → app → listening server.
 * Nothing else reads the environment or wires parts together.
 */
import { connectDatabase, DatabaseUnreachableError, migrateToLatest } from '../db';
import { createApp } from './app';
import { ConfigError, loadConfigFromProcess } from './config';
import { ingestKnowledge, KnowledgeDirNotFoundError, KnowledgeReadError } from './era/retrieval';
import { createLogger } from './logger';
import { listen } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let database;
  let knowledge;
  try {
    database = await connectDatabase(config.database, {
      onPoolError: (err) => { logger.error({ err }, 'database connection lost; the pool reconnects on the next query'); },
    });
    const ran = await migrateToLatest(database.db);
    logger.info({ database: database.describe, migrations: ran }, 'database ready');
    knowledge = await ingestKnowledge(database.db, config.knowledgeDir, { logger });
    logger.info({ dir: config.knowledgeDir, ...knowledge }, 'knowledge base ready');
    if (knowledge.totalDocuments === 0) logger.warn({ dir: config.knowledgeDir }, 'the knowledge base is empty: ERA answers without policy passages');
  } catch (err) {
    const where =
      err instanceof KnowledgeDirNotFoundError || err instanceof KnowledgeReadError ? 'KNOWLEDGE_DIR' : config.database.kind === 'postgres' ? 'DATABASE_URL' : 'PGLITE_DATA_DIR';
    const message = err instanceof DatabaseUnreachableError ? err.message : `Start-up failed: ${(err as Error).message}`;
    logger.fatal({ err }, message);
    console.error(`${message}\nCheck ${where}.`);
    process.exit(1);
  }

  const app = createApp({ config, database, logger, retrieval: knowledge.totalDocuments > 0 });
  if (!config.auth) {
    logger.warn(
      { host: config.host },
      'MicrosoftAppId is not set: the bot accepts unauthenticated requests (fine for the Agents Playground); it listens on 127.0.0.1 unless HOST says otherwise',
    );
  }
  const port = await listen(app.server, config.port, config.host);
  logger.info(
    { url: `http://${config.host}:${port}/api/messages`, database: database.kind, mode: app.era.mode, model: app.era.model },
    `Tuning Bot listening on ${config.host}:${port}`,
  );

  const schedules = app.startSchedules();

  // Generation jobs this bot was running when it stopped carry on, with their progress cards.
  app.jobRunner.resumeInterrupted().catch((err: unknown) => { logger.error({ err }, 'could not resume interrupted generation jobs'); });
  // The tuning loop: the last day's unjudged turns are queued, interrupted replays and suggestions carry on.
  app.insights.resume().catch((err: unknown) => { logger.error({ err }, 'could not resume the tuning loop'); });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Job runners release what they hold, so the next start resumes at once instead of waiting out leases.
    const jobsStopped = app.jobRunner.stop().catch((err: unknown) => { logger.error({ err }, 'error stopping generation jobs'); });
    const schedulesStopped = schedules.stop().catch((err: unknown) => { logger.error({ err }, 'error stopping scheduled tasks'); });
    // The judge finishes its calls in flight (unstarted turns are left for rescore); replays release their leases.
    const insightsStopped = app.insights.stop().catch((err: unknown) => { logger.error({ err }, 'error stopping the tuning loop'); });
    app.server.close(async () => {
      await Promise.all([jobsStopped, schedulesStopped, insightsStopped]);
      database
        .close()
        .catch((err: unknown) => { logger.error({ err }, 'error closing the database'); })
        .finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGINT', () => { stop('SIGINT'); });
  process.on('SIGTERM', () => { stop('SIGTERM'); });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
