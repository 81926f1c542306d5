/** Generation jobs: claims and leases, the direct and batch runners, control, the background runner, the service. */
export type {
  BatchState, CreateJobInput, Generate, GenerateResult, JobMode, JobNotify, JobOptions, JobProgress, JobStatus, JobSummary, StopReason,
} from './types';
export { DEFAULT_JOB_OPTIONS, DEFAULT_LEASE_MS, noCardNotify, hasCard } from './types';
export { JobError, controlOf } from './control';
export { claimNextItem } from './claims';
export { intervalTicker, type Ticker } from './heartbeat';
export {
  createJob, getJob, pauseJob, resumeJob, cancelJob, jobProgress, listJobs, jobIdsWithPrefix, JOB_ID_PREFIX, jobExists, failedItems, jobItemNames, recordJobNotify,
} from './job-store';
export { runDirectJob, type RunJobDeps } from './direct-runner';
export { runJob, type RunAnyJobDeps } from './run-job';
export { customIdFor, DEFAULT_BATCH_POLL_MS, type BatchDeps, type RunBatchJobDeps } from './batch/batch-context';
export { runBatchJob, cancelJobBatch } from './batch/batch-runner';
export { JobRunner, type JobEvents, type JobRunnerDeps } from './job-runner';
export {
  selectForGeneration, estimateJob, creatorUuid, startJob, cancelJobAndBatch,
  type GenerationTarget, type GenerationSelection, type StartJobInput, type StartJobResult,
} from './job-service';
