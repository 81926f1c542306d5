/**
 * The conversation matrix (spec 001 US-TRAIN-001/002): multi-select filters combined with AND, sort,
 * paging, the dataset's summary counts and the values each filter offers. Read-only.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, TrainingConversation } from '../../../db';

type Db = Kysely<Database>;

export interface MatrixFilter {
  personas?: readonly string[];
  tiers?: readonly string[];
  startEmotions?: readonly string[];
  endEmotions?: readonly string[];
  statuses?: readonly string[];
  templates?: readonly string[];
  /** Words found in the topic category or description (case-insensitive). */
  topic?: string;
  minQuality?: number;
  maxQuality?: number;
}

export type MatrixSortField = 'number' | 'persona' | 'topic' | 'tier' | 'status' | 'quality' | 'turns';

const SORT_SQL: Record<MatrixSortField, string> = {
  number: 'conversation_number',
  persona: 'persona_name',
  topic: 'topic_category',
  tier: 'tier',
  status: "COALESCE(generation_status, 'planned')",
  quality: 'quality_score',
  turns: 'turn_count',
};

/** Escapes LIKE wildcards so a search for "50%" means the text. */
function likeText(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filtered(db: Db, f: MatrixFilter) {
  let q = db.selectFrom('training_conversations');
  if (f.personas?.length) q = q.where('persona_type', 'in', [...f.personas]);
  if (f.tiers?.length) q = q.where('tier', 'in', [...f.tiers] as TrainingConversation['tier'][]);
  if (f.startEmotions?.length) q = q.where('starting_emotion', 'in', [...f.startEmotions]);
  if (f.endEmotions?.length) q = q.where('ending_emotion', 'in', [...f.endEmotions]);
  if (f.statuses?.length) q = q.where(sql<string>`COALESCE(generation_status, 'planned')`, 'in', [...f.statuses]);
  if (f.templates?.length) q = q.where('tier_template', 'in', [...f.templates]);
  const topic = f.topic?.trim();
  if (topic) {
    for (const word of topic.split(/\s+/).slice(0, 8)) {
      q = q.where((eb) => eb.or([eb('topic_category', 'ilike', likeText(word)), eb('topic_description', 'ilike', likeText(word))]));
    }
  }
  if (f.minQuality !== undefined) q = q.where('quality_score', '>=', String(f.minQuality));
  if (f.maxQuality !== undefined) q = q.where('quality_score', '<=', String(f.maxQuality));
  return q;
}

/** One page of the matrix and how many rows match. */
export async function conversationMatrix(db: Db, f: MatrixFilter, sort: { field: MatrixSortField; dir: 'asc' | 'desc' }, page: number, pageSize: number): Promise<{ rows: TrainingConversation[]; total: number }> {
  const q = filtered(db, f);
  const { n } = await q.select(sql<number>`COUNT(*)::int`.as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .selectAll()
    .orderBy(sql.raw(`${SORT_SQL[sort.field]} ${sort.dir} NULLS LAST`))
    .orderBy('conversation_number')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return { rows, total: n };
}

export interface MatrixSummary {
  total: number;
  seed: number;
  generated: number;
  remaining: number;
  byTier: Record<string, number>;
  byPersona: Record<string, number>;
  byStatus: Record<string, number>;
}

/** The dataset's counts: Total, Seed, Generated (past in progress), Remaining, and by tier, persona, status. */
export async function matrixSummary(db: Db): Promise<MatrixSummary> {
  const rows = (await sql<{ dim: string; value: string; n: number }>`
    SELECT 'tier' AS dim, tier AS value, COUNT(*)::int AS n FROM training_conversations GROUP BY 2
    UNION ALL SELECT 'persona', persona_type, COUNT(*)::int FROM training_conversations GROUP BY 2
    UNION ALL SELECT 'status', COALESCE(generation_status, 'planned'), COUNT(*)::int FROM training_conversations GROUP BY 2
    UNION ALL SELECT 'seed', 'seed', COUNT(*)::int FROM training_conversations WHERE is_seed_example IS TRUE`.execute(db)).rows;
  const of = (dim: string) => Object.fromEntries(rows.filter((r) => r.dim === dim).map((r) => [r.value, r.n])) as Record<string, number>;
  const byStatus = of('status');
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const remaining = (byStatus.planned ?? 0) + (byStatus.in_progress ?? 0);
  return { total, seed: of('seed').seed ?? 0, generated: total - remaining, remaining, byTier: of('tier'), byPersona: of('persona'), byStatus };
}

/** The distinct values each multi-select filter offers. */
export async function matrixFacets(db: Db): Promise<{ personas: string[]; tiers: string[]; templates: string[]; startEmotions: string[]; endEmotions: string[]; statuses: string[] }> {
  const rows = (await sql<{ dim: string; value: string }>`
    SELECT DISTINCT 'persona' AS dim, persona_type AS value FROM training_conversations
    UNION SELECT DISTINCT 'tier', tier FROM training_conversations
    UNION SELECT DISTINCT 'template', tier_template FROM training_conversations WHERE tier_template IS NOT NULL
    UNION SELECT DISTINCT 'start', starting_emotion FROM training_conversations WHERE starting_emotion IS NOT NULL
    UNION SELECT DISTINCT 'end', ending_emotion FROM training_conversations WHERE ending_emotion IS NOT NULL
    UNION SELECT DISTINCT 'status', COALESCE(generation_status, 'planned') FROM training_conversations
    ORDER BY 1, 2`.execute(db)).rows;
  const of = (dim: string) => rows.filter((r) => r.dim === dim).map((r) => r.value);
  return { personas: of('persona'), tiers: of('tier'), templates: of('template'), startEmotions: of('start'), endEmotions: of('end'), statuses: of('status') };
}

/** The conversations with these ids (any order), for a generation confirmation. */
export async function conversationsByIds(db: Db, ids: readonly string[]): Promise<Array<Pick<TrainingConversation, 'id' | 'conversation_number' | 'generation_status'>>> {
  if (ids.length === 0) return [];
  return db.selectFrom('training_conversations').select(['id', 'conversation_number', 'generation_status']).where('id', 'in', [...ids]).orderBy('conversation_number').execute();
}
