/** Plain padded tables for `npm run tune`: metric deltas, calibration figures, replay lists. */
import type { PromptReplay as PromptReplayRow } from '../../db';
import type { CalibrationReport, Comparison, MetricDelta } from '../insights';

/** Lays rows out in columns (the first row is the header), right-aligning numbers. */
export function table(rows: string[][]): string {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  const numeric = (s: string) => /^[−+±-]?[\d.]+( pts|%)?$|^—$|^n\/a/.test(s);
  return rows
    .map((row, r) => row.map((cell, i) => (r > 0 && i > 0 && numeric(cell) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

const isScore = (metric: string) => metric.endsWith('_score');
const value = (metric: string, v: number | null, judgeOffline: boolean) =>
  v === null ? (isScore(metric) && judgeOffline ? 'n/a (judge offline)' : '—') : isScore(metric) ? v.toFixed(2) : `${(v * 100).toFixed(0)}%`;
const delta = (metric: string, d: number | null) => {
  if (d === null) return '—';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return isScore(metric) ? `${sign}${Math.abs(d).toFixed(2)}` : `${sign}${(Math.abs(d) * 100).toFixed(0)} pts`;
};

/** The per-metric table of a comparison. */
export function metricsTable(metrics: readonly MetricDelta[], labelA: string, labelB: string, judgeOffline: boolean): string {
  return table([
    ['metric', `A ${labelA}`, `B ${labelB}`, 'change', 'turns A', 'turns B'],
    ...metrics.map((m) => [m.metric, value(m.metric, m.a, judgeOffline), value(m.metric, m.b, judgeOffline), delta(m.metric, m.delta), String(m.aTurns), String(m.bTurns)]),
  ]);
}

/** A comparison: the table, then (with turns) each pair. */
export function comparisonText(c: Comparison, options: { turns: boolean; judgeOffline: boolean }): string {
  const out = [
    `${c.replays} replay(s): ${c.versionsA.join(', ')} → ${c.versionB.join(', ')}`,
    '',
    metricsTable(c.metrics, c.versionsA.length === 1 ? (c.versionsA[0] ?? '') : '(several)', c.versionB.length === 1 ? (c.versionB[0] ?? '') : '(several)', options.judgeOffline),
  ];
  if (c.judgeMissing) out.push('', options.judgeOffline ? 'Judge offline: the 1-5 scores are missing; only the programmatic metrics compare.' : 'Some turns have no judge scores yet (run npm run tune -- rescore).');
  if (options.turns) {
    for (const p of c.pairs) {
      out.push('', `--- session ${p.sourceSessionId.slice(0, 8)}, turn ${p.turnNumber}: ${p.userMessage}`, '[old]', p.oldAnswer, '[new]', p.newAnswer ?? '(not replayed)');
    }
  }
  return out.join('\n');
}

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
