/** Runs the migrations through Kysely's Migrator. */
import { type Kysely, type MigrationResultSet, Migrator, NO_MIGRATIONS } from 'kysely';
import { migrationProvider } from './migrations';

export class MigrationError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'MigrationError';
  }
}

function migrator(db: Kysely<unknown>): Migrator {
  return new Migrator({ db, provider: migrationProvider });
}

function check(result: MigrationResultSet): string[] {
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => `${r.direction} ${r.migrationName}`);
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? '(unknown)';
    const reason = result.error instanceof Error ? result.error.message : typeof result.error === 'string' ? result.error : 'unknown error';
    throw new MigrationError(`Migration ${failed} failed: ${reason}`, result.error);
  }
  return applied;
}

/** Brings the schema to the latest migration. Returns what ran, e.g. ["Up 2026…_x"]. */
export async function migrateToLatest<T>(db: Kysely<T>): Promise<string[]> {
  return check(await migrator(db as Kysely<unknown>).migrateToLatest());
}

/** Undoes the last migration (steps times), or all of them with steps = 'all'. */
export async function migrateDown<T>(db: Kysely<T>, steps: number | 'all' = 1): Promise<string[]> {
  const m = migrator(db as Kysely<unknown>);
  if (steps === 'all') return check(await m.migrateTo(NO_MIGRATIONS));
  const done: string[] = [];
  for (let i = 0; i < steps; i += 1) {
    const ran = check(await m.migrateDown());
    if (ran.length === 0) break;
    done.push(...ran);
  }
  return done;
}

/** The names of the applied migrations, in order. */
export async function appliedMigrations<T>(db: Kysely<T>): Promise<string[]> {
  const all = await migrator(db as Kysely<unknown>).getMigrations();
  return all.filter((m) => m.executedAt).map((m) => m.name);
}
