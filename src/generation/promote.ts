/**
 * `/promote`: a tuning session becomes a training conversation. Each tuning turn is a training turn
 * (the tester's message is the user input, ERA's reply the target response). Where the tester left an
 * improvement note, Claude rewrites the reply to satisfy it and the rewrite becomes the target response.
 *
 * Where things go (the training schema has no column for them, so):
 * - A noted turn's notes and, when rewritten, ERA's original reply are kept in the turn's
 *   key_learning_objective ("Tester notes: … Original ERA reply: …"); conversation_history holds only
 *   the previous turns (with their final target responses), as the seed format means it.
 * - The annotation rows (emotional context, strategy, one breakdown row per sentence) are placeholders
 *   marked "[to be annotated]"; the quality_metrics row has placeholder scores of 1.0, ready_for_training
 *   false and needs_review true, and the conversation's score columns stay NULL (unscored).
 * - conversation_number must be 1-100 (CHECK valid_conversation_number); the lowest number no
 *   conversation uses is taken, and when all 100 are used the promotion fails with kind 'no_free_number'.
 * - turn_number must be 1-6 (CHECK valid_turn_number): a longer session fails with 'too_many_turns'.
 * - A rewrite that fails (API error) or offline mode keeps ERA's reply and flags the conversation for
 *   review in reviewer_notes (training_conversations and quality_metrics).
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { type Database, type Improvement, type JsonValue, toJsonb, type Turn } from '../../db';
import { type CallLog, callRequestOf, textOfContent, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { AppError } from '../errors';
import { LOOKS_GOOD_NOTE, SessionNotFoundError, UUID_PATTERN } from '../tuning';
import { countWords } from './plan/quality';

export interface PromoteDeps {
  db: Kysely<Database>;
  /** Null: offline; noted replies are kept and the conversation is flagged for review. */
  client: Anthropic | null;
  model: string;
  callLog: CallLog;
  logger: Logger;
  /** Default 2000. */
  maxTokens?: number;
}

export interface PromoteOptions {
  /** The promoting tester's id; must be the session's tester_id unless isAdmin. */
  promotedBy: string;
  isAdmin?: boolean;
}

export interface PromoteResult {
  /** training_conversations.id. */
  conversationUuid: string;
  /** The human key, e.g. "tuning_1a2b3c4d". */
  conversationKey: string;
  conversationNumber: number;
  turns: number;
  /** Turns whose target response is Claude's rewrite. */
  rewritten: number;
  /** True when a noted turn kept ERA's reply (offline or a failed rewrite). */
  flaggedForReview: boolean;
}

export type PromoteErrorKind = 'empty_session' | 'no_free_number' | 'too_many_turns';

/** A session that cannot be promoted; the bot's one error mapper shows userMessage. */
export class PromoteError extends AppError {
  constructor(
    readonly kind: PromoteErrorKind,
    readonly userMessage: string,
  ) {
    super(`cannot promote: ${kind}: ${userMessage}`);
  }
}

/** The training schema's limits (CHECK valid_turn_number, valid_conversation_number). */
export const MAX_PROMOTED_TURNS = 6;
const MAX_CONVERSATION_NUMBER = 100;
const PLACEHOLDER = '[to be annotated]';
const DEFAULT_MAX_TOKENS = 2000;

/** A note asking for a change: a category, or any text other than "looks good" / a bare thumbs up. */
export function isActionableNote(note: Pick<Improvement, 'category' | 'improvement_note'>): boolean {
  if (note.category) return true;
  const text = note.improvement_note.trim();
  return text !== LOOKS_GOOD_NOTE && !/^thumbs up\b/i.test(text);
}

/** The sentences of a reply, each a substring of it (what response_breakdowns needs). */
export function splitSentences(text: string): string[] {
  return text.trim().split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
}

const noteLine = (n: Pick<Improvement, 'category' | 'improvement_note'>) => (n.category ? `[${n.category}] ` : '') + n.improvement_note;

function rewritePrompt(question: string, reply: string, notes: string[]): string {
  return [
    'A tester reviewed an assistant\'s reply and left notes. Rewrite the reply so that it satisfies every note, keeping what the notes do not ask to change.',
    `<question>\n${question}\n</question>`,
    `<reply>\n${reply}\n</reply>`,
    `<notes>\n${notes.map((n) => `- ${n}`).join('\n')}\n</notes>`,
    'Return only the rewritten reply: no preamble, no commentary, no tags.',
  ].join('\n\n');
}

/** Claude's rewrite, or null (logged) when the call failed. Every call is recorded with purpose 'rewrite'. */
async function rewrite(
  deps: PromoteDeps, client: Anthropic, ids: { sessionId: string; turnId: string; testerId: string; promptVersion: string | null },
  question: string, reply: string, notes: string[],
): Promise<string | null> {
  const started = performance.now();
  const base = { purpose: 'rewrite' as const, sessionId: ids.sessionId, turnId: ids.turnId, testerId: ids.testerId, promptVersion: ids.promptVersion };
  const body = {
    model: deps.model,
    max_tokens: deps.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: [{ role: 'user' as const, content: rewritePrompt(question, reply, notes) }],
  };
  const request = callRequestOf(body);
  try {
    const res = await client.messages.create(body).withResponse();
    const raw = textOfContent(res.data.content);
    const text = raw.trim();
    await deps.callLog.record({
      ...base, model: res.data.model, usage: usageFromApi(res.data.usage), latencyMs: Math.round(performance.now() - started),
      stopReason: res.data.stop_reason ?? null, status: 'ok', requestId: res.request_id ?? null, metadata: { notes: notes.length, empty: text === '' },
      io: { request, output: { text: raw } },
    });
    return text === '' ? null : text;
  } catch (err) {
    await deps.callLog.record({
      ...base, model: deps.model, usage: ZERO_LLM_USAGE, latencyMs: Math.round(performance.now() - started), status: 'error',
      error: err instanceof Error ? err.message : String(err), io: { request, output: null },
    });
    deps.logger.warn({ err, sessionId: ids.sessionId, turnId: ids.turnId }, 'rewrite failed; the original reply is kept');
    return null;
  }
}

type PromotedSession = Selectable<Database['prompt_tuning_sessions']>;
interface PlannedTurn {
  turn: Turn;
  target: string;
  objective: string;
}

/** The tester's session and its turns and notes; refuses a missing, foreign, empty or too long one. */
async function loadSession(deps: PromoteDeps, sessionId: string, options: PromoteOptions) {
  if (!UUID_PATTERN.test(sessionId)) throw new SessionNotFoundError(sessionId.slice(0, 60));
  const session = await deps.db.selectFrom('prompt_tuning_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
  if (!session || (!options.isAdmin && session.tester_id !== options.promotedBy)) throw new SessionNotFoundError(sessionId.slice(0, 8));
  const short = sessionId.slice(0, 8);
  const turns = await deps.db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', sessionId).orderBy('turn_number').execute();
  if (turns.length === 0) throw new PromoteError('empty_session', `Session ${short} has no turns yet, so there is nothing to promote.`);
  if (turns.length > MAX_PROMOTED_TURNS) {
    throw new PromoteError('too_many_turns', `Session ${short} has ${String(turns.length)} turns; a training conversation holds at most ${String(MAX_PROMOTED_TURNS)}.`);
  }
  const notes = await deps.db.selectFrom('tuning_improvements').selectAll().where('turn_id', 'in', turns.map((t) => t.id))
    .orderBy('timestamp').orderBy('id').execute();
  return { session, short, turns, notes };
}

/** The system prompt the session recorded, or a placeholder naming its version. */
function systemPromptOf(session: PromotedSession): string {
  const meta: Record<string, JsonValue> = session.metadata ?? {};
  const recorded = [meta.system_prompt, meta.prompt_text].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const promptPath = typeof meta.prompt_path === 'string' ? ` (${meta.prompt_path})` : '';
  return recorded ?? `[ERA system prompt, version ${session.master_prompt_version ?? 'unknown'}${promptPath}: its text was not recorded with the session]`;
}

/** Each turn's target reply: Claude's rewrite where the tester left notes (kept as is when that fails). */
async function planTurns(deps: PromoteDeps, loaded: Awaited<ReturnType<typeof loadSession>>, promotedBy: string) {
  const { session, short, turns, notes } = loaded;
  // The Claude calls happen before the transaction: no connection is held while waiting on the API.
  let rewritten = 0;
  let kept = 0;
  const planned: PlannedTurn[] = [];
  for (const turn of turns) {
    const own = notes.filter((n) => n.turn_id === turn.id && isActionableNote(n)).map(noteLine);
    let target = turn.era_response;
    let objective = `Promoted from tuning session ${short}, turn ${String(turn.turn_number)}; no change requested. ${PLACEHOLDER}`;
    if (own.length) {
      const text = deps.client
        ? await rewrite(deps, deps.client, { sessionId: session.id, turnId: turn.id, testerId: promotedBy, promptVersion: session.master_prompt_version },
          turn.user_message, turn.era_response, own)
        : null;
      if (text) {
        rewritten += 1;
        target = text;
        objective = `Tester notes: ${own.join(' | ')}\nOriginal ERA reply (rewritten by Claude to satisfy the notes): ${turn.era_response}`;
      } else {
        kept += 1;
        objective = `Tester notes (NOT applied, ERA's reply kept; rewrite by hand): ${own.join(' | ')}`;
      }
    }
    planned.push({ turn, target, objective });
  }
  return { planned, rewritten, kept };
}

/** The lowest free conversation number and a free key for the promoted conversation. */
async function freeSlot(trx: Transaction<Database>, short: string): Promise<{ number: number; key: string }> {
  const used = await trx.selectFrom('training_conversations').select(['conversation_number', 'conversation_id']).execute();
  const numbers = new Set(used.map((r) => r.conversation_number));
  let number = 1;
  while (numbers.has(number)) number += 1;
  if (number > MAX_CONVERSATION_NUMBER) {
    throw new PromoteError('no_free_number', `The dataset has no free conversation number: all ${String(MAX_CONVERSATION_NUMBER)} are taken, so session ${short} cannot be promoted.`);
  }
  const keys = new Set(used.map((r) => r.conversation_id));
  let key = `tuning_${short.toLowerCase()}`;
  for (let n = 2; keys.has(key); n += 1) key = `tuning_${short.toLowerCase()}_${String(n)}`;
  return { number, key };
}

/** The turns with placeholder annotations, each with the conversation so far as its history. */
async function insertTurns(trx: Transaction<Database>, conversationUuid: string, key: string, systemPrompt: string, planned: PlannedTurn[]): Promise<void> {
  const history: { turn: number; role: 'user' | 'assistant'; content: string }[] = [];
  for (const [i, p] of planned.entries()) {
    const sentences = splitSentences(p.target);
    const turn = await trx.insertInto('training_turns').values({
      turn_id: `${key}_turn${String(i + 1)}`, conversation_id: conversationUuid, turn_number: i + 1,
      system_prompt: systemPrompt, user_input: p.turn.user_message, user_intent: null, target_response: p.target,
      target_response_word_count: countWords(p.target), target_response_sentence_count: sentences.length,
      response_structure_type: null, positive_indicators: toJsonb([]), neutral_indicators: toJsonb([]), negative_indicators: toJsonb([]),
      difficulty_level: null, key_learning_objective: p.objective, demonstrates_skills: toJsonb([]), emotional_progression_target: null,
      conversation_history: toJsonb<JsonValue[]>([...history]),
    }).returning('id').executeTakeFirstOrThrow();
    history.push({ turn: i + 1, role: 'user', content: p.turn.user_message }, { turn: i + 1, role: 'assistant', content: p.target });
    await trx.insertInto('emotional_context').values({
      turn_id: turn.id, primary_emotion: 'unannotated', primary_confidence: 0, intensity: 0, valence: 'mixed',
      client_needs: toJsonb([{ priority: 1, need: PLACEHOLDER, rationale: PLACEHOLDER }]), red_flags: toJsonb([]),
    }).execute();
    await trx.insertInto('response_strategies').values({
      turn_id: turn.id, primary_strategy: PLACEHOLDER, primary_rationale: PLACEHOLDER, secondary_strategies: toJsonb([]),
      tone_selection: PLACEHOLDER, pacing: 'moderate', tactical_choices: {}, avoid_tactics: toJsonb([]), specific_techniques: toJsonb([]),
    }).execute();
    if (sentences.length) {
      await trx.insertInto('response_breakdowns').values(sentences.map((text, j) => ({
        turn_id: turn.id, sentence_number: j + 1, sentence_text: text, function: PLACEHOLDER, emotional_purpose: PLACEHOLDER,
        technique: PLACEHOLDER, teaches_model: PLACEHOLDER, word_choice_rationale: {},
      }))).execute();
    }
  }
}

/** Placeholder quality metrics: nobody has scored the conversation yet, so it needs review. */
async function insertQuality(trx: Transaction<Database>, conversationUuid: string, planned: PlannedTurn[], reviewerNotes: string): Promise<void> {
  const sentenceCount = planned.reduce((n, p) => n + splitSentences(p.target).length, 0);
  const words = planned.reduce((n, p) => n + countWords(p.target), 0);
  await trx.insertInto('quality_metrics').values({
    conversation_id: conversationUuid, total_turns: planned.length, total_sentences: sentenceCount, total_word_count: words,
    average_words_per_sentence: sentenceCount ? Math.round((words / sentenceCount) * 10) / 10 : null,
    // Placeholders (the lowest score the CHECK allows): nobody has scored this conversation yet.
    overall_quality_score: 1, empathy_score: 1, clarity_score: 1, appropriateness_score: 1, brand_voice_alignment: 1,
    has_complete_emotional_context: false, has_emotional_progression: planned.length === 1, emotional_indicator_count: 0,
    has_primary_strategy: false, has_strategy_rationale: false, technique_count: 0,
    sentences_analyzed: sentenceCount, sentences_with_word_rationale: 0, word_choice_rationale_completeness: 0,
    all_required_fields_complete: false, ready_for_training: false, needs_review: true, reviewer_approved: false,
    reviewer_notes: reviewerNotes,
  }).execute();
}

/**
 * Promotes tuning session SESSION_ID (its full uuid) to a training conversation ('generated',
 * 'promoted_from_tuning', tier2_scenario, placeholder annotations, not ready for training), in one
 * transaction after the rewrite calls. Throws SessionNotFoundError for a missing session or another
 * tester's (unless isAdmin), and {@link PromoteError} for an empty or too long session or a full dataset.
 */
export async function promoteSession(deps: PromoteDeps, sessionId: string, options: PromoteOptions): Promise<PromoteResult> {
  const loaded = await loadSession(deps, sessionId, options);
  const { session, short } = loaded;
  const { planned, rewritten, kept } = await planTurns(deps, loaded, options.promotedBy);
  const flaggedForReview = kept > 0;
  const why = deps.client ? 'a rewrite failed' : 'Claude was offline';
  const reviewerNotes = [
    `Promoted from tuning session ${sessionId} by ${options.promotedBy}. Annotations are placeholders ${PLACEHOLDER}.`,
    ...(flaggedForReview ? [`Needs review: ${why}, so ${String(kept)} noted turn(s) kept ERA's original reply.`] : []),
  ].join(' ');

  return deps.db.transaction().execute(async (trx) => {
    const { number, key } = await freeSlot(trx, short);
    const conv = await trx.insertInto('training_conversations').values({
      conversation_id: key, conversation_number: number,
      persona_type: 'tuning_tester', persona_name: session.tester_name ?? 'Tuning tester',
      persona_description: `A manager's questions from tuning session ${sessionId} (prompt version ${session.master_prompt_version ?? 'unknown'}).`,
      topic_category: 'tuning_session', topic_description: null, tier: 'tier2_scenario', tier_template: null, tier_batch: null,
      starting_emotion: null, starting_emotion_intensity: null, ending_emotion: null, ending_emotion_intensity: null,
      emotional_arc_description: null, turn_count: planned.length,
      total_sentences: planned.reduce((n, p) => n + splitSentences(p.target).length, 0), total_word_count: planned.reduce((n, p) => n + countWords(p.target), 0),
      session_context: `Promoted from tuning session ${sessionId}`, conversation_phase: null, expected_outcome: null,
      generation_status: 'generated', generation_method: 'promoted_from_tuning', generation_date: new Date(),
      is_seed_example: false, use_for_variations: false, human_reviewed: false, reviewer_notes: reviewerNotes,
      created_by: UUID_PATTERN.test(options.promotedBy) ? options.promotedBy : null,
    }).returning('id').executeTakeFirstOrThrow();
    await insertTurns(trx, conv.id, key, systemPromptOf(session), planned);
    await insertQuality(trx, conv.id, planned, reviewerNotes);
    const result: PromoteResult = {
      conversationUuid: conv.id, conversationKey: key, conversationNumber: number, turns: planned.length, rewritten, flaggedForReview,
    };
    deps.logger.info({ ...result, sessionId }, 'tuning session promoted');
    return result;
  });
}
