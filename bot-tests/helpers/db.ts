/**
 * Test databases. Every database suite runs on embedded PGlite always, and on real Postgres when
 * DATABASE_URL is set. TEST_REQUIRE_POSTGRES=1 (CI) turns a missing DATABASE_URL into a failure.
 * Each suite gets a fresh database: an in-memory PGlite, or a new Postgres database created for it
 * (and dropped after), migrated to the latest.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type DatabaseHandle, migrateToLatest } from '../../db';

export type TestDbKind = 'pglite' | 'postgres';

const postgresUrl = process.env.DATABASE_URL?.trim() || undefined;
if (process.env.TEST_REQUIRE_POSTGRES === '1' && !postgresUrl) {
  throw new Error('TEST_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the Postgres half of the suite cannot run');
}

/** The database kinds this run covers. */
export const testDbKinds: TestDbKind[] = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase extends DatabaseHandle {
  /** Drops what the test created (the Postgres database) and closes the connection. */
  dispose(): Promise<void>;
  /** Postgres only: the URL of this suite's own database. */
  url?: string;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database of the given kind. */
export async function createTestDatabase(kind: TestDbKind, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (kind === 'pglite') {
    const handle = await connectDatabase({ kind: 'pglite' });
    if (migrate) await migrateToLatest(handle.db);
    return { ...handle, dispose: () => handle.close() };
  }
  if (!postgresUrl) throw new Error('postgres test database requested without DATABASE_URL');
  const name = `tuning_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(postgresUrl, name);
  const handle = await connectDatabase({ kind: 'postgres', url });
  if (migrate) await migrateToLatest(handle.db);
  return {
    ...handle,
    url,
    dispose: async () => {
      await handle.close();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
