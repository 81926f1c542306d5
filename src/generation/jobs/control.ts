/**
 * The job's own bookkeeping under the reserved key `_job` of generation_jobs.results_summary (every
 * other key is a training_conversations.id → that conversation's outcome, as the spec has it): the
 * options without a spec column, the pause flag, where the progress card is, and batch mode's state.
 * Only src/generation/jobs/ reads or writes it.
 */
import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
import type { Database, GenerationJob, GenerationResultsSummary, JsonObject } from '../../../db';
import { DomainError } from '../../errors';
import { DEFAULT_JOB_OPTIONS, type JobControl, type JobOptions, type JobStatus } from './types';

export type Db = Kysely<Database> | Transaction<Database>;

export const JOB_KEY = '_job';

/** A job refused (unknown, finished, bad options); its message is the operator's to read. */
export class JobError extends DomainError {}

/** The job's control record, with default options filled in. */
export function controlOf(job: Pick<GenerationJob, 'results_summary'>): JobControl {
  const raw: Partial<JobControl> = (job.results_summary?.[JOB_KEY] ?? {});
  return { ...raw, options: { ...DEFAULT_JOB_OPTIONS, ...(raw.options ?? {}) } };
}

/** The control record as the JSON column stores it. */
export function controlJson(control: JobControl): JsonObject {
  return JSON.parse(JSON.stringify(control)) as JsonObject;
}

/** Validated options; throws JobError naming the bad one. */
export function normaliseOptions(o: Partial<JobOptions> | undefined): JobOptions {
  const opts = { ...DEFAULT_JOB_OPTIONS, ...(o ?? {}) };
  // Options come from callers and from stored JSON: the mode is checked, whatever its type says.
  const mode: unknown = opts.mode;
  if (mode !== 'direct' && mode !== 'batch') throw new JobError(`mode must be direct or batch, got ${String(mode)}`);
  if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new JobError(`concurrency must be an integer >= 1, got ${String(opts.concurrency)}`);
  if (!(opts.minGapMs >= 0)) throw new JobError(`minGapMs must be >= 0, got ${String(opts.minGapMs)}`);
  if (!Number.isInteger(opts.maxAttempts) || opts.maxAttempts < 1) throw new JobError(`maxAttempts must be an integer >= 1, got ${String(opts.maxAttempts)}`);
  if (opts.costCeilingUsd !== null && !(opts.costCeilingUsd >= 0)) throw new JobError('costCeilingUsd must be >= 0 or null');
  return opts;
}

/** Sets keys of results_summary._job (null removes a key), as an SQL expression for an UPDATE. */
export function patchControl(patch: { [K in keyof JobControl]?: JobControl[K] | null }): RawBuilder<GenerationResultsSummary> {
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) remove.push(k);
    else set[k] = v;
  }
  let ctl = sql`(coalesce(results_summary -> ${JOB_KEY}, '{}'::jsonb) || ${JSON.stringify(set)}::jsonb)`;
  for (const k of remove) ctl = sql`(${ctl} - ${k}::text)`;
  return sql<GenerationResultsSummary>`coalesce(results_summary, '{}'::jsonb) || jsonb_build_object(${JOB_KEY}::text, ${ctl})`;
}

/** The status people see: 'paused' is a queued or running job with the pause flag set. */
export function jobStatusOf(job: GenerationJob): JobStatus {
  const status = job.status ?? 'queued';
  if ((status === 'queued' || status === 'in_progress') && controlOf(job).paused_at) return 'paused';
  return status;
}
