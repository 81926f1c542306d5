/**
 * Re-scoring a selection of turns (a session, those since a date, all): the programmatic metrics
 * backfilled, then every turn without a successful judging under the current rubric version and judge
 * model judged, directly (bounded concurrency) or through the Message Batches API. Idempotent and
 * resumable: what is judged is never judged again (unless `force`), a turn waiting in an open batch is not
 * sent twice, and a stopped run's batches are collected by the next run.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db';
import type { CallLog } from '../llm';
import type { Logger } from '../logger';
import { type BatchProgress, pendingBatchTurns } from './batches';
import type { Judge } from './judge';
import { countJudged, judgeInBatches } from './judge-batch';
import { backfillMetrics } from './metrics-store';
import { type TurnSelection, turnsQuery, whereSelected } from './turn-selection';

type Db = Kysely<Database>;

export interface RescoreDeps {
  db: Db;
  judge: Judge;
  logger: Logger;
  /** For batch mode (null offline). */
  client: Anthropic | null;
  callLog: CallLog;
  /** Batch polling pace (config.generationBatchPollMs). */
  pollMs: number;
}

export interface RescoreOptions {
  mode?: 'direct' | 'batch';
  /** Judge again turns already judged under the current rubric and model. */
  force?: boolean;
  /** Direct mode: calls at once (default 2). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: RescoreProgress) => void;
  batchSize?: number;
}

export interface RescoreProgress {
  phase: 'metrics' | 'judging' | 'batch';
  done: number;
  total: number;
  failed: number;
  batch?: BatchProgress;
}

export interface RescoreResult {
  metricsUpdated: number;
  /** 'offline': no judge calls were made; the judge scores stay NULL. */
  judge: 'claude' | 'offline';
  rubricVersion: string | null;
  selected: number;
  judged: number;
  failed: number;
  stopped: boolean;
  /** Batch mode: why a batch was not accepted, if it was not. */
  refused: string | null;
}

/** The selected turns needing a judging under RUBRIC_VERSION and MODEL, oldest first. */
async function turnsToJudge(db: Db, selection: TurnSelection, rubricVersion: string, model: string, force: boolean): Promise<string[]> {
  let query = whereSelected(turnsQuery(db), selection).select('t.id').orderBy('t.timestamp').orderBy('t.id');
  if (!force) {
    query = query.where((eb) =>
      eb.not(eb.exists(eb.selectFrom('turn_judgements as j').select(sql`1`.as('one'))
        .whereRef('j.turn_id', '=', 't.id').where('j.rubric_version', '=', rubricVersion).where('j.judge_model', '=', model).where('j.status', '=', 'ok'))));
  }
  // A turn waiting in an open batch is not sent again.
  query = query.where(sql<boolean>`t.id not in (${pendingBatchTurns(db, 'judging')})`);
  return (await query.execute()).map((r) => r.id);
}

/** Re-scores the selection (see the file comment). */
export async function rescoreTurns(deps: RescoreDeps, selection: TurnSelection, options: RescoreOptions = {}): Promise<RescoreResult> {
  const log = deps.logger.child({ component: 'rescore' });
  const metrics = await backfillMetrics(deps.db, selection, { signal: options.signal });
  options.onProgress?.({ phase: 'metrics', done: metrics.updated, total: metrics.updated, failed: 0 });
  const base = { metricsUpdated: metrics.updated, refused: null };
  if (deps.judge.mode === 'offline') return { ...base, judge: 'offline', rubricVersion: null, selected: 0, judged: 0, failed: 0, stopped: false };

  const rubric = await deps.judge.rubric();
  const ids = await turnsToJudge(deps.db, selection, rubric.version, deps.judge.model, options.force ?? false);
  log.info({ selected: ids.length, rubricVersion: rubric.version, mode: options.mode ?? 'direct' }, 'rescoring');

  if (options.mode === 'batch') {
    if (!deps.client) return { ...base, judge: 'offline', rubricVersion: rubric.version, selected: ids.length, judged: 0, failed: 0, stopped: false };
    const r = await judgeInBatches({ db: deps.db, client: deps.client, callLog: deps.callLog, logger: deps.logger, pollMs: deps.pollMs }, ids, rubric, deps.judge.model, {
      signal: options.signal,
      batchSize: options.batchSize,
      onProgress: (batch) => options.onProgress?.({ phase: 'batch', done: batch.answered, total: batch.requests, failed: 0, batch }),
    });
    const judged = await countJudged(deps.db, ids, rubric.version, deps.judge.model);
    return { ...base, judge: 'claude', rubricVersion: rubric.version, selected: ids.length, judged, failed: r.outcome === 'done' ? ids.length - judged : 0, stopped: r.outcome === 'aborted', refused: r.refused };
  }

  let next = 0;
  let judged = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) return;
      const turnId = ids[next];
      next += 1;
      if (turnId === undefined) return;
      try {
        const outcome = await deps.judge.judgeTurn(turnId, { signal: options.signal });
        if (outcome.status === 'judged') judged += 1;
        else failed += 1;
      } catch (err) {
        if (options.signal?.aborted) return;
        failed += 1;
        log.error({ err, turnId }, 'judging a turn crashed; rescore goes on');
      }
      options.onProgress?.({ phase: 'judging', done: judged + failed, total: ids.length, failed });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, () => worker()));
  return { ...base, judge: 'claude', rubricVersion: rubric.version, selected: ids.length, judged, failed, stopped: options.signal?.aborted === true };
}
