/**
 * Replays started from Teams run here, in the background of the bot's process: one list of replays at a
 * time per start (run in order), each reporting its progress to the subscribers, then the list's end
 * (the bot posts the comparison). A replay already running in this process is not started twice; one
 * another instance holds comes back `busy` (runReplay's lease). `stop()` aborts and releases at shutdown;
 * the next start's `resumeOrphaned()` carries on from the last stored turn, with the same cards (their
 * address is in the replay's metadata).
 */
import type { JsonObject, PromptReplay } from '../../db';
import type { Logger } from '../logger';
import { orphanedReplays } from './replay-store';
import { type ReplayDeps, type ReplayProgress, type ReplayRunResult, runReplay } from './replay';

/** Where a replay's progress card is: the conversation (opaque here) and the card's activity id. */
export interface ReplayNotify {
  address: JsonObject;
  activityId: string | null;
}

/** What the runner reports. Listeners must not throw (a throw is logged). */
export interface ReplayRunEvents {
  progress(replay: PromptReplay, progress: ReplayProgress, notify: ReplayNotify | null): void | Promise<void>;
  /** A list of replays ended (each completed, failed, cancelled, or stopped at shutdown). */
  finished(results: ReplayRunResult[], notify: ReplayNotify | null): void | Promise<void>;
}

/** The card address stored in a replay's metadata (metadata.notify), if any. */
export function replayNotifyOf(replay: Pick<PromptReplay, 'metadata'>): ReplayNotify | null {
  const n = replay.metadata.notify;
  if (!n || typeof n !== 'object' || Array.isArray(n)) return null;
  const { address, activityId } = n;
  if (!address || typeof address !== 'object' || Array.isArray(address)) return null;
  return { address, activityId: typeof activityId === 'string' ? activityId : null };
}

/** Runs replays in the background (see the file comment). */
export class ReplayRunner {
  private readonly listeners: ReplayRunEvents[] = [];
  private readonly running = new Set<string>();
  private readonly runs = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly logger: Logger;

  constructor(private readonly deps: ReplayDeps) {
    this.logger = deps.logger.child({ component: 'replay-runner' });
  }

  subscribe(listener: ReplayRunEvents): void {
    this.listeners.push(listener);
  }

  /** Whether this process is running the replay now. */
  isRunning(replayId: string): boolean {
    return this.running.has(replayId);
  }

  /** Starts running REPLAYS in order, in the background; ones already running here are left out. */
  start(replays: readonly PromptReplay[]): void {
    const mine = replays.filter((r) => !this.running.has(r.id));
    if (mine.length === 0 || this.abort.signal.aborted) return;
    for (const r of mine) this.running.add(r.id);
    const run = this.runList(mine).finally(() => {
      for (const r of mine) this.running.delete(r.id);
      this.runs.delete(run);
    });
    this.runs.add(run);
  }

  /** Resolves when every list started so far has ended (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs]);
  }

  /** Carries on the replays whose runner is gone (a restart), grouped as they were started. Returns how many. */
  async resumeOrphaned(): Promise<number> {
    const orphans = await orphanedReplays(this.deps.db);
    const groups = new Map<string, PromptReplay[]>();
    for (const r of orphans) {
      const key = r.group_id ?? r.id;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    for (const list of groups.values()) this.start(list);
    if (orphans.length > 0) this.logger.info({ replays: orphans.length }, 'resuming replays');
    return orphans.length;
  }

  /** Stops the runs (each releases its replay; the next start resumes them) and waits for them. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  private async runList(replays: readonly PromptReplay[]): Promise<void> {
    const results: ReplayRunResult[] = [];
    const notify = replays.map(replayNotifyOf).find((n) => n !== null) ?? null;
    try {
      for (const replay of replays) {
        if (this.abort.signal.aborted) break;
        const own = replayNotifyOf(replay);
        const result = await runReplay(this.deps, replay.id, {
          signal: this.abort.signal,
          onProgress: (p) => {
            void this.emit((l) => l.progress(replay, p, own), { replayId: replay.id });
          },
        });
        results.push(result);
        // The last state on the card: cancelled, failed or completed (a 'stopped' run shows where it is).
        await this.emit((l) => l.progress(result.replay, progressOf(result.replay), own), { replayId: replay.id });
      }
    } catch (err) {
      this.logger.error({ err, replays: replays.map((r) => r.id) }, 'replay run crashed; a restart resumes it');
    }
    await this.emit((l) => l.finished(results, notify), { replays: replays.map((r) => r.id) });
  }

  private async emit(call: (l: ReplayRunEvents) => void | Promise<void>, ids: Record<string, unknown>): Promise<void> {
    for (const l of this.listeners) {
      try {
        await call(l);
      } catch (err) {
        this.logger.warn({ err, ...ids }, 'a replay listener failed');
      }
    }
  }
}

/** A replay row as progress (its final state). */
export function progressOf(replay: PromptReplay): ReplayProgress {
  return { replayId: replay.id, status: replay.status, phase: replay.status === 'scoring' ? 'scoring' : replay.status === 'running' || replay.status === 'queued' ? 'turns' : 'done', done: replay.done_turns, total: replay.total_turns };
}
