/**
 * The generation-job commands of `npm run gen`: run (create a job, or continue one with --job, and run
 * it here with a progress bar), status, pause, resume, cancel. gen.ts wires them into commander; this
 * file builds what they need (Claude client, call log, prices) from the configuration.
 *
 * Exit codes of run: 0 the job completed (some items may have failed; they are listed), 1 a usage,
 * not-found or offline error, 2 the job is paused, cancelled, or this run was interrupted (Ctrl-C).
 */
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import pino from 'pino';
import type { Database } from '../../db';
import type { Config } from '../config';
import { DomainError } from '../errors';
import {
  cancelJobAndBatch, createJob, creatorUuid, failedItems, generateConversation, type GenerationTarget, JOB_ID_PREFIX, jobIdsWithPrefix, jobItemNames,
  jobProgress, listJobs, parsePlanFilter, pauseJob, resumeJob, runJob, selectForGeneration, type StopReason,
} from '../generation';
import { createCallLog, createClaudeClient, loadPricing } from '../llm';
import { createLogger } from '../logger';
import { money, progressLines, progressView } from './gen-progress';

type Db = Kysely<Database>;

/** A mistake in the command line (or a thing that does not exist): its message is all the person needs. */
export class UsageError extends DomainError {}

/** generation_jobs.created_by for jobs started from this CLI. */
export const CLI_OPERATOR_UUID = creatorUuid('cli');
export const NEEDS_CLAUDE = 'generation needs Claude: set ANTHROPIC_API_KEY';

export interface RunOptions {
  filter?: string;
  concurrency?: string;
  minGapMs?: string;
  costCeiling?: string;
  job?: string;
  /** Send the job through the Message Batches API. */
  batch?: boolean;
}

/** Parses a non-negative number option; `none` gives null when allowed. */
export function parseAmount(name: string, raw: string | undefined, opts: { integer?: boolean; min?: number; allowNone?: boolean } = {}): number | null | undefined {
  if (raw === undefined) return undefined;
  if (opts.allowNone && raw.toLowerCase() === 'none') return null;
  const n = Number(raw);
  const min = opts.min ?? 0;
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || (opts.integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be ${opts.integer ? 'a whole number' : 'a number'} >= ${String(min)}${opts.allowNone ? ' or "none"' : ''}, not "${raw}"`);
  }
  return n;
}

/** `12`, `11-13`, `11,14,19`, `all` or --filter as a generation target. */
function parseTarget(target: string | undefined, filterText: string | undefined): GenerationTarget {
  if (target && filterText) throw new UsageError('give a target or --filter, not both');
  if (!target && !filterText) throw new UsageError('say what to generate: 12, 11-13, 11,14,19, all, or --filter tier=1,persona=marcus');
  if (target) {
    const spec = target.trim().toLowerCase();
    if (spec === 'all') return { kind: 'all' };
    const range = /^(\d+)-(\d+)$/.exec(spec);
    if (range) {
      const from = Number(range[1]), to = Number(range[2]);
      if (to < from) throw new UsageError(`${String(from)}-${String(to)} is backwards: write the smaller number first`);
      return { kind: 'range', from, to };
    }
    if (/^\d+(,\d+)*$/.test(spec)) return { kind: 'numbers', numbers: [...new Set(spec.split(',').map(Number))].sort((a, b) => a - b) };
    throw new UsageError(`"${target}" is not a target: use a number (12), a range (11-13), a list (11,14,19), all, or --filter tier=1,persona=marcus`);
  }
  const { filter, errors } = parsePlanFilter((filterText ?? '').replaceAll(',', ' '));
  for (const key of ['status', 'minQuality', 'page'] as const) if (key in filter) errors.push('run takes only tier, persona, topic and template filters');
  if (errors.length) throw new UsageError(`bad --filter: ${[...new Set(errors)].join('; ')}`);
  return { kind: 'filter', filter };
}

/** Resolves a target to the conversations to generate; throws UsageError when there are none. */
export async function resolveTarget(db: Db, target: string | undefined, filterText: string | undefined): Promise<{ type: 'single' | 'batch' | 'process_all'; ids?: string[]; skipped: string[] }> {
  const parsed = parseTarget(target, filterText);
  const s = await selectForGeneration(db, parsed);
  if (s.missing.length) throw new UsageError(`no training conversation number ${s.missing.join(', ')} (run "npm run gen -- plan import FILE" first?)`);
  if (s.type === 'process_all') return { type: 'process_all', skipped: [] };
  const skipped = s.skipped.map((k) => `${String(k.number)} (${k.status})`);
  if (s.ids.length === 0) throw new UsageError(`nothing to generate for "${target ?? filterText ?? ''}": no planned conversation matches${skipped.length ? `; already past planned: ${skipped.join(', ')}` : ''}`);
  return { type: s.type, ids: s.ids, skipped };
}

/** A job id from its full form or a prefix (the 8 characters `status` shows). */
export async function resolveJobId(db: Db, raw: string): Promise<string> {
  const prefix = raw.trim().toLowerCase();
  if (!JOB_ID_PREFIX.test(prefix)) throw new UsageError(`"${raw}" is not a job id: give the id (or its first 8 characters) that "npm run gen -- status" shows`);
  const [first, second] = await jobIdsWithPrefix(db, prefix);
  if (!first) throw new UsageError(`no generation job ${prefix}`);
  if (second) throw new UsageError(`more than one job starts with ${prefix}: give more of the id`);
  return first;
}

/** `gen status [jobId]`. */
export async function statusCommand(db: Db, jobId: string | undefined): Promise<void> {
  if (jobId) {
    const id = await resolveJobId(db, jobId);
    for (const line of progressLines(await jobProgress(db, id), await jobItemNames(db, id))) console.log(line);
    return;
  }
  const jobs = await listJobs(db, { limit: 20 });
  if (jobs.length === 0) { console.log('no generation jobs yet ("npm run gen -- run 11-13" starts one)'); return; }
  const rows = [['ID', 'TYPE', 'STATUS', 'DONE', 'FAILED', 'TOTAL', 'COST', 'CREATED', 'MODE']];
  for (const j of jobs) {
    rows.push([j.id.slice(0, 8), j.job_type, j.displayStatus, String(j.completed_conversations ?? 0), String(j.failed_conversations ?? 0), String(j.total_conversations),
      `$${((j.total_cost_cents ?? 0) / 100).toFixed(2)}`, j.created_at ? new Date(j.created_at).toISOString().slice(0, 19).replace('T', ' ') : '-', j.mode]);
  }
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd());
}

/** `gen pause|resume|cancel <jobId>`: changes the job and prints its new state. */
export async function controlCommand(db: Db, verb: 'pause' | 'resume' | 'cancel', rawId: string, opts: { costCeiling?: string } = {}, config?: Config): Promise<void> {
  const id = await resolveJobId(db, rawId);
  const before = await jobProgress(db, id);
  if (verb === 'resume') {
    const ceiling = parseAmount('--cost-ceiling', opts.costCeiling, { allowNone: true });
    await resumeJob(db, id, ceiling === undefined ? {} : { costCeilingUsd: ceiling });
  } else {
    const open = before.status === 'queued' || before.status === 'in_progress' || (verb === 'cancel' && before.status === 'paused');
    if (!open) throw new UsageError(`job ${id.slice(0, 8)} is ${before.status}; only a queued or running job can be ${verb === 'pause' ? 'paused' : 'cancelled'}`);
    if (verb === 'pause') await pauseJob(db, id, 'paused from the CLI');
    else {
      // A batch-mode job's batch is cancelled at Anthropic now, not when a runner next polls it.
      const client = config ? createClaudeClient({ ...config.anthropic, maxRetries: 2 }) : null;
      await cancelJobAndBatch(db, client, id, createLogger('warn', pino.destination(2)));
    }
  }
  const after = await jobProgress(db, id);
  console.log(`job ${id.slice(0, 8)}: ${before.status} -> ${after.status} (${String(after.done)} done, ${String(after.failed)} failed, ${String(after.pending)} pending of ${String(after.total)})`);
  if (verb === 'resume') console.log(`continue it with: npm run gen -- run --job ${id}`);
  if (verb === 'pause') console.log(before.mode === 'batch' ? 'a run in progress stops polling; the batch runs on at Anthropic and resume picks up its results' : 'a run in progress stops after its current conversation');
}

/** Creates the job `gen run` asked for, or finds the one --job names. */
async function jobToRun(db: Db, target: string | undefined, opts: RunOptions): Promise<string> {
  if (opts.job) {
    if (target || opts.filter) throw new UsageError('--job continues an existing job: give no target or --filter with it');
    if (opts.concurrency || opts.minGapMs || opts.costCeiling || opts.batch) throw new UsageError('--job keeps the job\'s own options; change the cost ceiling with "npm run gen -- resume ID --cost-ceiling USD"');
    return resolveJobId(db, opts.job);
  }
  if (opts.batch && (opts.concurrency || opts.minGapMs)) throw new UsageError('--concurrency and --min-gap-ms do not apply to --batch: Anthropic runs a batch\'s requests at its own pace');
  const concurrency = parseAmount('--concurrency', opts.concurrency, { integer: true, min: 1 }) ?? 1;
  const minGapMs = parseAmount('--min-gap-ms', opts.minGapMs, { integer: true }) ?? 0;
  const costCeilingUsd = parseAmount('--cost-ceiling', opts.costCeiling) ?? null;
  const t = await resolveTarget(db, target, opts.filter);
  if (t.skipped.length) console.log(`skipping, already past planned: ${t.skipped.join(', ')}`);
  const job = await createJob(db, { type: t.type, conversationIds: t.ids, createdBy: CLI_OPERATOR_UUID, options: { mode: opts.batch ? 'batch' : 'direct', concurrency, minGapMs, costCeilingUsd } });
  console.log(`job ${job.id}: ${String(job.total_conversations)} conversation(s), ${job.job_type}${opts.batch ? ', through the Message Batches API (half price; answered within 24 h, usually within 1 h; Ctrl-C and run --job ID later to collect the results)' : ''}`);
  return job.id;
}

/** `gen run <target>` / `gen run --job ID`. Sets process.exitCode; throws UsageError for exit 1. */
export async function runCommand(db: Db, config: Config, target: string | undefined, opts: RunOptions): Promise<void> {
  const client = createClaudeClient({ ...config.anthropic, maxRetries: 0, timeoutMs: 600_000 });
  if (!client) throw new UsageError(NEEDS_CLAUDE);
  const jobId = await jobToRun(db, target, opts);
  // Logs go to stderr, at warn or quieter, so they do not break up the bar on stdout.
  const level = config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace' ? 'warn' : config.logLevel;
  const logger = createLogger(level, pino.destination(2));
  const pricing = loadPricing({ file: config.modelPricingFile, logger });
  const callLog = createCallLog({ db, logger, pricing });
  const names = await jobItemNames(db, jobId);
  const first = await jobProgress(db, jobId);
  const view = progressView(first.total, names);
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    console.log(first.mode === 'batch'
      ? '\nstopping: the batch runs on at Anthropic; run --job collects its results (Ctrl-C again to quit at once)'
      : '\nstopping: releasing the conversation in flight (Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let stopReason: StopReason;
  try {
    view.start(await jobProgress(db, jobId));
    const summary = await runJob(
      {
        db, logger,
        workerId: `cli:${hostname()}:${String(process.pid)}`,
        signal: abort.signal,
        onProgress: (p) => {
          view.update(p);
        },
        batch: { client, model: config.anthropic.model, callLog, pricing, pollMs: config.generationBatchPollMs },
        generate: async (conversationUuid, ctx) => {
          view.itemStarted(conversationUuid);
          const r = await generateConversation({ db, client, model: config.anthropic.model, callLog, logger, pricing }, conversationUuid, ctx);
          return { inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd, durationMs: r.durationMs };
        },
      },
      jobId,
    );
    stopReason = summary.stopReason;
  } finally {
    view.stop();
    process.off('SIGINT', onSigint);
  }
  await report(db, jobId, stopReason, names);
}

/** The end of a run: what happened, failed items, what to do next, and the exit code. */
async function report(db: Db, jobId: string, stopReason: StopReason, names: Map<string, string>): Promise<void> {
  const p = await jobProgress(db, jobId);
  console.log(`job ${jobId}: ${p.status} - ${String(p.done)} generated, ${String(p.failed)} failed, ${String(p.pending)} pending, ${String(p.cancelled)} cancelled of ${String(p.total)}; ${String(p.tokens)} tokens, ${money(p.costUsd)}`);
  for (const f of await failedItems(db, jobId)) console.log(`  failed: ${names.get(f.conversationId) ?? f.conversationId}: ${f.lastError ?? 'unknown error'}`);
  const cont = `npm run gen -- run --job ${jobId}`;
  if (stopReason === 'aborted') {
    console.log(`interrupted; continue with: ${cont}`);
    process.exitCode = 2;
  } else if (p.status === 'paused') {
    console.log(`paused${p.errorMessage ? ` (${p.errorMessage})` : ''}; resume with: npm run gen -- resume ${jobId} then ${cont}`);
    process.exitCode = 2;
  } else if (p.status === 'cancelled') {
    process.exitCode = 2;
  } else if (p.status === 'completed') {
    process.exitCode = 0;
  } else if (p.status === 'failed') {
    console.error(`error: job ${jobId.slice(0, 8)} failed: ${p.errorMessage ?? 'see the failed items'}${p.pending ? `; once fixed: npm run gen -- resume ${jobId} then ${cont}` : ''}`);
    process.exitCode = 1;
  } else {
    // Still open: other workers hold its items (or it was not runnable here).
    console.log(`the job is ${p.status}; continue with: ${cont}`);
    process.exitCode = 2;
  }
}
