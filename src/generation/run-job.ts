/**
 * Runs a generation job in the mode it was created with: direct (one Messages call per conversation,
 * jobs.ts) or batch (the Message Batches API, batch-jobs.ts). Callers supply both engines' dependencies;
 * a batch-mode job run without `batch` fails loudly rather than fall back to full-price calls.
 */
import { type BatchDeps, runBatchJob } from './batch-jobs';
import { controlOf, getJob, JobError, type JobSummary, runDirectJob, type RunJobDeps } from './jobs';

export interface RunAnyJobDeps extends RunJobDeps {
  /** Needed for batch-mode jobs. */
  batch?: BatchDeps;
}

export async function runJob(deps: RunAnyJobDeps, jobId: string): Promise<JobSummary> {
  const job = await getJob(deps.db, jobId);
  if (controlOf(job).options.mode !== 'batch') return runDirectJob(deps, jobId);
  if (!deps.batch) throw new JobError(`job ${jobId} runs through the Message Batches API, which this runner is not set up for`);
  return runBatchJob({ ...deps, batch: deps.batch }, jobId);
}
