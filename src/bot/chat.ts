/**
 * A plain message: the tester's session (opened on first contact), the policy passages, ERA's answer
 * (streamed in a Teams 1:1 chat), the turn row, the reply. Nothing is stored unless ERA answered; if
 * the turn cannot be stored the answer is still shown, marked as not saved, so the tester loses nothing.
 */
import { APIUserAbortError } from '@anthropic-ai/sdk';
import { type Activity, ActivityTypes, CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import type { JsonObject, Session, Turn } from '../../db';
import type { Logger } from '../logger';
import { welcomeCard } from '../cards';
import { citedNumbers, confidenceScore, type EraAnswer, eraCallIo, EraUnavailableError, type EraPassage, normaliseMarkers } from '../era';
import { cleanText, describeCleaning, ensureOpenSession, findOpenSession, recentTurns, recordTurn, setReplyActivityId, type Tester } from '../tuning';
import { COMMAND_HELP } from './commands';
import type { BotDeps, IntentPrediction, RetrievedPassageLike } from './deps';
import { DATABASE_DOWN_MESSAGE, userMessageFor } from './errors';
import { replyActivityFor, replyCardFor } from './reply-card';
import { canStream, TeamsStream } from './streaming';

/** The canned answer when no passage is similar enough: Claude is not asked to improvise policy. */
export const NO_MATCH_TEMPLATE = 'no_policy_match';
export const NO_MATCH_TEXT =
  "I could not find this in the policies I have, so I won't guess. Could you tell me a bit more (which policy area, what happened, when)? If it's urgent or involves safety, harassment or a possible termination, contact the Employee Relations team directly.";

/** Teams ids of the conversation, for session metadata. */
export function conversationMetadata(context: TurnContext): JsonObject {
  const a = context.activity;
  return {
    conversation_id: a.conversation?.id ?? null,
    conversation_type: a.conversation?.conversationType ?? null,
    channel_id: a.channelId ?? null,
    tenant_id: a.conversation?.tenantId ?? (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? null,
    service_url: a.serviceUrl ?? null,
  };
}

/** Opens the tester's session if none is open, announcing it with the welcome card. */
export async function sessionFor(context: TurnContext, deps: BotDeps, tester: Tester) {
  // Most messages land in an open session; the prompt's git version is only needed to open one.
  const open = await findOpenSession(deps.db, tester.id);
  if (open) return open;
  const stamp = await deps.prompt.version();
  const meta = { ...conversationMetadata(context), prompt_path: deps.prompt.path };
  const opened = await ensureOpenSession(deps.db, tester, stamp, meta);
  if (opened.created) {
    deps.logger.info({ sessionId: opened.session.id, testerId: tester.id, promptVersion: stamp.version }, 'session opened');
    const card = welcomeCard({
      sessionId: opened.session.id,
      promptVersion: stamp.version,
      branch: opened.session.branch_name,
      promptPath: deps.prompt.path,
      model: deps.era.model,
      offline: deps.era.mode === 'offline',
      commands: COMMAND_HELP,
    });
    await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
  }
  return opened.session;
}

function numbered(passages: RetrievedPassageLike[]): Array<EraPassage & { similarity: number; chunkId: string }> {
  return passages.map((p, i) => ({ n: i + 1, title: p.documentTitle, section: p.section, text: p.text, similarity: p.similarity, chunkId: p.chunkId }));
}

/** Handles a question for ERA. `raw` is the message text with mentions removed. */
export async function handleChat(context: TurnContext, deps: BotDeps, tester: Tester, raw: string): Promise<void> {
  const log = deps.logger.child({ activityId: context.activity.id, testerId: tester.id });
  const limit = deps.config.maxMessageChars;
  if (raw.length > limit) {
    await context.sendActivity(
      `Your message is ${raw.length.toLocaleString('en-US')} characters; ERA takes up to ${limit.toLocaleString('en-US')}. Nothing was stored. Split it into shorter messages (your text is still in the chat above).`,
    );
    return;
  }
  const cleaned = cleanText(raw);
  const message = cleaned.text.trim();
  if (message === '') {
    await context.sendActivity('That message was empty, so there was nothing to ask ERA. Type a question, or `/help` for the commands.');
    return;
  }
  const notice = describeCleaning(cleaned);

  const session = await sessionFor(context, deps, tester);
  const started = Date.now();
  const stream = canStream(context) ? new TeamsStream(context, deps.config.streamUpdateIntervalMs) : null;
  if (stream) await stream.informative(deps.retriever ? 'Searching the policies…' : 'Thinking…');
  else await context.sendActivity({ type: ActivityTypes.Typing });
  try {
    await answerAndStore(context, deps, tester, { message, notice, session, started, stream, log });
  } catch (err) {
    // An open stream must end, or Teams keeps showing "Searching the policies…": the error text is
    // its final message. Without a stream the bot's one error handler answers.
    if (!stream || stream.outcome !== 'open') throw err;
    log.error({ err, sessionId: session.id }, 'turn failed while streaming');
    await stream.final({ text: userMessageFor(err, context.activity.id) });
  }
}

interface TurnStart {
  message: string;
  notice: string | null;
  session: Session;
  started: number;
  stream: TeamsStream | null;
  log: Logger;
}

async function answerAndStore(context: TurnContext, deps: BotDeps, tester: Tester, start: TurnStart): Promise<void> {
  const { message, notice, session, started, stream, log } = start;

  // The topic is predicted while ERA answers, so capture adds no wait.
  const intentPromise: Promise<IntentPrediction | null> = deps.intent
    ? deps.intent.classify(message, { sessionId: session.id, testerId: tester.id }).catch((err: unknown) => {
        log.warn({ err }, 'intent classification failed');
        return null;
      })
    : Promise.resolve(null);

  const [history, prompt, found] = await Promise.all([
    recentTurns(deps.db, session.id, deps.config.historyTurns),
    deps.prompt.read(),
    deps.retriever ? deps.retriever.retrieve(message) : Promise.resolve([]),
  ]);
  const passages = numbered(found);

  let answer: EraAnswer;
  let templateUsed: string | null = null;
  let cancelled = false;
  let lastSnapshot = '';
  const abort = new AbortController();
  if (stream) stream.onCancel = () => abort.abort();
  const eraStarted = Date.now();
  try {
    if (deps.retriever && passages.length === 0) {
      templateUsed = NO_MATCH_TEMPLATE;
      answer = { text: NO_MATCH_TEXT, model: 'template', offline: deps.era.mode === 'offline', stopReason: null, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, requestId: null, latencyMs: 0 };
    } else {
      answer = await deps.era.answer(
        { message, history: history.map((t) => ({ user: t.user_message, assistant: t.era_response })), systemPrompt: prompt.text, sessionId: session.id, passages },
        abort.signal,
        stream
          ? (soFar) => {
              lastSnapshot = soFar;
              stream.update(normaliseMarkers(soFar));
            }
          : undefined,
      );
    }
  } catch (err) {
    if (err instanceof APIUserAbortError && stream?.outcome === 'cancelled') {
      cancelled = true;
      answer = { text: lastSnapshot, model: deps.era.model, offline: false, stopReason: 'cancelled_by_tester', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, requestId: null, latencyMs: Date.now() - eraStarted, io: eraCallIo(err) };
    } else {
      if (err instanceof EraUnavailableError) {
        // The message is still captured, marked as a failed workflow.
        const prediction = await intentPromise;
        if (prediction && deps.intent) {
          await deps.intent.logPrediction({ testerId: tester.id, sessionId: session.id, turnId: null, messageIndex: null, prompt: message, prediction, executionError: err.kind });
        }
        await deps.calls?.record({ purpose: 'answer', model: deps.era.model, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, latencyMs: Date.now() - eraStarted, status: 'error', error: `${err.kind}: ${err.message}`, requestId: err.requestId, sessionId: session.id, testerId: tester.id, io: err.io });
      }
      throw err;
    }
  }
  if (stream && stream.outcome === 'cancelled') cancelled = true;

  const text = normaliseMarkers(answer.text);
  const cited = citedNumbers(text, passages.length);
  const metadata: JsonObject = {
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
    prompt_sha256: prompt.sha256,
    history_turns: history.length,
    passages: passages.map((p) => ({ n: p.n, chunk_id: p.chunkId, title: p.title, section: p.section })),
    cited,
    streamed: stream !== null,
    ...(cancelled ? { cancelled: true } : {}),
    user_activity_id: context.activity.id ?? null,
    conversation_id: context.activity.conversation?.id ?? null,
    ...(notice ? { notice } : {}),
  };

  let turn: Turn;
  try {
    turn = await recordTurn(deps.db, {
      sessionId: session.id,
      userMessage: message,
      eraResponse: text,
      processingTimeMs: Date.now() - started,
      searchResults: deps.retriever ? { results: passages.map((p) => ({ chunk_id: p.chunkId, document_title: p.title, chunk_text: p.text, similarity: p.similarity })) } : null,
      avgSimilarity: passages.length ? passages.reduce((s, p) => s + p.similarity, 0) / passages.length : null,
      totalChunks: deps.retriever ? passages.length : null,
      confidenceScore: deps.retriever ? (templateUsed ? 0 : confidenceScore(text, passages)) : null,
      templateUsed,
      metadata,
    });
  } catch (err) {
    log.error({ err, sessionId: session.id }, 'turn could not be stored; showing the answer unsaved');
    const why = userMessageFor(err) === DATABASE_DOWN_MESSAGE ? "the database can't be reached" : 'of an error on my side';
    const unsaved = `${text}\n\n---\n⚠️ This answer was NOT saved because ${why}, so it can't take notes. Ask again once I'm back to record it.`;
    if (stream && stream.outcome === 'open') await stream.final({ text: unsaved });
    else await context.sendActivity(unsaved);
    return;
  }
  log.info({ sessionId: session.id, turnId: turn.id, turnNumber: turn.turn_number, model: answer.model, ms: turn.processing_time_ms, passages: passages.length, cited: cited.length, cancelled }, 'turn stored');

  const prediction = await intentPromise;
  if (prediction && deps.intent) {
    await deps.intent.logPrediction({ testerId: tester.id, sessionId: session.id, turnId: turn.id, messageIndex: turn.turn_number, prompt: message, prediction });
  }
  const topic = prediction && deps.intent ? await deps.intent.topicOf(turn.id) : null;
  const card = replyCardFor(turn, [], deps.config.maxNoteChars, cancelled ? { status: { text: 'You stopped this answer; what arrived is stored and can take notes.', kind: 'attention' } } : {}, {
    topic,
    topicChoices: deps.intent?.topics ?? [],
  });
  const reply = replyActivityFor(turn, card);

  let replyId: string | undefined;
  if (stream && stream.outcome === 'open') replyId = (await stream.final(reply)) ?? undefined;
  if (!replyId) {
    // Not streaming, or the tester stopped the stream: Teams takes no more on it, so a new message
    // carries the tuning card.
    const sent = await context.sendActivity(reply as Partial<Activity>);
    replyId = sent?.id;
  }
  if (replyId) {
    try {
      await setReplyActivityId(deps.db, turn.id, replyId);
    } catch (err) {
      log.warn({ err, turnId: turn.id }, 'could not record the reply activity id; thumbs feedback on it will not match');
    }
  }
  if (!templateUsed && !answer.offline) {
    await deps.calls?.record({
      purpose: 'answer',
      model: answer.model,
      promptVersion: session.master_prompt_version,
      usage: answer.usage,
      latencyMs: answer.latencyMs,
      stopReason: answer.stopReason,
      status: 'ok',
      requestId: answer.requestId,
      sessionId: session.id,
      turnId: turn.id,
      testerId: tester.id,
      metadata: { offline: answer.offline, passages: passages.length, cited: cited.length, cancelled },
      io: answer.io,
    });
  }
}
