/** The generation job cards: the confirmation before a job, and the progress card that updates in place. */
import jobCancelledTemplate from './job-cancelled.json';
import jobConfirmTemplate from './job-confirm.json';
import jobProgressTemplate from './job-progress.json';
import { BATCH_PRICE_FACTOR } from '../llm/pricing';
import { type CardJson, expand } from './render';

export interface JobProgressView {
  jobId: string;
  title: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  current: string | null;
  etaMs: number | null;
  /** Shown instead of the time computed from etaMs (batch mode). */
  etaText?: string | null;
  costUsd: number;
  tokens: number;
  note?: string | null;
}

/** A text progress bar, e.g. "[██████░░░░] 60%". */
export function progressBar(done: number, total: number, width = 20): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.round(share * 100)}%`;
}

function duration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** A job's progress card, updated in place while it runs. */
export function jobProgressCard(v: JobProgressView): CardJson {
  const running = v.status === 'in_progress' || v.status === 'queued';
  return expand(jobProgressTemplate, {
    jobId: v.jobId,
    title: v.title,
    bar: progressBar(v.done + v.failed, v.total),
    status: v.status,
    counts: `${v.done} / ${v.failed} / ${v.total}`,
    current: v.current ?? '—',
    eta: running ? (v.etaText ?? duration(v.etaMs)) : '—',
    cost: `$${v.costUsd.toFixed(4)}`,
    tokens: v.tokens.toLocaleString('en-US'),
    note: v.note ?? '',
    canPause: running,
    canResume: v.status === 'paused',
    canCancel: running || v.status === 'paused',
  });
}

/** The confirmation before a job: count, time, cost (and the batch price), with Start, Start as a batch and Cancel. */
export function jobConfirmCard(v: { count: number; what: string; seconds: number; costUsd: number | null; model: string; jobType: string; ids: string[] }): CardJson {
  return expand(jobConfirmTemplate, {
    // FactSet values must be strings: a number renders as an empty cell.
    count: String(v.count),
    what: v.what,
    time: duration(v.seconds * 1000),
    cost: v.costUsd === null ? 'unknown (no price for the model)' : `about $${v.costUsd.toFixed(2)}`,
    batchCost: v.costUsd === null ? 'half the price, within 24 h' : `about $${(v.costUsd * BATCH_PRICE_FACTOR).toFixed(2)}, within 24 h`,
    model: v.model,
    jobType: v.jobType,
    ids: v.ids.join(','),
  });
}

/** What replaces the confirmation when the tester cancels it. */
export function jobCancelledCard(note: string): CardJson {
  return expand(jobCancelledTemplate, { note });
}
