/**
 * The analysis of spec 002, pure: score every reply, take the top of each model × topic group, cluster
 * the patterns those replies share, and measure each pattern against the rest of its group.
 *
 * Combined score of a reply, 0-100 (the weights renormalised over the parts that exist):
 *   judge     0.4 × (mean of professionalism, empathy, clarity − 1) / 4      (absent when not judged)
 *   metrics   0.2 × share of has_policy_citation, appropriate_action_suggested, structure_complete true
 *   feedback  0.4 × 1 with a Looks good or thumbs up and no improvement note; 0 with an improvement note
 *             (or thumbs down); 0.5 with neither
 * Top replies: per (model, topic) with at least MIN_GROUP replies, the best TOP_FRACTION (20 %, at least
 * one) by that score, ties broken by turn id, leaving out any reply with an improvement note.
 * Clusters: the top replies' feature sets, merged agglomeratively (average linkage) while the closest two
 * clusters have a mean Jaccard similarity of at least CLUSTER_SIMILARITY; a cluster's pattern is the
 * features at least two thirds of its replies show. Clusters of fewer than MIN_SUPPORT replies, and
 * empty patterns, are dropped; equal patterns are merged.
 * Effectiveness, 0-100: 50 + n/(n + SHRINK) × (mean score of the group's replies showing every feature
 * of the pattern − mean score of the others), clipped. 50 means "no better than replies without it"; the
 * shrinkage pulls a difference seen on few replies toward 50. Kept when above 50 (a pattern every reply
 * shows has nothing to compare with and stays at 50). sample_count: the replies showing the pattern.
 * Contribution of a session: its share (0-100) of the combined scores of the cluster's top replies.
 */
import { createHash } from 'node:crypto';
import { type FeatureId, jaccard } from './features';

export const TOP_FRACTION = 0.2;
export const MIN_GROUP = 5;
export const MIN_SUPPORT = 2;
export const CLUSTER_SIMILARITY = 0.5;
export const SHRINK = 5;
export const CORE_SHARE = 2 / 3;

/** One ERA reply as the analysis reads it. */
export interface ScoredReplyInput {
  turnId: string;
  sessionId: string;
  model: string;
  category: string;
  userMessage: string;
  reply: string;
  judge: { professionalism: number; empathy: number; clarity: number } | null;
  metrics: Array<boolean | null>;
  positiveNotes: number;
  improvementNotes: number;
  features: FeatureId[];
}

export interface ScoredReply extends ScoredReplyInput {
  score: number;
}

export interface PracticeCandidate {
  key: string;
  model: string;
  category: string;
  features: FeatureId[];
  effectiveness: number;
  sampleCount: number;
  stats: { groupReplies: number; topReplies: number; withPattern: number; withoutPattern: number; meanWith: number; meanWithout: number | null };
  /** The cluster's top replies, best first. */
  members: ScoredReply[];
  /** Session id → contribution 0-100 (two decimals; sums to about 100). */
  contributions: Map<string, number>;
}

export interface AnalysisOutcome {
  replies: number;
  groups: number;
  groupsAnalysed: number;
  topReplies: number;
  candidates: PracticeCandidate[];
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The combined score of a reply (see the file comment). */
export function combinedScore(r: Pick<ScoredReplyInput, 'judge' | 'metrics' | 'positiveNotes' | 'improvementNotes'>): number {
  let sum = 0;
  let weight = 0;
  if (r.judge) {
    const mean = (r.judge.professionalism + r.judge.empathy + r.judge.clarity) / 3;
    sum += 0.4 * ((mean - 1) / 4);
    weight += 0.4;
  }
  const known = r.metrics.filter((m): m is boolean => m !== null);
  if (known.length > 0) {
    sum += 0.2 * (known.filter(Boolean).length / known.length);
    weight += 0.2;
  }
  const feedback = r.improvementNotes > 0 ? 0 : r.positiveNotes > 0 ? 1 : 0.5;
  sum += 0.4 * feedback;
  weight += 0.4;
  return round2((100 * sum) / weight);
}

/** The stable identity of a practice. */
export function practiceKey(model: string, category: string, features: readonly string[]): string {
  return createHash('sha256').update(`${model}\n${category}\n${[...features].sort().join(',')}`).digest('hex');
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const byScore = (a: ScoredReply, b: ScoredReply): number => b.score - a.score || (a.turnId < b.turnId ? -1 : a.turnId > b.turnId ? 1 : 0);

/** Average-linkage agglomerative clustering of feature sets by Jaccard similarity. */
export function clusterByFeatures<T extends { features: readonly string[] }>(items: T[], threshold = CLUSTER_SIMILARITY): T[][] {
  let clusters = items.map((i) => [i]);
  for (;;) {
    let best = -1;
    let pair: [number, number] | null = null;
    for (let a = 0; a < clusters.length; a++) {
      for (let b = a + 1; b < clusters.length; b++) {
        const ca = clusters[a] ?? [];
        const cb = clusters[b] ?? [];
        let total = 0;
        for (const x of ca) for (const y of cb) total += jaccard(x.features, y.features);
        const sim = total / (ca.length * cb.length);
        if (sim > best) { best = sim; pair = [a, b]; }
      }
    }
    if (!pair || best < threshold) return clusters;
    const [a, b] = pair;
    const merged = [...(clusters[a] ?? []), ...(clusters[b] ?? [])];
    clusters = clusters.filter((_, i) => i !== a && i !== b);
    clusters.push(merged);
  }
}

/** The features at least CORE_SHARE of a cluster's replies show. */
function corePattern(members: ScoredReply[]): FeatureId[] {
  const counts = new Map<FeatureId, number>();
  for (const m of members) for (const f of m.features) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts.entries()].filter(([, n]) => n >= CORE_SHARE * members.length).map(([f]) => f).sort();
}

function contributions(members: ScoredReply[]): Map<string, number> {
  const total = members.reduce((a, m) => a + Math.max(m.score, 0.01), 0);
  const bySession = new Map<string, number>();
  for (const m of members) bySession.set(m.sessionId, (bySession.get(m.sessionId) ?? 0) + Math.max(m.score, 0.01));
  return new Map([...bySession.entries()].map(([s, v]) => [s, round2((100 * v) / total)]));
}

/** Runs the analysis over every reply. Deterministic: the same replies give the same candidates. */
export function analyseReplies(inputs: ScoredReplyInput[]): AnalysisOutcome {
  const scored: ScoredReply[] = inputs.map((r) => ({ ...r, score: combinedScore(r) }));
  const groups = new Map<string, ScoredReply[]>();
  for (const r of scored) {
    const k = `${r.model}\n${r.category}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const candidates: PracticeCandidate[] = [];
  let analysed = 0;
  let topTotal = 0;
  for (const group of groups.values()) {
    if (group.length < MIN_GROUP) continue;
    analysed += 1;
    group.sort(byScore);
    const first = group[0];
    if (!first) continue;
    const top = group.slice(0, Math.max(1, Math.round(TOP_FRACTION * group.length))).filter((r) => r.improvementNotes === 0);
    topTotal += top.length;
    const byPattern = new Map<string, { features: FeatureId[]; members: ScoredReply[] }>();
    for (const cluster of clusterByFeatures(top)) {
      if (cluster.length < MIN_SUPPORT) continue;
      const features = corePattern(cluster);
      if (features.length === 0) continue;
      const k = features.join(',');
      const seen = byPattern.get(k);
      if (seen) seen.members.push(...cluster);
      else byPattern.set(k, { features, members: [...cluster] });
    }
    for (const { features, members } of byPattern.values()) {
      const withPattern = group.filter((r) => features.every((f) => r.features.includes(f)));
      const without = group.filter((r) => !features.every((f) => r.features.includes(f)));
      const meanWith = mean(withPattern.map((r) => r.score));
      const meanWithout = without.length > 0 ? mean(without.map((r) => r.score)) : null;
      const n = withPattern.length;
      const lift = meanWithout === null ? 0 : meanWith - meanWithout;
      const effectiveness = round2(Math.min(100, Math.max(0, 50 + (n / (n + SHRINK)) * lift)));
      if (effectiveness <= 50) continue;
      members.sort(byScore);
      candidates.push({
        key: practiceKey(first.model, first.category, features),
        model: first.model,
        category: first.category,
        features,
        effectiveness,
        sampleCount: n,
        stats: {
          groupReplies: group.length, topReplies: top.length, withPattern: n, withoutPattern: without.length,
          meanWith: round2(meanWith), meanWithout: meanWithout === null ? null : round2(meanWithout),
        },
        members,
        contributions: contributions(members),
      });
    }
  }
  candidates.sort((a, b) => b.effectiveness - a.effectiveness || (a.key < b.key ? -1 : 1));
  return { replies: scored.length, groups: groups.size, groupsAnalysed: analysed, topReplies: topTotal, candidates };
}
