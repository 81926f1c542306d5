/**
 * Starting a generation job from a user's choice (the Teams confirmation card, the dashboard's
 * Generate button): one code path, so a double click, two clicks at the same moment or a stale
 * selection behave the same wherever the click came from.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database, GenerationJob, GenerationJobType } from '../../db';
import { DomainError } from '../errors';
import { BATCH_PRICE_FACTOR, type Pricing } from '../llm';
import { createJob, type JobMode } from './jobs';

/** pg_advisory_xact_lock key serialising job starts (any constant unique in this schema). */
const JOB_START_LOCK_KEY = 7_240_311_205;
/** Rough per-conversation figures for the confirmation: about 40 s and 6k in / 4k out tokens. */
export const ESTIMATE_SECONDS_PER_CONVERSATION = 40;
const EST_USAGE = { inputTokens: 6000, outputTokens: 4000, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** A start that cannot go ahead: every chosen conversation is already past planned. */
export class JobStartError extends DomainError {
  readonly kind = 'nothing_left' as const;
}

export interface JobEstimate {
  count: number;
  seconds: number;
  /** Null when the price table has no price for the model. */
  costUsd: number | null;
  batchCostUsd: number | null;
  model: string;
}

/** The confirmation's figures for `count` conversations: time, direct cost and batch cost. */
export function estimateGeneration(pricing: Pricing, model: string, count: number, now: Date = new Date()): JobEstimate {
  const each = pricing.costOf(model, EST_USAGE, now);
  const costUsd = each ? each.costUsd * count : null;
  return { count, seconds: count * ESTIMATE_SECONDS_PER_CONVERSATION, costUsd, batchCostUsd: costUsd === null ? null : costUsd * BATCH_PRICE_FACTOR, model };
}

/** generation_jobs.created_by is a UUID; a tester id (an AAD object id, or a client's own id) maps to one stably. */
export function testerUuid(testerId: string): string {
  const h = createHash('sha1').update(`tuning-bot:${testerId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export interface StartJobInput {
  type: GenerationJobType;
  /** training_conversations.id values; absent for process_all. */
  ids?: string[];
  mode: JobMode;
  createdBy: string;
}

/**
 * Creates the job unless the same one is already queued or running (then returns that one with
 * `existing`), under one advisory lock so two starts at the same moment make one job. Conversations
 * already past planned are dropped; when none is left, JobStartError says so.
 */
export async function startGenerationJob(db: Kysely<Database>, input: StartJobInput): Promise<{ job: Pick<GenerationJob, 'id'>; existing: boolean }> {
  const { type, ids, mode } = input;
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${JOB_START_LOCK_KEY})`.execute(trx);
    let open = trx.selectFrom('generation_jobs').select('id').where('status', 'in', ['queued', 'in_progress']).where('job_type', '=', type);
    if (type !== 'process_all') open = open.where(sql<boolean>`target_conversation_ids = ${JSON.stringify(ids)}::jsonb`);
    const running = await open.orderBy('created_at', 'desc').executeTakeFirst();
    if (running) return { job: running, existing: true };
    // A selection made before its conversations were generated (a stale card or page) starts nothing for them.
    let targets = ids;
    if (ids) {
      const still = await trx.selectFrom('training_conversations').select('id').where('id', 'in', ids)
        .where((eb) => eb.or([eb('generation_status', 'is', null), eb('generation_status', 'in', ['planned', 'in_progress'])])).execute();
      const keep = new Set(still.map((r) => r.id));
      targets = ids.filter((id) => keep.has(id));
      if (targets.length === 0) throw new JobStartError('Nothing selected is left to generate: those conversations are past planned. Choose planned conversations and try again.');
    }
    const jobType = type === 'single' || targets?.length === 1 ? 'single' : type;
    const job = await createJob(trx, { type: jobType, conversationIds: jobType === 'process_all' ? undefined : targets, createdBy: input.createdBy, options: { mode } });
    return { job, existing: false };
  });
}
