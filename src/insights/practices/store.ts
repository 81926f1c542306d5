/**
 * Best practices in the database: saving an analysis (upsert by practice_key, sources replaced, the
 * practices it no longer supports archived, model_performance_stats recomputed — one transaction), and the
 * reads the API, the Teams card and the dashboard share (a filtered, paged list; one practice with its
 * sources; the per-model statistics).
 */
import { type Kysely, sql, type SqlBool } from 'kysely';
import type { BestPractice, Database, JsonObject, PracticeAuthor } from '../../../db';
import type { PracticeCandidate } from './analysis';
import type { PracticeText } from './writeup';

type Db = Kysely<Database>;

/** A candidate with its text, ready to store. */
export interface PracticeToSave {
  candidate: PracticeCandidate;
  text: PracticeText;
  generatedBy: PracticeAuthor;
  /** What the text was written from (a changed basis is written again). */
  writeupBasis: string;
}

export interface SaveResult {
  created: number;
  updated: number;
  archived: number;
}

const jsonb = (v: unknown) => sql<string[]>`cast(${JSON.stringify(v)} as jsonb)`;

/** The stored practices with these keys (any status), by key. */
export async function practicesByKey(db: Db, keys: string[]): Promise<Map<string, BestPractice>> {
  if (keys.length === 0) return new Map();
  const rows = await db.selectFrom('best_practices').selectAll().where('practice_key', 'in', keys).execute();
  return new Map(rows.map((r) => [r.practice_key, r]));
}

/** Saves one analysis. Practices not in it are archived; models' statistics are recomputed. */
export async function saveAnalysis(db: Db, practices: PracticeToSave[], analyzedAt: Date): Promise<SaveResult> {
  return db.transaction().execute(async (trx) => {
    // One analysis writes at a time (the lease); the lock also orders a hand-run against it.
    await sql`LOCK TABLE best_practices IN SHARE ROW EXCLUSIVE MODE`.execute(trx);
    let created = 0;
    let updated = 0;
    for (const p of practices) {
      const c = p.candidate;
      const metadata: JsonObject = {
        features: c.features,
        stats: { ...c.stats },
        writeup_basis: p.writeupBasis,
        top_turn_ids: c.members.map((m) => m.turnId),
      };
      const values = {
        title: p.text.title,
        description: p.text.description,
        category: c.category,
        model: c.model,
        effectiveness_score: c.effectiveness.toFixed(2),
        sample_count: c.sampleCount,
        example_prompt: p.text.example,
        key_insights: jsonb(p.text.keyInsights),
        tags: jsonb(p.text.tags),
        practice_key: c.key,
        status: 'active' as const,
        archived_at: null,
        last_analyzed_at: analyzedAt,
        generated_by: p.generatedBy,
        metadata: sql<JsonObject>`cast(${JSON.stringify(metadata)} as jsonb)`,
      };
      const row = await trx
        .insertInto('best_practices')
        .values(values)
        .onConflict((oc) => oc.column('practice_key').doUpdateSet({ ...values, updated_at: sql`NOW()` }))
        .returning(['id', sql<boolean>`(xmax = 0)`.as('inserted')])
        .executeTakeFirstOrThrow();
      if (row.inserted) created += 1;
      else updated += 1;
      await trx.deleteFrom('practice_source_sessions').where('best_practice_id', '=', row.id).execute();
      const sources = [...c.contributions.entries()].map(([sessionId, score]) => ({ best_practice_id: row.id, session_id: sessionId, contribution_score: score.toFixed(2) }));
      if (sources.length > 0) await trx.insertInto('practice_source_sessions').values(sources).execute();
    }
    const keep = practices.map((p) => p.candidate.key);
    const archived = await trx
      .updateTable('best_practices')
      .set({ status: 'archived', archived_at: analyzedAt, last_analyzed_at: analyzedAt, updated_at: sql`NOW()` })
      .where('status', '=', 'active')
      .$if(keep.length > 0, (q) => q.where('practice_key', 'not in', keep))
      .executeTakeFirst();
    await sql`
      INSERT INTO model_performance_stats (model, total_practices, avg_effectiveness, last_updated)
      SELECT model, count(*) FILTER (WHERE status = 'active'),
        coalesce(round(avg(effectiveness_score) FILTER (WHERE status = 'active'), 2), 0), NOW()
      FROM best_practices GROUP BY model
      ON CONFLICT (model) DO UPDATE SET total_practices = EXCLUDED.total_practices,
        avg_effectiveness = EXCLUDED.avg_effectiveness, last_updated = EXCLUDED.last_updated`.execute(trx);
    return { created, updated, archived: Number(archived.numUpdatedRows) };
  });
}

/** The list filters (all optional) and the page. */
export interface PracticeFilter {
  model?: string;
  category?: string;
  minEffectiveness?: number;
  /** Words matched (case-insensitively) against title, category, model and tags. */
  search?: string;
  /** Default 'active'. */
  status?: 'active' | 'archived' | 'all';
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

/** A practice as the API and the cards show it. */
export interface PracticeView {
  id: string;
  title: string;
  description: string;
  category: string;
  model: string;
  effectivenessScore: number;
  sampleCount: number;
  examplePrompt: string;
  keyInsights: string[];
  tags: string[];
  status: 'active' | 'archived';
  generatedBy: PracticeAuthor;
  createdAt: string | null;
  updatedAt: string | null;
  archivedAt: string | null;
  lastAnalyzedAt: string;
}

export interface PracticePage {
  items: PracticeView[];
  total: number;
  page: number;
  pageSize: number;
}

export const MAX_PAGE_SIZE = 100;
const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function practiceView(r: BestPractice): PracticeView {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    category: r.category,
    model: r.model,
    effectivenessScore: Number(r.effectiveness_score),
    sampleCount: r.sample_count,
    examplePrompt: r.example_prompt,
    keyInsights: r.key_insights,
    tags: r.tags,
    status: r.status,
    generatedBy: r.generated_by,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    archivedAt: iso(r.archived_at),
    lastAnalyzedAt: iso(r.last_analyzed_at) ?? '',
  };
}

/** A page of practices, most effective first. */
export async function listPractices(db: Db, filter: PracticeFilter = {}): Promise<PracticePage> {
  const page = Math.max(1, Math.floor(filter.page ?? 1));
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(filter.pageSize ?? 20)));
  const status = filter.status ?? 'active';
  const words = (filter.search ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const base = db
    .selectFrom('best_practices')
    .$if(status !== 'all', (q) => q.where('status', '=', status === 'archived' ? 'archived' : 'active'))
    .$if(filter.model !== undefined, (q) => q.where(sql`lower(model)`, '=', (filter.model ?? '').toLowerCase()))
    .$if(filter.category !== undefined, (q) => q.where(sql`lower(category)`, '=', (filter.category ?? '').toLowerCase()))
    .$if(filter.minEffectiveness !== undefined, (q) => q.where(sql`effectiveness_score`, '>=', filter.minEffectiveness ?? 0))
    .$if(words.length > 0, (q) =>
      q.where(sql<SqlBool>`${sql.join(words.map((w) => sql`strpos(lower(title || ' ' || category || ' ' || model || ' ' || tags::text), ${w}) > 0`), sql` AND `)}`),
    );
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('effectiveness_score', 'desc').orderBy('id').limit(pageSize).offset((page - 1) * pageSize).execute(),
    base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(practiceView), total: Number(count.n), page, pageSize };
}

export interface PracticeSourceView {
  sessionId: string;
  contributionScore: number;
}

/** The sessions each practice came from (largest contribution first), for a page of practices at once. */
export async function practiceSources(db: Db, practiceIds: readonly string[]): Promise<Map<string, PracticeSourceView[]>> {
  const out = new Map<string, PracticeSourceView[]>(practiceIds.map((id) => [id, []]));
  if (practiceIds.length === 0) return out;
  const rows = await db
    .selectFrom('practice_source_sessions')
    .select(['best_practice_id', 'session_id', 'contribution_score'])
    .where('best_practice_id', 'in', [...practiceIds])
    .orderBy('contribution_score', 'desc')
    .orderBy('session_id')
    .execute();
  for (const r of rows) out.get(r.best_practice_id)?.push({ sessionId: r.session_id, contributionScore: Number(r.contribution_score) });
  return out;
}

/** One practice with the sessions it came from (largest contribution first), or null. */
export async function getPractice(db: Db, id: string): Promise<(PracticeView & { sources: PracticeSourceView[] }) | null> {
  const row = await db.selectFrom('best_practices').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const sources = await practiceSources(db, [id]);
  return { ...practiceView(row), sources: sources.get(id) ?? [] };
}

/** The models and categories practices of this status exist for (the filters' choices). */
export async function practiceFacets(db: Db, status: NonNullable<PracticeFilter['status']> = 'active'): Promise<{ models: string[]; categories: string[] }> {
  const base = db.selectFrom('best_practices').$if(status !== 'all', (q) => q.where('status', '=', status === 'archived' ? 'archived' : 'active'));
  const [models, categories] = await Promise.all([
    base.select('model').distinct().orderBy('model').execute(),
    base.select('category').distinct().orderBy('category').execute(),
  ]);
  return { models: models.map((m) => m.model), categories: categories.map((c) => c.category) };
}

/** model_performance_stats, every model. */
export async function modelStats(db: Db): Promise<Array<{ model: string; totalPractices: number; avgEffectiveness: number; lastUpdated: string | null }>> {
  const rows = await db.selectFrom('model_performance_stats').selectAll().orderBy('model').execute();
  return rows.map((r) => ({ model: r.model, totalPractices: r.total_practices, avgEffectiveness: Number(r.avg_effectiveness), lastUpdated: iso(r.last_updated) }));
}
