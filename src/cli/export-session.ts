/**
 * npm run export:session -- <session> [--out FILE] [--anonymize[=strip|pseudonymize]]
 *
 * One tuning session's CSV, as /export gives it (the spec's query, BOM, CRLF, neutralised cells), for an
 * operator: any tester's session, by full id or its first 8 characters. REDACT_PII applies; with
 * --anonymize every known tester's id, e-mail and name are scrubbed from the text and e-mail addresses
 * and phone numbers redacted. Exit code 1 on any error, 2 on bad arguments.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { type Kysely, sql } from 'kysely';
import { connectDatabase, type Database, migrateToLatest } from '../../db';
import { DomainError, isAppError } from '../errors';
import { type Config, loadConfigFromProcess } from '../config';
import { ANONYMIZE_MODES, type AnonymizeMode, createAnonymizer, rememberKnownTesters } from '../privacy';
import { sessionCsvStream } from '../tuning';
import { ExportOutput } from './export-output';

export interface ExportSessionArgs {
  session: string;
  out?: string;
  anonymize: AnonymizeMode | null;
}

function anonymizeMode(value: string): AnonymizeMode {
  if ((ANONYMIZE_MODES as readonly string[]).includes(value)) return value as AnonymizeMode;
  throw new InvalidArgumentError('Use --anonymize, --anonymize=strip or --anonymize=pseudonymize.');
}

/** Parses ARGV (process.argv shape); `exit` replaces process exit on a bad argument (tests). */
export function parseExportSessionArgs(argv: string[], exit?: (code: number) => never): ExportSessionArgs {
  const program = new Command()
    .name('export:session')
    .description("Export one tuning session's CSV, as /export gives it.")
    .argument('<session>', 'the session: full id or its first 8 characters')
    .option('--out <file>', 'write to FILE instead of stdout')
    .addOption(new Option('--anonymize [mode]', 'strip or pseudonymize tester identities (default pseudonymize) and redact e-mails and phones').argParser(anonymizeMode))
    .showHelpAfterError();
  if (exit) program.exitOverride((err) => exit(err.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const o = program.opts<{ out?: string; anonymize?: AnonymizeMode | true }>();
  return { session: program.args[0] ?? '', out: o.out, anonymize: o.anonymize === true ? 'pseudonymize' : (o.anonymize ?? null) };
}

/** The session REF names: its full id, or an 8+ character prefix unique among all sessions. */
async function resolveSession(db: Kysely<Database>, ref: string): Promise<string> {
  const r = ref.trim().toLowerCase();
  if (!/^[0-9a-f-]{8,36}$/.test(r)) throw new DomainError(`"${ref.slice(0, 40)}" is not a session id: give the full id or its first 8 characters.`);
  const rows = await sql<{ id: string }>`SELECT id FROM prompt_tuning_sessions WHERE id::text LIKE ${`${r}%`} LIMIT 2`.execute(db);
  if (rows.rows.length === 0) throw new DomainError(`No session ${r}.`);
  if (rows.rows.length > 1) throw new DomainError(`Several sessions start with ${r}; give more of the id.`);
  return rows.rows[0]?.id ?? '';
}

/** Writes the CSV; returns the session id. A failed export leaves no file behind. */
export async function runExportSession(db: Kysely<Database>, args: ExportSessionArgs, privacy: Config['privacy'], stdout?: Writable): Promise<string> {
  const sessionId = await resolveSession(db, args.session);
  const anonymizer = createAnonymizer({ anonymize: args.anonymize, secret: privacy.anonymizeSecret ?? randomBytes(32).toString('hex'), redact: privacy.redact });
  await rememberKnownTesters(db, anonymizer);
  const out = await ExportOutput.open(args.out, stdout);
  try {
    // finish() ends a file; stdout stays open.
    await pipeline(sessionCsvStream(db, sessionId, anonymizer.changesText ? { text: (v) => anonymizer.text(v) } : {}), out.stream, { end: false });
    await out.finish();
  } catch (err) {
    out.discard();
    throw err;
  }
  return sessionId;
}

async function main(): Promise<void> {
  const args = parseExportSessionArgs(process.argv);
  const config = loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const id = await runExportSession(handle.db, args, config.privacy);
    process.stderr.write(`export:session: session ${id}${args.anonymize ? ` (anonymized: ${args.anonymize})` : ''} to ${args.out ?? 'stdout'}\n`);
  } finally {
    await handle.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`export:session: ${isAppError(err) ? err.userMessage : err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
