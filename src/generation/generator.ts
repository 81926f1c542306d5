/**
 * US-TRAIN-003: generates one planned conversation with Claude (structured output), validates it with
 * the seed schema, and writes it with the seed import's write path in one transaction.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, APIUserAbortError, RateLimitError } from '@anthropic-ai/sdk';
import type { Kysely, Transaction } from 'kysely';
import type { ConversationTemplate, Database, TrainingConversation } from '../../db';
import { type CallLog, type CallRequest, callRequestOf, isApiError, type LlmUsage, type Pricing, structuredOutputOf, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { formatPath } from './errors';
import { GENERATABLE_STATUSES } from './plan/plan-filter';
import { buildGenerationPrompt, fromWireFormat, GENERATED_CONVERSATION_SCHEMA, UnfilledPlaceholderError } from './generation-prompt';
import { GenerationError } from './generation-error';
import { storeGenerated } from './generator-store';
import { type SeedFile, seedFileSchema } from './plan/seed-schema';

export interface GeneratorDeps {
  db: Kysely<Database>;
  /** Null: offline, every call fails with kind 'offline'. */
  client: Anthropic | null;
  model: string;
  /** Default 8000. */
  maxTokens?: number;
  callLog: CallLog;
  logger: Logger;
  /** Claude calls per conversation, the first included; default 2. */
  maxValidationAttempts?: number;
  /** Used to report costUsd in the result; null/absent: costUsd is null. */
  pricing?: Pricing | null;
}

export { GenerationError, type GenerationErrorKind } from './generation-error';
export { setBackToPlanned, storeGenerated } from './generator-store';

export interface GenerationResult {
  /** training_conversations.id (uuid). */
  conversationId: string;
  /** The human key, e.g. fp_marcus_011. */
  conversationKey: string;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  durationMs: number;
  validationAttempts: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  jobId?: string;
}

const DEFAULT_MAX_TOKENS = 8000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Error lists fed back to the model and stored in the call log stay readable.
const MAX_ISSUES = 20;

const textOf = (content: readonly Anthropic.ContentBlock[]): string =>
  content.map((b) => (b.type === 'text' ? b.text : '')).join('');

/** The wait the API asked for: `retry-after-ms`, else `retry-after` (seconds or an HTTP date). */
export function retryAfterMsOf(err: APIError): number | null {
  const headers = err.headers;
  if (!headers) return null;
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers.get('retry-after');
  if (raw === null) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** Maps an SDK failure (after its own retries) to the runner's kinds. */
function apiFailure(err: APIError, key: string): GenerationError {
  const retryAfterMs = retryAfterMsOf(err);
  if (err instanceof RateLimitError || err.status === 429) {
    return new GenerationError('rate_limited', `${key}: rate limited by the Claude API`, retryAfterMs, { cause: err });
  }
  if (err.status === 529) return new GenerationError('overloaded', `${key}: the Claude API is overloaded`, retryAfterMs, { cause: err });
  return new GenerationError('unavailable', `${key}: Claude API call failed: ${err.message}`, retryAfterMs, { cause: err });
}

/** Validates the model's text as one annotated conversation matching the plan; returns the errors, if any. */
export function validateGenerated(text: string, planned: TrainingConversation): { seed: SeedFile | null; errors: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { seed: null, errors: [`not valid JSON (${err instanceof Error ? err.message : String(err)})`] };
  }
  const wire = fromWireFormat(json);
  if (wire.errors.length) return { seed: null, errors: wire.errors.slice(0, MAX_ISSUES) };
  const parsed = seedFileSchema.safeParse(wire.value);
  if (!parsed.success) {
    return { seed: null, errors: parsed.error.issues.slice(0, MAX_ISSUES).map((i) => `${formatPath(i.path)}: ${i.message}`) };
  }
  const seed = parsed.data;
  const errors: string[] = [];
  seed.training_pairs.forEach((pair, i) => {
    if (pair.conversation_id !== planned.conversation_id) {
      errors.push(`training_pairs[${i}].conversation_id: expected "${planned.conversation_id}", found "${pair.conversation_id}"`);
    }
    if (pair.conversation_metadata.conversation_number !== planned.conversation_number) {
      errors.push(`training_pairs[${i}].conversation_metadata.conversation_number: expected ${planned.conversation_number}, found ${pair.conversation_metadata.conversation_number}`);
    }
  });
  if (seed.training_pairs.length !== planned.turn_count) {
    errors.push(`training_pairs: the plan asks for exactly ${planned.turn_count} turns, the answer has ${seed.training_pairs.length}`);
  }
  return { seed: errors.length ? null : seed, errors: errors.slice(0, MAX_ISSUES) };
}

async function setStatusBack(deps: GeneratorDeps, id: string, logger: Logger): Promise<void> {
  try {
    await deps.db.updateTable('training_conversations').set({ generation_status: 'planned', updated_at: new Date() })
      .where('id', '=', id).where('generation_status', '=', 'in_progress').execute();
  } catch (err) {
    // The runner's lease brings the conversation back; the original failure is what the caller needs.
    logger.error({ err, conversationId: id }, 'could not set the conversation back to planned');
  }
}

/** A planned conversation ready to be sent: its row, its template and the filled prompt. */
export interface PreparedGeneration {
  planned: TrainingConversation;
  template: ConversationTemplate;
  prompt: string;
  /** The human key, e.g. fp_marcus_011. */
  key: string;
}

/**
 * Loads planned conversation CONVERSATION_UUID and fills its template's prompt. Checks only; writes nothing.
 * @throws GenerationError 'not_found' or 'not_generatable'.
 */
export async function prepareGeneration(db: Kysely<Database> | Transaction<Database>, conversationUuid: string): Promise<PreparedGeneration> {
  if (!UUID.test(conversationUuid)) throw new GenerationError('not_found', `no conversation ${conversationUuid}`);
  const planned = await db.selectFrom('training_conversations').selectAll().where('id', '=', conversationUuid).executeTakeFirst();
  if (!planned) throw new GenerationError('not_found', `no conversation ${conversationUuid}`);
  const key = planned.conversation_id;
  const status = planned.generation_status ?? 'planned';
  if (!GENERATABLE_STATUSES.includes(status)) throw new GenerationError('not_generatable', `${key} is ${status}; only planned conversations are generated`);
  if (!planned.tier_template) throw new GenerationError('not_generatable', `${key} names no template (tier_template)`);
  const template = await db.selectFrom('conversation_templates').selectAll().where('template_id', '=', planned.tier_template).executeTakeFirst();
  if (!template) throw new GenerationError('not_generatable', `${key}: template ${planned.tier_template} does not exist`);
  try {
    return { planned, template, prompt: buildGenerationPrompt(template, planned), key };
  } catch (err) {
    if (err instanceof UnfilledPlaceholderError) throw new GenerationError('not_generatable', `${key}: ${err.message}`, null, { cause: err });
    throw err;
  }
}

/** The Messages request for a generation: the prompt, and after a rejected answer the answer and its errors. */
export function generationRequest(
  model: string,
  maxTokens: number | undefined,
  prompt: string,
  retry: { answer: string; errors: string[] } | null = null,
): Anthropic.MessageCreateParamsNonStreaming {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
  if (retry) messages.push(...feedbackMessages(retry.answer, retry.errors));
  // No temperature: the SDK's anthropic-version rejects it.
  return {
    model,
    max_tokens: maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
    output_config: { format: { type: 'json_schema', schema: GENERATED_CONVERSATION_SCHEMA } },
  };
}

function feedbackMessages(answer: string, errors: string[]): Anthropic.MessageParam[] {
  return [
    { role: 'assistant', content: answer.trim() === '' ? '(empty answer)' : answer },
    { role: 'user', content: `Your JSON failed validation: ${errors.join('; ')}. Return the corrected JSON only.` },
  ];
}

/** Checks an answer: its text, validated against the plan, with a note when max_tokens cut it off. */
export function checkAnswer(message: Anthropic.Message, planned: TrainingConversation): { text: string; seed: SeedFile | null; errors: string[] } {
  const text = textOf(message.content);
  const checked = validateGenerated(text, planned);
  if (checked.errors.length && message.stop_reason === 'max_tokens') checked.errors.unshift('the answer was cut off at max_tokens');
  return { text, ...checked };
}

/** One Messages call; a failure is logged (purpose 'generation') and mapped to the runner's kinds. */
async function callClaude(
  deps: GeneratorDeps,
  client: Anthropic,
  request: Anthropic.MessageCreateParamsNonStreaming,
  ctx: { signal: AbortSignal | undefined; key: string; meta: Record<string, string | number | null>; started: number; sent: CallRequest },
): Promise<{ data: Anthropic.Message; requestId: string | null }> {
  try {
    const res = await client.messages.create(request, { signal: ctx.signal }).withResponse();
    return { data: res.data, requestId: res.request_id ?? null };
  } catch (err) {
    const apiErr = isApiError(err) ? err : null;
    await deps.callLog.record({
      purpose: 'generation', model: deps.model, usage: ZERO_LLM_USAGE,
      latencyMs: Math.round(performance.now() - ctx.started), status: 'error',
      error: err instanceof Error ? err.message : String(err), requestId: apiErr?.requestID ?? null, metadata: ctx.meta,
      io: { request: ctx.sent, output: null },
    });
    if (apiErr && !(apiErr instanceof APIUserAbortError)) throw apiFailure(apiErr, ctx.key);
    throw err;
  }
}

function addUsage(total: LlmUsage, call: LlmUsage): void {
  total.inputTokens += call.inputTokens;
  total.outputTokens += call.outputTokens;
  total.cacheReadTokens += call.cacheReadTokens;
  total.cacheWriteTokens += call.cacheWriteTokens;
}

/**
 * Generates the planned conversation CONVERSATION_UUID (training_conversations.id) with Claude and stores
 * it, status 'generated', in one transaction. Throws {@link GenerationError}; on any failure after the
 * status was set to 'in_progress' it is set back to 'planned' and nothing else is written. An abort via
 * `options.signal` rethrows the SDK's APIUserAbortError (status likewise back to 'planned').
 */
export async function generateConversation(deps: GeneratorDeps, conversationUuid: string, options: GenerateOptions = {}): Promise<GenerationResult> {
  const started = performance.now();
  const client = deps.client;
  if (!client) throw new GenerationError('offline', 'Claude is not configured (offline mode): nothing can be generated');
  const { planned, template, prompt, key } = await prepareGeneration(deps.db, conversationUuid);
  const logger = deps.logger.child({ component: 'generator', conversationId: conversationUuid, jobId: options.jobId ?? null });

  const claimed = await deps.db.transaction().execute((trx) => trx.updateTable('training_conversations')
    .set({ generation_status: 'in_progress', updated_at: new Date() })
    .where('id', '=', conversationUuid).where('generation_status', 'in', [...GENERATABLE_STATUSES])
    .executeTakeFirst());
  if (Number(claimed.numUpdatedRows) !== 1) throw new GenerationError('not_generatable', `${key} changed status while being prepared`);

  const maxAttempts = Math.max(1, deps.maxValidationAttempts ?? 2);
  const request = generationRequest(deps.model, deps.maxTokens, prompt);
  const usage: LlmUsage = { ...ZERO_LLM_USAGE };
  let costUsd: number | null = deps.pricing ? 0 : null;
  let seed: SeedFile | null = null;
  let attempt = 0;
  let lastErrors: string[] = [];
  try {
    while (!seed && attempt < maxAttempts) {
      attempt += 1;
      const callStarted = performance.now();
      const meta = { conversation_key: key, conversation_id: conversationUuid, attempt, job_id: options.jobId ?? null, template_id: template.template_id };
      // Copied now: a rejected answer appends its feedback to `request` for the next attempt.
      const sent = callRequestOf(request);
      const { data, requestId } = await callClaude(deps, client, request, { signal: options.signal, key, meta, started: callStarted, sent });
      const callUsage = usageFromApi(data.usage);
      addUsage(usage, callUsage);
      if (costUsd !== null) {
        const cost = deps.pricing?.costOf(data.model, callUsage, new Date()) ?? null;
        costUsd = cost ? costUsd + cost.costUsd : null;
      }
      const checked = checkAnswer(data, planned);
      seed = checked.seed;
      lastErrors = checked.errors;
      await deps.callLog.record({
        purpose: 'generation', model: data.model, usage: callUsage, latencyMs: Math.round(performance.now() - callStarted),
        stopReason: data.stop_reason ?? null, status: 'ok', requestId,
        metadata: { ...meta, valid: seed !== null, ...(seed ? {} : { validation_errors: lastErrors }) },
        io: { request: sent, output: structuredOutputOf(checked.text) },
      });
      if (!seed) {
        logger.warn({ attempt, errors: lastErrors }, 'generated conversation failed validation');
        request.messages.push(...feedbackMessages(checked.text, lastErrors));
      }
    }
    if (!seed) {
      throw new GenerationError('invalid_output', `${key}: the answer failed validation ${attempt} time(s): ${lastErrors.join('; ')}`);
    }

    const valid = seed;
    const durationSeconds = Math.round((performance.now() - started) / 1000);
    const written = await deps.db.transaction().execute((trx) => storeGenerated(trx, planned, valid, { durationSeconds, costUsd, method: 'claude_api' }));
    const result: GenerationResult = {
      conversationId: conversationUuid, conversationKey: key, turns: written.turns,
      inputTokens: usage.inputTokens, outputTokens: usage.outputTokens,
      costUsd: costUsd === null ? null : Math.round(costUsd * 1e6) / 1e6,
      durationMs: Math.round(performance.now() - started), validationAttempts: attempt,
    };
    logger.info({ ...result, quality: written.quality }, 'conversation generated');
    return result;
  } catch (err) {
    await setStatusBack(deps, conversationUuid, logger);
    throw err;
  }
}
