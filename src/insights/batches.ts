/**
 * Message Batches for the tuning loop (judging many turns, replaying many sessions), resumable:
 * 1. Before the create call, an insight_batches row ('submitting', with a marker expiry) and one
 *    insight_batch_requests row per request are committed.
 * 2. The create call is made once (no SDK retry). Created → batch_id stored, 'in_progress'. Refused by the
 *    API → the rows are deleted (nothing exists to poll; the work is selected again next time). No answer →
 *    the row stays 'submitting'; once its marker expires, collectOpenBatches looks for the batch at
 *    Anthropic: exactly one match → adopted; none → the rows are deleted (sent again by the next run);
 *    several → the row is 'failed', naming them.
 * 3. collectOpenBatches polls each open batch of a purpose until it ends and applies every pending
 *    request's result in its own transaction, marking the request 'stored' or 'errored' there: applying
 *    again after a crash skips what was stored. Then the row is 'collected'.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { NotFoundError } from '@anthropic-ai/sdk';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, InsightBatch, InsightBatchPurpose, InsightBatchRequest, JsonObject } from '../../db';
import { BATCH_CREATE_TIMEOUT_MS, type CallLogEntry, createBatchOnce, findLostBatch, pollUntilEnded, batchResults, type CallLog, waitUnlessAborted } from '../llm';
import type { Logger } from '../logger';

type Db = Kysely<Database>;

/** One request to send, with what its result needs to be applied. */
export interface BatchItem {
  customId: string;
  params: Anthropic.MessageCreateParamsNonStreaming;
  turnId?: string | null;
  replayId?: string | null;
  turnNumber?: number | null;
  payload?: JsonObject;
}

/** What applying one result did: stored, or errored (the work is selected again by the next run). */
export interface ApplyOutcome {
  status: 'stored' | 'errored';
  error?: string;
  /** Logged after the transaction commits. */
  call?: CallLogEntry;
}

/** Applies one result inside the transaction that marks its request. */
export type ApplyResult = (
  trx: Transaction<Database>,
  request: InsightBatchRequest,
  result: Anthropic.Messages.MessageBatchResult,
  batch: Anthropic.Messages.MessageBatch,
) => Promise<ApplyOutcome>;

export interface BatchDeps {
  db: Db;
  client: Anthropic;
  callLog: CallLog;
  logger: Logger;
  /** Between two polls (config.generationBatchPollMs). */
  pollMs: number;
}

/** Progress of the batches being collected. */
export interface BatchProgress {
  batchId: string | null;
  status: string;
  requests: number;
  answered: number;
}

const SUBMIT_MARKER_MS = BATCH_CREATE_TIMEOUT_MS + 3 * 60_000;
const OPEN = ['submitting', 'in_progress', 'ended'] as const;

/** Sends ITEMS as one batch (see the file comment). Returns the batch id, or why nothing was created. */
export async function submitBatch(deps: BatchDeps, purpose: InsightBatchPurpose, items: BatchItem[], metadata: JsonObject = {}): Promise<{ batchId: string | null; refused: string | null }> {
  const row = await deps.db.transaction().execute(async (trx) => {
    const created = await trx.insertInto('insight_batches')
      .values({ purpose, status: 'submitting', request_count: items.length, submit_expires_at: new Date(Date.now() + SUBMIT_MARKER_MS), metadata })
      .returning('id').executeTakeFirstOrThrow();
    for (let i = 0; i < items.length; i += 200) {
      await trx.insertInto('insight_batch_requests').values(items.slice(i, i + 200).map((item) => ({
        batch_row_id: created.id, custom_id: item.customId, turn_id: item.turnId ?? null, replay_id: item.replayId ?? null,
        turn_number: item.turnNumber ?? null, payload: item.payload ?? {},
      }))).execute();
    }
    return created;
  });
  const outcome = await createBatchOnce(deps.client, items.map((item) => ({ custom_id: item.customId, params: item.params })));
  const log = deps.logger.child({ component: 'insight-batches', purpose, batchRowId: row.id });
  if (outcome.kind === 'created') {
    await deps.db.updateTable('insight_batches').set({ batch_id: outcome.batch.id, status: 'in_progress' }).where('id', '=', row.id).execute();
    log.info({ batchId: outcome.batch.id, requests: items.length }, 'batch submitted');
    return { batchId: outcome.batch.id, refused: null };
  }
  if (outcome.kind === 'refused') {
    await deps.db.deleteFrom('insight_batches').where('id', '=', row.id).execute();
    log.error({ status: outcome.status, error: outcome.error }, 'batch refused by the API; nothing was created');
    return { batchId: null, refused: `the Message Batches API refused the batch (${outcome.status}): ${outcome.error}` };
  }
  log.warn({ error: outcome.error }, 'batch create call got no answer; the batch is looked for once the marker expires');
  return { batchId: null, refused: null };
}

/** Deals with a batch whose create call got no answer; returns whether it can now be polled. */
async function recover(deps: BatchDeps, row: InsightBatch, log: Logger): Promise<'adopted' | 'gone' | 'wait' | 'failed'> {
  if (row.submit_expires_at.getTime() > Date.now()) return 'wait';
  const known = new Set((await deps.db.selectFrom('insight_batches').select('batch_id').where('batch_id', 'is not', null).execute()).map((r) => r.batch_id ?? ''));
  const lost = await findLostBatch(deps.client, { from: row.submit_started_at, to: row.submit_expires_at, requests: row.request_count, known });
  if (lost.kind === 'found') {
    await deps.db.updateTable('insight_batches').set({ batch_id: lost.batch.id, status: 'in_progress' }).where('id', '=', row.id).execute();
    log.warn({ batchId: lost.batch.id }, 'found the batch a cut-off create call made; polling it');
    return 'adopted';
  }
  if (lost.kind === 'none') {
    await deps.db.deleteFrom('insight_batches').where('id', '=', row.id).execute();
    log.warn('the cut-off create call made no batch; its work is sent again');
    return 'gone';
  }
  await deps.db.updateTable('insight_batches')
    .set({ status: 'failed', error: `a create call got no answer and ${lost.ids.length} batches could be its (${lost.ids.join(', ')}); cancel the ones that are not ours at console.anthropic.com` })
    .where('id', '=', row.id).execute();
  return 'failed';
}

/** Applies the pending requests' results of an ended batch, each in its own transaction. */
async function collect(deps: BatchDeps, row: InsightBatch, batch: Anthropic.Messages.MessageBatch, apply: ApplyResult): Promise<void> {
  const pending = await deps.db.selectFrom('insight_batch_requests').select('custom_id').where('batch_row_id', '=', row.id).where('status', '=', 'pending').execute();
  if (pending.length > 0) {
    const wanted = new Set(pending.map((p) => p.custom_id));
    for await (const line of batchResults(deps.client, batch.id)) {
      if (!wanted.has(line.custom_id)) continue;
      const outcome = await deps.db.transaction().execute(async (trx) => {
        const request = await trx.selectFrom('insight_batch_requests').selectAll()
          .where('batch_row_id', '=', row.id).where('custom_id', '=', line.custom_id).where('status', '=', 'pending')
          .forUpdate().executeTakeFirst();
        if (!request) return null;
        const applied = await apply(trx, request, line.result, batch);
        await trx.updateTable('insight_batch_requests').set({ status: applied.status, error: applied.error ?? null })
          .where('batch_row_id', '=', row.id).where('custom_id', '=', line.custom_id).execute();
        return applied;
      });
      if (outcome?.call) await deps.callLog.record(outcome.call);
    }
    // A request the results left out (it should not happen) is errored, so the next run sends its work again.
    await deps.db.updateTable('insight_batch_requests').set({ status: 'errored', error: 'no result line for this request' })
      .where('batch_row_id', '=', row.id).where('status', '=', 'pending').execute();
  }
  await deps.db.updateTable('insight_batches').set({ status: 'collected', collected_at: new Date(), ended_at: batch.ended_at ? new Date(batch.ended_at) : new Date() })
    .where('id', '=', row.id).execute();
}

/**
 * Polls and collects every open batch of PURPOSE (those of earlier runs too). Returns 'aborted' when the
 * signal stopped it (the batches run on at Anthropic; call again to carry on), else 'done'.
 */
export async function collectOpenBatches(
  deps: BatchDeps,
  purpose: InsightBatchPurpose,
  apply: ApplyResult,
  options: { signal?: AbortSignal; onProgress?: (p: BatchProgress) => void | Promise<void>; rowIds?: readonly string[] } = {},
): Promise<'done' | 'aborted'> {
  for (;;) {
    if (options.signal?.aborted) return 'aborted';
    let query = deps.db.selectFrom('insight_batches').selectAll().where('purpose', '=', purpose).where('status', 'in', [...OPEN]).orderBy('created_at');
    if (options.rowIds) query = query.where('id', 'in', options.rowIds.length ? [...options.rowIds] : [sql<string>`null`]);
    const rows = await query.execute();
    if (rows.length === 0) return 'done';
    let waited = false;
    for (const row of rows) {
      const log = deps.logger.child({ component: 'insight-batches', purpose, batchRowId: row.id, batchId: row.batch_id });
      if (row.status === 'submitting' || row.batch_id === null) {
        const r = await recover(deps, row, log);
        if (r === 'wait' && !waited) {
          waited = true;
          await waitUnlessAborted(Math.min(deps.pollMs, Math.max(1000, row.submit_expires_at.getTime() - Date.now())), options.signal);
        }
        continue;
      }
      const batchId = row.batch_id;
      let batch: Anthropic.Messages.MessageBatch | null;
      try {
        batch = await pollUntilEnded(deps.client, batchId, {
          pollMs: deps.pollMs,
          signal: options.signal,
          onPoll: async (b) => {
            const c = b.request_counts;
            await options.onProgress?.({ batchId, status: b.processing_status, requests: row.request_count, answered: c.succeeded + c.errored + c.canceled + c.expired });
          },
        });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        await deps.db.updateTable('insight_batches').set({ status: 'failed', error: 'the batch is not found at Anthropic (deleted, or made with another API key)' }).where('id', '=', row.id).execute();
        await deps.db.updateTable('insight_batch_requests').set({ status: 'errored', error: 'batch not found' }).where('batch_row_id', '=', row.id).where('status', '=', 'pending').execute();
        log.error('batch not found at Anthropic; its work is sent again by the next run');
        continue;
      }
      if (!batch) return 'aborted';
      await deps.db.updateTable('insight_batches').set({ status: 'ended' }).where('id', '=', row.id).where('status', '=', 'in_progress').execute();
      await collect(deps, row, batch, apply);
      log.info({ counts: batch.request_counts }, 'batch results stored');
    }
  }
}

/** The turn ids with a request still pending in an open batch of PURPOSE (not to be sent again). */
export function pendingBatchTurns(db: Db, purpose: InsightBatchPurpose) {
  return db.selectFrom('insight_batch_requests as r')
    .innerJoin('insight_batches as b', 'b.id', 'r.batch_row_id')
    .select('r.turn_id')
    .where('b.purpose', '=', purpose)
    .where('b.status', 'in', [...OPEN])
    .where('r.status', '=', 'pending')
    .where('r.turn_id', 'is not', null);
}
