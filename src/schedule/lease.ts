/**
 * Task leases (task_leases): a scheduled task runs only where its lease is held, so two bot instances
 * (or a bot and the command line) never run it at once. A lease is a row with an expiry, not a session
 * advisory lock: it needs no pinned connection (PGlite has only one session) and a crashed holder's
 * lease simply expires. The holder renews it while it works.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db';

/** Someone else holds the lease. */
export interface LeaseHeld {
  holder: string;
  expiresAt: Date;
}

/**
 * Takes lease NAME for HOLDER for TTL_MS when it is free, expired, or already HOLDER's. Returns null when
 * taken, or who holds it.
 */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number): Promise<LeaseHeld | null> {
  const taken = await sql<{ holder: string }>`
    INSERT INTO task_leases (name, holder, acquired_at, expires_at)
    VALUES (${name}, ${holder}, NOW(), NOW() + make_interval(secs => ${ttlMs / 1000}))
    ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
    WHERE task_leases.expires_at < NOW() OR task_leases.holder = EXCLUDED.holder
    RETURNING holder`.execute(db);
  if (taken.rows.length > 0) return null;
  const row = await db.selectFrom('task_leases').select(['holder', 'expires_at']).where('name', '=', name).executeTakeFirst();
  // Released between the two statements: report it as held briefly rather than loop.
  return { holder: row?.holder ?? '(just released)', expiresAt: row ? new Date(row.expires_at) : new Date() };
}

/** Extends HOLDER's lease by TTL_MS from now; false when HOLDER no longer holds it. */
export async function renewLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const r = await sql`UPDATE task_leases SET expires_at = NOW() + make_interval(secs => ${ttlMs / 1000})
    WHERE name = ${name} AND holder = ${holder}`.execute(db);
  return Number(r.numAffectedRows ?? 0) === 1;
}

/** Gives the lease up (a no-op when HOLDER does not hold it). */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('task_leases').where('name', '=', name).where('holder', '=', holder).execute();
}
