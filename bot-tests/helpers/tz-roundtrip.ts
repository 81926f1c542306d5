/**
 * Run as a child process under a non-UTC TZ (see bot-tests/database-timezone.test.ts): writes a Date
 * as a TIMESTAMP and reads one back, through connectDatabase, and prints what the database saw.
 * argv: pglite | postgres URL
 */
import { sql } from 'kysely';
import { connectDatabase } from '../../db';

async function main(): Promise<void> {
  const [kind, url] = process.argv.slice(2);
  const handle = await connectDatabase(kind === 'postgres' ? { kind: 'postgres', url: url! } : { kind: 'pglite' });
  try {
    const sent = new Date('2026-01-15T12:00:00.000Z');
    const written = await sql<{ t: string }>`SELECT (${sent}::timestamp)::text AS t`.execute(handle.db);
    const read = await sql<{ d: Date }>`SELECT '2026-01-15 12:00:00'::timestamp AS d`.execute(handle.db);
    process.stdout.write(JSON.stringify({ tz: Intl.DateTimeFormat().resolvedOptions().timeZone, offsetMinutes: sent.getTimezoneOffset(), written: written.rows[0]!.t, read: read.rows[0]!.d.toISOString() }));
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
