/**
 * The generation-job commands of `npm run gen`: run (create a job, or continue one with --job, and run
 * it here with a progress bar), status, pause, resume, cancel. cli.ts wires them into commander.
 *
 * Exit codes of run: 0 the job completed (some items may have failed; they are listed), 1 a usage,
 * not-found or offline error, 2 the job is paused, cancelled, or this run was interrupted (Ctrl-C).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { SingleBar } from 'cli-progress';
import { type Kysely, sql } from 'kysely';
import pino from 'pino';
import type { Database, GenerationJobType } from '../../db';
import type { Config } from '../config';
import { DomainError } from '../errors';
import { createClaudeClient, createCallLog, loadPricing } from '../llm';
import { createLogger } from '../logger';
import { parsePlanArgs } from './catalog';
import { generateConversation } from './generator';
import { cancelJob, controlOf, createJob, type JobProgress, jobProgress, listJobs, pauseJob, resumeJob, type StopReason } from './jobs';
import { runJob } from './run-job';
import { cancelJobBatch } from './batch-jobs';

type Db = Kysely<Database>;

/** A mistake in the command line (or a thing that does not exist): its message is all the person needs. */
export class UsageError extends DomainError {}

/** generation_jobs.created_by for jobs started from this CLI: the same mapping as src/bot/job-commands.ts testerUuid. */
export const CLI_OPERATOR_UUID = (() => {
  const h = createHash('sha1').update('tuning-bot:cli').digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
})();

export const NEEDS_CLAUDE = 'generation needs Claude: set ANTHROPIC_API_KEY';
const TIERS = { 1: 'tier1_template', 2: 'tier2_scenario', 3: 'tier3_edge' } as const;
const GENERATABLE = ['planned', 'in_progress'];

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
    throw new UsageError(`${name} must be ${opts.integer ? 'a whole number' : 'a number'} >= ${min}${opts.allowNone ? ' or "none"' : ''}, not "${raw}"`);
  }
  return n;
}

interface Target {
  type: GenerationJobType;
  /** Absent for process_all (createJob picks every planned conversation, tier 1 first). */
  ids?: string[];
  skipped: string[];
}

/** Resolves `12`, `11-13`, `11,14,19`, `all` or --filter to the conversations to generate. */
export async function resolveTarget(db: Db, target: string | undefined, filterText: string | undefined): Promise<Target> {
  if (target && filterText) throw new UsageError('give a target or --filter, not both');
  if (!target && !filterText) throw new UsageError('say what to generate: 12, 11-13, 11,14,19, all, or --filter tier=1,persona=marcus');
  const spec = (target ?? '').trim().toLowerCase();
  if (spec === 'all') return { type: 'process_all', skipped: [] };
  let rows: Array<{ id: string; conversation_number: number; conversation_id: string; generation_status: string | null }>;
  let numbers: number[] | null = null;
  if (target) {
    const range = /^(\d+)-(\d+)$/.exec(spec);
    if (range) {
      const from = Number(range[1]), to = Number(range[2]);
      if (to < from) throw new UsageError(`${from}-${to} is backwards: write the smaller number first`);
      numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    } else if (/^\d+(,\d+)*$/.test(spec)) {
      numbers = [...new Set(spec.split(',').map(Number))].sort((a, b) => a - b);
    } else {
      throw new UsageError(`"${target}" is not a target: use a number (12), a range (11-13), a list (11,14,19), all, or --filter tier=1,persona=marcus`);
    }
    rows = await db.selectFrom('training_conversations').select(['id', 'conversation_number', 'conversation_id', 'generation_status'])
      .where('conversation_number', 'in', numbers).orderBy('conversation_number').execute();
    const have = new Set(rows.map((r) => r.conversation_number));
    const missing = numbers.filter((n) => !have.has(n));
    if (missing.length) throw new UsageError(`no training conversation number ${missing.join(', ')} (run "npm run gen -- plan import FILE" first?)`);
  } else {
    const { filter, errors } = parsePlanArgs((filterText ?? '').replaceAll(',', ' '));
    for (const key of ['status', 'minQuality', 'page'] as const) if (key in filter) errors.push('run takes only tier, persona, topic and template filters');
    if (errors.length) throw new UsageError(`bad --filter: ${[...new Set(errors)].join('; ')}`);
    let q = db.selectFrom('training_conversations').select(['id', 'conversation_number', 'conversation_id', 'generation_status']);
    if (filter.persona) q = q.where((eb) => eb.or([eb('persona_name', 'ilike', `%${filter.persona}%`), eb('persona_type', 'ilike', `%${filter.persona}%`)]));
    if (filter.tier) q = q.where('tier', '=', TIERS[filter.tier]);
    if (filter.topic) q = q.where('topic_category', 'ilike', `%${filter.topic}%`);
    if (filter.template) q = q.where('tier_template', 'ilike', `%${filter.template}`);
    rows = await q.orderBy('conversation_number').execute();
  }
  const open = rows.filter((r) => GENERATABLE.includes(r.generation_status ?? 'planned'));
  const skipped = rows.filter((r) => !open.includes(r)).map((r) => `${r.conversation_number} (${r.generation_status})`);
  if (open.length === 0) throw new UsageError(`nothing to generate for "${target ?? filterText}": no planned conversation matches${skipped.length ? `; already past planned: ${skipped.join(', ')}` : ''}`);
  return { type: numbers?.length === 1 ? 'single' : 'batch', ids: open.map((r) => r.id), skipped };
}

/** A job id from its full form or a prefix (the 8 characters `status` shows). */
export async function resolveJobId(db: Db, raw: string): Promise<string> {
  const prefix = raw.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(prefix)) throw new UsageError(`"${raw}" is not a job id: give the id (or its first 8 characters) that "npm run gen -- status" shows`);
  const rows = await db.selectFrom('generation_jobs').select('id').where(sql<boolean>`id::text LIKE ${`${prefix}%`}`).limit(2).execute();
  if (rows.length !== 1) throw new UsageError(rows.length ? `more than one job starts with ${prefix}: give more of the id` : `no generation job ${prefix}`);
  return rows[0]!.id;
}

const money = (usd: number) => `$${usd.toFixed(4)}`;
const duration = (ms: number | null) => {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

/** Batch mode: where the job's batch is. */
function batchLine(p: JobProgress): string {
  const b = p.batch;
  if (!b) return p.pending ? 'batch: preparing the next one' : 'batch: none running';
  if (b.processingStatus === 'submitting') return `batch: sending ${b.requests} request(s)`;
  return `batch: ${b.id} ${b.processingStatus}, ${b.answered} of ${b.requests} answered${b.expiresAt ? `, expires ${b.expiresAt}` : ''}${b.polledAt ? ` (polled ${b.polledAt})` : ''}`;
}

/** jobProgress as readable lines. */
export function progressLines(p: JobProgress, names: Map<string, string> = new Map()): string[] {
  return [
    `job ${p.jobId}`,
    `status: ${p.status}`,
    `done ${p.done} / failed ${p.failed} / pending ${p.pending} / cancelled ${p.cancelled} of ${p.total}`,
    ...(p.mode === 'batch' ? [batchLine(p)] : []),
    ...(p.current ? [`current: ${names.get(p.current.conversationId) ?? p.current.conversationId} (item ${p.current.position + 1}, ${p.current.claimedBy ?? 'unclaimed'})`] : []),
    `tokens: ${p.tokens}, cost: ${money(p.costUsd)}`,
    `started: ${p.startedAt?.toISOString() ?? '-'}, completed: ${p.completedAt?.toISOString() ?? '-'}${p.pending && p.etaMs !== null ? `, ETA ${duration(p.etaMs)}` : ''}`,
    ...(p.errorMessage ? [`note: ${p.errorMessage}`] : []),
  ];
}

/** training_conversations.id → "12 fp_marcus_012" for the job's items. */
async function itemNames(db: Db, jobId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('generation_job_items as i').innerJoin('training_conversations as c', 'c.id', 'i.conversation_id')
    .select(['c.id', 'c.conversation_number', 'c.conversation_id']).where('i.job_id', '=', jobId).execute();
  return new Map(rows.map((r) => [r.id, `${r.conversation_number} ${r.conversation_id}`]));
}

/** `gen status [jobId]`. */
export async function statusCommand(db: Db, jobId: string | undefined): Promise<void> {
  if (jobId) {
    const id = await resolveJobId(db, jobId);
    for (const line of progressLines(await jobProgress(db, id), await itemNames(db, id))) console.log(line);
    return;
  }
  const jobs = await listJobs(db, { limit: 20 });
  if (jobs.length === 0) return void console.log('no generation jobs yet ("npm run gen -- run 11-13" starts one)');
  const rows = [['ID', 'TYPE', 'STATUS', 'DONE', 'FAILED', 'TOTAL', 'COST', 'CREATED', 'MODE']];
  for (const j of jobs) {
    rows.push([j.id.slice(0, 8), j.job_type, j.displayStatus, String(j.completed_conversations ?? 0), String(j.failed_conversations ?? 0), String(j.total_conversations),
      `$${((j.total_cost_cents ?? 0) / 100).toFixed(2)}`, j.created_at ? new Date(j.created_at).toISOString().slice(0, 19).replace('T', ' ') : '-', controlOf(j).options.mode]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
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
      await cancelJob(db, id);
      // A batch-mode job's batch is cancelled at Anthropic now, not when a runner next polls it.
      const client = config ? createClaudeClient({ ...config.anthropic, maxRetries: 2 }) : null;
      await cancelJobBatch(db, client, id, createLogger('warn', pino.destination(2)));
    }
  }
  const after = await jobProgress(db, id);
  console.log(`job ${id.slice(0, 8)}: ${before.status} -> ${after.status} (${after.done} done, ${after.failed} failed, ${after.pending} pending of ${after.total})`);
  if (verb === 'resume') console.log(`continue it with: npm run gen -- run --job ${id}`);
  if (verb === 'pause') console.log(before.mode === 'batch' ? 'a run in progress stops polling; the batch runs on at Anthropic and resume picks up its results' : 'a run in progress stops after its current conversation');
}

/** Shows progress: a redrawn bar on a terminal, one line per change otherwise. */
function progressView(total: number, names: Map<string, string>) {
  const tty = process.stdout.isTTY === true;
  const bar = tty ? new SingleBar({ format: '{bar} {value}/{total} | failed {failed} | {current} | ETA {eta_formatted} | ${cost}', stream: process.stdout, hideCursor: true }) : null;
  let last = '';
  let current = '-';
  let started = false;
  const payload = (p: { failed: number; costUsd: number }) => ({ failed: p.failed, current, cost: p.costUsd.toFixed(4) });
  return {
    start(p: JobProgress) {
      started = true;
      bar?.start(total, p.done + p.failed + p.cancelled, payload(p));
      this.update(p);
    },
    itemStarted(conversationUuid: string) {
      current = names.get(conversationUuid) ?? conversationUuid;
      bar?.update({ current });
    },
    update(p: JobProgress) {
      if (!started) return;
      if (p.current) current = names.get(p.current.conversationId) ?? current;
      if (bar) return void bar.update(p.done + p.failed + p.cancelled, payload(p));
      const where = p.mode === 'batch' ? batchLine(p) : `last ${current} | ETA ${p.pending ? duration(p.etaMs) : '0s'}`;
      const line = `[${p.done + p.failed + p.cancelled}/${p.total}] done ${p.done}, failed ${p.failed}, pending ${p.pending} | ${where} | ${money(p.costUsd)}`;
      if (line !== last) console.log((last = line));
    },
    stop() {
      bar?.stop();
    },
  };
}

/** `gen run <target>` / `gen run --job ID`. Sets process.exitCode; throws UsageError for exit 1. */
export async function runCommand(db: Db, config: Config, target: string | undefined, opts: RunOptions): Promise<void> {
  const client = createClaudeClient({ ...config.anthropic, maxRetries: 0, timeoutMs: 600_000 });
  if (!client) throw new UsageError(NEEDS_CLAUDE);
  let jobId: string;
  if (opts.job) {
    if (target || opts.filter) throw new UsageError('--job continues an existing job: give no target or --filter with it');
    if (opts.concurrency || opts.minGapMs || opts.costCeiling || opts.batch) throw new UsageError('--job keeps the job\'s own options; change the cost ceiling with "npm run gen -- resume ID --cost-ceiling USD"');
    jobId = await resolveJobId(db, opts.job);
  } else {
    if (opts.batch && (opts.concurrency || opts.minGapMs)) throw new UsageError('--concurrency and --min-gap-ms do not apply to --batch: Anthropic runs a batch\'s requests at its own pace');
    const concurrency = parseAmount('--concurrency', opts.concurrency, { integer: true, min: 1 }) ?? 1;
    const minGapMs = parseAmount('--min-gap-ms', opts.minGapMs, { integer: true }) ?? 0;
    const costCeilingUsd = parseAmount('--cost-ceiling', opts.costCeiling) ?? null;
    const t = await resolveTarget(db, target, opts.filter);
    if (t.skipped.length) console.log(`skipping, already past planned: ${t.skipped.join(', ')}`);
    const job = await createJob(db, { type: t.type, conversationIds: t.ids, createdBy: CLI_OPERATOR_UUID, options: { mode: opts.batch ? 'batch' : 'direct', concurrency, minGapMs, costCeilingUsd } });
    jobId = job.id;
    console.log(`job ${jobId}: ${job.total_conversations} conversation(s), ${job.job_type}${opts.batch ? ', through the Message Batches API (half price; answered within 24 h, usually within 1 h; Ctrl-C and run --job ID later to collect the results)' : ''}`);
  }

  // Logs go to stderr, at warn or quieter, so they do not break up the bar on stdout.
  const level = config.logLevel === 'info' || config.logLevel === 'debug' || config.logLevel === 'trace' ? 'warn' : config.logLevel;
  const logger = createLogger(level, pino.destination(2));
  const pricing = loadPricing({ file: config.modelPricingFile, logger });
  const callLog = createCallLog({ db, logger, pricing });
  const names = await itemNames(db, jobId);
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
        db,
        logger,
        workerId: `cli:${hostname()}:${process.pid}`,
        signal: abort.signal,
        onProgress: (p) => view.update(p),
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
  const failed = await db.selectFrom('generation_job_items').select(['conversation_id', 'last_error']).where('job_id', '=', jobId).where('status', '=', 'failed').orderBy('position').execute();
  console.log(`job ${jobId}: ${p.status} - ${p.done} generated, ${p.failed} failed, ${p.pending} pending, ${p.cancelled} cancelled of ${p.total}; ${p.tokens} tokens, ${money(p.costUsd)}`);
  for (const f of failed) console.log(`  failed: ${names.get(f.conversation_id) ?? f.conversation_id}: ${f.last_error ?? 'unknown error'}`);
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
