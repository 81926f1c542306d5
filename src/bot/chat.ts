/**
 * A plain message: the tester's session (opened on first contact), ERA's answer, the turn row, the
 * reply card. Nothing is stored unless ERA answered; if the turn cannot be stored the answer is
 * still shown, marked as not saved, so the tester loses nothing.
 */
import { type Activity, ActivityTypes, CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import type { JsonObject } from '../../db';
import { welcomeCard } from '../cards';
import { cleanText, describeCleaning, ensureOpenSession, recentTurns, recordTurn, setReplyActivityId, type Tester } from '../tuning';
import { COMMAND_HELP } from './commands';
import type { BotDeps } from './deps';
import { DATABASE_DOWN_MESSAGE, userMessageFor } from './errors';
import { replyCardFor } from './reply-card';

/** Teams ids of the conversation, for session metadata. */
export function conversationMetadata(context: TurnContext): JsonObject {
  const a = context.activity;
  const meta: JsonObject = {
    conversation_id: a.conversation?.id ?? null,
    conversation_type: a.conversation?.conversationType ?? null,
    channel_id: a.channelId ?? null,
    tenant_id: a.conversation?.tenantId ?? (a.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id ?? null,
    service_url: a.serviceUrl ?? null,
  };
  return meta;
}

/** Opens the tester's session if none is open, announcing it with the welcome card. */
export async function sessionFor(context: TurnContext, deps: BotDeps, tester: Tester) {
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
  await context.sendActivity({ type: ActivityTypes.Typing });
  const started = Date.now();
  const [history, prompt] = await Promise.all([recentTurns(deps.db, session.id, deps.config.historyTurns), deps.prompt.read()]);
  const answer = await deps.era.answer({
    message,
    history: history.map((t) => ({ user: t.user_message, assistant: t.era_response })),
    systemPrompt: prompt.text,
    sessionId: session.id,
  });

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
    user_activity_id: context.activity.id ?? null,
    conversation_id: context.activity.conversation?.id ?? null,
    ...(notice ? { notice } : {}),
  };

  let turn;
  try {
    turn = await recordTurn(deps.db, {
      sessionId: session.id,
      userMessage: message,
      eraResponse: answer.text,
      processingTimeMs: Date.now() - started,
      metadata,
    });
  } catch (err) {
    log.error({ err, sessionId: session.id }, 'turn could not be stored; showing the answer unsaved');
    const why = userMessageFor(err) === DATABASE_DOWN_MESSAGE ? "the database can't be reached" : 'of an error on my side';
    await context.sendActivity(`${answer.text}\n\n---\n⚠️ This answer was NOT saved because ${why}, so it can't take notes. Ask again once I'm back to record it.`);
    return;
  }
  log.info({ sessionId: session.id, turnId: turn.id, turnNumber: turn.turn_number, model: answer.model, ms: turn.processing_time_ms }, 'turn stored');

  const reply: Partial<Activity> = {
    type: ActivityTypes.Message,
    attachments: [CardFactory.adaptiveCard(replyCardFor(turn, [], deps.config.maxNoteChars))],
    // Teams' native thumbs up/down under the reply; the reaction comes back as message/submitAction.
    channelData: { feedbackLoopEnabled: true },
  };
  const sent = await context.sendActivity(reply);
  if (sent?.id) {
    try {
      await setReplyActivityId(deps.db, turn.id, sent.id);
    } catch (err) {
      log.warn({ err, turnId: turn.id }, 'could not record the reply activity id; thumbs feedback on it will not match');
    }
  }
}
