/**
 * Reading and reviewing the training dataset: the plan overview with filters and paging, one
 * conversation's detail, the quality overview, and the review moves (review, approve, flag).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db';
import { AppError } from '../../errors';
import { type PlanFilter, planFilterWhere } from './plan-filter';

type Db = Kysely<Database>;

export class ConversationNotFoundError extends AppError {
  readonly userMessage: string;
  constructor(readonly number: number) {
    super(`training conversation ${number} not found`);
    this.userMessage = `There is no training conversation number ${number}. Send /plan to see the numbers (1 to 100 in the shipped plan).`;
  }
}

export class ReviewMoveError extends AppError {
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}

export interface PlanRow {
  conversation_number: number;
  conversation_id: string;
  persona_name: string;
  tier: string;
  tier_template: string | null;
  topic_category: string;
  generation_status: string | null;
  quality_score: string | null;
}

/** Counts by status, tier and persona type, and one page (10 rows) of the filtered list. */
export async function planOverview(db: Db, filter: PlanFilter, page: number, pageSize = 10) {
  const counts = await sql<{ dimension: string; value: string; n: number }>`
    SELECT 'status' AS dimension, COALESCE(generation_status, 'planned') AS value, COUNT(*)::int AS n FROM training_conversations GROUP BY 2
    UNION ALL SELECT 'tier', tier, COUNT(*)::int FROM training_conversations GROUP BY 2
    UNION ALL SELECT 'persona', persona_type, COUNT(*)::int FROM training_conversations GROUP BY 2
    ORDER BY 1, 2`.execute(db);
  const q = db.selectFrom('training_conversations').where((eb) => planFilterWhere(eb, filter));
  const total = await q.select(sql<number>`COUNT(*)::int`.as('n')).executeTakeFirstOrThrow();
  const rows = (await q
    .select(['conversation_number', 'conversation_id', 'persona_name', 'tier', 'tier_template', 'topic_category', 'generation_status', 'quality_score'])
    .orderBy('conversation_number')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute()) as PlanRow[];
  return { counts: counts.rows, total: total.n, page, pages: Math.max(1, Math.ceil(total.n / pageSize)), rows };
}

/** One conversation with its turns and quality metrics. */
export async function conversationDetail(db: Db, number: number) {
  const c = await db.selectFrom('training_conversations').selectAll().where('conversation_number', '=', number).executeTakeFirst();
  if (!c) throw new ConversationNotFoundError(number);
  const turns = await db.selectFrom('training_turns').select(['turn_number', 'user_input', 'target_response']).where('conversation_id', '=', c.id).orderBy('turn_number').execute();
  const quality = await db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', c.id).executeTakeFirst();
  return { conversation: c, turns, quality: quality ?? null };
}

/** Averages, the score distribution, and the conversations that need review. */
export async function qualityOverview(db: Db) {
  const avg = await sql<{ n: number; overall: number | null; empathy: number | null; clarity: number | null; appropriateness: number | null; brand: number | null; ready: number }>`
    SELECT COUNT(*)::int AS n, AVG(overall_quality_score)::float8 AS overall, AVG(empathy_score)::float8 AS empathy,
      AVG(clarity_score)::float8 AS clarity, AVG(appropriateness_score)::float8 AS appropriateness,
      AVG(brand_voice_alignment)::float8 AS brand, COUNT(*) FILTER (WHERE ready_for_training)::int AS ready
    FROM quality_metrics`.execute(db);
  const buckets = await sql<{ bucket: string; n: number }>`
    SELECT CASE WHEN overall_quality_score < 3 THEN 'below 3.0' WHEN overall_quality_score < 4 THEN '3.0-3.9'
      WHEN overall_quality_score < 4.5 THEN '4.0-4.4' ELSE '4.5-5.0' END AS bucket, COUNT(*)::int AS n
    FROM quality_metrics GROUP BY 1 ORDER BY 1`.execute(db);
  const review = await db
    .selectFrom('quality_metrics as q')
    .innerJoin('training_conversations as c', 'c.id', 'q.conversation_id')
    .select(['c.conversation_number', 'c.conversation_id', 'q.overall_quality_score'])
    .where('q.needs_review', '=', true)
    .orderBy('c.conversation_number')
    .limit(20)
    .execute();
  const [averages] = avg.rows;
  if (!averages) throw new Error('the quality averages query returned no row');
  return { averages, distribution: buckets.rows, needsReview: review };
}

export type ReviewMove = 'review' | 'approve' | 'flag';

/**
 * Moves a conversation's review status and records the reviewer's notes: review (generated →
 * reviewed), approve (generated or reviewed → approved), flag (back to generated, marked as needing
 * review; a note is required).
 */
export async function moveReview(db: Db, number: number, move: ReviewMove, reviewer: string, notes: string | null) {
  return db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('training_conversations').select(['id', 'generation_status']).where('conversation_number', '=', number).forUpdate().executeTakeFirst();
    if (!c) throw new ConversationNotFoundError(number);
    const status = c.generation_status ?? 'planned';
    if (status === 'planned' || status === 'in_progress') throw new ReviewMoveError(`Conversation ${number} is ${status}: generate it before reviewing.`);
    if (move === 'review' && status !== 'generated') throw new ReviewMoveError(`Conversation ${number} is ${status}; only a generated conversation moves to reviewed.`);
    if (move === 'flag' && !notes) throw new ReviewMoveError('Say what is wrong: /flag N <notes>.');
    const next = move === 'review' ? 'reviewed' : move === 'approve' ? 'approved' : 'generated';
    const stamp = `${new Date().toISOString().slice(0, 10)} ${reviewer}: ${notes ?? move}`;
    await trx.updateTable('training_conversations')
      .set({ generation_status: next, human_reviewed: move !== 'flag', review_date: new Date(), reviewer_notes: sql`CONCAT_WS(E'\n', reviewer_notes, ${stamp}::text)` })
      .where('id', '=', c.id).execute();
    await trx.updateTable('quality_metrics')
      .set({
        reviewer_approved: move === 'approve',
        needs_review: move === 'flag' ? true : sql`needs_review`,
        // Ready for training only when complete, scored (4.0 or more) and approved.
        ready_for_training: move === 'approve' ? sql`all_required_fields_complete IS TRUE AND overall_quality_score >= 4.0` : false,
        reviewer_notes: notes,
        review_date: new Date(),
      })
      .where('conversation_id', '=', c.id).execute();
    return { from: status, to: next };
  });
}
