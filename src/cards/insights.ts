/**
 * The tuning loop's cards: a suggestion (its diff shown readably and clipped, Replay with this suggestion,
 * Download .patch), a replay's progress (Cancel), and a comparison (per metric old → new with the change
 * and the turns behind each; per turn the two answers side by side, clipped). Also the compact score line
 * of a reply's tuning card and the /stats score averages, so the wiring only passes data.
 */
import comparisonTemplate from './comparison.json';
import replayProgressTemplate from './replay-progress.json';
import { progressBar } from './jobs';
import { type CardJson, expand } from './render';
import suggestionTemplate from './suggestion.json';

export const JUDGE_OFFLINE_TEXT = 'judge offline';
const DIFF_LINES = 60;
const ANSWER_CHARS = 400;
const PAIRS_SHOWN = 5;

export interface SuggestionCardInput {
  suggestionId: string;
  sessionId: string;
  status: 'pending' | 'ready' | 'failed';
  mode: 'claude' | 'offline_digest';
  baseVersion: string;
  model: string | null;
  summary: string | null;
  /** Each accepted edit: the notes it answers (as shown, e.g. "N1 (tone)") and why. */
  edits: Array<{ notes: string[]; rationale: string }>;
  refused: Array<{ reason: string; rationale: string }>;
  patch: string | null;
  digest: string | null;
  error: string | null;
  /** A signed link to the .patch; absent: no Download button. */
  patchUrl?: string | null;
}

function clip(text: string, max: number): string {
  const flat = text.trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The patch's hunk lines (headers and comments left out), coloured, at most DIFF_LINES. */
function diffLines(patch: string | null): { lines: Array<{ text: string; color: string }>; hidden: number } {
  if (!patch) return { lines: [], hidden: 0 };
  const all = patch.split('\n');
  const first = all.findIndex((l) => l.startsWith('@@'));
  const hunks = first < 0 ? [] : all.slice(first).filter((l, i, a) => !(i === a.length - 1 && l === ''));
  const color = (l: string): string => (l.startsWith('+') ? 'Good' : l.startsWith('-') ? 'Attention' : l.startsWith('@@') ? 'Accent' : 'Default');
  // A TextRun must not be empty; a no-break space keeps the blank context line.
  const lines = hunks.slice(0, DIFF_LINES).map((l) => ({ text: l === '' ? '\u00a0' : l.length > 300 ? `${l.slice(0, 299)}…` : l, color: color(l) }));
  return { lines, hidden: Math.max(0, hunks.length - DIFF_LINES) };
}

/** The suggestion card (offline: the labelled digest, no diff, no buttons). */
export function suggestionCard(s: SuggestionCardInput): CardJson {
  const offline = s.mode === 'offline_digest';
  const { lines, hidden } = diffLines(s.patch);
  return expand(suggestionTemplate, {
    title: offline ? 'Notes digest (offline)' : s.status === 'failed' ? 'No suggestion this time' : 'Suggested prompt edits',
    shortSession: s.sessionId.slice(0, 8),
    sessionId: s.sessionId,
    suggestionId: s.suggestionId,
    baseVersion: s.baseVersion,
    madeBy: offline ? 'offline digest (no ANTHROPIC_API_KEY)' : (s.model ?? 'Claude'),
    editCount: offline ? '—' : String(s.edits.length),
    label: offline ? 'Offline mode: no prompt edits were proposed. These are the notes, grouped by category and turn.' : '',
    summary: s.summary ?? '',
    edits: s.edits.map((e, i) => ({ text: `**Edit ${i + 1}** answers ${e.notes.join(', ') || '(no note)'}: ${clip(e.rationale, 300)}` })),
    diff: lines,
    clipped: hidden > 0 ? `… ${hidden} more line(s) of the diff: download the .patch for all of it.` : '',
    refused: s.refused.map((r) => ({ text: `${clip(r.rationale, 200)} — not applied: ${r.reason}` })),
    digest: offline ? clip((s.digest ?? '').split('\n').slice(1).join('\n'), 6000) : '',
    error: s.status === 'failed' ? (s.error ?? 'The suggestion failed.') : '',
    canReplay: !offline && s.status === 'ready' && s.edits.length > 0,
    patchUrl: !offline && s.status === 'ready' && s.patch ? (s.patchUrl ?? '') : '',
  });
}

export interface ReplayProgressInput {
  replayId: string;
  sourceSessionId: string;
  status: 'queued' | 'running' | 'scoring' | 'completed' | 'failed' | 'cancelled';
  done: number;
  total: number;
  candidateKind: 'git_ref' | 'file' | 'suggestion';
  candidateRef: string;
  candidateVersion: string;
  mode: 'direct' | 'batch';
  error?: string | null;
}

const CANDIDATE_KIND = { git_ref: 'git ref', file: 'file', suggestion: 'suggestion' } as const;

/** The replay's progress card, updated in place; Cancel while it runs. */
export function replayProgressCard(r: ReplayProgressInput): CardJson {
  const running = r.status === 'queued' || r.status === 'running' || r.status === 'scoring';
  const phase = r.status === 'scoring' ? 'scoring the old and new answers' : r.status === 'running' ? `replaying turn ${Math.min(r.done + 1, r.total)} of ${r.total}` : r.status;
  const ref = r.candidateKind === 'suggestion' ? r.candidateRef.slice(0, 8) : r.candidateRef;
  return expand(replayProgressTemplate, {
    replayId: r.replayId,
    title: `Replaying session ${r.sourceSessionId.slice(0, 8)}`,
    bar: progressBar(r.done, r.total),
    status: r.status,
    turns: `${r.done} / ${r.total}`,
    phase,
    candidate: `${CANDIDATE_KIND[r.candidateKind]} ${ref} → ${r.candidateVersion}`,
    mode: r.mode === 'batch' ? 'Message Batches (half price, within 24 h)' : 'direct',
    note: r.error ?? '',
    noteColor: r.status === 'failed' ? 'Attention' : 'Default',
    canCancel: running,
    canRetry: r.status === 'failed',
  });
}

/** One metric of a comparison (the shape compareReplays gives). */
export interface ComparisonMetric {
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;
  aTurns: number;
  bTurns: number;
}

export interface ComparisonCardInput {
  title?: string;
  versionsA: string[];
  versionB: string[];
  replays: number;
  metrics: ComparisonMetric[];
  judgeMissing: boolean;
  /** The judge's mode now: "judge offline" rather than "not judged". */
  judgeOffline?: boolean;
  pairs: Array<{ turnNumber: number; sourceSessionId: string; userMessage: string; oldAnswer: string; newAnswer: string | null; retrievalDiff: unknown }>;
  /** A page with every pair in full (a bundle or export link). */
  fullViewUrl?: string | null;
}

const METRIC_LABELS: Record<string, string> = {
  has_policy_citation: 'Cites a policy',
  appropriate_action_suggested: 'Suggests the right action',
  structure_complete: 'Structure complete',
  professionalism_score: 'Professionalism (1-5)',
  empathy_score: 'Empathy (1-5)',
  clarity_score: 'Clarity (1-5)',
};

function shown(metric: string, v: number | null, judgeOffline: boolean): string {
  if (v === null) return metric.endsWith('_score') && judgeOffline ? JUDGE_OFFLINE_TEXT : '—';
  return metric.endsWith('_score') ? v.toFixed(2) : `${Math.round(v * 100)}%`;
}

function change(metric: string, d: number | null): string {
  if (d === null) return '—';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  return metric.endsWith('_score') ? `${sign}${Math.abs(d).toFixed(2)}` : `${sign}${Math.round(Math.abs(d) * 100)} pts`;
}

function retrievalLine(diff: unknown): string {
  if (!diff || typeof diff !== 'object') return '';
  const d = diff as { same?: boolean; added?: unknown[]; dropped?: unknown[]; reordered?: unknown[] };
  if (d.same) return 'Retrieval: the same passages.';
  return `Retrieval: ${d.added?.length ?? 0} passage(s) added, ${d.dropped?.length ?? 0} dropped, ${d.reordered?.length ?? 0} moved.`;
}

/** The comparison card: per metric old → new, per turn the answers side by side (clipped). */
export function comparisonCard(c: ComparisonCardInput): CardJson {
  const judgeOffline = c.judgeOffline ?? false;
  const pairs = c.pairs.slice(0, PAIRS_SHOWN);
  const hidden = c.pairs.length - pairs.length;
  const clipped = pairs.some((p) => p.oldAnswer.length > ANSWER_CHARS || (p.newAnswer?.length ?? 0) > ANSWER_CHARS);
  return expand(comparisonTemplate, {
    title: c.title ?? (c.replays === 1 ? 'Replay: old prompt vs new' : `Replay of ${c.replays} sessions: old prompt vs new`),
    versions: `${c.versionsA.join(', ')} → ${c.versionB.join(', ')}`,
    judgeNote: c.judgeMissing ? (judgeOffline ? 'Judge offline (no ANTHROPIC_API_KEY): the 1-5 scores are missing; only the programmatic metrics compare.' : 'Some turns have no judge scores yet; their averages cover fewer turns.') : '',
    metrics: c.metrics.map((m) => ({
      name: METRIC_LABELS[m.metric] ?? m.metric,
      old: shown(m.metric, m.a, judgeOffline),
      new: shown(m.metric, m.b, judgeOffline),
      change: change(m.metric, m.delta),
      changeColor: m.delta === null || m.delta === 0 ? 'Default' : m.delta > 0 ? 'Good' : 'Attention',
      turns: `${m.aTurns} / ${m.bTurns}`,
    })),
    pairs: pairs.map((p) => ({
      heading: `${c.replays > 1 ? `Session ${p.sourceSessionId.slice(0, 8)}, ` : ''}turn ${p.turnNumber}: ${clip(p.userMessage, 200)}`,
      old: clip(p.oldAnswer, ANSWER_CHARS),
      new: p.newAnswer === null ? '(not replayed)' : clip(p.newAnswer, ANSWER_CHARS),
      retrieval: retrievalLine(p.retrievalDiff),
    })),
    hiddenPairs: hidden > 0 || clipped ? `${hidden > 0 ? `${hidden} more turn(s) not shown. ` : ''}${clipped ? 'Long answers are cut. ' : ''}${c.fullViewUrl ? 'Open the full view for everything.' : 'Run npm run tune -- compare for everything.'}` : '',
    fullViewUrl: c.fullViewUrl ?? '',
  });
}

/** A turn's metric columns, as the tuning card shows them. */
export interface TurnScores {
  has_policy_citation: boolean | null;
  appropriate_action_suggested: boolean | null;
  structure_complete: boolean | null;
  professionalism_score: number | null;
  empathy_score: number | null;
  clarity_score: number | null;
}

/** The compact score line under a reply, e.g. "Citation ✓ · Action ✓ · Structure ✗ · P 5 · E 4 · C 5". */
export function turnScoresLine(t: TurnScores, judge: 'claude' | 'offline'): string {
  const mark = (v: boolean | null) => (v === null ? '–' : v ? '✓' : '✗');
  const auto = `Citation ${mark(t.has_policy_citation)} · Action ${mark(t.appropriate_action_suggested)} · Structure ${mark(t.structure_complete)}`;
  if (t.professionalism_score === null) return `${auto} · ${judge === 'offline' ? JUDGE_OFFLINE_TEXT : 'judge scores pending'}`;
  return `${auto} · Professionalism ${t.professionalism_score} · Empathy ${t.empathy_score ?? '–'} · Clarity ${t.clarity_score ?? '–'}`;
}

/** The /stats facts for the score averages (from metricAverages). */
export function scoreAverageFacts(averages: Record<string, { mean: number | null; n: number }>, judge: 'claude' | 'offline'): Array<{ title: string; value: string }> {
  return Object.entries(averages).map(([metric, { mean, n }]) => ({
    title: METRIC_LABELS[metric] ?? metric,
    value: mean === null ? (metric.endsWith('_score') && judge === 'offline' ? JUDGE_OFFLINE_TEXT : '—') : `${shown(metric, mean, false)} (${n} turn${n === 1 ? '' : 's'})`,
  }));
}
