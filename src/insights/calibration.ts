/**
 * How far to trust the judge: how well its scores (and the programmatic metrics) separate the replies
 * testers liked from those they flagged.
 *
 * - Labels: a reply is **good** when its notes are only positive (Looks good, thumbs up) and **flagged**
 *   when it has an improvement note and no positive one; replies with both, or with no notes, are left out.
 * - **ROC AUC** of a score = P(a good reply scores higher than a flagged one) + ½·P(they tie), over every
 *   good × flagged pair (the Mann-Whitney statistic, computed with mid-ranks). 1: the score always ranks
 *   good replies above flagged ones; 0.5: no better than chance; below 0.5: backwards. Booleans count as
 *   0/1; "combined" is the mean of the three judge scores, "programmatic" the sum of the three booleans.
 * - **Per-category agreement**: for a note category and the metric that should catch it (tone ↔
 *   professionalism and empathy, clarity ↔ clarity, structure ↔ structure_complete, citation ↔
 *   has_policy_citation, action ↔ appropriate_action_suggested), over the good replies plus the replies
 *   flagged in that category: the metric "flags" a reply when a 1-5 score is 3 or less (for tone: either
 *   score) or a boolean is false. Reported: n, the share where metric and testers agree, Cohen's κ,
 *   recall (flagged replies the metric flags) and specificity (good replies it passes). Replies without a
 *   value for the metric (judge offline) are left out.
 */
import { METRIC_NAMES, type MetricName } from './compare';

/** One labelled reply. */
export interface CalibrationItem {
  label: 'good' | 'flagged';
  /** The categories of its improvement notes. */
  categories: string[];
  scores: Record<MetricName, number | boolean | null>;
}

/** AUC of scores separating GOOD above FLAGGED; null when either side is empty. */
export function rocAuc(good: readonly number[], flagged: readonly number[]): number | null {
  if (good.length === 0 || flagged.length === 0) return null;
  const all = [...good.map((v) => ({ v, good: true })), ...flagged.map((v) => ({ v, good: false }))].sort((a, b) => a.v - b.v);
  let rankSumGood = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.v === all[i]?.v) j += 1;
    const midRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k += 1) if (all[k]?.good) rankSumGood += midRank;
    i = j + 1;
  }
  const u = rankSumGood - (good.length * (good.length + 1)) / 2;
  return u / (good.length * flagged.length);
}

/** Cohen's κ of two boolean raters; null when undefined (no items, or chance agreement is 1). */
export function cohenKappa(pairs: ReadonlyArray<readonly [boolean, boolean]>): number | null {
  const n = pairs.length;
  if (n === 0) return null;
  const agree = pairs.filter(([a, b]) => a === b).length / n;
  const pa = pairs.filter(([a]) => a).length / n;
  const pb = pairs.filter(([, b]) => b).length / n;
  const chance = pa * pb + (1 - pa) * (1 - pb);
  return chance === 1 ? null : (agree - chance) / (1 - chance);
}

/** Scores the AUC is reported for. */
export const AUC_SCORES = [...METRIC_NAMES, 'judge_combined', 'programmatic_combined'] as const;
export type AucScore = (typeof AUC_SCORES)[number];

function numeric(item: CalibrationItem, score: AucScore): number | null {
  const s = item.scores;
  if (score === 'judge_combined') {
    const v = [s.professionalism_score, s.empathy_score, s.clarity_score];
    return v.every((x) => typeof x === 'number') ? v.reduce((a, b) => a + b, 0) / 3 : null;
  }
  if (score === 'programmatic_combined') {
    const v = [s.has_policy_citation, s.appropriate_action_suggested, s.structure_complete];
    return v.every((x) => typeof x === 'boolean') ? v.filter(Boolean).length : null;
  }
  const v = s[score];
  return v === null ? null : typeof v === 'boolean' ? Number(v) : v;
}

/** The categories checked, and when the metric flags a reply for each. */
export const CATEGORY_CHECKS: ReadonlyArray<{ category: string; metric: string; flags: (s: CalibrationItem['scores']) => boolean | null }> = [
  { category: 'tone', metric: 'professionalism or empathy ≤ 3', flags: (s) => (typeof s.professionalism_score === 'number' && typeof s.empathy_score === 'number' ? Math.min(s.professionalism_score, s.empathy_score) <= 3 : null) },
  { category: 'clarity', metric: 'clarity ≤ 3', flags: (s) => (typeof s.clarity_score === 'number' ? s.clarity_score <= 3 : null) },
  { category: 'structure', metric: 'structure_complete false', flags: (s) => (typeof s.structure_complete === 'boolean' ? !s.structure_complete : null) },
  { category: 'citation', metric: 'has_policy_citation false', flags: (s) => (typeof s.has_policy_citation === 'boolean' ? !s.has_policy_citation : null) },
  { category: 'action', metric: 'appropriate_action_suggested false', flags: (s) => (typeof s.appropriate_action_suggested === 'boolean' ? !s.appropriate_action_suggested : null) },
];

export interface CategoryAgreement {
  category: string;
  metric: string;
  n: number;
  flaggedByTesters: number;
  agreement: number | null;
  kappa: number | null;
  recall: number | null;
  specificity: number | null;
}

export interface CalibrationReport {
  good: number;
  flagged: number;
  auc: Array<{ score: AucScore; auc: number | null; n: number }>;
  categories: CategoryAgreement[];
}

/** The report (see the file comment for every definition). */
export function calibrationReport(items: readonly CalibrationItem[]): CalibrationReport {
  const auc = AUC_SCORES.map((score) => {
    const good: number[] = [];
    const flagged: number[] = [];
    for (const item of items) {
      const v = numeric(item, score);
      if (v !== null) (item.label === 'good' ? good : flagged).push(v);
    }
    return { score, auc: rocAuc(good, flagged), n: good.length + flagged.length };
  });
  const categories = CATEGORY_CHECKS.map(({ category, metric, flags }) => {
    const pairs: Array<[boolean, boolean]> = [];
    for (const item of items) {
      const byTesters = item.label === 'flagged' && item.categories.includes(category);
      if (item.label === 'flagged' && !byTesters) continue;
      const byMetric = flags(item.scores);
      if (byMetric !== null) pairs.push([byTesters, byMetric]);
    }
    const positives = pairs.filter(([t]) => t);
    const negatives = pairs.filter(([t]) => !t);
    return {
      category,
      metric,
      n: pairs.length,
      flaggedByTesters: positives.length,
      agreement: pairs.length ? pairs.filter(([a, b]) => a === b).length / pairs.length : null,
      kappa: cohenKappa(pairs),
      recall: positives.length ? positives.filter(([, m]) => m).length / positives.length : null,
      specificity: negatives.length ? negatives.filter(([, m]) => !m).length / negatives.length : null,
    };
  });
  return { good: items.filter((i) => i.label === 'good').length, flagged: items.filter((i) => i.label === 'flagged').length, auc, categories };
}
