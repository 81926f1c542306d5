/**
 * The shapes of generation jobs: options, progress, summaries, and the generator the runners call.
 * Jobs live in generation_jobs (one row) and generation_job_items (one row per conversation); see
 * job-store.ts for the decisions the schema forces (no 'paused' status, options under `_job`).
 */
import type { GenerationJobStatus, GenerationJobType } from '../../../db';

export interface GenerateResult {
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  durationMs: number;
}
/** The generator, injected: failures throw an Error with optional `kind` and `retryAfterMs`. */
export type Generate = (conversationUuid: string, ctx: { signal: AbortSignal; jobId: string }) => Promise<GenerateResult>;

/** 'direct': one Messages call per conversation. 'batch': the whole job through the Message Batches API, at half price. */
export type JobMode = 'direct' | 'batch';

export interface JobOptions {
  mode: JobMode;
  /** Claim loops in one runJob process. Default 1. */
  concurrency: number;
  /** Minimum gap between the starts of two generate calls of one runner. Default 0. */
  minGapMs: number;
  /** Stop (pause) the job once the accumulated cost reaches this. Default null (none). */
  costCeilingUsd: number | null;
  /** Attempts per conversation before it is 'failed'. Default 3. */
  maxAttempts: number;
}

export interface CreateJobInput {
  type: GenerationJobType;
  /** training_conversations.id values, in job order; absent for process_all (every planned conversation). */
  conversationIds?: string[];
  /** A UUID (generation_jobs.created_by has no foreign key). */
  createdBy: string;
  options?: Partial<JobOptions>;
}

export type JobStatus = GenerationJobStatus | 'paused';

export interface JobProgress {
  jobId: string;
  status: JobStatus;
  total: number;
  /** Items succeeded. */
  done: number;
  failed: number;
  /** Items pending or claimed. */
  pending: number;
  cancelled: number;
  /** The lowest-position claimed item. */
  current: { conversationId: string; position: number; claimedBy: string | null } | null;
  /** The current conversation as people name it ("12 · fp_marcus_012"); null when none is current. */
  currentLabel: string | null;
  tokens: number;
  costUsd: number;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Mean succeeded item duration × remaining items / concurrency; null before any item succeeded. */
  etaMs: number | null;
  errorMessage: string | null;
  mode: JobMode;
  /** Batch mode: the batch at Anthropic now, as last polled; null between batches and in direct mode. */
  batch: BatchState | null;
}

/** A Message Batches batch as the runner last saw it. */
export interface BatchState {
  id: string;
  /** 'submitting' until the API answered the create call. */
  processingStatus: 'submitting' | 'in_progress' | 'canceling' | 'ended';
  requests: number;
  /** Requests Anthropic has finished (any result). */
  answered: number;
  submittedAt: string;
  polledAt: string | null;
  expiresAt: string | null;
}

export type StopReason =
  | 'completed' // no items left; the job is 'completed' or 'failed'
  | 'paused'
  | 'cancelled'
  | 'cost_ceiling'
  | 'offline'
  | 'failed' // the job failed for a reason other than offline (batch mode: the API refused the batch)
  | 'aborted' // deps.signal
  | 'not_runnable'; // the job was already finished when runJob started

export interface JobSummary {
  jobId: string;
  stopReason: StopReason;
  /** Items this run marked succeeded / failed, and generate calls it made. */
  succeeded: number;
  failed: number;
  calls: number;
  progress: JobProgress;
}

/**
 * Where a job's progress is reported (a Teams card): opaque to generation, kept so a restarted runner finds
 * it. A job started where nothing is told (the dashboard, whose page polls the job) has `ref: null`.
 */
export interface JobNotify {
  /** Whatever the caller needs to reach the conversation again (a Bot Framework conversation reference); null: no card. */
  ref: Record<string, unknown> | null;
  activityId: string | null;
  title: string;
}

/** The notify of a job no card follows (started on the dashboard): it runs and reports to no chat. */
export function noCardNotify(title: string): JobNotify {
  return { ref: null, activityId: null, title };
}

/** Whether a notify has a conversation to update (a Teams card's job). */
export function hasCard(notify: { ref: Record<string, unknown> | null }): boolean {
  const conversation = notify.ref?.conversation;
  return typeof conversation === 'object' && conversation !== null;
}

/** A batch of the job as the history in `_job.batches` keeps it. */
export interface BatchRecord {
  id: string;
  submitted_at: string;
  requests: number;
  ended_at?: string;
  succeeded?: number;
  errored?: number;
  canceled?: number;
  expired?: number;
}

/** results_summary._job: options, the pause flag, the progress card, and batch mode's bookkeeping. */
export interface JobControl {
  options: JobOptions;
  paused_at?: string;
  pause_reason?: string;
  /** Where the progress card is (see JobNotify), stored in snake case like the rest of the row. */
  notify?: { ref: Record<string, unknown> | null; activity_id: string | null; title: string };
  /** Batch mode: a create call in flight (or cut off by a crash): see batch/batch-submit.ts. */
  batch_submit?: { started_at: string; expires_at: string; worker: string; requests: number };
  /** Batch mode: the current batch as last polled. */
  batch_status?: BatchState;
  /** Batch mode: every batch the job sent, oldest first. */
  batches?: BatchRecord[];
  /** Batch mode: the batch a cancel was sent for. */
  batch_cancel_sent?: string;
}

export const DEFAULT_JOB_OPTIONS: JobOptions = { mode: 'direct', concurrency: 1, minGapMs: 0, costCeilingUsd: null, maxAttempts: 3 };
/**
 * A direct-mode claim lasts a minute and the runner's heartbeat renews it every 20 s while the
 * conversation is generated, so a killed worker's conversation is taken over within a minute.
 */
export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;
export const MAX_RATE_LIMIT_WAIT_MS = 5 * 60_000;
export const MAX_FREE_RATE_LIMIT_RETRIES = 10;
