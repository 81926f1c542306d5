/**
 * Runs a generation job in the mode it was created with: direct (one Messages call per conversation,
 * direct-runner.ts) or batch (the Message Batches API, batch/batch-runner.ts). Callers supply both
 * engines' dependencies; a batch-mode job run without `batch` fails loudly rather than fall back to
 * full-price calls.
 */
import type { BatchDeps } from './batch/batch-context';
import { runBatchJob } from './batch/batch-runner';
import { controlOf, JobError } from './control';
import { runDirectJob, type RunJobDeps } from './direct-runner';
import { getJob } from './job-store';
import type { JobSummary } from './types';

export interface RunAnyJobDeps extends RunJobDeps {
  /** Needed for batch-mode jobs. */
  batch?: BatchDeps;
}

/** Runs the job here until it stops (see StopReason); run it again to continue. */
export async function runJob(deps: RunAnyJobDeps, jobId: string): Promise<JobSummary> {
  const job = await getJob(deps.db, jobId);
  if (controlOf(job).options.mode !== 'batch') return runDirectJob(deps, jobId);
  if (!deps.batch) throw new JobError(`job ${jobId} runs through the Message Batches API, which this runner is not set up for`);
  return runBatchJob({ ...deps, batch: deps.batch }, jobId);
}
