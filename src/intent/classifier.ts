/**
 * Intent prediction for a tester's message. The keyword rules (free, explainable) and the offline topic
 * model (a regression over the words and the rules' hits, with the retriever's view) vote: when both
 * name the same topic, the rule's verdict stands. Otherwise one small Claude call decides; offline, the
 * model's topic is the guess, at a confidence that sends it to review. Prediction is bookkeeping around
 * ERA's answer, so it never throws and never waits long: on any failure the message is labelled
 * `other` with a low confidence (which sends it to human review) and the failed call is still in the
 * call log.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError } from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { IntentSource } from '../../db';
import { type CallLog, callRequestOf, structuredOutputOf, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { isSmallTalk, matchRules, type RuleMatch } from './rules';
import { decideTopic, type TopicDecision, type TopicModel } from './topic-model';
import { INTENT_IDS, INTENT_TOPICS, type IntentId, isIntentId, OTHER_INTENT } from './topics';

/** A predicted topic and who predicted it. */
export interface IntentPrediction {
  intent: IntentId;
  /** 0..1. */
  confidence: number;
  source: IntentSource;
  /** The rule that decided, for source 'rule'. */
  ruleName?: string;
}

/** What a prediction is filed under (the call log's ids). */
export interface ClassifyContext {
  sessionId: string | null;
  testerId: string | null;
  turnId?: string | null;
  /** The conversation's previous message: the retriever's evidence for a follow-up uses it, as ERA's retrieval does. */
  previousMessage?: string | null;
}

export interface IntentClassifier {
  /** Predicts the topic of a message. Never rejects. */
  classify(text: string, ctx: ClassifyContext): Promise<IntentPrediction>;
}

export interface IntentClassifierDeps {
  /** Null in offline mode: messages no rule catches get the fallback. */
  client: Anthropic | null;
  /** config.intentModel. */
  model: string;
  callLog: CallLog;
  logger: Logger;
  /** Per-request timeout (default 10 s): shorter than ERA's, since the tester is waiting. */
  timeoutMs?: number;
  /** SDK retries for this call (default 1). */
  maxRetries?: number;
  /**
   * The offline topic model (src/intent/topic-model.ts; app.ts passes the committed one). Offline it
   * decides every message that is not small talk, weighing the rules' hits with the rest of the words;
   * online, a rule's verdict stands without a Claude call only when the model agrees with it.
   */
  topicModel?: TopicModel | null;
  /**
   * The retriever's evidence for the model: each policy topic's best passage similarity, with the
   * previous message as context when there is one (app.ts passes topicSimilarities over the index
   * retriever). Absent: the model decides on the words alone.
   */
  passageTopics?: (text: string, context?: string) => Promise<ReadonlyMap<string, number>>;
  /**
   * Offline only, without a topic model, when no rule fires: a deterministic guess, e.g. the topic of
   * the policy whose passage best answers the message. Null: no guess.
   */
  guessTopic?: (text: string) => Promise<IntentId | null>;
}

/** The prediction when nothing better is possible: low enough to land in review. */
export const FALLBACK_CONFIDENCE = 0.3;
/** An offline guess (guessTopic): better than nothing, still under the review threshold (0.7). */
export const GUESS_CONFIDENCE = 0.5;
const MAX_TOKENS = 100;
// The topic is in the first sentences; a pasted policy page would only make the call slower and dearer.
const MAX_INPUT_CHARS = 4000;

const SYSTEM_PROMPT = [
  'You label questions that managers at Northwind Fitness Clubs send to ERA, their employee-relations assistant.',
  'Pick the one topic the message is mainly about:',
  ...INTENT_TOPICS.map((t) => `- ${t.id}: ${t.covers}`),
  'Reply with JSON only: {"intent": "<topic id>", "confidence": <number from 0 to 1>}.',
].join('\n');

/** Structured output: the API then returns exactly this shape (bounds are checked on our side). */
const OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    intent: { type: 'string', enum: [...INTENT_IDS] },
    confidence: { type: 'number' },
  },
  required: ['intent', 'confidence'],
  additionalProperties: false,
} as const;

const replySchema = z.object({ intent: z.string(), confidence: z.number() });

type ParseOutcome = 'parsed' | 'invalid_json' | 'unknown_intent';

/** Reads the model's JSON; anything unusable becomes `other` at the fallback confidence. */
export function parseClassifierReply(text: string): { intent: IntentId; confidence: number; outcome: ParseOutcome } {
  const unusable = (outcome: ParseOutcome) => ({ intent: OTHER_INTENT, confidence: FALLBACK_CONFIDENCE, outcome });
  // Without structured output a model may wrap the JSON in a code fence or a sentence.
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return unusable('invalid_json');
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start, end + 1));
  } catch {
    return unusable('invalid_json');
  }
  const reply = replySchema.safeParse(json);
  if (!reply.success || !Number.isFinite(reply.data.confidence)) return unusable('invalid_json');
  const intent = reply.data.intent.trim().toLowerCase();
  // An invented topic is not a confident `other`: it goes to review like any unusable answer.
  if (!isIntentId(intent)) return unusable('unknown_intent');
  return { intent, confidence: Math.min(1, Math.max(0, reply.data.confidence)), outcome: 'parsed' };
}

const textOf = (content: readonly Anthropic.ContentBlock[]): string =>
  content.map((b) => (b.type === 'text' ? b.text : '')).join('');

/** Creates the classifier. */
export function createIntentClassifier(deps: IntentClassifierDeps): IntentClassifier {
  const logger = deps.logger.child({ component: 'intent' });
  const fallback = (): IntentPrediction => ({ intent: OTHER_INTENT, confidence: FALLBACK_CONFIDENCE, source: 'fallback' });

  async function askClaude(client: Anthropic, text: string, ctx: ClassifyContext): Promise<IntentPrediction> {
    const ids = { sessionId: ctx.sessionId, turnId: ctx.turnId ?? null, testerId: ctx.testerId };
    // No temperature: the SDK's anthropic-version (2026-10-21) rejects it.
    const body = {
      model: deps.model,
      max_tokens: MAX_TOKENS,
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user' as const, content: `<message>\n${text.slice(0, MAX_INPUT_CHARS)}\n</message>` }],
      output_config: { format: { type: 'json_schema' as const, schema: OUTPUT_SCHEMA } },
    };
    const request = callRequestOf(body);
    const started = performance.now();
    try {
      const { data, request_id: requestId } = await client.messages
        .create(body, { timeout: deps.timeoutMs ?? 10_000, maxRetries: deps.maxRetries ?? 1 })
        .withResponse();
      const latencyMs = Math.round(performance.now() - started);
      const parsed = parseClassifierReply(textOf(data.content));
      await deps.callLog.record({
        purpose: 'intent',
        model: data.model,
        usage: usageFromApi(data.usage),
        latencyMs,
        stopReason: data.stop_reason ?? null,
        status: 'ok',
        requestId: requestId ?? null,
        metadata: { parse: parsed.outcome, intent: parsed.intent },
        io: { request, output: structuredOutputOf(textOf(data.content)) },
        ...ids,
      });
      if (parsed.outcome !== 'parsed') {
        logger.warn({ ...ids, requestId, outcome: parsed.outcome, stopReason: data.stop_reason }, 'intent reply unusable; labelled other');
      }
      return { intent: parsed.intent, confidence: parsed.confidence, source: 'classifier' };
    } catch (err) {
      const latencyMs = Math.round(performance.now() - started);
      const requestId = err instanceof APIError ? (err.requestID ?? null) : null;
      const status = err instanceof APIError && typeof err.status === 'number' ? err.status : null;
      logger.warn({ err, ...ids, requestId, status, latencyMs }, 'intent classification failed; using the fallback');
      await deps.callLog.record({
        purpose: 'intent',
        model: deps.model,
        usage: ZERO_LLM_USAGE,
        latencyMs,
        status: 'error',
        error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        requestId,
        metadata: status === null ? {} : { http_status: status },
        io: { request, output: null },
        ...ids,
      });
      return fallback();
    }
  }

  const fromRule = (rule: RuleMatch): IntentPrediction => ({ intent: rule.intent, confidence: rule.confidence, source: 'rule', ruleName: rule.ruleName });

  /** The topic model's decision on a message, with the retriever's evidence when there is a retriever. */
  async function modelDecision(model: TopicModel, text: string, ctx: ClassifyContext): Promise<TopicDecision> {
    const clipped = text.slice(0, MAX_INPUT_CHARS);
    let evidence: ReadonlyMap<string, number> | undefined;
    try {
      evidence = deps.passageTopics ? await deps.passageTopics(clipped, ctx.previousMessage ?? undefined) : undefined;
    } catch (err) {
      // The knowledge base unreadable (a database gone away): the words alone still decide.
      logger.warn({ err, sessionId: ctx.sessionId, testerId: ctx.testerId }, 'topic evidence from retrieval failed; the topic model decides on the words alone');
    }
    return decideTopic(model, clipped, evidence);
  }

  async function classifyWithModel(model: TopicModel, text: string, ctx: ClassifyContext): Promise<IntentPrediction> {
    const rule = matchRules(text);
    if (text.trim() === '' || (isSmallTalk(text) && !rule)) return fallback();
    if (deps.client && !rule) return await askClaude(deps.client, text, ctx);
    const decision = await modelDecision(model, text, ctx);
    // The rules and the model agree: the rule's verdict, named, at its confidence.
    if (rule && rule.intent === decision.topic) return fromRule(rule);
    if (deps.client) return await askClaude(deps.client, text, ctx);
    if (decision.topic === OTHER_INTENT) return fallback();
    // A model guess: never above GUESS_CONFIDENCE, so a human reviews it (and every overruled rule).
    return { intent: decision.topic, confidence: Math.round(Math.min(decision.probability, GUESS_CONFIDENCE) * 100) / 100, source: 'model' };
  }

  async function classify(text: string, ctx: ClassifyContext): Promise<IntentPrediction> {
    try {
      if (deps.topicModel) return await classifyWithModel(deps.topicModel, text, ctx);
      const rule = matchRules(text);
      if (rule) return fromRule(rule);
      if (text.trim() === '' || isSmallTalk(text)) return fallback();
      if (!deps.client) {
        const guess = deps.guessTopic ? await deps.guessTopic(text) : null;
        return guess ? { intent: guess, confidence: GUESS_CONFIDENCE, source: 'fallback' } : fallback();
      }
      return await askClaude(deps.client, text, ctx);
    } catch (err) {
      // Only a bug of ours gets here (askClaude catches the API's failures): still never the caller's problem.
      logger.error({ err, sessionId: ctx.sessionId, testerId: ctx.testerId }, 'intent classification crashed; using the fallback');
      return fallback();
    }
  }

  return { classify };
}
