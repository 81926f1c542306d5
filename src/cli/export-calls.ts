/**
 * npm run export:calls -- --format anthropic|openai|jsonl [--purpose P[,P…]] [--since D] [--until D]
 *                         [--out FILE] [--anonymize[=strip|pseudonymize]]
 *
 * Every logged model call's request and output (spec 003) as fine-tuning JSONL; the formats are
 * described in src/llm/call-export.ts and the README. D is an ISO date or date-time (UTC) or an age
 * (90d, 12h). Output to stdout or FILE (removed again if the export fails); a one-line summary goes to
 * stderr; exit code 1 on any error, 2 on bad arguments.
 */
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Kysely } from 'kysely';
import { connectDatabase, type Database, LLM_CALL_PURPOSES, type LlmCallPurpose, migrateToLatest } from '../../db';
import { type Config, loadConfigFromProcess } from '../config';
import { CALL_EXPORT_FORMATS, callExportLines, type CallExportFormat, type CallExportStats } from '../llm';
import { ANONYMIZE_MODES, type AnonymizeMode, createAnonymizer, rememberKnownTesters } from '../privacy';
import { ExportOutput, parseInstant } from './export-output';

const PURPOSES: readonly LlmCallPurpose[] = LLM_CALL_PURPOSES;

/** The parsed command line. */
export interface ExportCallsArgs {
  format: CallExportFormat;
  purposes: LlmCallPurpose[] | null;
  since: Date | null;
  until: Date | null;
  out?: string;
  anonymize: AnonymizeMode | null;
}

function purposeList(value: string): LlmCallPurpose[] | null {
  const parts = value.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'all') return null;
  const bad = parts.filter((p) => !(PURPOSES as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length) throw new InvalidArgumentError(`Use one or more of ${PURPOSES.join(', ')} (comma-separated), or all.`);
  return PURPOSES.filter((p) => parts.includes(p));
}

function instant(value: string): Date {
  const d = parseInstant(value);
  if (!d) throw new InvalidArgumentError('Use an ISO date such as 2026-11-01 (or 2026-11-01T09:00Z), or an age such as 30d or 12h.');
  return d;
}

/** Commander calls this only when a value is given; a bare --anonymize arrives as `true`. */
function anonymizeMode(value: string): AnonymizeMode {
  if ((ANONYMIZE_MODES as readonly string[]).includes(value)) return value as AnonymizeMode;
  throw new InvalidArgumentError('Use --anonymize, --anonymize=strip or --anonymize=pseudonymize.');
}

/** Parses ARGV (process.argv shape). Exits with the usage on a bad argument, like every CLI here. */
export function parseExportCallsArgs(argv: string[], exit?: (code: number) => never): ExportCallsArgs {
  const program = new Command()
    .name('export:calls')
    .description('Export logged model calls (request and output) as fine-tuning data.')
    .addOption(new Option('--format <format>', 'anthropic, openai or jsonl').choices([...CALL_EXPORT_FORMATS]).makeOptionMandatory())
    .option('--purpose <purposes>', `${PURPOSES.join(', ')} (comma-separated) or all`, purposeList)
    .option('--since <when>', 'calls made at or after: 2026-11-01, 2026-11-01T09:00Z or an age (30d, 12h)', instant)
    .option('--until <when>', 'calls made before (same forms)', instant)
    .option('--out <file>', 'write to FILE instead of stdout')
    .addOption(new Option('--anonymize [mode]', 'strip or pseudonymize tester identities (default pseudonymize) and redact e-mails and phones').argParser(anonymizeMode))
    .showHelpAfterError();
  if (exit) program.exitOverride((err) => exit(err.exitCode === 0 ? 0 : 2));
  program.parse(argv);
  const o = program.opts<{ format: CallExportFormat; purpose?: LlmCallPurpose[] | null; since?: Date; until?: Date; out?: string; anonymize?: AnonymizeMode | true }>();
  if (o.since && o.until && o.since >= o.until) program.error('error: --since must be before --until');
  return { format: o.format, purposes: o.purpose ?? null, since: o.since ?? null, until: o.until ?? null, out: o.out, anonymize: o.anonymize === true ? 'pseudonymize' : (o.anonymize ?? null) };
}

/** What runExportCalls needs besides the database. */
export interface ExportCallsContext {
  privacy: Config['privacy'];
  stdout?: Writable;
  /** Notes for the operator (stderr). */
  note?: (line: string) => void;
}

/** Writes the export; returns its counts. A failed export leaves no file behind. */
export async function runExportCalls(db: Kysely<Database>, args: ExportCallsArgs, ctx: ExportCallsContext): Promise<CallExportStats> {
  let secret = ctx.privacy.anonymizeSecret;
  if (args.anonymize === 'pseudonymize' && !secret) {
    secret = randomBytes(32).toString('hex');
    ctx.note?.('ANONYMIZE_SECRET (or EXPORT_SIGNING_SECRET) is not set: pseudonyms are random for this export and will not match another export\'s');
  }
  const anonymizer = createAnonymizer({ anonymize: args.anonymize, secret: secret ?? '', redact: ctx.privacy.redact });
  await rememberKnownTesters(db, anonymizer);
  const stats: CallExportStats = { written: 0, skipped: 0 };
  const out = await ExportOutput.open(args.out, ctx.stdout);
  try {
    for await (const line of callExportLines(db, { ...args, anonymizer }, stats)) await out.write(line);
    await out.finish();
  } catch (err) {
    out.discard();
    throw err;
  }
  return stats;
}

async function main(): Promise<void> {
  const args = parseExportCallsArgs(process.argv);
  const config = loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    const stats = await runExportCalls(handle.db, args, { privacy: config.privacy, note: (line) => process.stderr.write(`export:calls: ${line}\n`) });
    const skipped = stats.skipped ? ` (${stats.skipped} skipped: content the ${args.format} format cannot carry)` : '';
    process.stderr.write(`export:calls: ${stats.written} calls as ${args.format} from ${handle.describe} to ${args.out ?? 'stdout'}${skipped}\n`);
  } finally {
    await handle.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`export:calls: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
