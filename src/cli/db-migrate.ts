/**
 * npm run db:migrate                 migrate to the latest
 * npm run db:migrate -- --down       undo the last migration (--steps N, or --all)
 * npm run db:migrate -- --status     list applied migrations
 */
import { parseArgs } from 'node:util';
import { loadConfigFromProcess } from '../config';
import { appliedMigrations, connectDatabase, migrateDown, migrateToLatest } from '../../db';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      down: { type: 'boolean', default: false },
      steps: { type: 'string', default: '1' },
      all: { type: 'boolean', default: false },
      status: { type: 'boolean', default: false },
    },
  });
  const config = loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  try {
    if (values.status) {
      const applied = await appliedMigrations(handle.db);
      console.log(`${handle.describe}: ${applied.length} applied`);
      for (const name of applied) console.log(`  ${name}`);
      return;
    }
    let ran: string[];
    if (values.down) {
      const steps = values.all ? 'all' : Number.parseInt(values.steps, 10);
      if (steps !== 'all' && (!Number.isInteger(steps) || steps < 1)) throw new Error('--steps must be a positive integer');
      ran = await migrateDown(handle.db, steps);
    } else {
      ran = await migrateToLatest(handle.db);
    }
    console.log(`${handle.describe}: ${ran.length === 0 ? 'nothing to do' : ran.join(', ')}`);
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
