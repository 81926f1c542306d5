/**
 * npm run gen -- plan import FILE
 *   loads the dataset plan (templates + planned conversations); re-running changes nothing
 * npm run gen -- seed import FILE...
 *   imports annotated seed conversations, one transaction per file; prints a line per file
 *
 * npm run gen -- export finetune --format anthropic|openai [--out FILE] [--anonymize[=strip|pseudonymize]]
 *   approved conversations as fine-tuning JSONL (--anonymize: testers' ids, e-mails and names scrubbed,
 *   e-mail addresses and phone numbers redacted; promoted tuning sessions carry them)
 * npm run gen -- export quality [--out FILE]
 * npm run gen -- export conversation N|KEY [--out FILE] [--anonymize[=strip|pseudonymize]]
 *   one conversation as JSON in the seed structure
 *   the quality report as CSV
 *
 * npm run gen -- run <12 | 11-13 | 11,14,19 | all> [--concurrency N] [--min-gap-ms N] [--cost-ceiling USD]
 * npm run gen -- run --filter tier=1,persona=marcus [options]
 *   creates a generation job and runs it here with a progress bar; Ctrl-C stops after releasing the
 *   conversation in flight. Exit 0 completed (failed items listed), 1 error, 2 paused/cancelled/interrupted.
 *   --batch sends the job through the Message Batches API (half price, within 24 h); Ctrl-C leaves the
 *   batch running and `run --job ID` later polls it (never sends it twice)
 * npm run gen -- run --job ID
 *   continues an existing job (a killed run's items are reclaimed once their leases expire)
 * npm run gen -- status [ID]          recent jobs, or one job's progress (full id or 8-char prefix)
 * npm run gen -- pause ID | cancel ID | resume ID [--cost-ceiling USD|none]
 *
 * Exit code 1 when any file fails; the error names the file and the JSON path.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { ANONYMIZE_MODES, type AnonymizeMode, type Anonymizer, anonymizedJsonLines, createAnonymizer, rememberKnownTesters } from '../privacy';
import { connectDatabase, DatabaseUnreachableError, migrateToLatest } from '../../db';
import { type Config, loadConfigFromProcess } from '../config';
import { isAppError } from '../errors';
import { exportConversationSeed, fineTuningJsonl, importPlan, importSeeds, qualityReportCsv, type SeedImportProgress } from '../generation';
import { controlCommand, NEEDS_CLAUDE, runCommand, type RunOptions, statusCommand, UsageError } from './gen-jobs';

async function withDatabase<T>(fn: (db: Awaited<ReturnType<typeof connectDatabase>>['db']) => Promise<T>, loaded?: Config): Promise<T> {
  const config = loaded ?? loadConfigFromProcess();
  const handle = await connectDatabase(config.database);
  try {
    await migrateToLatest(handle.db);
    return await fn(handle.db);
  } finally {
    await handle.close();
  }
}

function progressLine(p: SeedImportProgress): string {
  const head = `[${p.fileIndex}/${p.fileCount}] ${p.file}:`;
  if (p.status === 'failed') return `${head} FAILED, nothing imported - ${p.error?.message ?? 'unknown error'}`;
  return `${head} ${p.conversationsImported} conversation(s) imported, ${p.conversationsSkipped} skipped; ${p.turns} turns, ${p.sentences} sentence breakdowns`;
}

async function planImport(file: string): Promise<void> {
  const r = await withDatabase((db) => importPlan(db, file));
  const fmt = (c: typeof r.templates) => `${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged${c.locked ? `, ${c.locked} past 'planned' left as they are` : ''}`;
  console.log(`templates: ${fmt(r.templates)}`);
  console.log(`conversations: ${fmt(r.conversations)}`);
}

async function seedImport(files: string[]): Promise<void> {
  const s = await withDatabase((db) => importSeeds(db, files, { onProgress: (p) => { console.log(progressLine(p)); } }));
  for (const skip of s.skipped) console.log(`skipped ${skip.conversationId}: ${skip.reason}`);
  console.log(`summary: ${s.conversationsImported} conversation(s) imported, ${s.conversationsSkipped} skipped, ${s.turnsImported} turns, ${s.sentencesImported} sentence breakdowns, ${s.filesFailed} of ${s.files} file(s) failed`);
  if (s.filesFailed > 0) process.exitCode = 1;
}

/** Streams an export to FILE (written whole or not at all) or to stdout. */
async function writeOut(source: AsyncIterable<string | Buffer>, out: string | undefined): Promise<number> {
  let count = 0;
  const counted = async function* () {
    for await (const chunk of source) {
      count += 1;
      yield chunk;
    }
  };
  if (!out) {
    await pipeline(Readable.from(counted()), process.stdout, { end: false });
    return count;
  }
  const partial = `${out}.partial`;
  try {
    await pipeline(Readable.from(counted()), createWriteStream(partial));
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return count;
}

/** --anonymize [mode]: a bare flag means pseudonymize. */
const anonymizeOption = () =>
  new Option('--anonymize [mode]', 'strip or pseudonymize tester identities (default pseudonymize), redact e-mails and phones').argParser((v: string): AnonymizeMode => {
    if ((ANONYMIZE_MODES as readonly string[]).includes(v)) return v as AnonymizeMode;
    throw new InvalidArgumentError('Use --anonymize, --anonymize=strip or --anonymize=pseudonymize.');
  });

/** The export's anonymizer (REDACT_PII always; identities when asked), taught every known tester. */
async function exportAnonymizer(db: Kysely<Database>, mode: AnonymizeMode | true | undefined): Promise<Anonymizer> {
  const { privacy } = loadConfigFromProcess();
  const anonymize = mode === true ? 'pseudonymize' : (mode ?? null);
  const anonymizer = createAnonymizer({ anonymize, secret: privacy.anonymizeSecret ?? randomBytes(32).toString('hex'), redact: privacy.redact });
  await rememberKnownTesters(db, anonymizer);
  return anonymizer;
}

async function exportFineTuning(options: { format: string; out?: string; anonymize?: AnonymizeMode | true }): Promise<void> {
  if (options.format !== 'anthropic' && options.format !== 'openai') throw new UsageError(`--format must be anthropic or openai, not "${options.format}"`);
  const format = options.format;
  const n = await withDatabase(async (db) => {
    const anonymizer = await exportAnonymizer(db, options.anonymize);
    const lines = fineTuningJsonl(db, format);
    return writeOut(anonymizer.changesText ? anonymizedJsonLines(lines, anonymizer) : lines, options.out);
  });
  console.error(`${n} approved conversation(s) written as ${format} JSONL${options.out ? ` to ${options.out}` : ''}`);
}

async function exportConversation(ref: string, options: { out?: string; anonymize?: AnonymizeMode | true }): Promise<void> {
  const key: string | number = /^\d+$/.test(ref) ? Number(ref) : ref;
  const seed = await withDatabase(async (db) => (await exportAnonymizer(db, options.anonymize)).json(await exportConversationSeed(db, key)));
  await writeOut(Readable.from([`${JSON.stringify(seed, null, 2)}\n`]), options.out);
  console.error(`conversation ${ref} written in the seed structure${options.out ? ` to ${options.out}` : ''}`);
}

async function exportQuality(options: { out?: string }): Promise<void> {
  await withDatabase((db) => writeOut(qualityReportCsv(db), options.out));
  console.error(`quality report written${options.out ? ` to ${options.out}` : ''}`);
}

async function main(): Promise<void> {
  const program = new Command().name('gen').description('Training-data generation: plans, seed conversations, generation jobs, exports.').showHelpAfterError();
  const plan = program.command('plan').description('the dataset plan');
  plan.command('import').argument('<file>', 'plan JSON, e.g. examples/financial-planning/plan.json').description('load templates and planned conversations')
    .action(planImport);
  const seed = program.command('seed').description('annotated seed conversations');
  seed.command('import').argument('<files...>', 'seed JSON files').description('import seed conversations (US-TRAIN-007)')
    .action(seedImport);
  const exp = program.command('export').description('training data out');
  exp.command('finetune').description('approved conversations as fine-tuning JSONL')
    .requiredOption('--format <format>', 'anthropic or openai').option('--out <file>', 'write to FILE instead of stdout')
    .addOption(anonymizeOption())
    .action(exportFineTuning);
  exp.command('quality').description('the quality report as CSV').option('--out <file>', 'write to FILE instead of stdout')
    .action(exportQuality);
  exp.command('conversation').argument('<ref>', 'conversation number, key (fp_marcus_001) or id').description('one conversation as JSON in the seed structure (re-imports unchanged)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .addOption(anonymizeOption())
    .action(exportConversation);
  program.command('run').argument('[target]', '12, 11-13, 11,14,19 or all').description('create a generation job and run it here')
    .option('--filter <filters>', 'tier=1,persona=marcus (also topic=, template=)')
    .option('--concurrency <n>', 'conversations generated at once (default 1)')
    .option('--min-gap-ms <ms>', 'minimum gap between two Claude calls (default 0)')
    .option('--cost-ceiling <usd>', 'pause the job once it has cost this much')
    .option('--job <id>', 'continue an existing job instead of creating one')
    .option('--batch', 'send the job through the Message Batches API: half price, answered within 24 h')
    .action(async (target: string | undefined, options: RunOptions) => {
      const config = loadConfigFromProcess();
      // Refuse before opening the database: without Claude no job should be created.
      if (!config.anthropic.apiKey) throw new UsageError(NEEDS_CLAUDE);
      await withDatabase((db) => runCommand(db, config, target, options), config);
    });
  program.command('status').argument('[jobId]', 'full id or its first 8 characters').description('recent jobs, or one job\'s progress')
    .action((jobId: string | undefined) => withDatabase((db) => statusCommand(db, jobId)));
  program.command('pause').argument('<jobId>').description('pause a job (a running job stops after its current conversation)')
    .action((jobId: string) => withDatabase((db) => controlCommand(db, 'pause', jobId)));
  program.command('resume').argument('<jobId>').description('clear a pause (then run it with run --job ID)')
    .option('--cost-ceiling <usd>', 'a new cost ceiling, or none')
    .action((jobId: string, options: { costCeiling?: string }) => withDatabase((db) => controlCommand(db, 'resume', jobId, options)));
  program.command('cancel').argument('<jobId>').description('cancel a job and its pending conversations')
    .action(async (jobId: string) => {
      const config = loadConfigFromProcess();
      await withDatabase((db) => controlCommand(db, 'cancel', jobId, {}, config), config);
    });
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  // A domain error (a bad file, target or job) is the user's to fix: its message says what; a stack trace would only bury that.
  if (isAppError(err) || err instanceof DatabaseUnreachableError) console.error(`error: ${err.message}`);
  else console.error(err);
  process.exitCode = 1;
});
