/**
 * Generation jobs from Teams: what `/generate` would start (its confirmation card), /jobs and /job ID.
 * The multi-step `/generate` is a dialog (dialogs/generate-dialog.ts); the card buttons are verbs
 * (verbs/job-verbs.ts). Choosing, estimating, starting and reading jobs are the generation job service's.
 */
import { TurnContext } from 'botbuilder';
import { type CardJson, jobConfirmCard } from '../../cards';
import { DomainError } from '../../errors';
import type { GenerationJobType } from '../../../db';
import {
  creatorUuid, estimateJob, type GenerationTarget, JobError, jobIdsWithPrefix, type JobMode, jobProgress, listJobs, parsePlanFilter, selectForGeneration, startJob,
} from '../../generation';
import type { Tester } from '../../tuning';
import { type CommandContext, sendCard, sendText } from '../command-context';
import type { BotDeps, JobsDeps } from '../deps';
import { jobTitle, progressCard, refToRecord } from '../job-cards';

/** A refusal of a job command; its text is the tester's to read. */
export class JobCommandError extends DomainError {}

export const GENERATE_USAGE = 'Say what to generate: `/generate 12`, `/generate 11-13`, `/generate tier=1 persona=marcus` or `/generate all`.';

/** The job parts, or why generation is not set up on this bot. */
export function jobsSetUp(deps: BotDeps): JobsDeps {
  if (!deps.jobs) throw new JobCommandError('Generation is not set up on this bot.');
  return deps.jobs;
}

/** The job parts, or why generation cannot run on this bot now. */
export function jobsOf(deps: BotDeps): JobsDeps {
  const jobs = jobsSetUp(deps);
  if (!jobs.online) throw new JobCommandError('Generation needs Claude: set ANTHROPIC_API_KEY and restart the bot. Plans, seeds and reviews work offline.');
  return jobs;
}

/** Whether a reply to "what should I generate?" is meant as an answer (a number, a range, filters or all). */
export function looksLikeGenerateSpec(text: string): boolean {
  return /^(all|\d+(\s*-\s*\d+)?|([a-z]+=\S*)(\s+[a-z]+=\S*)*)$/i.test(text.trim());
}

/** `N`, `N-M`, `all` or filters as a generation target, with the card's sentence for it. */
function parseSpec(spec: string): { target: GenerationTarget; what: string } {
  if (spec === 'all') return { target: { kind: 'all' }, what: 'Every planned conversation, tier 1 first, then 2, then 3.' };
  const range = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2] ?? range[1]);
    if (to < from) throw new JobCommandError(`${String(from)}-${String(to)} is backwards: write the smaller number first.`);
    return { target: { kind: 'range', from, to }, what: from === to ? `Conversation ${String(from)}.` : `Conversations ${String(from)} to ${String(to)} that are still planned.` };
  }
  const { filter, errors } = parsePlanFilter(spec);
  if (errors.length) throw new JobCommandError(`I couldn't read that: ${errors.join('; ')}.`);
  const { persona, tier, topic, template } = filter;
  return { target: { kind: 'filter', filter: { persona, tier, topic, template } }, what: `Planned conversations matching ${spec}.` };
}

/** What a confirmation offers to start. */
export interface ConfirmedSelection {
  type: GenerationJobType;
  /** Empty for process_all. */
  ids: string[];
}

/** The confirmation card for a `/generate` argument; throws JobCommandError (the tester's to read) when nothing fits. */
export async function confirmationFor(deps: BotDeps, raw: string): Promise<{ card: CardJson; selection: ConfirmedSelection }> {
  const jobs = jobsOf(deps);
  const spec = raw.trim().toLowerCase();
  if (!spec) throw new JobCommandError(GENERATE_USAGE);
  const { target, what } = parseSpec(spec);
  const selection = await selectForGeneration(deps.db, target);
  if (selection.ids.length === 0) throw new JobCommandError(`Nothing to generate for "${spec}": no planned conversation matches (see /plan status=planned).`);
  const estimate = estimateJob(selection.ids.length, jobs.pricing, jobs.model);
  const ids = selection.type === 'process_all' ? [] : selection.ids;
  const card = jobConfirmCard({ count: selection.ids.length, what, seconds: estimate.seconds, costUsd: estimate.costUsd, model: jobs.model, jobType: selection.type, ids });
  return { card, selection: { type: selection.type, ids } };
}

/** A job a confirmation started (or found running). */
export interface LaunchedJob {
  jobId: string;
  title: string;
  /** Said on the card when the job was already running. */
  note: string | null;
}

/**
 * Starts (or finds) the job a confirmation offered and runs it here, reporting to the card whose id
 * PROGRESS_CARD gives (the clicked confirmation, or a progress card it sends for a typed answer).
 */
export async function launchJob(
  c: { deps: BotDeps; tester: Tester; turn: TurnContext },
  selection: ConfirmedSelection & { mode: JobMode },
  progressCardId: (job: LaunchedJob) => Promise<string | null>,
): Promise<LaunchedJob | null> {
  const { deps, tester, turn } = c;
  const jobs = jobsSetUp(deps);
  const ids = selection.type === 'process_all' ? undefined : selection.ids;
  let started;
  try {
    started = await startJob(deps.db, { type: selection.type, ids, mode: selection.mode, createdBy: creatorUuid(tester.id) });
  } catch (err) {
    // The job module's refusals (conversations gone) are the tester's to read.
    if (err instanceof JobError) throw new JobCommandError(`That didn't work: ${err.message}.`);
    throw err;
  }
  if (started.kind === 'nothing_left') return null;
  const launched: LaunchedJob = { jobId: started.jobId, title: jobTitle(started.jobId), note: started.kind === 'existing' ? 'This job is already running; this card follows it.' : null };
  if (started.kind === 'started') deps.logger.info({ jobId: started.jobId, testerId: tester.id, type: selection.type, mode: selection.mode }, 'generation job started');
  const activityId = await progressCardId(launched);
  if (!jobs.runner.isRunning(started.jobId)) {
    jobs.runner.start(started.jobId, { ref: refToRecord(TurnContext.getConversationReference(turn.activity)), activityId, title: launched.title });
  }
  return launched;
}

export const NOTHING_LEFT = 'Nothing on that card is left to generate: its conversations are past planned (see /plan). Send /generate again for a fresh card.';

/** `/jobs`: the recent jobs. */
export async function jobsCommand({ turn, deps }: CommandContext): Promise<void> {
  const rows = await listJobs(deps.db, { limit: 10 });
  if (rows.length === 0) {
    await sendText(turn, 'No generation jobs yet. `/generate 11-13` starts one.');
    return;
  }
  const line = (j: (typeof rows)[number]) =>
    `- **${j.id.slice(0, 8)}** · ${j.job_type}${j.mode === 'batch' ? ' (Message Batches)' : ''} · ${j.displayStatus} · ${String(j.completed_conversations ?? 0)}/${String(j.total_conversations)} done, ${String(j.failed_conversations ?? 0)} failed`;
  await sendText(turn, ['**Generation jobs** (newest first):', ...rows.map(line), '`/job <id>` shows one.'].join('\n'));
}

/** `/job ID`: one job's progress card (live while this process runs it). */
export async function jobCommand({ turn, deps, arg }: CommandContext): Promise<void> {
  const prefix = (arg ?? '').trim().toLowerCase();
  const ids = /^[0-9a-f-]{4,36}$/.test(prefix) ? await jobIdsWithPrefix(deps.db, prefix) : null;
  if (!ids) throw new JobCommandError('Give the job id `/jobs` shows: `/job 1a2b3c4d`.');
  const [jobId, another] = ids;
  if (!jobId) throw new JobCommandError(`No job starts with ${prefix}.`);
  if (another) throw new JobCommandError(`More than one job starts with ${prefix}.`);
  const title = jobTitle(jobId);
  const progress = await jobProgress(deps.db, jobId);
  const cardId = await sendCard(turn, progressCard(progress, title));
  // A job left running by a stopped bot (its items' leases expire) is picked up again here, and this
  // card becomes its live progress card.
  if ((progress.status === 'in_progress' || progress.status === 'queued') && deps.jobs && !deps.jobs.runner.isRunning(jobId)) {
    deps.jobs.runner.start(jobId, { ref: refToRecord(TurnContext.getConversationReference(turn.activity)), activityId: cardId ?? null, title });
  }
}
