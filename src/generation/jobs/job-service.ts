/**
 * The generation job service: what the bot and the CLI call to choose conversations, estimate, start,
 * read and steer jobs. Choosing uses the one plan filter (plan/plan-filter.ts), so `/generate topic=X` and
 * `gen run --filter topic=X` select what `/plan topic=X` lists. Results come back as data; callers word them.
 */
import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database, GenerationJobType } from '../../../db';
import type { Pricing } from '../../llm';
import type { Logger } from '../../logger';
import { GENERATABLE_STATUSES, type GenerationFilter, planFilterWhere } from '../plan/plan-filter';
import { cancelJobBatch } from './batch/batch-runner';
import { createJob, cancelJob } from './job-store';
import type { JobMode } from './types';

/** What to generate: every planned conversation, some by number, or those a filter selects. */
export type GenerationTarget =
  | { kind: 'all' }
  | { kind: 'numbers'; numbers: number[] }
  | { kind: 'range'; from: number; to: number }
  | { kind: 'filter'; filter: GenerationFilter };

/** The numbers a target names, when it names numbers. */
function namedNumbers(target: GenerationTarget): number[] {
  if (target.kind === 'numbers') return target.numbers;
  if (target.kind !== 'range') return [];
  // The plan numbers conversations 1 to 100 (a CHECK constraint): a wider range names no more.
  const to = Math.min(target.to, target.from + 1000);
  return Array.from({ length: Math.max(0, to - target.from + 1) }, (_, i) => target.from + i);
}

export interface GenerationSelection {
  /** 'single' for one numbered conversation, 'process_all' for all, else 'batch'. */
  type: GenerationJobType;
  /** The generatable conversations (training_conversations.id), by number. */
  ids: string[];
  /** Conversations the target names that are past planned. */
  skipped: Array<{ number: number; status: string }>;
  /** Numbers the target names that are not in the plan. */
  missing: number[];
}

/** The conversations a target selects, split into generatable ones and the rest. */
export async function selectForGeneration(db: Kysely<Database>, target: GenerationTarget): Promise<GenerationSelection> {
  let q = db.selectFrom('training_conversations').select(['id', 'conversation_number', 'generation_status']);
  if (target.kind === 'numbers') q = q.where('conversation_number', 'in', target.numbers.length ? target.numbers : [-1]);
  if (target.kind === 'range') q = q.where('conversation_number', '>=', target.from).where('conversation_number', '<=', target.to);
  if (target.kind === 'filter') q = q.where((eb) => planFilterWhere(eb, target.filter));
  const rows = await q.orderBy('conversation_number').execute();
  const open = rows.filter((r) => GENERATABLE_STATUSES.includes(r.generation_status ?? 'planned'));
  const have = new Set(rows.map((r) => r.conversation_number));
  const single = (target.kind === 'numbers' && target.numbers.length === 1) || (target.kind === 'range' && target.from === target.to);
  return {
    type: target.kind === 'all' ? 'process_all' : single ? 'single' : 'batch',
    ids: open.map((r) => r.id),
    skipped: target.kind === 'all' ? [] : rows.filter((r) => !open.includes(r)).map((r) => ({ number: r.conversation_number, status: r.generation_status ?? 'planned' })),
    missing: namedNumbers(target).filter((n) => !have.has(n)),
  };
}

const EST_SECONDS = 40;
const EST_USAGE = { inputTokens: 6000, outputTokens: 4000, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** A rough time and cost for COUNT conversations (cost null when the model has no price). */
export function estimateJob(count: number, pricing: Pricing, model: string, at = new Date()): { seconds: number; costUsd: number | null } {
  const each = pricing.costOf(model, EST_USAGE, at);
  return { seconds: count * EST_SECONDS, costUsd: each ? each.costUsd * count : null };
}

/** generation_jobs.created_by is a UUID; a tester id (an AAD object id, or a client's own id) or 'cli' maps to one stably. */
export function creatorUuid(who: string): string {
  const h = createHash('sha1').update(`tuning-bot:${who}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** pg_advisory_xact_lock key serialising job starts from cards (any constant unique in this schema). */
const JOB_START_LOCK_KEY = 7_240_311_205;

export interface StartJobInput {
  type: GenerationJobType;
  /** The conversations (absent for process_all). */
  ids?: string[];
  mode: JobMode;
  createdBy: string;
}

/** A new job, the one already running for the same conversations, or nothing left to generate. */
export type StartJobResult = { kind: 'started'; jobId: string } | { kind: 'existing'; jobId: string } | { kind: 'nothing_left' };

/**
 * Starts a job from a confirmation: a second start for the same conversations (a double click, even two
 * at the same moment) finds the job the first one made, since the check and the creation run under one
 * lock; conversations generated since the confirmation (a stale card) are left out.
 */
export async function startJob(db: Kysely<Database>, input: StartJobInput): Promise<StartJobResult> {
  return db.transaction().execute(async (trx): Promise<StartJobResult> => {
    await sql`SELECT pg_advisory_xact_lock(${JOB_START_LOCK_KEY})`.execute(trx);
    let open = trx.selectFrom('generation_jobs').select('id').where('status', 'in', ['queued', 'in_progress']).where('job_type', '=', input.type);
    if (input.type !== 'process_all') open = open.where(sql<boolean>`target_conversation_ids = ${JSON.stringify(input.ids ?? [])}::jsonb`);
    const running = await open.orderBy('created_at', 'desc').executeTakeFirst();
    if (running) return { kind: 'existing', jobId: running.id };
    let targets = input.ids;
    if (targets) {
      const still = await trx.selectFrom('training_conversations').select('id').where('id', 'in', targets.length ? targets : ['00000000-0000-0000-0000-000000000000'])
        .where((eb) => eb.or([eb('generation_status', 'is', null), eb('generation_status', 'in', [...GENERATABLE_STATUSES])])).execute();
      const open = new Set(still.map((r) => r.id));
      targets = targets.filter((id) => open.has(id));
      if (targets.length === 0) return { kind: 'nothing_left' };
    }
    const type = input.type === 'single' || targets?.length === 1 ? 'single' : input.type;
    const job = await createJob(trx, { type, conversationIds: type === 'process_all' ? undefined : targets, createdBy: input.createdBy, options: { mode: input.mode } });
    return { kind: 'started', jobId: job.id };
  });
}

/** Cancels the job and, for a batch-mode job, its batch at Anthropic now (whether or not this process runs it). */
export async function cancelJobAndBatch(db: Kysely<Database>, client: Anthropic | null, jobId: string, logger: Logger): Promise<void> {
  await cancelJob(db, jobId);
  await cancelJobBatch(db, client, jobId, logger);
}
