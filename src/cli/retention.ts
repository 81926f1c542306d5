/**
 * npm run db:retention -- --older-than 90d [--archive] [--dry-run] [--batch N]
 *   deletes (or, with --archive, moves to the _archive tables) the sessions with no activity in the
 *   last N days, with their turns, notes, call records and prompt-capture rows, then prompt-capture
 *   rows and session-less tester calls older than N days; one transaction per batch of sessions.
 *   --dry-run prints the counts and changes nothing.
 * npm run db:retention -- restore <session-id>
 *   puts an archived session (full id or its first 8 characters) back, with everything archived with it.
 *
 * Counts go to stdout; exit code 1 on any error (another run holding the lease included), 2 on bad
 * arguments.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Kysely } from 'kysely';
import { connectDatabase, type Database, migrateToLatest } from '../../db';
import { isAppError } from '../errors';
import { loadConfigFromProcess } from '../config';
import { DEFAULT_BATCH_SESSIONS, restoreArchivedSession, runRetentionExclusive, type RetentionCounts, type RetentionResult } from '../retention';
import { defaultHolder } from '../retention/schedule';

export type RetentionArgs =
  | { command: 'run'; olderThanDays: number; archive: boolean; dryRun: boolean; batchSessions: number }
  | { command: 'restore'; session: string };

function days(value: string): number {
  const m = /^(\d{1,5})d?$/i.exec(value.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 36500) throw new InvalidArgumentError('Use a number of days such as 90d (from 1 to 36500).');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 10_000) throw new InvalidArgumentError('Use a whole number from 1 to 10000.');
  return n;
}

/** Parses ARGV (process.argv shape). `exit` replaces process exit on a bad argument (tests). */
export function parseRetentionArgs(argv: string[], exit?: (code: number) => never): RetentionArgs {
  const result: { args?: RetentionArgs } = {};
  const program = new Command()
    .name('db:retention')
    .description('Delete or archive tuning sessions with no recent activity, or restore an archived one.')
    .option('--older-than <days>', 'sessions with no activity in this many days, e.g. 90d', days)
    .option('--archive', 'move to the _archive tables instead of deleting', false)
    .option('--dry-run', 'print what would go and change nothing', false)
    .option('--batch <n>', `sessions per transaction (default ${DEFAULT_BATCH_SESSIONS})`, positive)
    .showHelpAfterError()
    .action((o: { olderThan?: number; archive: boolean; dryRun: boolean; batch?: number }) => {
      if (o.olderThan === undefined) program.error('error: --older-than <days> is required (e.g. --older-than 90d)');
      result.args = { command: 'run', olderThanDays: o.olderThan ?? 0, archive: o.archive, dryRun: o.dryRun, batchSessions: o.batch ?? DEFAULT_BATCH_SESSIONS };
    });
  program.command('restore').argument('<session>', 'the archived session: full id or its first 8 characters').description('put an archived session back')
    .action((session: string) => {
      result.args = { command: 'restore', session };
    });
  if (exit) {
    program.exitOverride((err) => exit(err.exitCode === 0 ? 0 : 2));
    for (const c of program.commands) c.exitOverride((err) => exit(err.exitCode === 0 ? 0 : 2));
  }
  program.parse(argv);
  if (!result.args) return program.error('error: nothing to do');
  return result.args;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The counts as the tool prints them. */
export function describeCounts(c: RetentionCounts): string {
  return `sessions ${n(c.sessions)}, turns ${n(c.turns)}, notes ${n(c.notes)}, calls ${n(c.calls)}, call I/O ${n(c.callIo)}, prompt logs ${n(c.promptLogs)}, judgements ${n(c.judgements)}, suggestions ${n(c.suggestions)}, replays ${n(c.replays)}, comparisons ${n(c.comparisons)}`;
}

function summary(r: RetentionResult, ms: number): string {
  const verb = r.dryRun ? (r.mode === 'archive' ? 'would archive' : 'would delete') : r.mode === 'archive' ? 'archived' : 'deleted';
  const tail = r.dryRun ? 'nothing changed (dry run)' : `${r.batches} batch(es), ${(ms / 1000).toFixed(1)} s${r.stopped ? ', stopped early' : ''}`;
  return `db:retention: ${verb} what had no activity since ${r.cutoff.toISOString()}: ${describeCounts(r.counts)}; ${tail}`;
}

/** Runs the parsed command against DB, printing progress and the summary through PRINT. */
export async function runRetentionCli(db: Kysely<Database>, args: RetentionArgs, print: (line: string) => void, now: Date = new Date()): Promise<void> {
  if (args.command === 'restore') {
    const { sessionId, counts } = await restoreArchivedSession(db, args.session);
    print(`db:retention: restored session ${sessionId}: ${describeCounts(counts)}`);
    return;
  }
  const started = performance.now();
  const result = await runRetentionExclusive(db, {
    cutoff: new Date(now.getTime() - args.olderThanDays * 86_400_000),
    archive: args.archive,
    dryRun: args.dryRun,
    batchSessions: args.batchSessions,
    onBatch: (done, batch) => {
      print(`  batch ${batch}: ${describeCounts(done)} so far`);
      return Promise.resolve();
    },
  }, defaultHolder('cli'));
  print(summary(result, performance.now() - started));
}

async function main(): Promise<void> {
  const args = parseRetentionArgs(process.argv);
  const config = loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    await runRetentionCli(handle.db, args, (line) => process.stdout.write(`${line}\n`));
  } finally {
    await handle.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`db:retention: ${isAppError(err) ? err.userMessage : err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
