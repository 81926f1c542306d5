/** How `npm run gen` shows a job: status lines, and a progress bar (a line per change when not on a terminal). */
import { SingleBar } from 'cli-progress';
import type { JobProgress } from '../generation';

/** A cost as the CLI prints it, e.g. "$0.0123". */
export const money = (usd: number): string => `$${usd.toFixed(4)}`;

const duration = (ms: number | null): string => {
  if (ms === null) return '?';
  const s = Math.round(ms / 1000);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  if (s >= 3600) return `${String(Math.floor(s / 3600))}h${mm}m`;
  return s >= 60 ? `${String(Math.floor(s / 60))}m${String(s % 60).padStart(2, '0')}s` : `${String(s)}s`;
};

/** Batch mode: where the job's batch is. */
function batchLine(p: JobProgress): string {
  const b = p.batch;
  if (!b) return p.pending ? 'batch: preparing the next one' : 'batch: none running';
  if (b.processingStatus === 'submitting') return `batch: sending ${String(b.requests)} request(s)`;
  return `batch: ${b.id} ${b.processingStatus}, ${String(b.answered)} of ${String(b.requests)} answered${b.expiresAt ? `, expires ${b.expiresAt}` : ''}${b.polledAt ? ` (polled ${b.polledAt})` : ''}`;
}

/** jobProgress as readable lines. */
export function progressLines(p: JobProgress, names = new Map<string, string>()): string[] {
  return [
    `job ${p.jobId}`,
    `status: ${p.status}`,
    `done ${String(p.done)} / failed ${String(p.failed)} / pending ${String(p.pending)} / cancelled ${String(p.cancelled)} of ${String(p.total)}`,
    ...(p.mode === 'batch' ? [batchLine(p)] : []),
    ...(p.current ? [`current: ${names.get(p.current.conversationId) ?? p.current.conversationId} (item ${String(p.current.position + 1)}, ${p.current.claimedBy ?? 'unclaimed'})`] : []),
    `tokens: ${String(p.tokens)}, cost: ${money(p.costUsd)}`,
    `started: ${p.startedAt?.toISOString() ?? '-'}, completed: ${p.completedAt?.toISOString() ?? '-'}${p.pending && p.etaMs !== null ? `, ETA ${duration(p.etaMs)}` : ''}`,
    ...(p.errorMessage ? [`note: ${p.errorMessage}`] : []),
  ];
}

export interface ProgressView {
  start(p: JobProgress): void;
  itemStarted(conversationUuid: string): void;
  update(p: JobProgress): void;
  stop(): void;
}

/** Shows progress: a redrawn bar on a terminal, one line per change otherwise. */
export function progressView(total: number, names: Map<string, string>): ProgressView {
  const tty = process.stdout.isTTY;
  const bar = tty ? new SingleBar({ format: '{bar} {value}/{total} | failed {failed} | {current} | ETA {eta_formatted} | ${cost}', stream: process.stdout, hideCursor: true }) : null;
  let last = '';
  let current = '-';
  let started = false;
  const payload = (p: { failed: number; costUsd: number }) => ({ failed: p.failed, current, cost: p.costUsd.toFixed(4) });
  const update = (p: JobProgress): void => {
    if (!started) return;
    if (p.current) current = names.get(p.current.conversationId) ?? current;
    if (bar) {
      bar.update(p.done + p.failed + p.cancelled, payload(p));
      return;
    }
    const where = p.mode === 'batch' ? batchLine(p) : `last ${current} | ETA ${p.pending ? duration(p.etaMs) : '0s'}`;
    const line = `[${String(p.done + p.failed + p.cancelled)}/${String(p.total)}] done ${String(p.done)}, failed ${String(p.failed)}, pending ${String(p.pending)} | ${where} | ${money(p.costUsd)}`;
    if (line !== last) console.log((last = line));
  };
  return {
    start(p) {
      started = true;
      bar?.start(total, p.done + p.failed + p.cancelled, payload(p));
      update(p);
    },
    itemStarted(conversationUuid) {
      current = names.get(conversationUuid) ?? conversationUuid;
      bar?.update({ current });
    },
    update,
    stop() {
      bar?.stop();
    },
  };
}
