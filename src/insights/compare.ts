/**
 * Version comparisons: per metric, the mean of version A's turns and of version B's, with the number of
 * turns behind each (spec 000's prompt_version_comparisons, one row per metric per replay), and per turn
 * the two answers side by side. A boolean metric's "mean" is the share of turns where it holds (0-1); a
 * judge score's is the mean 1-5 score. Turns without a value (not judged, judge offline) do not count.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, JsonValue, PromptReplay } from '../../db';
import { InsightsRefusal } from './errors';

type Db = Kysely<Database>;

export const METRIC_NAMES = ['has_policy_citation', 'appropriate_action_suggested', 'structure_complete', 'professionalism_score', 'empathy_score', 'clarity_score'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export const JUDGE_METRICS: readonly MetricName[] = ['professionalism_score', 'empathy_score', 'clarity_score'];

/** One metric of a comparison. */
export interface MetricDelta {
  metric: MetricName;
  a: number | null;
  b: number | null;
  /** b − a; null when either side has no value. */
  delta: number | null;
  aTurns: number;
  bTurns: number;
}

/** Per metric: the mean over the turns with a value, and how many turns that is. */
export type Aggregate = Record<MetricName, { mean: number | null; n: number }>;

/** Means and counts of every metric over the turns of SESSION_IDS (what /stats shows for a session). */
export async function metricAverages(db: Db, sessionIds: readonly string[]): Promise<Aggregate> {
  const out = Object.fromEntries(METRIC_NAMES.map((m) => [m, { mean: null, n: 0 }])) as Aggregate;
  if (sessionIds.length === 0) return out;
  // A boolean metric's NULL (not scored) stays NULL, so avg() leaves it out as the count does.
  const value = (m: MetricName) => (m.endsWith('_score') ? sql.ref(`t.${m}`) : sql`case when ${sql.ref(`t.${m}`)} then 1.0 when not ${sql.ref(`t.${m}`)} then 0.0 end`);
  const row = await db.selectFrom('tuning_conversation_turns as t')
    .select(METRIC_NAMES.flatMap((m) => [
      sql<number | null>`avg(${value(m)})::float8`.as(`${m}_mean`),
      sql<number>`count(${sql.ref(`t.${m}`)})::int`.as(`${m}_n`),
    ]))
    .where('t.session_id', 'in', [...sessionIds])
    .executeTakeFirstOrThrow() as Record<string, number | null>;
  for (const m of METRIC_NAMES) {
    const n = row[`${m}_n`] ?? 0;
    out[m] = { n, mean: n === 0 ? null : Number(row[`${m}_mean`]) };
  }
  return out;
}

function deltas(a: Aggregate, b: Aggregate): MetricDelta[] {
  return METRIC_NAMES.map((metric) => {
    const x = a[metric];
    const y = b[metric];
    return { metric, a: x.mean, b: y.mean, delta: x.mean === null || y.mean === null ? null : y.mean - x.mean, aTurns: x.n, bTurns: y.n };
  });
}

/** Writes (or rewrites) the replay's comparison rows, one per metric. */
export async function writeComparisons(db: Db, replay: PromptReplay): Promise<MetricDelta[]> {
  if (!replay.replay_session_id) throw new InsightsRefusal(`Replay ${replay.id.slice(0, 8)} has no session to compare.`);
  const rows = deltas(await metricAverages(db, [replay.source_session_id]), await metricAverages(db, [replay.replay_session_id]));
  const versionA = replay.base_version ?? '(unknown)';
  for (const r of rows) {
    await db.insertInto('prompt_version_comparisons').values({
      version_a: versionA, version_b: replay.candidate_version, metric_name: r.metric, version_a_score: r.a, version_b_score: r.b,
      replay_id: replay.id, source_session_id: replay.source_session_id, replay_session_id: replay.replay_session_id,
      version_a_turns: r.aTurns, version_b_turns: r.bTurns,
    }).onConflict((oc) => oc.columns(['replay_id', 'metric_name']).doUpdateSet({
      version_a_score: r.a, version_b_score: r.b, version_a_turns: r.aTurns, version_b_turns: r.bTurns, comparison_date: new Date(),
    })).execute();
  }
  return rows;
}

/** A turn and its replay, side by side. */
export interface TurnPair {
  replayId: string;
  sourceSessionId: string;
  turnNumber: number;
  userMessage: string;
  oldAnswer: string;
  newAnswer: string | null;
  oldScores: Record<MetricName, number | boolean | null>;
  newScores: Record<MetricName, number | boolean | null> | null;
  retrievalDiff: JsonValue | null;
}

/** The comparison of replays: per metric (turn-weighted over all of them) and per turn. */
export interface Comparison {
  versionsA: string[];
  versionB: string[];
  replays: number;
  metrics: MetricDelta[];
  /** True when some turn has no judge scores (judge offline, or not judged yet). */
  judgeMissing: boolean;
  pairs: TurnPair[];
}

const scoresOf = (t: Record<MetricName, number | boolean | null>): Record<MetricName, number | boolean | null> =>
  Object.fromEntries(METRIC_NAMES.map((m) => [m, t[m]])) as Record<MetricName, number | boolean | null>;

/** Compares the given replays (one, a group, or any set). */
export async function compareReplays(db: Db, replayIds: readonly string[]): Promise<Comparison> {
  if (replayIds.length === 0) throw new InsightsRefusal('No replay to compare.');
  const replays = await db.selectFrom('prompt_replays').selectAll().where('id', 'in', [...replayIds]).orderBy('created_at').execute();
  const sources = replays.map((r) => r.source_session_id);
  const targets = replays.flatMap((r) => (r.replay_session_id ? [r.replay_session_id] : []));
  const metrics = deltas(await metricAverages(db, sources), await metricAverages(db, targets));
  const turns = await db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', 'in', [...sources, ...targets]).orderBy('turn_number').execute();
  const pairs: TurnPair[] = [];
  for (const r of replays) {
    const olds = turns.filter((t) => t.session_id === r.source_session_id);
    const news = turns.filter((t) => t.session_id === r.replay_session_id);
    olds.forEach((old, i) => {
      const fresh = news.find((n) => n.turn_number === i + 1) ?? null;
      pairs.push({
        replayId: r.id, sourceSessionId: r.source_session_id, turnNumber: i + 1, userMessage: old.user_message,
        oldAnswer: old.era_response, newAnswer: fresh?.era_response ?? null, oldScores: scoresOf(old), newScores: fresh ? scoresOf(fresh) : null,
        retrievalDiff: fresh?.metadata?.retrieval_diff ?? null,
      });
    });
  }
  const judged = (m: MetricDelta) => JUDGE_METRICS.includes(m.metric);
  const counted = turns.length;
  return {
    versionsA: [...new Set(replays.map((r) => r.base_version ?? '(unknown)'))],
    versionB: [...new Set(replays.map((r) => r.candidate_version))],
    replays: replays.length,
    metrics,
    judgeMissing: metrics.filter(judged).some((m) => m.aTurns + m.bTurns < counted),
    pairs,
  };
}

/**
 * Compares two prompt versions over every turn recorded under each (sessions and replays alike). With
 * `testerId`, only that tester's turns count: their sessions and the replays of their sessions (the
 * dashboard's view for a tester, who never sees another tester's data).
 */
export async function compareVersions(db: Db, versionA: string, versionB: string, scope: { testerId?: string } = {}): Promise<{ metrics: MetricDelta[]; sessionsA: number; sessionsB: number }> {
  const tester = scope.testerId;
  const ids = async (v: string) => (await db.selectFrom('prompt_tuning_sessions as s').select('s.id').where('s.master_prompt_version', '=', v)
    .$if(tester !== undefined, (q) => q.where((eb) => eb.or([
      eb('s.tester_id', '=', tester ?? ''),
      eb('s.id', 'in', eb.selectFrom('prompt_replays as r').innerJoin('prompt_tuning_sessions as src', 'src.id', 'r.source_session_id')
        .select('r.replay_session_id').where('src.tester_id', '=', tester ?? '').where('r.replay_session_id', 'is not', null)),
    ])))
    .execute()).map((r) => r.id);
  const [a, b] = await Promise.all([ids(versionA), ids(versionB)]);
  if (a.length === 0 && b.length === 0) throw new InsightsRefusal(`No session was recorded under ${versionA} or ${versionB}.`);
  return { metrics: deltas(await metricAverages(db, a), await metricAverages(db, b)), sessionsA: a.length, sessionsB: b.length };
}
