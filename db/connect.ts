/**
 * Opens the database: Postgres through `pg` when a URL is given, embedded PGlite otherwise.
 * Both run every session in UTC, so TIMESTAMP columns (without time zone, as the spec has them)
 * hold UTC wall-clock time and are read back as UTC instants.
 */
import { mkdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { SerializedPGliteDialect } from './pglite-dialect';
import type { Database } from './schema';

export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir?: string };

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: 'postgres' | 'pglite';
  /** Where it is, with any password masked: for logs and error messages. */
  describe: string;
  /**
   * Postgres only: runs STATEMENT, a `COPY (…) TO STDOUT`, and streams its bytes with backpressure (a
   * slow reader pauses the server). It runs on a small pool of its own, so long downloads never take the
   * bot's connections; the promise rejects when no connection is free within 2 s or the COPY fails to
   * start, so a caller can still answer with a status code. Destroying the stream early drops its
   * connection (a half-read COPY cannot be reused).
   */
  copyOut?: (statement: string) => Promise<Readable>;
  close(): Promise<void>;
}

/** Connections for COPY exports: a few long streams at once, beside the bot's pool. */
const COPY_POOL_SIZE = 2;

function copyOutOn(pool: pg.Pool): (statement: string) => Promise<Readable> {
  return async (statement) => {
    const client = await pool.connect();
    let released = false;
    const release = (err?: Error) => {
      if (released) return;
      released = true;
      client.release(err);
    };
    // 1 MiB of buffer rather than 16 KiB: fewer hand-offs between the socket, the parser and the reader.
    const stream = client.query(copyTo(statement, { highWaterMark: 1 << 20 }));
    stream.once('end', () => { release(); });
    stream.once('error', (err: Error) => { release(err); });
    // Closed before its end (the reader went away): the connection is mid-COPY and must not be reused.
    stream.once('close', () => { release(new Error('COPY stream closed early')); });
    // Wait for the first bytes (or the end, or an error) so a failing COPY rejects here.
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        stream.off('error', fail);
        resolve();
      };
      const fail = (err: Error) => {
        stream.off('readable', done);
        reject(err);
      };
      stream.once('readable', done);
      stream.once('error', fail);
    });
    return stream;
  };
}

export class DatabaseUnreachableError extends Error {
  constructor(readonly target: string, cause: unknown) {
    super(`Cannot reach the database at ${target}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}

const TIMESTAMP_OID = 1114;
// pg sends a JS Date in the process's local time without an offset; a TIMESTAMP column would then
// store local wall-clock time. Sessions run in UTC, so Dates must go out as UTC too.
pg.defaults.parseInputDatesAsUTC = true;
const parseUtcTimestamp = (value: string): Date => new Date(`${value.replace(' ', 'T')}Z`);

/** Masks the password of a postgres URL. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL (unparseable)';
  }
}

export interface ConnectOptions {
  /** Called when an idle pooled connection fails (the server went away); the pool reconnects on demand. */
  onPoolError?: (err: Error) => void;
  poolSize?: number;
}

/** Connects and checks the connection with a round trip; throws DatabaseUnreachableError if it cannot. */
export async function connectDatabase(target: DatabaseTarget, options: ConnectOptions = {}): Promise<DatabaseHandle> {
  if (target.kind === 'postgres') {
    const describe = maskUrl(target.url);
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      options: '-c TimeZone=UTC',
      types: {
        getTypeParser: (oid: Parameters<typeof pg.types.getTypeParser>[0], format?: Parameters<typeof pg.types.getTypeParser>[1]): unknown => {
          const id: number = oid;
          return id === TIMESTAMP_OID ? parseUtcTimestamp : (pg.types.getTypeParser(oid, format) as unknown);
        },
      },
    });
    // Without a listener an idle client's error (server restart) would crash the process.
    pool.on('error', (err) => options.onPoolError?.(err));
    // pg-pool listens for errors only on idle clients; a checked-out client whose socket dies would
    // emit an unhandled 'error' and crash the process. Its pending query rejects either way.
    pool.on('connect', (client) => {
      client.on('error', (err) => options.onPoolError?.(err));
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, cursor: Cursor }) });
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw new DatabaseUnreachableError(describe, err);
    }
    const copyPool = new pg.Pool({
      connectionString: target.url,
      max: COPY_POOL_SIZE,
      connectionTimeoutMillis: 2000,
      idleTimeoutMillis: 30000,
      options: '-c TimeZone=UTC',
    });
    copyPool.on('error', (err) => options.onPoolError?.(err));
    copyPool.on('connect', (client) => {
      client.on('error', (err) => options.onPoolError?.(err));
    });
    return {
      db,
      kind: 'postgres',
      describe,
      copyOut: copyOutOn(copyPool),
      close: async () => {
        await db.destroy();
        await copyPool.end();
      },
    };
  }

  const describe = target.dataDir ? `PGlite at ${target.dataDir}` : 'PGlite in memory';
  let pglite: PGlite;
  try {
    if (target.dataDir) mkdirSync(target.dataDir, { recursive: true });
    pglite = await PGlite.create(target.dataDir ?? 'memory://', { parsers: { [TIMESTAMP_OID]: parseUtcTimestamp } });
    await pglite.exec(`SET TimeZone = 'UTC'`);
  } catch (err) {
    throw new DatabaseUnreachableError(describe, err);
  }
  const db = new Kysely<Database>({ dialect: new SerializedPGliteDialect(pglite) });
  return { db, kind: 'pglite', describe, close: () => db.destroy() };
}

/** Whether the database answers a trivial query now (the health check). */
export async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
