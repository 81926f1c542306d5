/**
 * The quality dashboard's figures (spec 001 US-TRAIN-008): score histogram, conversations by status,
 * the quality trend by day, quality per template, validation counts, what needs review and why, and
 * the bulk review actions (through the same review move as /approve and /flag).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db';
import { moveReview } from './catalog';

type Db = Kysely<Database>;

export interface QualityDashboard {
  averages: { n: number; overall: number | null; empathy: number | null; clarity: number | null; appropriateness: number | null; brandVoice: number | null };
  histogram: Array<{ bucket: string; n: number }>;
  byStatus: Array<{ status: string; n: number }>;
  trend: Array<{ day: string; average: number; n: number }>;
  byTemplate: Array<{ template: string; average: number; n: number }>;
  validation: { total: number; complete: number; ready: number; needsReview: number; failedChecks: number };
  needsReview: Array<{ number: number; key: string; overall: number; issues: string[] }>;
}

/** Half-point buckets from 1.0 to 5.0; 5.0 falls in the last. */
const BUCKETS = ['1.0-1.4', '1.5-1.9', '2.0-2.4', '2.5-2.9', '3.0-3.4', '3.5-3.9', '4.0-4.4', '4.5-5.0'];

/** Everything the quality page shows, in a handful of queries. */
export async function qualityDashboard(db: Db): Promise<QualityDashboard> {
  const avg = (await sql<QualityDashboard['averages']>`
    SELECT COUNT(*)::int AS n, AVG(overall_quality_score)::float8 AS overall, AVG(empathy_score)::float8 AS empathy, AVG(clarity_score)::float8 AS clarity,
      AVG(appropriateness_score)::float8 AS appropriateness, AVG(brand_voice_alignment)::float8 AS "brandVoice" FROM quality_metrics`.execute(db)).rows[0];
  const hist = (await sql<{ i: number; n: number }>`
    SELECT LEAST(7, GREATEST(0, FLOOR((overall_quality_score - 1) * 2)))::int AS i, COUNT(*)::int AS n FROM quality_metrics GROUP BY 1`.execute(db)).rows;
  const byStatus = (await sql<{ status: string; n: number }>`
    SELECT COALESCE(generation_status, 'planned') AS status, COUNT(*)::int AS n FROM training_conversations GROUP BY 1 ORDER BY 1`.execute(db)).rows;
  const trend = (await sql<{ day: string; average: number; n: number }>`
    SELECT to_char(COALESCE(c.generation_date, q.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, AVG(q.overall_quality_score)::float8 AS average, COUNT(*)::int AS n
    FROM quality_metrics q JOIN training_conversations c ON c.id = q.conversation_id GROUP BY 1 ORDER BY 1`.execute(db)).rows;
  const byTemplate = (await sql<{ template: string; average: number; n: number }>`
    SELECT COALESCE(c.tier_template, c.tier) AS template, AVG(q.overall_quality_score)::float8 AS average, COUNT(*)::int AS n
    FROM quality_metrics q JOIN training_conversations c ON c.id = q.conversation_id GROUP BY 1 ORDER BY 2 DESC, 1`.execute(db)).rows;
  const validation = (await sql<QualityDashboard['validation']>`
    SELECT COUNT(*)::int AS total, COUNT(*) FILTER (WHERE all_required_fields_complete)::int AS complete, COUNT(*) FILTER (WHERE ready_for_training)::int AS ready,
      COUNT(*) FILTER (WHERE needs_review)::int AS "needsReview", COUNT(*) FILTER (WHERE overall_quality_score < 4.0 OR all_required_fields_complete IS NOT TRUE)::int AS "failedChecks"
    FROM quality_metrics`.execute(db)).rows[0];
  const review = await db
    .selectFrom('quality_metrics as q')
    .innerJoin('training_conversations as c', 'c.id', 'q.conversation_id')
    .select(['c.conversation_number', 'c.conversation_id', 'q.overall_quality_score', 'q.brand_voice_alignment', 'q.has_complete_emotional_context', 'q.has_primary_strategy', 'q.word_choice_rationale_completeness', 'q.sentences_analyzed', 'q.total_sentences'])
    .where('q.needs_review', '=', true)
    .orderBy('c.conversation_number')
    .limit(50)
    .execute();
  return {
    averages: avg ?? { n: 0, overall: null, empathy: null, clarity: null, appropriateness: null, brandVoice: null },
    histogram: BUCKETS.map((bucket, i) => ({ bucket, n: hist.find((h) => h.i === i)?.n ?? 0 })),
    byStatus,
    trend,
    byTemplate,
    validation: validation ?? { total: 0, complete: 0, ready: 0, needsReview: 0, failedChecks: 0 },
    needsReview: review.map((r) => {
      const issues: string[] = [];
      if (!r.has_complete_emotional_context) issues.push('Missing emotional indicators: review the turns');
      if (!r.has_primary_strategy) issues.push('No primary strategy: review the strategies');
      if ((r.sentences_analyzed ?? 0) < r.total_sentences) issues.push('Incomplete sentence analysis: analyze the sentences');
      if (Number(r.brand_voice_alignment) < 4) issues.push(`Low brand voice score (${Number(r.brand_voice_alignment).toFixed(1)}/5.0): review voice consistency`);
      if (Number(r.overall_quality_score) < 4) issues.push(`Overall ${Number(r.overall_quality_score).toFixed(1)} below 4.0`);
      if (issues.length === 0) issues.push('Flagged by a reviewer');
      return { number: r.conversation_number, key: r.conversation_id, overall: Number(r.overall_quality_score), issues };
    }),
  };
}

export type BulkQualityAction = 'approve_perfect' | 'flag_below_4';

/**
 * Bulk review: approve every generated or reviewed conversation scoring 5.0, or flag every generated,
 * reviewed or approved one below 4.0. Each goes through moveReview (its own transaction, its note).
 * Returns the conversation numbers changed.
 */
export async function bulkQualityAction(db: Db, action: BulkQualityAction, reviewer: string): Promise<number[]> {
  const targets = await db
    .selectFrom('quality_metrics as q')
    .innerJoin('training_conversations as c', 'c.id', 'q.conversation_id')
    .select('c.conversation_number')
    .where('c.generation_status', 'in', action === 'approve_perfect' ? ['generated', 'reviewed'] : ['generated', 'reviewed', 'approved'])
    .where('q.overall_quality_score', action === 'approve_perfect' ? '>=' : '<', action === 'approve_perfect' ? '5.0' : '4.0')
    .orderBy('c.conversation_number')
    .execute();
  const changed: number[] = [];
  for (const t of targets) {
    await moveReview(db, t.conversation_number, action === 'approve_perfect' ? 'approve' : 'flag', reviewer, action === 'approve_perfect' ? 'bulk: approved at 5.0' : 'bulk: quality below 4.0');
    changed.push(t.conversation_number);
  }
  return changed;
}
