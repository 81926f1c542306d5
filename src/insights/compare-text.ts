/** A comparison as plain text: the per-metric table, then (with turns) each turn's old and new answer. `npm run tune -- compare` prints it; the comparison card's Full view serves it. */
import type { Comparison, MetricDelta } from './compare';

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
