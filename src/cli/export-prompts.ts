/**
 * npm run export:prompts -- --mode retraining --days 30 [--high-confidence 0.85] [--tester ID] [--out FILE]
 *   JSONL, one {text, label, confidence, source, corrected} per line
 * npm run export:prompts -- --mode review --confidence-threshold 0.7 [--days N] [--tester ID] [--out FILE]
 *   a JSON array of predictions to review, with corrected_intent and notes to fill in
 *
 * Both take --anonymize[=strip|pseudonymize]: every known tester's id, e-mail and name scrubbed from the
 * text, e-mail addresses and phone numbers redacted (REDACT_PII's kinds are redacted in any case).
 *
 * Output goes to stdout, or to FILE; a one-line summary goes to stderr. Exit code 1 on any error.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes } from 'node:crypto';
import { connectDatabase, migrateToLatest } from '../../db';
import { ANONYMIZE_MODES, type AnonymizeMode, createAnonymizer, rememberKnownTesters } from '../privacy';
import { loadConfigFromProcess } from '../config';
import { ExportOutput } from './export-output';
import { reviewExport, retrainingExport } from '../intent';

interface CliOptions {
  mode: 'retraining' | 'review';
  days?: number;
  highConfidence?: number;
  confidenceThreshold?: number;
  tester?: string;
  out?: string;
  anonymize?: AnonymizeMode | true;
}

function wholeDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 3650) {
    throw new InvalidArgumentError('Use a whole number of days from 1 to 3650.');
  }
  return n;
}

function unitInterval(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('Use a number from 0 to 1.');
  return n;
}

function parseCli(argv: string[]): CliOptions {
  const program = new Command()
    .name('export:prompts')
    .description('Export captured prompts for retraining (JSONL) or for human review (JSON).')
    .addOption(new Option('--mode <mode>', 'what to export').choices(['retraining', 'review']).makeOptionMandatory())
    .option('--days <n>', 'only the last N days (retraining: default 30; review: all time)', wholeDays)
    .option('--high-confidence <x>', 'retraining: include uncorrected predictions above this confidence (default 0.85)', unitInterval)
    .option('--confidence-threshold <x>', 'review: list uncorrected predictions below this confidence (default 0.7)', unitInterval)
    .option('--tester <aadId>', "only this tester's prompts (default: everyone's)")
    .option('--out <file>', 'write to FILE instead of stdout')
    .addOption(new Option('--anonymize [mode]', 'strip or pseudonymize tester identities (default pseudonymize), redact e-mails and phones').argParser((v: string): AnonymizeMode => {
      if ((ANONYMIZE_MODES as readonly string[]).includes(v)) return v as AnonymizeMode;
      throw new InvalidArgumentError('Use --anonymize, --anonymize=strip or --anonymize=pseudonymize.');
    }))
    .showHelpAfterError()
    .parse(argv);
  const options = program.opts<CliOptions>();
  if (options.mode === 'review' && options.highConfidence !== undefined) {
    program.error('error: --high-confidence applies to --mode retraining; use --confidence-threshold with --mode review');
  }
  if (options.mode === 'retraining' && options.confidenceThreshold !== undefined) {
    program.error('error: --confidence-threshold applies to --mode review; use --high-confidence with --mode retraining');
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseCli(process.argv);
  const config = loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  let count = 0;
  try {
    await migrateToLatest(handle.db);
    const anonymizer = createAnonymizer({
      anonymize: options.anonymize === true ? 'pseudonymize' : (options.anonymize ?? null),
      secret: config.privacy.anonymizeSecret ?? randomBytes(32).toString('hex'),
      redact: config.privacy.redact,
    });
    await rememberKnownTesters(handle.db, anonymizer);
    const out = await ExportOutput.open(options.out);
    try {
      if (options.mode === 'retraining') {
        const days = options.days ?? 30;
        for await (const record of retrainingExport(handle.db, { days, highConfidence: options.highConfidence, testerId: options.tester })) {
          await out.write(`${JSON.stringify({ ...record, text: anonymizer.text(record.text) })}\n`);
          count += 1;
        }
      } else {
        const records = await reviewExport(handle.db, {
          confidenceThreshold: options.confidenceThreshold,
          days: options.days,
          testerId: options.tester,
        });
        await out.write(`${JSON.stringify(records.map((r) => ({ ...r, text: anonymizer.text(r.text) })), null, 2)}\n`);
        count = records.length;
      }
      await out.finish();
    } catch (err) {
      out.discard();
      throw err;
    }
  } finally {
    await handle.close();
  }
  const what = options.mode === 'retraining' ? 'retraining records (JSONL)' : 'predictions to review (JSON)';
  process.stderr.write(`export:prompts: ${count} ${what} from ${handle.describe} to ${options.out ?? 'stdout'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`export:prompts: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
