/**
 * Replaying a recorded session on a candidate prompt, directly (one Messages call per turn):
 * each source message in order, the replay's own earlier answers as history, retrieval run again; each
 * turn stored under its number as it is answered (so a restart carries on after the last stored turn and
 * never stores one twice); then scoring (metrics, and the judge on the source and replayed turns that
 * lack a judging under the current rubric) and spec 000's comparison rows. Cancellable between turns
 * (cancelReplay) and at once (the signal); progress through onProgress.
 */
import { randomUUID } from 'node:crypto';
import { APIUserAbortError } from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { Database, PromptReplay } from '../../db';
import type { Config } from '../config';
import { buildMessagesParams, type EraAnswer, type EraResponder, EraUnavailableError } from '../era';
import { type CallIo, type CallLog, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { writeComparisons, type MetricDelta } from './compare';
import type { Judge } from './judge';
import { claimReplay, finishReplay, releaseReplay, storeReplayTurn } from './replay-store';
import { noMatchAnswer } from '../tuning/no-match';
import { prepareTurn, type ReplayRetriever, replayTurnRow, sourceTurns } from './replay-turn';
import { rescoreTurns } from './rescore';

type Db = Kysely<Database>;

export interface ReplayDeps {
  db: Db;
  /** ERA as configured: Claude, or the offline stand-in. */
  era: EraResponder;
  /** The model and limits ERA's requests use (config.anthropic), for the call log's request. */
  anthropic: Config['anthropic'];
  /** Null: answers without passages (as the bot does without a knowledge base). */
  retriever: ReplayRetriever | null;
  judge: Judge;
  callLog: CallLog;
  logger: Logger;
  historyTurns: number;
}

/** Where a replay is. */
export interface ReplayProgress {
  replayId: string;
  status: PromptReplay['status'];
  phase: 'turns' | 'scoring' | 'done';
  done: number;
  total: number;
  /** The turn just stored. */
  turnNumber?: number;
}

export interface RunReplayOptions {
  signal?: AbortSignal;
  onProgress?: (p: ReplayProgress) => void;
  /** Identifies this runner's claim (default: a random one per call). */
  worker?: string;
}

/** How a run ended. `busy`: another runner holds it; `stopped`: the signal stopped it (resumable). */
export type ReplayOutcome = 'completed' | 'cancelled' | 'failed' | 'stopped' | 'busy';

export interface ReplayRunResult {
  outcome: ReplayOutcome;
  replay: PromptReplay;
  metrics: MetricDelta[] | null;
}

async function current(db: Db, id: string): Promise<PromptReplay> {
  return db.selectFrom('prompt_replays').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * Judges what a replay compares: the source and replayed turns lacking a judging under the current
 * rubric. Resolves false when stopped before the end. Direct by default; the batch runner passes its own.
 */
export type JudgeSessions = (sessionIds: string[], signal?: AbortSignal) => Promise<boolean>;

/** Scores the source and replayed turns and writes the comparison rows; the replay is then completed. */
export async function scoreAndCompare(
  deps: Pick<ReplayDeps, 'db' | 'judge' | 'logger' | 'callLog'>,
  replay: PromptReplay,
  options: { signal?: AbortSignal; judgeSessions?: JudgeSessions } = {},
): Promise<ReplayRunResult> {
  const scoring = await deps.db.updateTable('prompt_replays').set({ status: 'scoring', updated_at: new Date() })
    .where('id', '=', replay.id).where('status', 'in', ['running', 'scoring']).returningAll().executeTakeFirst();
  if (!scoring) return { outcome: 'cancelled', replay: await current(deps.db, replay.id), metrics: null };
  const sessions = [replay.source_session_id, ...(replay.replay_session_id ? [replay.replay_session_id] : [])];
  const judgeDirect: JudgeSessions = async (ids, signal) =>
    !(await rescoreTurns({ db: deps.db, judge: deps.judge, logger: deps.logger, client: null, callLog: deps.callLog, pollMs: 0 }, { sessionIds: ids }, { signal })).stopped;
  const finished = await (options.judgeSessions ?? judgeDirect)(sessions, options.signal);
  if (!finished || options.signal?.aborted) return { outcome: 'stopped', replay: await current(deps.db, replay.id), metrics: null };
  const metrics = await writeComparisons(deps.db, scoring);
  const done = await finishReplay(deps.db, scoring, 'completed');
  return { outcome: 'completed', replay: done, metrics };
}

/** Runs (or resumes) a replay directly. Never stores a turn twice; safe to call again after any stop. */
export async function runReplay(deps: ReplayDeps, replayId: string, options: RunReplayOptions = {}): Promise<ReplayRunResult> {
  const worker = options.worker ?? `replay-${randomUUID().slice(0, 8)}`;
  const claim = await claimReplay(deps.db, replayId, worker);
  if (!claim) return { outcome: 'busy', replay: await current(deps.db, replayId), metrics: null };
  if (!claim.claimed) return { outcome: claim.replay.status === 'completed' ? 'completed' : claim.replay.status === 'failed' ? 'failed' : 'cancelled', replay: claim.replay, metrics: null };
  let replay = claim.replay;
  const log = deps.logger.child({ component: 'replay', replayId, sessionId: replay.replay_session_id, sourceSessionId: replay.source_session_id });
  const report = (phase: ReplayProgress['phase'], turnNumber?: number) =>
    options.onProgress?.({ replayId, status: replay.status, phase, done: replay.done_turns, total: replay.total_turns, turnNumber });
  try {
    const sources = await sourceTurns(deps.db, replay);
    report('turns');
    for (let k = replay.done_turns + 1; k <= replay.total_turns; k += 1) {
      if (options.signal?.aborted) return { outcome: 'stopped', replay, metrics: null };
      const prepared = await prepareTurn(deps.db, replay, sources, k, deps);
      const started = performance.now();
      let answer: EraAnswer = noMatchAnswer(deps.era.mode === 'offline');
      let io: CallIo | null = null;
      const ids = { promptVersion: replay.candidate_version, sessionId: replay.replay_session_id, metadata: { replay_id: replayId, turn_number: k, passages: prepared.passages.length } };
      if (!prepared.noMatch) {
        const request = buildMessagesParams(prepared.input, deps.anthropic);
        io = { request: { system: prepared.input.systemPrompt, messages: request.messages, params: { max_tokens: request.max_tokens } }, output: null };
        try {
          answer = await deps.era.answer(prepared.input, options.signal);
        } catch (err) {
          if (err instanceof APIUserAbortError) return { outcome: 'stopped', replay, metrics: null };
          if (!(err instanceof EraUnavailableError)) throw err;
          await deps.callLog.record({ purpose: 'answer', model: deps.era.model, usage: ZERO_LLM_USAGE, latencyMs: Math.round(performance.now() - started), status: 'error', error: `${err.kind}: ${err.message}`, requestId: err.requestId, ...ids, io });
          const failed = await finishReplay(deps.db, replay, 'failed', `turn ${k}: Claude was unavailable (${err.kind}); retry the replay to carry on from turn ${k}`);
          log.error({ err, turnNumber: k }, 'replay failed');
          return { outcome: 'failed', replay: failed, metrics: null };
        }
      }
      const row = replayTurnRow(replay, prepared, answer, { processingTimeMs: performance.now() - started });
      const stored = await deps.db.transaction().execute((trx) => storeReplayTurn(trx, replayId, worker, row));
      if (!stored) return { outcome: 'cancelled', replay: await current(deps.db, replayId), metrics: null };
      if (io && !answer.offline) {
        const turn = await deps.db.selectFrom('tuning_conversation_turns').select('id').where('session_id', '=', row.session_id).where('turn_number', '=', k).executeTakeFirstOrThrow();
        await deps.callLog.record({
          purpose: 'answer', model: answer.model, usage: answer.usage, latencyMs: answer.latencyMs, stopReason: answer.stopReason, status: 'ok',
          requestId: answer.requestId, turnId: turn.id, ...ids, io: { ...io, output: { text: answer.text } },
        });
      }
      replay = await current(deps.db, replayId);
      report('turns', k);
    }
    report('scoring');
    const result = await scoreAndCompare(deps, replay, { signal: options.signal });
    replay = result.replay;
    report('done');
    if (result.outcome === 'completed') log.info({ turns: replay.total_turns }, 'replay completed');
    return result;
  } finally {
    await releaseReplay(deps.db, replayId, worker);
  }
}
