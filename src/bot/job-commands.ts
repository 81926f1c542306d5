/**
 * Generation jobs from Teams: /generate (a confirmation card with count, time and cost), the
 * progress card's Start / Pause / Resume / Cancel, /jobs and /job ID.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { type TurnContext, CardFactory, MessageFactory, TurnContext as TC } from 'botbuilder';
import { sql } from 'kysely';
import { type CardJson, jobConfirmCard } from '../cards';
import { parsePlanArgs } from '../generation/catalog';
import { cancelJobBatch } from '../generation/batch-jobs';
import { cancelJob, controlOf, JobError, jobProgress, listJobs, pauseJob, resumeJob } from '../generation/jobs';
import { estimateGeneration, JobStartError, startGenerationJob, testerUuid } from '../generation/start-job';
import type { Pricing } from '../llm';
import { type Tester, TuningError, UUID_PATTERN } from '../tuning';
import type { BotDeps } from './deps';
import { type BotJobRunner, progressView } from './job-runner';

export interface JobsDeps {
  runner: BotJobRunner;
  pricing: Pricing;
  model: string;
  /** False without an API key: generation needs Claude. */
  online: boolean;
  /** The generation client (null offline): cancels a batch-mode job's batch at Anthropic. */
  client: Anthropic | null;
}

export class JobCommandError extends TuningError {
  constructor(readonly userMessage: string) {
    super(userMessage);
    this.name = 'JobCommandError';
  }
}

const TIERS = { 1: 'tier1_template', 2: 'tier2_scenario', 3: 'tier3_edge' } as const;

/** Kept for callers of the bot module; the mapping lives with the job start. */
export { testerUuid };

function send(context: TurnContext, card: CardJson) {
  return context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
}

/** `/generate N`, `/generate N-M`, `/generate all`, or `/generate persona=… tier=…`. */
export async function generateCommand(context: TurnContext, deps: BotDeps, arg: string | null): Promise<void> {
  const jobs = deps.jobs;
  if (!jobs) throw new JobCommandError('Generation is not set up on this bot.');
  if (!jobs.online) throw new JobCommandError('Generation needs Claude: set ANTHROPIC_API_KEY and restart the bot. Plans, seeds and reviews work offline.');
  const spec = (arg ?? '').trim().toLowerCase();
  if (!spec) throw new JobCommandError('Say what to generate: `/generate 12`, `/generate 11-13`, `/generate tier=1 persona=marcus` or `/generate all`.');
  let q = sql`SELECT id, conversation_number FROM training_conversations WHERE COALESCE(generation_status, 'planned') IN ('planned', 'in_progress')`;
  let what: string;
  let jobType: 'single' | 'batch' | 'process_all' = 'batch';
  const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (spec === 'all') {
    jobType = 'process_all';
    what = 'Every planned conversation, tier 1 first, then 2, then 3.';
  } else if (range) {
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    if (to < from) throw new JobCommandError(`${from}-${to} is backwards: write the smaller number first.`);
    q = sql`${q} AND conversation_number BETWEEN ${from} AND ${to}`;
    jobType = from === to ? 'single' : 'batch';
    what = from === to ? `Conversation ${from}.` : `Conversations ${from} to ${to} that are still planned.`;
  } else {
    const { filter, errors } = parsePlanArgs(spec);
    if (errors.length) throw new JobCommandError(`I couldn't read that: ${errors.join('; ')}.`);
    if (filter.persona) q = sql`${q} AND (persona_name ILIKE ${`%${filter.persona}%`} OR persona_type ILIKE ${`%${filter.persona}%`})`;
    if (filter.tier) q = sql`${q} AND tier = ${TIERS[filter.tier]}`;
    if (filter.topic) q = sql`${q} AND topic_category ILIKE ${`%${filter.topic}%`}`;
    if (filter.template) q = sql`${q} AND tier_template ILIKE ${`%${filter.template}`}`;
    what = `Planned conversations matching ${spec}.`;
  }
  const rows = (await sql<{ id: string; conversation_number: number }>`${q} ORDER BY conversation_number`.execute(deps.db)).rows;
  if (rows.length === 0) throw new JobCommandError(`Nothing to generate for "${spec}": no planned conversation matches (see /plan status=planned).`);
  const estimate = estimateGeneration(jobs.pricing, jobs.model, rows.length);
  await send(
    context,
    jobConfirmCard({
      count: rows.length,
      what,
      seconds: estimate.seconds,
      costUsd: estimate.costUsd,
      model: jobs.model,
      jobType,
      ids: jobType === 'process_all' ? [] : rows.map((r) => r.id),
    }),
  );
}

/** The job card actions; returns the card to show in place of the clicked one. */
export async function runJobAction(context: TurnContext, deps: BotDeps, tester: Tester, verb: string, data: Record<string, unknown>): Promise<CardJson> {
  try {
    return await jobAction(context, deps, tester, verb, data);
  } catch (err) {
    // The job module's refusals (a finished job resumed, conversations gone) are the tester's to read.
    if (err instanceof JobError) throw new JobCommandError(`That didn't work: ${err.message}.`);
    if (err instanceof JobStartError) throw new JobCommandError('Nothing on that card is left to generate: its conversations are past planned (see /plan). Send /generate again for a fresh card.');
    throw err;
  }
}

async function jobAction(context: TurnContext, deps: BotDeps, tester: Tester, verb: string, data: Record<string, unknown>): Promise<CardJson> {
  const jobs = deps.jobs;
  if (!jobs) throw new JobCommandError('Generation is not set up on this bot.');
  const ref = TC.getConversationReference(context.activity);
  const cardId = context.activity.replyToId;
  if (verb === 'tb.job.start') {
    const type = data.type === 'single' || data.type === 'process_all' ? data.type : 'batch';
    const ids = typeof data.ids === 'string' && data.ids ? data.ids.split(',') : undefined;
    if ((type !== 'process_all' && !ids) || ids?.some((id) => !UUID_PATTERN.test(id))) {
      throw new JobCommandError("That card's data isn't one I made: send /generate again for a fresh card.");
    }
    const mode = data.mode === 'batch' ? 'batch' : 'direct';
    // A second click on Start (or the same card clicked twice, even at the same moment) shows the job the
    // first one started: the same start the dashboard uses (src/generation/start-job.ts).
    const { job, existing } = await startGenerationJob(deps.db, { type, ids, mode, createdBy: testerUuid(tester.id) });
    if (existing) {
      const title = `Generation job ${job.id.slice(0, 8)}`;
      if (!jobs.runner.isRunning(job.id)) jobs.runner.start(job.id, ref, cardId, title);
      return progressView(deps.db, await jobProgress(deps.db, job.id), title, 'This job is already running; this card follows it.');
    }
    deps.logger.info({ jobId: job.id, testerId: tester.id, type, mode }, 'generation job started');
    const title = `Generation job ${job.id.slice(0, 8)}`;
    jobs.runner.start(job.id, ref, cardId, title);
    return progressView(deps.db, await jobProgress(deps.db, job.id), title);
  }
  const jobId = typeof data.jobId === 'string' ? data.jobId : '';
  const exists = await deps.db.selectFrom('generation_jobs').select('id').where(sql<boolean>`id::text = ${jobId}`).executeTakeFirst();
  if (!exists) throw new JobCommandError('That job no longer exists.');
  const title = `Generation job ${jobId.slice(0, 8)}`;
  if (verb === 'tb.job.pause') await pauseJob(deps.db, jobId, `paused by ${tester.name ?? tester.id}`);
  else if (verb === 'tb.job.cancel') {
    await cancelJob(deps.db, jobId);
    // A batch at Anthropic is cancelled now too, whether or not this process runs the job.
    await cancelJobBatch(deps.db, jobs.client, jobId, deps.logger);
  }
  else if (verb === 'tb.job.resume') {
    await resumeJob(deps.db, jobId);
    jobs.runner.start(jobId, ref, cardId, title);
  } else throw new JobCommandError("That button isn't one I know.");
  return progressView(deps.db, await jobProgress(deps.db, jobId), title);
}

/** `/jobs`: the recent jobs. */
export async function jobsCommand(context: TurnContext, deps: BotDeps): Promise<void> {
  const rows = await listJobs(deps.db, { limit: 10 });
  if (rows.length === 0) {
    await context.sendActivity('No generation jobs yet. `/generate 11-13` starts one.');
    return;
  }
  await context.sendActivity(
    ['**Generation jobs** (newest first):', ...rows.map((j) => `- **${j.id.slice(0, 8)}** · ${j.job_type}${controlOf(j).options.mode === 'batch' ? ' (Message Batches)' : ''} · ${j.displayStatus} · ${j.completed_conversations ?? 0}/${j.total_conversations} done, ${j.failed_conversations ?? 0} failed`), '`/job <id>` shows one.'].join('\n'),
  );
}

/** `/job ID`: one job's progress card (live while this process runs it). */
export async function jobCommand(context: TurnContext, deps: BotDeps, arg: string | null): Promise<void> {
  const prefix = (arg ?? '').trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(prefix)) throw new JobCommandError('Give the job id `/jobs` shows: `/job 1a2b3c4d`.');
  const job = await deps.db.selectFrom('generation_jobs').select('id').where(sql<boolean>`id::text LIKE ${`${prefix}%`}`).limit(2).execute();
  if (job.length !== 1) throw new JobCommandError(job.length ? `More than one job starts with ${prefix}.` : `No job starts with ${prefix}.`);
  const jobId = job[0]!.id;
  const title = `Generation job ${jobId.slice(0, 8)}`;
  const progress = await jobProgress(deps.db, jobId);
  const sent = await send(context, await progressView(deps.db, progress, title));
  // A job left running by a stopped bot (its items' leases expire) is picked up again here, and this
  // card becomes its live progress card.
  if ((progress.status === 'in_progress' || progress.status === 'queued') && deps.jobs && !deps.jobs.runner.isRunning(jobId)) {
    deps.jobs.runner.start(jobId, TC.getConversationReference(context.activity), sent?.id, title);
  }
}
