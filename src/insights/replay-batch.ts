/**
 * Replaying many sessions through the Message Batches API (half price): round k sends turn k of every
 * replay still going in one batch (a turn needs the answer before it, so a session cannot go faster), the
 * results are stored as direct turns are (plus the batch and custom ids), and when every turn is in, the
 * source and replayed turns are judged in a judging batch and compared. Every round's batch is recorded
 * before it is sent (see batches.ts), so a stopped or restarted run collects it instead of resending it;
 * a request that errors is sent again in the next round, three times at most, then its replay fails.
 */
import { randomUUID } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database, PromptReplay } from '../../db';
import { buildMessagesParams, type EraAnswer } from '../era';
import { usageFromApi } from '../llm';
import { type ApplyResult, type BatchItem, collectOpenBatches, submitBatch } from './batches';
import { judgeInBatches } from './judge-batch';
import { messageText } from './judge-request';
import { backfillMetrics } from './metrics-store';
import { type ReplayDeps, type ReplayProgress, type ReplayRunResult, scoreAndCompare } from './replay';
import { claimReplay, finishReplay, REPLAY_LEASE_MS, releaseReplay, storeReplayTurn } from './replay-store';
import { noMatchAnswer } from '../tuning/no-match';
import { type NumberedPassage, type PreparedTurn, prepareTurn, replayTurnRow, sourceTurns } from './replay-turn';

type Db = Kysely<Database>;

export interface BatchReplayDeps extends ReplayDeps {
  client: Anthropic | null;
  pollMs: number;
}

const MAX_ATTEMPTS = 3;
const customIdFor = (replayId: string, turn: number): string => `r_${replayId.replace(/-/g, '')}_${turn}`;

async function attemptsOf(db: Db, replayId: string, turn: number): Promise<number> {
  const row = await db.selectFrom('insight_batch_requests').select(sql<number>`count(*)::int`.as('n'))
    .where('replay_id', '=', replayId).where('turn_number', '=', turn).where('status', '=', 'errored').executeTakeFirstOrThrow();
  return row.n;
}

/** Stores one replayed turn from a batch result. */
function applyReplayResult(anthropic: ReplayDeps['anthropic']): ApplyResult {
  return async (trx, request, result, batch) => {
    const replay = await trx.selectFrom('prompt_replays').selectAll().where('id', '=', request.replay_id ?? '').executeTakeFirst();
    const k = request.turn_number ?? 0;
    if (!replay) return { status: 'errored', error: 'the replay is gone' };
    const where = { batch_id: batch.id, custom_id: request.custom_id };
    if (result.type !== 'succeeded') {
      const error = result.type === 'errored' ? `${result.error.error.type}: ${result.error.error.message}` : `${result.type} before it ran`;
      return { status: 'errored', error };
    }
    const message = result.message;
    const text = messageText(message);
    if (text.trim() === '') return { status: 'errored', error: `Claude returned no text (stop reason: ${message.stop_reason ?? 'none'})` };
    const p = request.payload as { passages?: NumberedPassage[]; retrieved?: boolean; history?: Array<{ user: string; assistant: string }> };
    // The transaction, not db: PGlite runs one statement stream, so db would wait for this transaction.
    const sources = await sourceTurns(trx, replay);
    const source = sources[k - 1];
    if (!source) return { status: 'errored', error: `no source turn ${k}` };
    const prepared: PreparedTurn = {
      turnNumber: k, source, passages: p.passages ?? [], retrieved: p.retrieved ?? false, noMatch: false,
      input: { message: source.user_message, history: p.history ?? [], systemPrompt: replay.candidate_prompt, sessionId: replay.replay_session_id ?? '', passages: p.passages ?? [] },
    };
    const answer: EraAnswer = { text, model: message.model, offline: false, stopReason: message.stop_reason ?? null, usage: usageFromApi(message.usage), requestId: null, latencyMs: 0 };
    const row = replayTurnRow(replay, prepared, answer, { processingTimeMs: Date.now() - Date.parse(batch.created_at), batch: where });
    const stored = await storeReplayTurn(trx, replay.id, null, row);
    if (!stored) return { status: 'stored' };
    const params = buildMessagesParams(prepared.input, anthropic);
    return {
      status: 'stored',
      call: {
        purpose: 'answer', model: message.model, promptVersion: replay.candidate_version, usage: answer.usage, latencyMs: null, stopReason: answer.stopReason, status: 'ok', batch: true,
        sessionId: replay.replay_session_id, metadata: { replay_id: replay.id, turn_number: k, ...where },
        io: { request: { system: replay.candidate_prompt, messages: params.messages, params: { max_tokens: params.max_tokens } }, output: { text } },
      },
    };
  };
}

/** What one replay needs in this round. */
type Step = { kind: 'ready'; replay: PromptReplay } | { kind: 'request'; item: BatchItem } | { kind: 'stored' } | { kind: 'ended'; result: ReplayRunResult };

/** Decides a claimed replay's step: score it, send its next turn, store a canned turn, or fail it. */
async function stepOf(deps: BatchReplayDeps, replay: PromptReplay, worker: string, online: boolean): Promise<Step> {
  if (replay.done_turns >= replay.total_turns) return { kind: 'ready', replay };
  const fail = async (why: string): Promise<Step> => ({ kind: 'ended', result: { outcome: 'failed', replay: await finishReplay(deps.db, replay, 'failed', why), metrics: null } });
  if (!online) return fail('batch mode needs Claude (no ANTHROPIC_API_KEY is set)');
  const k = replay.done_turns + 1;
  if ((await attemptsOf(deps.db, replay.id, k)) >= MAX_ATTEMPTS) return fail(`turn ${k}: the batch request failed ${MAX_ATTEMPTS} times`);
  const prepared = await prepareTurn(deps.db, replay, await sourceTurns(deps.db, replay), k, deps);
  if (prepared.noMatch) {
    const row = replayTurnRow(replay, prepared, noMatchAnswer(false), { processingTimeMs: 0 });
    await deps.db.transaction().execute((trx) => storeReplayTurn(trx, replay.id, worker, row));
    return { kind: 'stored' };
  }
  return {
    kind: 'request',
    item: {
      customId: customIdFor(replay.id, k), params: buildMessagesParams(prepared.input, deps.anthropic), replayId: replay.id, turnNumber: k,
      payload: { passages: prepared.passages.map((x) => ({ ...x })), retrieved: prepared.retrieved, history: prepared.input.history.map((h) => ({ ...h })) },
    },
  };
}

/** The turn ids of SESSION_IDS without a successful judging under RUBRIC_VERSION and MODEL. */
async function unjudgedTurns(db: Db, sessionIds: string[], rubricVersion: string, model: string): Promise<string[]> {
  const rows = await db.selectFrom('tuning_conversation_turns as t').select('t.id').where('t.session_id', 'in', sessionIds)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('turn_judgements as j').select(sql`1`.as('one')).whereRef('j.turn_id', '=', 't.id')
      .where('j.rubric_version', '=', rubricVersion).where('j.judge_model', '=', model).where('j.status', '=', 'ok'))))
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Runs (or resumes) REPLAY_IDS in batch mode until all have ended or the signal stops it. Results per
 * replay; 'stopped' ones carry on at the next call (their open batches are collected, not resent).
 */
export async function runReplaysInBatches(
  deps: BatchReplayDeps,
  replayIds: readonly string[],
  options: { signal?: AbortSignal; onProgress?: (p: ReplayProgress) => void; worker?: string } = {},
): Promise<Map<string, ReplayRunResult>> {
  const worker = options.worker ?? `replay-batch-${randomUUID().slice(0, 8)}`;
  const results = new Map<string, ReplayRunResult>();
  const client = deps.client;
  const log = deps.logger.child({ component: 'replay-batch', worker });
  const bdeps = client ? { db: deps.db, client, callLog: deps.callLog, logger: deps.logger, pollMs: deps.pollMs } : null;
  const held = new Set<string>();
  const renew = async (): Promise<void> => {
    if (held.size === 0) return;
    await deps.db.updateTable('prompt_replays').set({ lease_expires_at: new Date(Date.now() + REPLAY_LEASE_MS) }).where('id', 'in', [...held]).where('claimed_by', '=', worker).execute();
  };
  const end = (id: string, result: ReplayRunResult): void => {
    results.set(id, result);
    held.delete(id);
  };
  const stopAll = async (): Promise<Map<string, ReplayRunResult>> => {
    for (const id of held) {
      const replay = await deps.db.selectFrom('prompt_replays').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      if (!results.has(id)) results.set(id, { outcome: 'stopped', replay, metrics: null });
    }
    return results;
  };
  /** Judges every unjudged old and new turn of the sessions in one batch. */
  const judgeSessions = async (sessionIds: string[], signal?: AbortSignal): Promise<boolean> => {
    await backfillMetrics(deps.db, { sessionIds });
    if (!bdeps || deps.judge.mode === 'offline') return true;
    const rubric = await deps.judge.rubric();
    const ids = await unjudgedTurns(deps.db, sessionIds, rubric.version, deps.judge.model);
    return (await judgeInBatches(bdeps, ids, rubric, deps.judge.model, { signal, onProgress: renew })).outcome === 'done';
  };
  try {
    for (;;) {
      if (options.signal?.aborted) return await stopAll();
      if (bdeps && (await collectOpenBatches(bdeps, 'replay', applyReplayResult(deps.anthropic), { signal: options.signal, onProgress: renew })) === 'aborted') return await stopAll();
      const items: BatchItem[] = [];
      const ready: PromptReplay[] = [];
      let stored = false;
      for (const id of replayIds) {
        if (results.has(id)) continue;
        const claim = await claimReplay(deps.db, id, worker);
        if (!claim) continue; // another runner holds it; it is not ours to finish
        if (!claim.claimed) {
          const r = claim.replay;
          results.set(id, { outcome: r.status === 'completed' ? 'completed' : r.status === 'failed' ? 'failed' : 'cancelled', replay: r, metrics: null });
          continue;
        }
        held.add(id);
        const r = claim.replay;
        options.onProgress?.({ replayId: id, status: r.status, phase: r.done_turns < r.total_turns ? 'turns' : 'scoring', done: r.done_turns, total: r.total_turns });
        const step = await stepOf(deps, r, worker, bdeps !== null);
        if (step.kind === 'ready') ready.push(step.replay);
        else if (step.kind === 'request') items.push(step.item);
        else if (step.kind === 'stored') stored = true;
        else end(id, step.result);
      }
      if (items.length > 0 && bdeps) {
        const sent = await submitBatch(bdeps, 'replay', items, { round_turns: items.map((i) => i.turnNumber ?? 0) });
        for (const item of sent.refused ? items : []) {
          const r = await deps.db.selectFrom('prompt_replays').selectAll().where('id', '=', item.replayId ?? '').executeTakeFirstOrThrow();
          end(r.id, { outcome: 'failed', replay: await finishReplay(deps.db, r, 'failed', sent.refused ?? 'refused'), metrics: null });
        }
        log.info({ requests: items.length, batchId: sent.batchId }, 'replay round sent');
        continue;
      }
      if (stored) continue;
      if (ready.length === 0) break;
      // Scored once every replay's turns are in, so all are judged in one batch.
      if (!(await judgeSessions(ready.flatMap((r) => [r.source_session_id, ...(r.replay_session_id ? [r.replay_session_id] : [])]), options.signal))) return await stopAll();
      for (const replay of ready) {
        const done = await scoreAndCompare(deps, replay, { signal: options.signal, judgeSessions: () => Promise.resolve(true) });
        if (done.outcome === 'stopped') return await stopAll();
        end(replay.id, done);
      }
    }
    return results;
  } finally {
    for (const id of held) await releaseReplay(deps.db, id, worker);
  }
}
