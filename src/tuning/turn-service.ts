/**
 * The tuning turn: a plain message becomes a question for ERA. The tester's session (opened on first
 * contact; the welcome is returned as data for the caller to show), the policy passages, ERA's answer
 * (streamed through the ReplySink), then the turn row and its prompt capture in one transaction. Nothing
 * is stored unless ERA answered; if the turn cannot be stored the answer is still shown, marked as not
 * saved, so the tester loses nothing. The call log is written outside: it must never fail a turn.
 */
import { randomUUID } from 'node:crypto';
import { APIUserAbortError } from '@anthropic-ai/sdk';
import { isDatabaseUnavailable, type JsonObject, type Session, type Turn } from '../../db';
import { citedNumbers, confidenceScore, type EraAnswer, eraCallIo, type EraPassage, EraUnavailableError, normaliseMarkers } from '../era';
import type { Logger } from '../logger';
import { recordTurnMetrics } from '../insights/metrics-store';
import { NO_MATCH_TEMPLATE, noMatchAnswer } from './no-match';
import { ensureOpenSession, findOpenSession } from './sessions';
import { cleanText, describeCleaning } from './text';
import type { IntentPrediction, ReplySink, TurnServiceDeps } from './turn-ports';
import { findTurn, recentTurns, recordTurn, setReplyActivityId } from './turns';
import type { Tester } from './types';


const NO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export interface TurnRequest {
  tester: Tester;
  /** The message text, mentions removed. */
  text: string;
  /** The channel's ids of the conversation, stored on a session it opens. */
  conversation: JsonObject;
  activityId: string | null;
  conversationId: string | null;
}

/** A new session, for the caller's welcome. */
export interface SessionWelcome {
  sessionId: string;
  promptVersion: string;
  branch: string | null;
  promptPath: string;
  model: string;
  offline: boolean;
}

export type PreparedTurn =
  | { kind: 'refused'; text: string }
  | { kind: 'ready'; request: TurnRequest; message: string; notice: string | null; session: Session; welcome: SessionWelcome | null; started: number };

/** Checks the message and finds (or opens) the tester's session. Stores nothing for a refused message. */
export async function prepareTurn(deps: TurnServiceDeps, request: TurnRequest): Promise<PreparedTurn> {
  const limit = deps.config.maxMessageChars;
  const raw = request.text;
  if (raw.length > limit) {
    return {
      kind: 'refused',
      text: `Your message is ${raw.length.toLocaleString('en-US')} characters; ERA takes up to ${limit.toLocaleString('en-US')}. Nothing was stored. Split it into shorter messages (your text is still in the chat above).`,
    };
  }
  const cleaned = cleanText(raw);
  const message = cleaned.text.trim();
  if (message === '') return { kind: 'refused', text: 'That message was empty, so there was nothing to ask ERA. Type a question, or `/help` for the commands.' };
  const { session, welcome } = await sessionFor(deps, request);
  return { kind: 'ready', request, message, notice: describeCleaning(cleaned), session, welcome, started: Date.now() };
}

/** The tester's open session, opening one (and saying so) if there is none. */
async function sessionFor(deps: TurnServiceDeps, request: TurnRequest): Promise<{ session: Session; welcome: SessionWelcome | null }> {
  // Most messages land in an open session; the prompt's git version is only needed to open one.
  const open = await findOpenSession(deps.db, request.tester.id);
  if (open) return { session: open, welcome: null };
  const stamp = await deps.prompt.version();
  const opened = await ensureOpenSession(deps.db, request.tester, stamp, { ...request.conversation, prompt_path: deps.prompt.path });
  if (!opened.created) return { session: opened.session, welcome: null };
  deps.logger.info({ sessionId: opened.session.id, testerId: request.tester.id, promptVersion: stamp.version }, 'session opened');
  const s = opened.session;
  return {
    session: s,
    welcome: { sessionId: s.id, promptVersion: stamp.version, branch: s.branch_name, promptPath: deps.prompt.path, model: deps.era.model, offline: deps.era.mode === 'offline' },
  };
}

type NumberedPassage = EraPassage & { similarity: number; chunkId: string };

/** What ERA was asked and what it answered. */
interface Answered {
  answer: EraAnswer;
  passages: NumberedPassage[];
  historyTurns: number;
  promptSha256: string;
  templateUsed: string | null;
  stopped: boolean;
}

/**
 * Answers a prepared turn: ERA's answer through the sink, the turn stored, the reply delivered and its
 * activity id recorded. Throws when ERA could not answer (nothing stored; the caller tells the tester).
 */
export async function answerTurn(deps: TurnServiceDeps, turn: Extract<PreparedTurn, { kind: 'ready' }>, sink: ReplySink): Promise<void> {
  const { session, message, request } = turn;
  const log = deps.logger.child({ activityId: request.activityId, testerId: request.tester.id });
  await sink.informative(deps.retriever ? 'Searching the policies…' : 'Thinking…');
  // The recent turns, read once: ERA's history, and the previous message as the context of both
  // retrievals (ERA's passages and the topic's evidence), so a follow-up is read as one.
  const recent = recentTurns(deps.db, session.id, Math.max(1, deps.config.historyTurns));
  // The topic is predicted while ERA answers, so capture adds no wait.
  const intent = deps.intent;
  const prediction: Promise<IntentPrediction | null> = intent
    ? recent
        .then((rows) => intent.classify(message, { sessionId: session.id, testerId: request.tester.id, previousMessage: rows.at(-1)?.user_message ?? null }))
        .catch((err: unknown) => {
          log.warn({ err }, 'intent classification failed');
          return null;
        })
    : Promise.resolve(null);
  let answered: Answered;
  const timing = { eraStarted: Date.now() };
  try {
    answered = await askEra(deps, turn, recent, sink, timing);
  } catch (err) {
    if (err instanceof EraUnavailableError) await recordFailedAsk(deps, turn, err, await prediction, Date.now() - timing.eraStarted);
    throw err;
  }
  const stored = await storeTurn(deps, turn, answered, await prediction, sink.streaming, randomUUID(), log);
  if (!stored) return;
  const topic = deps.intent && (await prediction) ? await deps.intent.topicOf(stored.id) : null;
  const replyId = await sink.final({ kind: 'answer', turn: stored, topic, stopped: answered.stopped });
  if (replyId) {
    try {
      await setReplyActivityId(deps.db, stored.id, replyId);
    } catch (err) {
      log.warn({ err, turnId: stored.id }, 'could not record the reply activity id; thumbs feedback on it will not match');
    }
  }
  // Judged in the background once the reply is out: the tester never waits for the judge.
  deps.judge?.enqueue({ turnId: stored.id, sessionId: session.id, activityId: replyId, ...(sink.address ? { notify: sink.address } : {}) });
  await recordAnswerCall(deps, turn, answered, stored);

  async function storeTurn(...args: Parameters<typeof writeTurn>): Promise<Turn | null> {
    try {
      return await writeTurn(...args);
    } catch (err) {
      // The connection can drop after the server committed but before it said so: the turn may be
      // stored. It is looked up by its id before the tester is told it was not saved.
      const found = isDatabaseUnavailable(err) ? await lookUpAfterFailure(deps, args[5], log) : null;
      if (found) {
        log.warn({ err, sessionId: session.id, turnId: found.id }, 'the database failed around the commit but the turn is stored');
        return found;
      }
      log.error({ err, sessionId: session.id }, 'turn could not be stored; showing the answer unsaved');
      const why = isDatabaseUnavailable(err) ? "the database can't be reached" : 'of an error on my side';
      const text = normaliseMarkers(answered.answer.text);
      await sink.final({ kind: 'text', text: `${text}\n\n---\n⚠️ This answer was NOT saved because ${why}, so it can't take notes. Ask again once I'm back to record it.` });
      return null;
    }
  }
}

/** History, prompt and passages, then ERA's answer (streamed); a tester's Stop keeps what arrived. */
async function askEra(deps: TurnServiceDeps, turn: Extract<PreparedTurn, { kind: 'ready' }>, recent: Promise<Turn[]>, sink: ReplySink, timing: { eraStarted: number }): Promise<Answered> {
  const { session, message } = turn;
  // Retrieval waits for the history: the previous message is its context, so a follow-up ("what if
  // they don't answer the phone?") finds the passages of what it follows.
  const retriever = deps.retriever;
  const [recentRows, prompt, found] = await Promise.all([
    recent,
    deps.prompt.read(),
    retriever ? recent.then((rows) => { const previous = rows.at(-1)?.user_message; return retriever.retrieve(message, previous === undefined ? {} : { context: previous }); }) : Promise.resolve([]),
  ]);
  const history = deps.config.historyTurns > 0 ? recentRows : [];
  const passages: NumberedPassage[] = found.map((p, i) => ({ n: i + 1, title: p.documentTitle, section: p.section, text: p.text, similarity: p.similarity, chunkId: p.chunkId }));
  const base = { passages, historyTurns: history.length, promptSha256: prompt.sha256 };
  if (deps.retriever && passages.length === 0) {
    return { ...base, answer: noMatchAnswer(deps.era.mode === 'offline'), templateUsed: NO_MATCH_TEMPLATE, stopped: sink.outcome === 'cancelled' };
  }
  let lastSnapshot = '';
  const abort = new AbortController();
  sink.onCancel = () => {
    abort.abort();
  };
  const eraStarted = Date.now();
  timing.eraStarted = eraStarted;
  try {
    const answer = await deps.era.answer(
      { message, history: history.map((t) => ({ user: t.user_message, assistant: t.era_response })), systemPrompt: prompt.text, sessionId: session.id, passages },
      abort.signal,
      sink.streaming
        ? (soFar) => {
            lastSnapshot = soFar;
            sink.update(normaliseMarkers(soFar));
          }
        : undefined,
    );
    return { ...base, answer, templateUsed: null, stopped: sink.outcome === 'cancelled' };
  } catch (err) {
    if (!(err instanceof APIUserAbortError && sink.outcome === 'cancelled')) throw err;
    const answer: EraAnswer = { text: lastSnapshot, model: deps.era.model, offline: false, stopReason: 'cancelled_by_tester', usage: NO_USAGE, requestId: null, latencyMs: Date.now() - eraStarted, io: eraCallIo(err) };
    return { ...base, answer, templateUsed: null, stopped: true };
  }
}

/** ERA failed: the message is still captured (as a failed workflow) and the call logged as an error. */
async function recordFailedAsk(deps: TurnServiceDeps, turn: Extract<PreparedTurn, { kind: 'ready' }>, err: EraUnavailableError, prediction: IntentPrediction | null, latencyMs: number): Promise<void> {
  const { session, message, request } = turn;
  if (prediction && deps.intent) {
    await deps.intent.logPrediction({ testerId: request.tester.id, sessionId: session.id, turnId: null, messageIndex: null, prompt: message, prediction, executionError: err.kind });
  }
  await deps.calls?.record({
    purpose: 'answer', model: deps.era.model, usage: NO_USAGE, latencyMs, status: 'error', error: `${err.kind}: ${err.message}`,
    requestId: err.requestId, sessionId: session.id, testerId: request.tester.id, io: err.io,
  });
}

/** Waits between look-ups of a turn after an ambiguous failure (about 4 s in all). */
const LOOKUP_BACKOFF_MS = [0, 250, 500, 1000, 2000];

/**
 * After a connection failure around COMMIT: whether the turn with this id is stored. Retries while the
 * database is unreachable (bounded); null when a read found no such turn or the database stayed away.
 */
async function lookUpAfterFailure(deps: TurnServiceDeps, turnId: string, log: Logger): Promise<Turn | null> {
  for (const wait of LOOKUP_BACKOFF_MS) {
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      return (await findTurn(deps.db, turnId)) ?? null;
    } catch (err) {
      if (!isDatabaseUnavailable(err)) return null;
      log.warn({ err, turnId }, 'looking up a turn after a failed commit: the database is still unreachable');
    }
  }
  return null;
}

/** The turn row and its prompt capture, in one transaction, under the id the caller chose. */
async function writeTurn(deps: TurnServiceDeps, turn: Extract<PreparedTurn, { kind: 'ready' }>, a: Answered, prediction: IntentPrediction | null, streamed: boolean, turnId: string, log: Logger): Promise<Turn> {
  const { session, message, request } = turn;
  const text = normaliseMarkers(a.answer.text);
  const cited = citedNumbers(text, a.passages.length);
  const grounded = deps.retriever !== undefined;
  const stored = await deps.db.transaction().execute(async (trx) => {
    const recorded = await recordTurn(trx, {
      id: turnId,
      sessionId: session.id,
      userMessage: message,
      eraResponse: text,
      processingTimeMs: Date.now() - turn.started,
      searchResults: grounded ? { results: a.passages.map((p) => ({ chunk_id: p.chunkId, document_title: p.title, chunk_text: p.text, similarity: p.similarity })) } : null,
      avgSimilarity: a.passages.length ? a.passages.reduce((s, p) => s + p.similarity, 0) / a.passages.length : null,
      totalChunks: grounded ? a.passages.length : null,
      confidenceScore: grounded ? (a.templateUsed ? 0 : confidenceScore(text, a.passages)) : null,
      templateUsed: a.templateUsed,
      metadata: turnMetadata(a, cited, streamed, turn),
    });
    // Spec 000's programmatic metrics, stored with the row: the reply card shows them at once.
    const row: Turn = { ...recorded, ...(await recordTurnMetrics(trx, recorded)) };
    if (prediction && deps.intent) {
      await deps.intent.logPrediction({ testerId: request.tester.id, sessionId: session.id, turnId: row.id, messageIndex: row.turn_number, prompt: message, prediction }, trx);
    }
    return row;
  });
  log.info({ sessionId: session.id, turnId: stored.id, turnNumber: stored.turn_number, model: a.answer.model, ms: stored.processing_time_ms, passages: a.passages.length, cited: cited.length, cancelled: a.stopped }, 'turn stored');
  return stored;
}

/** The turn row's metadata: the model's answer details, the passages, and the Teams ties. */
function turnMetadata(a: Answered, cited: number[], streamed: boolean, turn: Extract<PreparedTurn, { kind: 'ready' }>): JsonObject {
  const { answer } = a;
  return {
    model: answer.model,
    offline: answer.offline,
    stop_reason: answer.stopReason,
    usage: {
      input_tokens: answer.usage.inputTokens,
      output_tokens: answer.usage.outputTokens,
      cache_read_input_tokens: answer.usage.cacheReadTokens,
      cache_creation_input_tokens: answer.usage.cacheWriteTokens,
    },
    request_id: answer.requestId,
    llm_latency_ms: answer.latencyMs,
    prompt_sha256: a.promptSha256,
    history_turns: a.historyTurns,
    passages: a.passages.map((p) => ({ n: p.n, chunk_id: p.chunkId, title: p.title, section: p.section })),
    cited,
    streamed,
    ...(a.stopped ? { cancelled: true } : {}),
    user_activity_id: turn.request.activityId,
    conversation_id: turn.request.conversationId,
    ...(turn.notice ? { notice: turn.notice } : {}),
  };
}

/** The answer's model call in the call log (a canned or offline answer made none). */
async function recordAnswerCall(deps: TurnServiceDeps, turn: Extract<PreparedTurn, { kind: 'ready' }>, a: Answered, stored: Turn): Promise<void> {
  if (a.templateUsed || a.answer.offline) return;
  const cited = Array.isArray(stored.metadata?.cited) ? stored.metadata.cited.length : 0;
  await deps.calls?.record({
    purpose: 'answer',
    model: a.answer.model,
    promptVersion: turn.session.master_prompt_version,
    usage: a.answer.usage,
    latencyMs: a.answer.latencyMs,
    stopReason: a.answer.stopReason,
    status: 'ok',
    requestId: a.answer.requestId,
    sessionId: turn.session.id,
    turnId: stored.id,
    testerId: turn.request.tester.id,
    metadata: { offline: a.answer.offline, passages: a.passages.length, cited, cancelled: a.stopped },
    io: a.answer.io,
  });
}
