/**
 * Compare: a replay against its source session, or two prompt versions over every turn recorded under
 * each. The figures are src/insights/compare.ts's (the same numbers the comparison card and
 * `npm run tune -- compare` show); this is only their shape on the wire.
 */
import { z } from 'zod';
import { pagedMeta, paging } from './common';

/** The spec 000 metrics, in the order every view lists them (src/insights/compare.ts METRIC_NAMES). */
export const COMPARE_METRICS = ['has_policy_citation', 'appropriate_action_suggested', 'structure_complete', 'professionalism_score', 'empathy_score', 'clarity_score'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

const version = z.string().trim().min(1, 'a prompt version is 1-100 characters').max(100, 'a prompt version is 1-100 characters');
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a replay id is a UUID');

/** GET /compare/replays: the replays the caller may compare (admins: all; testers: of their own sessions). */
export const replaysQuery = z.object({ ...paging, version: version.optional() }).strict();
export type ReplaysQuery = z.input<typeof replaysQuery>;

export const replayRow = z.object({
  id: z.string(),
  createdAt: z.string(),
  status: z.enum(['queued', 'running', 'scoring', 'completed', 'failed', 'cancelled']),
  sourceSessionId: z.string(),
  replaySessionId: z.string().nullable(),
  /** The source session's tester (admins see it; for testers it is always themselves). */
  testerName: z.string().nullable(),
  baseVersion: z.string().nullable(),
  candidateVersion: z.string(),
  totalTurns: z.number().int(),
  doneTurns: z.number().int(),
  /** When its prompt_version_comparisons rows were last written (null: not compared yet). */
  comparedAt: z.string().nullable(),
});
export type ReplayRow = z.infer<typeof replayRow>;

export const replaysResponse = pagedMeta.extend({
  rows: z.array(replayRow),
  /** Every prompt version the caller may compare (their sessions' and their replays'). */
  versions: z.array(z.string()),
});
export type ReplaysResponse = z.infer<typeof replaysResponse>;

/** One metric: A's and B's mean over the turns with a value, how many turns that is, and B − A. */
export const metricDelta = z.object({
  metric: z.enum(COMPARE_METRICS),
  a: z.number().nullable(),
  b: z.number().nullable(),
  delta: z.number().nullable(),
  aTurns: z.number().int(),
  bTurns: z.number().int(),
});
export type MetricDeltaView = z.infer<typeof metricDelta>;

/** Which passages a replayed turn retrieved differently (src/insights/retrieval-diff.ts). */
export const retrievalChange = z.object({
  same: z.boolean(),
  added: z.array(z.string()),
  dropped: z.array(z.string()),
  reordered: z.array(z.object({ chunkId: z.string(), from: z.number().int(), to: z.number().int() })),
});
export type RetrievalChange = z.infer<typeof retrievalChange>;

const scoreValue = z.union([z.number(), z.boolean(), z.null()]);
export const turnScoresByMetric = z.record(z.enum(COMPARE_METRICS), scoreValue);

export const turnPair = z.object({
  turnNumber: z.number().int(),
  userMessage: z.string(),
  oldAnswer: z.string(),
  newAnswer: z.string().nullable(),
  oldScores: turnScoresByMetric,
  newScores: turnScoresByMetric.nullable(),
  /** Null when the source turn had no retrieval to compare with, or the turn was not replayed. */
  retrieval: retrievalChange.nullable(),
});
export type TurnPairView = z.infer<typeof turnPair>;

/** GET /compare/replays/:id — the replay's figures and one page of its turns side by side. */
export const replayComparisonQuery = z.object({ ...paging }).strict();
export const replayComparisonResponse = pagedMeta.extend({
  replay: replayRow,
  versionA: z.string(),
  versionB: z.string(),
  metrics: z.array(metricDelta),
  /** Some turn has no judge scores (judge offline, or not judged yet). */
  judgeMissing: z.boolean(),
  pairs: z.array(turnPair),
});
export type ReplayComparisonResponse = z.infer<typeof replayComparisonResponse>;

/** GET /compare/versions?a=&b= — two prompt versions over the caller's turns, and the replays from A to B. */
export const versionsComparisonQuery = z.object({ ...paging, a: version, b: version }).strict();
export const versionsComparisonResponse = pagedMeta.extend({
  versionA: z.string(),
  versionB: z.string(),
  sessionsA: z.number().int(),
  sessionsB: z.number().int(),
  metrics: z.array(metricDelta),
  /** Replays of an A session on B (one page). */
  rows: z.array(replayRow),
});
export type VersionsComparisonResponse = z.infer<typeof versionsComparisonResponse>;

export const replayId = uuid;
