/**
 * Judging through the Message Batches API (half price): one request per turn, custom_id `j_<turn id>`,
 * the rubric version and judge model carried with each request, results stored as a direct judging's
 * would be (plus the batch and custom ids) and the call logged at the batch price.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db';
import { usageFromApi, ZERO_LLM_USAGE } from '../llm';
import { type ApplyResult, type BatchDeps, type BatchItem, type BatchProgress, collectOpenBatches, submitBatch } from './batches';
import { loadJudgeContext } from './judge';
import { judgeCallRequest, judgeRequest, messageText, readJudgeAnswer } from './judge-request';
import { writeJudgement } from './judgements';
import type { Rubric } from './rubric';

type Db = Kysely<Database>;

/** The API takes up to 100,000 requests a batch; smaller batches start returning results sooner. */
export const DEFAULT_JUDGING_BATCH_SIZE = 5000;

/** The custom_id of a turn's judging request. */
export const judgingCustomId = (turnId: string): string => `j_${turnId.replace(/-/g, '')}`;

async function judgingItems(db: Db, turnIds: readonly string[], rubric: Rubric, model: string): Promise<BatchItem[]> {
  const items: BatchItem[] = [];
  for (const turnId of turnIds) {
    const context = await loadJudgeContext(db, turnId);
    items.push({
      customId: judgingCustomId(turnId),
      params: judgeRequest(context, rubric, model),
      turnId,
      payload: { rubric_version: rubric.version, judge_model: model, session_id: context.sessionId },
    });
  }
  return items;
}

/** Stores one judging result of a batch (see the file comment). */
export function applyJudgingResult(rubric: Rubric): ApplyResult {
  return async (trx, request, result, batch) => {
    const turnId = request.turn_id;
    const { judge_model: model, rubric_version: rubricVersion } = request.payload;
    const sessionId = typeof request.payload.session_id === 'string' ? request.payload.session_id : null;
    if (!turnId) return { status: 'errored', error: 'request names no turn' };
    if (typeof model !== 'string' || typeof rubricVersion !== 'string') return { status: 'errored', error: 'request names no judge model or rubric version' };
    const exists = await trx.selectFrom('tuning_conversation_turns').select('id').where('id', '=', turnId).executeTakeFirst();
    if (!exists) return { status: 'errored', error: 'the turn is gone' };
    const ids = { turnId, sessionId, batch: true, at: new Date(), promptVersion: rubricVersion };
    const where = { batchId: batch.id, customId: request.custom_id };
    const context = await loadJudgeContext(trx, turnId);
    const asked = judgeCallRequest(judgeRequest(context, rubric, model), rubric);
    if (result.type !== 'succeeded') {
      const error = result.type === 'errored' ? `${result.error.error.type}: ${result.error.error.message}` : `${result.type} before it ran`;
      await writeJudgement(trx, { turnId, rubricVersion, judgeModel: model, scores: null, error, ...where });
      return {
        status: 'errored', error,
        call: result.type === 'errored' ? { purpose: 'judging', model, usage: ZERO_LLM_USAGE, latencyMs: null, status: 'error', error, ...ids, metadata: { ...where, rubric_version: rubricVersion }, io: { request: asked, output: null } } : undefined,
      };
    }
    const message = result.message;
    const text = messageText(message);
    const reading = readJudgeAnswer(text, message.stop_reason ?? null);
    const call = {
      purpose: 'judging' as const, model: message.model, usage: usageFromApi(message.usage), latencyMs: null, stopReason: message.stop_reason ?? null, status: 'ok' as const,
      ...ids, metadata: { ...where, rubric_version: rubricVersion, valid: reading.ok },
      io: { request: asked, output: { text, ...(reading.ok ? { structured: reading.structured } : {}) } },
    };
    if (!reading.ok) {
      await writeJudgement(trx, { turnId, rubricVersion, judgeModel: model, scores: null, error: reading.error, ...where });
      return { status: 'errored', error: reading.error, call };
    }
    await writeJudgement(trx, { turnId, rubricVersion, judgeModel: model, scores: reading.scores, rationale: reading.rationale, ...where });
    return { status: 'stored', call };
  };
}

/**
 * Judges TURN_IDS in batches of `batchSize`, then collects every open judging batch (earlier runs' too).
 * Returns 'aborted' when the signal stopped the wait (run again to collect), else 'done'; and whether a
 * batch was refused.
 */
export async function judgeInBatches(
  deps: BatchDeps,
  turnIds: readonly string[],
  rubric: Rubric,
  model: string,
  options: { signal?: AbortSignal; onProgress?: (p: BatchProgress) => void | Promise<void>; batchSize?: number } = {},
): Promise<{ outcome: 'done' | 'aborted'; refused: string | null; submitted: number }> {
  const size = options.batchSize ?? DEFAULT_JUDGING_BATCH_SIZE;
  let refused: string | null = null;
  let submitted = 0;
  for (let i = 0; i < turnIds.length && !options.signal?.aborted; i += size) {
    const items = await judgingItems(deps.db, turnIds.slice(i, i + size), rubric, model);
    const sent = await submitBatch(deps, 'judging', items, { rubric_version: rubric.version, judge_model: model });
    if (sent.refused) {
      refused = sent.refused;
      break;
    }
    submitted += items.length;
  }
  const outcome = await collectOpenBatches(deps, 'judging', applyJudgingResult(rubric), options);
  return { outcome, refused, submitted };
}

/** Counts the turns judged under a rubric version and model (ok judgings). */
export async function countJudged(db: Db, turnIds: readonly string[], rubricVersion: string, model: string): Promise<number> {
  if (turnIds.length === 0) return 0;
  const row = await db.selectFrom('turn_judgements').select(sql<number>`count(*)::int`.as('n'))
    .where('turn_id', 'in', [...turnIds]).where('rubric_version', '=', rubricVersion).where('judge_model', '=', model).where('status', '=', 'ok')
    .executeTakeFirstOrThrow();
  return row.n;
}
