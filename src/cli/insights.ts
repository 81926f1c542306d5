/**
 * npm run insights -- <command>: best practices (spec 002) from the command line (an operator's tool).
 *
 *   analyze [--dry-run]                          run the analysis now (under the same lease as the bot's
 *                                                schedule and /practices refresh); --dry-run prints what
 *                                                would change and writes nothing (and calls no model)
 *   list [--model M] [--category C] [--min N] [--archived] [--page P]
 *
 * Exit 0 done, 1 error, 2 another analysis is running.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { connectDatabase, DatabaseUnreachableError, migrateToLatest } from '../../db';
import { type Config, ConfigError, loadConfigFromProcess } from '../config';
import { isAppError } from '../errors';
import { analyzePractices, listPractices, modelStats, PracticesBusyError } from '../insights';
import { createCallLog, createClaudeClient, loadPricing } from '../llm';
import { createLogger } from '../logger';

function quietLogger(config: Config) {
  const level = config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace' ? 'warn' : config.logLevel;
  return createLogger(level, pino.destination(2));
}

async function analyze(config: Config, o: { dryRun?: boolean }): Promise<void> {
  const logger = quietLogger(config);
  const database = await connectDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const db = database.db;
    const client = createClaudeClient(config.anthropic, { logger });
    const callLog = createCallLog({ db, logger, pricing: loadPricing({ file: config.modelPricingFile, logger }) });
    const startedAt = new Date();
    const r = await analyzePractices({ db, client, model: config.practices.model, callLog, logger }, { holder: `cli@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, dryRun: o.dryRun });
    const cost = await db.selectFrom('llm_calls').select((eb) => eb.fn.sum<string | null>('cost_usd').as('c')).where('purpose', '=', 'practices').where('created_at', '>=', startedAt).executeTakeFirst();
    console.log(`${r.dryRun ? 'DRY RUN — nothing written. ' : ''}${r.mode === 'offline' ? 'OFFLINE MODE (no ANTHROPIC_API_KEY): write-ups are deterministic extractions.' : `write-ups by ${config.practices.model}.`}`);
    console.log(`${r.replies} replies in ${r.groups} model × topic group(s), ${r.groupsAnalysed} large enough; ${r.topReplies} top replies.`);
    for (const p of r.practices) console.log(`  ${p.change.padEnd(7)} ${p.effectiveness.toFixed(2).padStart(6)}  n=${String(p.sampleCount).padEnd(4)} ${p.model} · ${p.category} · ${p.title}`);
    console.log(`${r.created} new, ${r.updated} updated, ${r.archived} archived; ${r.calls} call(s) (${r.failedCalls} failed), ${r.inputTokens} input / ${r.outputTokens} output tokens, $${Number(cost?.c ?? 0).toFixed(4)}; ${r.durationMs} ms.`);
  } finally {
    await database.close();
  }
}

async function list(config: Config, o: { model?: string; category?: string; min?: number; archived?: boolean; page?: number }): Promise<void> {
  const database = await connectDatabase(config.database);
  try {
    await migrateToLatest(database.db);
    const page = await listPractices(database.db, { model: o.model, category: o.category, minEffectiveness: o.min, status: o.archived ? 'archived' : 'active', page: o.page });
    for (const p of page.items) console.log(`${p.id.slice(0, 8)}  ${p.effectivenessScore.toFixed(2).padStart(6)}  n=${String(p.sampleCount).padEnd(4)} ${p.model} · ${p.category} · ${p.title}${p.generatedBy === 'offline' ? ' (offline extraction)' : ''}`);
    console.log(`${page.total} practice(s); page ${page.page} of ${Math.max(1, Math.ceil(page.total / page.pageSize))}.`);
    for (const s of await modelStats(database.db)) console.log(`model ${s.model}: ${s.totalPractices} active practice(s), mean effectiveness ${s.avgEffectiveness.toFixed(2)}`);
  } finally {
    await database.close();
  }
}

function number(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`use a number from ${min} to ${max}`);
    return n;
  };
}

async function main(): Promise<void> {
  const config = loadConfigFromProcess();
  const program = new Command().name('insights').description('Best practices from what works (spec 002).').showHelpAfterError();
  program.command('analyze').description('find the practices the best replies share, and store them (updates, archives)')
    .option('--dry-run', 'print what would change; write nothing and call no model')
    .action((o: { dryRun?: boolean }) => analyze(config, o));
  program.command('list').description('the stored practices, most effective first')
    .option('--model <model>').option('--category <topic>').option('--min <effectiveness>', 'minimum effectiveness, 0-100', number(0, 100))
    .option('--archived', 'the archived practices instead').option('--page <n>', 'page (20 a page)', number(1, 1_000_000))
    .action((o: { model?: string; category?: string; min?: number; archived?: boolean; page?: number }) => list(config, o));
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  if (err instanceof PracticesBusyError) {
    console.error(`error: ${err.userMessage}`);
    process.exitCode = 2;
  } else if (isAppError(err)) console.error(`error: ${err.userMessage}`);
  else if (err instanceof ConfigError || err instanceof DatabaseUnreachableError) console.error(`error: ${err.message}`);
  else console.error(err);
  process.exitCode ||= 1;
});
