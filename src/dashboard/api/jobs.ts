/** The Jobs page's API: recent generation jobs with live progress, and pause / resume / cancel. */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import { cancelJob, controlOf, JobError, jobProgress, listJobs, pauseJob, resumeJob } from '../../generation';
import type { Principal } from '../auth';
import type { JobView } from '../contract';
import { ApiError } from './http';

/** What the job pages need from the bot's job runner. */
export interface JobRunnerAccess {
  isRunning(jobId: string): boolean;
  /** Runs (or carries on) a job in this process, without a card. */
  run(jobId: string): void;
  /** Cancels a batch-mode job's batch at Anthropic too. */
  cancelBatch(jobId: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

async function viewOf(db: Kysely<Database>, runner: JobRunnerAccess, jobId: string): Promise<JobView> {
  const [job, p] = await Promise.all([
    db.selectFrom('generation_jobs').select(['job_type', 'created_at', 'results_summary']).where('id', '=', jobId).executeTakeFirstOrThrow(),
    jobProgress(db, jobId),
  ]);
  let current: string | null = null;
  if (p.current) {
    const row = await db.selectFrom('training_conversations').select(['conversation_number', 'conversation_id']).where('id', '=', p.current.conversationId).executeTakeFirst();
    current = row ? `${String(row.conversation_number)} · ${row.conversation_id}` : null;
  }
  return {
    id: jobId, type: job.job_type, mode: controlOf(job).options.mode, status: p.status, total: p.total, done: p.done, failed: p.failed, pending: p.pending,
    current, etaMs: p.etaMs, costUsd: p.costUsd, tokens: p.tokens, createdAt: iso(job.created_at), startedAt: iso(p.startedAt), completedAt: iso(p.completedAt),
    error: p.errorMessage, runningHere: runner.isRunning(jobId),
  };
}

/** GET /jobs — the 20 most recent jobs, newest first. */
export async function listJobViews(db: Kysely<Database>, runner: JobRunnerAccess): Promise<{ jobs: JobView[] }> {
  const jobs = await listJobs(db, { limit: 20 });
  return { jobs: await Promise.all(jobs.map((j) => viewOf(db, runner, j.id))) };
}

/** POST /jobs/:id/:action — the progress card's Pause, Resume and Cancel. */
export async function jobAction(db: Kysely<Database>, runner: JobRunnerAccess, who: Principal, jobId: string, action: string): Promise<{ job: JobView }> {
  if (!UUID.test(jobId)) throw new ApiError(404, 'No such job.');
  const exists = await db.selectFrom('generation_jobs').select('id').where('id', '=', jobId).executeTakeFirst();
  if (!exists) throw new ApiError(404, 'No such job.');
  try {
    if (action === 'pause') await pauseJob(db, jobId, `paused by ${who.name ?? who.testerId} on the dashboard`);
    else if (action === 'cancel') {
      await cancelJob(db, jobId);
      await runner.cancelBatch(jobId);
    } else if (action === 'resume') {
      await resumeJob(db, jobId);
      runner.run(jobId);
    } else throw new ApiError(404, 'The actions are pause, resume and cancel.');
  } catch (err) {
    if (err instanceof JobError) throw new ApiError(409, `That didn't work: ${err.message}.`);
    throw err;
  }
  return { job: await viewOf(db, runner, jobId) };
}
