/**
 * GET /api/dashboard/practices: spec 002's best practices through the same reads as GET /api/best-practices
 * (src/insights/practices/store.ts), paged like every dashboard list, each with the sessions it came from.
 * Practices are shared findings, so every signed-in tester sees them; a source session that is another
 * tester's is shown as a contribution without its id (the session page would refuse it anyway).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import { listPractices, modelStats, practiceFacets, practiceSources } from '../../insights';
import type { Principal } from '../auth';
import { type PracticesResponse, practicesQuery } from '../contract';
import { parseWith } from './http';

export async function listPracticesFor(db: Kysely<Database>, who: Principal, query: unknown): Promise<PracticesResponse> {
  const q = parseWith(practicesQuery, query);
  const [page, facets, stats] = await Promise.all([
    listPractices(db, { model: q.model, category: q.category, minEffectiveness: q.minEffectiveness, status: q.status, page: q.page, pageSize: q.pageSize }),
    practiceFacets(db, q.status),
    modelStats(db),
  ]);
  const sources = await practiceSources(db, page.items.map((p) => p.id));
  const sessionIds = [...new Set([...sources.values()].flat().map((s) => s.sessionId))];
  const own = who.admin || sessionIds.length === 0
    ? null
    : new Set((await db.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', sessionIds).where('tester_id', '=', who.testerId).execute()).map((r) => r.id));
  return {
    total: page.total,
    page: page.page,
    pageSize: page.pageSize,
    facets,
    stats,
    rows: page.items.map((p) => ({
      id: p.id, title: p.title, description: p.description, category: p.category, model: p.model, effectivenessScore: p.effectivenessScore,
      sampleCount: p.sampleCount, examplePrompt: p.examplePrompt, keyInsights: p.keyInsights, tags: p.tags, status: p.status,
      generatedBy: p.generatedBy, lastAnalyzedAt: p.lastAnalyzedAt,
      sources: (sources.get(p.id) ?? []).map((s) => ({ sessionId: own === null || own.has(s.sessionId) ? s.sessionId : null, contributionScore: s.contributionScore })),
    })),
  };
}
