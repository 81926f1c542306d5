/**
 * The LLM judge: scores one stored turn 1-5 for professionalism, empathy and clarity under the rubric
 * file, stores the judging (turn_judgements) and the turn's score columns, and logs the call (purpose
 * 'judging', with its request and output). Offline (no client) it makes no call and stores nothing: the
 * scores stay NULL and whatever shows them says "judge offline".
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { type CallLog, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { InsightsNotFoundError } from './errors';
import { type JudgeContext, judgeCallRequest, judgeRequest, messageText, readJudgeAnswer } from './judge-request';
import { type JudgeScores, storeJudgement } from './judgements';
import { loadRubric, type Rubric } from './rubric';

type Db = Kysely<Database>;

/** How many earlier exchanges the judge sees. */
const JUDGE_HISTORY_TURNS = 3;

export interface JudgeDeps {
  db: Db;
  /** Null: offline. */
  client: Anthropic | null;
  /** config.judge.model. */
  model: string;
  /** config.judge.rubricPath. */
  rubricPath: string;
  callLog: CallLog;
  logger: Logger;
  maxTokens?: number;
  /** Per-request timeout (default 60 s); the tester never waits for the judge. */
  timeoutMs?: number;
}

/** What judging one turn came to. */
export type JudgeOutcome =
  | { status: 'judged'; scores: JudgeScores; rubricVersion: string }
  | { status: 'offline' }
  | { status: 'failed'; error: string };

export interface Judge {
  readonly mode: 'claude' | 'offline';
  readonly model: string;
  /** The rubric as it is now (re-read when the file changes). @throws RubricFileError */
  rubric(): Promise<Rubric>;
  /**
   * Judges a stored turn and stores the outcome. Never rejects for the API's failures (they are stored as
   * a failed judging and returned); rejects for a missing turn, an unusable rubric, or an abort.
   */
  judgeTurn(turnId: string, options?: { signal?: AbortSignal }): Promise<JudgeOutcome>;
}

/** What the judge sees of a stored turn: it, and the few exchanges before it. */
export async function loadJudgeContext(db: Db, turnId: string): Promise<JudgeContext> {
  const turn = await db
    .selectFrom('tuning_conversation_turns')
    .select(['id', 'session_id', 'turn_number', 'user_message', 'era_response', 'search_results'])
    .where('id', '=', turnId)
    .executeTakeFirst();
  if (!turn) throw new InsightsNotFoundError('turn', turnId);
  const earlier = await db
    .selectFrom('tuning_conversation_turns')
    .select(['user_message', 'era_response'])
    .where('session_id', '=', turn.session_id)
    .where('turn_number', '<', turn.turn_number)
    .orderBy('turn_number', 'desc')
    .limit(JUDGE_HISTORY_TURNS)
    .execute();
  return {
    turnId: turn.id,
    sessionId: turn.session_id,
    userMessage: turn.user_message,
    answer: turn.era_response,
    searchResults: turn.search_results,
    history: earlier.reverse().map((t) => ({ user: t.user_message, assistant: t.era_response })),
  };
}

/** Creates the judge. */
export function createJudge(deps: JudgeDeps): Judge {
  const logger = deps.logger.child({ component: 'judge' });
  const client = deps.client;

  async function callJudge(api: Anthropic, context: JudgeContext, rubric: Rubric, signal?: AbortSignal): Promise<JudgeOutcome> {
    const params = judgeRequest(context, rubric, deps.model, deps.maxTokens);
    const request = judgeCallRequest(params, rubric);
    const ids = { sessionId: context.sessionId, turnId: context.turnId };
    const started = performance.now();
    let data: Anthropic.Message;
    let requestId: string | null;
    try {
      const res = await api.messages.create(params, { signal, timeout: deps.timeoutMs ?? 60_000 }).withResponse();
      data = res.data;
      requestId = res.request_id ?? null;
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      const apiErr = err instanceof APIError ? err : null;
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      await deps.callLog.record({
        purpose: 'judging', model: deps.model, promptVersion: rubric.version, usage: ZERO_LLM_USAGE, latencyMs, status: 'error', error,
        requestId: apiErr?.requestID ?? null, ...ids, metadata: { rubric_version: rubric.version }, io: { request, output: null },
      });
      if (err instanceof APIUserAbortError || !apiErr) throw err;
      logger.warn({ ...ids, err: error, status: apiErr.status }, 'judge call failed');
      await storeJudgement(deps.db, { turnId: context.turnId, rubricVersion: rubric.version, judgeModel: deps.model, scores: null, error, requestId: apiErr.requestID ?? null });
      return { status: 'failed', error };
    }
    const text = messageText(data);
    const reading = readJudgeAnswer(text, data.stop_reason ?? null);
    await deps.callLog.record({
      purpose: 'judging', model: data.model, promptVersion: rubric.version, usage: usageFromApi(data.usage),
      latencyMs: Math.round(performance.now() - started), stopReason: data.stop_reason ?? null, status: 'ok', requestId, ...ids,
      metadata: { rubric_version: rubric.version, valid: reading.ok, ...(reading.ok ? {} : { error: reading.error }) },
      io: { request, output: { text, ...(reading.ok ? { structured: reading.structured } : {}) } },
    });
    if (!reading.ok) {
      logger.warn({ ...ids, requestId, error: reading.error }, 'judge answer unusable');
      await storeJudgement(deps.db, { turnId: context.turnId, rubricVersion: rubric.version, judgeModel: deps.model, scores: null, error: reading.error, requestId });
      return { status: 'failed', error: reading.error };
    }
    await storeJudgement(deps.db, {
      turnId: context.turnId, rubricVersion: rubric.version, judgeModel: deps.model, scores: reading.scores, rationale: reading.rationale, requestId,
    });
    logger.info({ ...ids, requestId, ...reading.scores, rubricVersion: rubric.version }, 'turn judged');
    return { status: 'judged', scores: reading.scores, rubricVersion: rubric.version };
  }

  return {
    mode: client ? 'claude' : 'offline',
    model: deps.model,
    rubric: () => loadRubric(deps.rubricPath),
    async judgeTurn(turnId, options = {}) {
      if (!client) return { status: 'offline' };
      const [context, rubric] = await Promise.all([loadJudgeContext(deps.db, turnId), loadRubric(deps.rubricPath)]);
      return callJudge(client, context, rubric, options.signal);
    },
  };
}
