/** Plain padded tables for `npm run tune`: metric deltas, calibration figures, replay lists. */
import type { PromptReplay as PromptReplayRow } from '../../db';
import type { CalibrationReport } from '../insights';
import { table } from '../insights/compare-text';

export { comparisonText, metricsTable, table } from '../insights/compare-text';

const fixed = (v: number | null, digits = 2) => (v === null ? 'n/a' : v.toFixed(digits));
const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 100)}%`);

/** The calibration report. */
export function calibrationText(r: CalibrationReport, judge: string): string {
  return [
    `${r.good + r.flagged} labelled replies: ${r.good} good (Looks good / thumbs up only), ${r.flagged} with improvement notes. Judge: ${judge}.`,
    '',
    'ROC AUC: how often a good reply scores above a flagged one (1 = always, 0.5 = chance, below 0.5 = backwards)',
    table([['score', 'AUC', 'replies'], ...r.auc.map((a) => [a.score, a.n === 0 ? 'n/a (no values)' : fixed(a.auc), String(a.n)])]),
    '',
    'Per-category agreement: the metric "flags" a reply when the condition holds; n = good replies + replies flagged in that category',
    table([
      ['category', 'metric flags when', 'n', 'flagged', 'agree', 'kappa', 'recall', 'specificity'],
      ...r.categories.map((c) => [c.category, c.metric, String(c.n), String(c.flaggedByTesters), pct(c.agreement), fixed(c.kappa), pct(c.recall), pct(c.specificity)]),
    ]),
  ].join('\n');
}

/** One line per replay. */
export function replaysTable(replays: readonly PromptReplayRow[]): string {
  return table([
    ['replay', 'source', 'candidate', 'mode', 'status', 'turns', 'created'],
    ...replays.map((r) => [r.id.slice(0, 8), r.source_session_id.slice(0, 8), `${r.candidate_kind} ${r.candidate_version}`, r.mode, r.status, `${r.done_turns}/${r.total_turns}`, r.created_at.toISOString().slice(0, 16).replace('T', ' ')]),
  ]);
}
