/**
 * Databases for benchmark and report scripts: an in-memory PGlite, and a throwaway Postgres database
 * created from DATABASE_URL and dropped afterwards, each migrated to the latest.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase, type DatabaseHandle, migrateToLatest } from '../db';

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs `fn` on a fresh, migrated in-memory PGlite, closed afterwards. */
export async function withPglite<T>(fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const handle = await connectDatabase({ kind: 'pglite' });
  try {
    await migrateToLatest(handle.db);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/** Runs `fn` on a new, migrated Postgres database next to `url`'s, dropped afterwards. */
export async function withThrowawayPostgres<T>(url: string, prefix: string, fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin(url, `CREATE DATABASE ${name}`);
  try {
    const u = new URL(url);
    u.pathname = `/${name}`;
    const handle = await connectDatabase({ kind: 'postgres', url: u.toString() });
    try {
      await migrateToLatest(handle.db);
      return await fn(handle);
    } finally {
      await handle.close();
    }
  } finally {
    await admin(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}
