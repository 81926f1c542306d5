/**
 * Sessions for the dashboard: a filtered, sorted, paged list with per-session counts, and one session
 * with every turn, its sources and its notes. Read-only repository functions.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Improvement, Session, Turn } from '../../db';

type Db = Kysely<Database>;

export interface SessionListFilter {
  /** Only these sessions. */
  ids?: readonly string[];
  /** Only these testers' sessions (a tester's own view passes just theirs). Undefined: everyone's. */
  testerIds?: readonly string[];
  versions?: readonly string[];
  /** session_start >= from (inclusive) and < to (exclusive). */
  from?: Date;
  to?: Date;
}

export type SessionSortField = 'start' | 'tester' | 'version' | 'turns' | 'notes' | 'similarity' | 'processing';

export interface SessionOverviewRow {
  session: Session;
  turns: number;
  notes: number;
  notesByCategory: Record<string, number>;
  avgSimilarity: number | null;
  avgProcessingMs: number | null;
  /** The judge's 1-5 scores averaged over the session's judged turns; null when none is judged. */
  scores: { professionalism: number | null; empathy: number | null; clarity: number | null } | null;
}

const SORT_SQL: Record<SessionSortField, string> = {
  start: 's.session_start',
  tester: "COALESCE(s.tester_name, s.tester_id, '')",
  version: "COALESCE(s.master_prompt_version, '')",
  turns: 'turns',
  notes: 'notes',
  similarity: 'avg_similarity',
  processing: 'avg_processing_ms',
};

function filtered(db: Db, f: SessionListFilter) {
  let q = db.selectFrom('prompt_tuning_sessions as s');
  if (f.ids) q = q.where('s.id', 'in', [...f.ids]);
  if (f.testerIds) q = f.testerIds.length ? q.where('s.tester_id', 'in', [...f.testerIds]) : q.where(sql<boolean>`false`);
  if (f.versions?.length) q = q.where('s.master_prompt_version', 'in', [...f.versions]);
  if (f.from) q = q.where('s.session_start', '>=', f.from);
  if (f.to) q = q.where('s.session_start', '<', f.to);
  return q;
}

/** One page of sessions matching the filter, with the total. */
export async function listSessionOverview(
  db: Db,
  f: SessionListFilter,
  sort: { field: SessionSortField; dir: 'asc' | 'desc' },
  page: number,
  pageSize: number,
): Promise<{ rows: SessionOverviewRow[]; total: number }> {
  const q = filtered(db, f);
  const { n } = await q.select(sql<number>`COUNT(*)::int`.as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .selectAll('s')
    .select([
      sql<number>`(SELECT COUNT(*)::int FROM tuning_conversation_turns t WHERE t.session_id = s.id)`.as('turns'),
      sql<number>`(SELECT COUNT(*)::int FROM tuning_improvements i JOIN tuning_conversation_turns t ON t.id = i.turn_id WHERE t.session_id = s.id)`.as('notes'),
      sql<Record<string, number> | null>`(SELECT jsonb_object_agg(c.category, c.n) FROM (SELECT COALESCE(i.category, 'none') AS category, COUNT(*)::int AS n
        FROM tuning_improvements i JOIN tuning_conversation_turns t ON t.id = i.turn_id WHERE t.session_id = s.id GROUP BY 1) c)`.as('by_category'),
      sql<number | null>`(SELECT AVG(t.avg_similarity)::float8 FROM tuning_conversation_turns t WHERE t.session_id = s.id)`.as('avg_similarity'),
      sql<number | null>`(SELECT AVG(t.processing_time_ms)::float8 FROM tuning_conversation_turns t WHERE t.session_id = s.id)`.as('avg_processing_ms'),
      sql<{ professionalism: number | null; empathy: number | null; clarity: number | null }>`(SELECT jsonb_build_object(
        'professionalism', AVG(t.professionalism_score)::float8, 'empathy', AVG(t.empathy_score)::float8, 'clarity', AVG(t.clarity_score)::float8)
        FROM tuning_conversation_turns t WHERE t.session_id = s.id)`.as('avg_scores'),
    ])
    .orderBy(sql.raw(`${SORT_SQL[sort.field]} ${sort.dir} NULLS LAST`))
    .orderBy('s.id')
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .execute();
  return {
    total: n,
    rows: rows.map(({ turns, notes, by_category, avg_similarity, avg_processing_ms, avg_scores, ...session }) => ({
      session,
      turns,
      notes,
      notesByCategory: by_category ?? {},
      avgSimilarity: avg_similarity,
      avgProcessingMs: avg_processing_ms,
      scores: Object.values(avg_scores).some((v) => v !== null) ? avg_scores : null,
    })),
  };
}

/** The testers with sessions and the prompt versions seen, for the filters. */
export async function sessionFacets(db: Db, f: Pick<SessionListFilter, 'testerIds'>): Promise<{ testers: Array<{ id: string; name: string | null }>; versions: string[] }> {
  const testers = await filtered(db, f)
    .select(['s.tester_id', sql<string | null>`MAX(s.tester_name)`.as('name')])
    .where('s.tester_id', 'is not', null)
    .groupBy('s.tester_id')
    .orderBy('s.tester_id')
    .execute();
  const versions = await filtered(db, f).select('s.master_prompt_version').distinct().where('s.master_prompt_version', 'is not', null).orderBy('s.master_prompt_version').execute();
  return {
    testers: testers.flatMap((t) => (t.tester_id === null ? [] : [{ id: t.tester_id, name: t.name }])),
    versions: versions.flatMap((v) => (v.master_prompt_version === null ? [] : [v.master_prompt_version])),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One session's overview row, or undefined when no session has that id (or it is not a UUID). */
export async function sessionOverview(db: Db, sessionId: string): Promise<SessionOverviewRow | undefined> {
  if (!UUID.test(sessionId)) return undefined;
  const { rows } = await listSessionOverview(db, { ids: [sessionId] }, { field: 'start', dir: 'desc' }, 1, 1);
  return rows[0];
}

export interface SessionTurnDetail {
  turn: Turn;
  notes: Improvement[];
}

/** Every turn of a session in order, each with its notes (oldest first). */
export async function sessionTurnsWithNotes(db: Db, sessionId: string): Promise<SessionTurnDetail[]> {
  const turns = await db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', sessionId).orderBy('turn_number').execute();
  if (turns.length === 0) return [];
  const notes = await db
    .selectFrom('tuning_improvements')
    .selectAll()
    .where('turn_id', 'in', turns.map((t) => t.id))
    .orderBy('timestamp')
    .orderBy('id')
    .execute();
  const byTurn = new Map<string, Improvement[]>();
  for (const n of notes) byTurn.set(n.turn_id, [...(byTurn.get(n.turn_id) ?? []), n]);
  return turns.map((turn) => ({ turn, notes: byTurn.get(turn.id) ?? [] }));
}
