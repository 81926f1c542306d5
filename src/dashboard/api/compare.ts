/**
 * GET /api/dashboard/compare/…: replays and their source sessions, and two prompt versions. The figures
 * come from src/insights/compare.ts (compareReplays, compareVersions), as on the comparison card; this
 * module only chooses what the caller may see and pages it. Admins see every replay; a tester only the
 * replays of their own sessions (another tester's replay answers 404, like a missing one).
 */
import { type Kysely, sql } from 'kysely';
import type { Database, JsonValue } from '../../../db';
import { compareReplays, compareVersions, InsightsRefusal, METRIC_NAMES, type MetricDelta, type MetricName } from '../../insights';
import { sessionFacets } from '../../tuning';
import type { Principal } from '../auth';
import {
  COMPARE_METRICS, type CompareMetric, type MetricDeltaView, replayComparisonQuery, type ReplayComparisonResponse, replayId, type ReplayRow, replaysQuery,
  type ReplaysResponse, type RetrievalChange, versionsComparisonQuery, type VersionsComparisonResponse,
} from '../contract';
import { ApiError, parseWith } from './http';

type Db = Kysely<Database>;

// The contract's metric list is the insights module's, in the same order (checked when this compiles and at start).
const sameMetrics: readonly CompareMetric[] = METRIC_NAMES satisfies readonly MetricName[] satisfies readonly CompareMetric[];
if (sameMetrics.join() !== COMPARE_METRICS.join()) throw new Error('dashboard contract COMPARE_METRICS differs from insights METRIC_NAMES');

const metricsView = (ms: readonly MetricDelta[]): MetricDeltaView[] => ms.map((m) => ({ ...m }));

/** The visible replays, newest first, with their source's tester and when they were compared. */
function replays(db: Db, who: Principal) {
  return db.selectFrom('prompt_replays as r')
    .innerJoin('prompt_tuning_sessions as src', 'src.id', 'r.source_session_id')
    .$if(!who.admin, (q) => q.where('src.tester_id', '=', who.testerId));
}

async function pageOfReplays(
  db: Db, who: Principal, where: { id?: string; either?: string; from?: string; to?: string }, page: number, pageSize: number,
): Promise<{ rows: ReplayRow[]; total: number }> {
  const base = replays(db, who)
    .$if(where.id !== undefined, (q) => q.where('r.id', '=', where.id ?? ''))
    .$if(where.either !== undefined, (q) => q.where((eb) => eb.or([eb('r.base_version', '=', where.either ?? ''), eb('r.candidate_version', '=', where.either ?? '')])))
    .$if(where.from !== undefined, (q) => q.where('r.base_version', '=', where.from ?? ''))
    .$if(where.to !== undefined, (q) => q.where('r.candidate_version', '=', where.to ?? ''));
  const [rows, count] = await Promise.all([
    base.select([
      'r.id', 'r.created_at', 'r.status', 'r.source_session_id', 'r.replay_session_id', 'r.base_version', 'r.candidate_version', 'r.total_turns', 'r.done_turns',
      'src.tester_name', 'src.tester_id',
      (eb) => eb.selectFrom('prompt_version_comparisons as c').select(sql<Date | null>`max(c.comparison_date)`.as('d')).whereRef('c.replay_id', '=', 'r.id').as('compared_at'),
    ]).orderBy('r.created_at', 'desc').orderBy('r.id').limit(pageSize).offset((page - 1) * pageSize).execute(),
    base.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    total: count.n,
    rows: rows.map((r) => ({
      id: r.id, createdAt: r.created_at.toISOString(), status: r.status, sourceSessionId: r.source_session_id, replaySessionId: r.replay_session_id,
      testerName: r.tester_name ?? r.tester_id, baseVersion: r.base_version, candidateVersion: r.candidate_version, totalTurns: r.total_turns,
      doneTurns: r.done_turns, comparedAt: r.compared_at ? new Date(r.compared_at).toISOString() : null,
    })),
  };
}

/** One page of the caller's replays, and every version they may compare. */
export async function listReplays(db: Db, who: Principal, query: unknown): Promise<ReplaysResponse> {
  const q = parseWith(replaysQuery, query);
  const [{ rows, total }, facets, replayVersions] = await Promise.all([
    pageOfReplays(db, who, { either: q.version }, q.page, q.pageSize),
    sessionFacets(db, { testerIds: who.admin ? undefined : [who.testerId] }),
    replays(db, who).select(['r.base_version', 'r.candidate_version']).distinct().execute(),
  ]);
  const versions = new Set(facets.versions);
  for (const r of replayVersions) {
    if (r.base_version) versions.add(r.base_version);
    versions.add(r.candidate_version);
  }
  return { rows, total, page: q.page, pageSize: q.pageSize, versions: [...versions].sort() };
}

function retrievalOf(v: JsonValue | null): RetrievalChange | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const strings = (x: JsonValue | undefined): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  const reordered = Array.isArray(v.reordered) ? v.reordered : [];
  return {
    same: v.same === true,
    added: strings(v.added),
    dropped: strings(v.dropped),
    reordered: reordered.flatMap((r) => (r !== null && typeof r === 'object' && !Array.isArray(r) && typeof r.chunk_id === 'string' && typeof r.from === 'number' && typeof r.to === 'number'
      ? [{ chunkId: r.chunk_id, from: r.from, to: r.to }] : [])),
  };
}

/** A replay against its source session: the per-metric figures and one page of turns side by side. */
export async function replayComparison(db: Db, who: Principal, id: string, query: unknown): Promise<ReplayComparisonResponse> {
  const q = parseWith(replayComparisonQuery, query);
  if (!replayId.safeParse(id).success) throw new ApiError(404, 'No such replay, or it is not of your session.');
  const { rows: [listed] } = await pageOfReplays(db, who, { id: id.toLowerCase() }, 1, 1);
  if (!listed) throw new ApiError(404, 'No such replay, or it is not of your session.');
  const c = await compareReplays(db, [listed.id]);
  const start = (q.page - 1) * q.pageSize;
  return {
    replay: listed,
    versionA: c.versionsA[0] ?? '(unknown)',
    versionB: c.versionB[0] ?? '(unknown)',
    metrics: metricsView(c.metrics),
    judgeMissing: c.judgeMissing,
    total: c.pairs.length,
    page: q.page,
    pageSize: q.pageSize,
    pairs: c.pairs.slice(start, start + q.pageSize).map((p) => ({
      turnNumber: p.turnNumber, userMessage: p.userMessage, oldAnswer: p.oldAnswer, newAnswer: p.newAnswer,
      oldScores: p.oldScores, newScores: p.newScores, retrieval: retrievalOf(p.retrievalDiff),
    })),
  };
}

/** Two prompt versions over every turn the caller may see, and one page of the replays from A to B. */
export async function versionsComparison(db: Db, who: Principal, query: unknown): Promise<VersionsComparisonResponse> {
  const q = parseWith(versionsComparisonQuery, query);
  if (q.a === q.b) throw new ApiError(400, 'Choose two different prompt versions.');
  let c: Awaited<ReturnType<typeof compareVersions>>;
  try {
    c = await compareVersions(db, q.a, q.b, who.admin ? {} : { testerId: who.testerId });
  } catch (err) {
    if (err instanceof InsightsRefusal) throw new ApiError(404, err.userMessage);
    throw err;
  }
  const { rows, total } = await pageOfReplays(db, who, { from: q.a, to: q.b }, q.page, q.pageSize);
  return { versionA: q.a, versionB: q.b, sessionsA: c.sessionsA, sessionsB: c.sessionsB, metrics: metricsView(c.metrics), rows, total, page: q.page, pageSize: q.pageSize };
}
