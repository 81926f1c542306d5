/**
 * npm run knowledge:ingest — syncs the knowledge base with KNOWLEDGE_DIR on the configured database
 * (DATABASE_URL, or PGlite at PGLITE_DATA_DIR), migrating it first. Exits non-zero with a one-line
 * reason on any error. With PGlite, stop the bot first: a PGlite data folder has one user at a time.
 */
import { connectDatabase, migrateToLatest } from '../../db';
import { ConfigError, loadConfigFromProcess } from '../config';
import { createLogger } from '../logger';
import { ingestKnowledge } from '../era/retrieval';

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  // Warnings only (documents without a title or with an unknown topic): the summary is printed below.
  const logger = createLogger(config.logLevel === 'silent' ? 'silent' : 'warn');
  const handle = await connectDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const s = await ingestKnowledge(handle.db, config.knowledgeDir, { logger });
    console.log(
      `Knowledge base on ${handle.describe} from ${config.knowledgeDir}: ` +
        `${s.added} added, ${s.changed} changed, ${s.unchanged} unchanged, ${s.removed} removed; ` +
        `${s.chunks} chunks written; now ${s.totalDocuments} documents, ${s.totalChunks} chunks.`,
    );
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  const reason = err instanceof ConfigError || err instanceof Error ? err.message : String(err);
  console.error(`knowledge:ingest failed: ${reason}`);
  process.exitCode = 1;
});
