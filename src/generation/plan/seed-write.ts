/**
 * Writing one validated seed conversation inside a transaction: its training_conversations row (or the
 * planned row it fills), turns, emotional context, response strategies, one response_breakdowns row per
 * sentence, and its quality metrics. Used by the seed import and by generation (storeGenerated).
 */
import type { Transaction } from 'kysely';
import { type Database, toJsonb, type TrainingConversationUpdate } from '../../../db';
import { SeedImportError } from '../errors';
import { computeQuality, type ConversationQuality, countWords } from './quality';
import type { SeedFile, TrainingPair } from './seed-schema';

type Trx = Transaction<Database>;

/** One conversation of a seed file: its conversation_id and its pairs (with their index in the file), at least one. */
export interface SeedConversationGroup {
  id: string;
  pairs: [SeedPairAt, ...SeedPairAt[]];
}
type SeedPairAt = { pair: TrainingPair; index: number };

/** Groups a file's pairs by conversation, each group's pairs in turn order. */
export function groupByConversation(file: SeedFile): SeedConversationGroup[] {
  const groups = new Map<string, SeedConversationGroup>();
  file.training_pairs.forEach((pair, index) => {
    const g = groups.get(pair.conversation_id);
    if (g) g.pairs.push({ pair, index });
    else groups.set(pair.conversation_id, { id: pair.conversation_id, pairs: [{ pair, index }] });
  });
  for (const g of groups.values()) g.pairs.sort((a, b) => a.pair.turn_number - b.pair.turn_number);
  return [...groups.values()];
}

/** Runs one write, naming the JSON path it came from if the database refuses it. */
export async function at<T>(file: string, path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new SeedImportError(file, path, err);
  }
}

/** Columns a caller sets on the conversation row instead of the seed defaults (e.g. a generated conversation's status). */
export type ConversationRowOverrides = Omit<TrainingConversationUpdate, 'id' | 'conversation_id' | 'updated_at'>;

/**
 * Writes one validated conversation (row, turns, annotations, quality metrics) inside TRX. FILE names
 * the source in errors. With FILL_ID the existing (planned) row is updated instead of inserting one.
 */
export async function writeConversation(
  trx: Trx, file: string, seed: SeedFile, group: SeedConversationGroup, fillId: string | null, overrides: ConversationRowOverrides = {},
): Promise<{ conversationUuid: string; turns: number; sentences: number; quality: ConversationQuality }> {
  const pairs = group.pairs.map((p) => p.pair);
  const first = group.pairs[0];
  const q = computeQuality(pairs);
  const row = conversationRow(seed, group.id, first.pair, pairs, q, overrides);
  const metaPath = `training_pairs[${first.index}].conversation_metadata`;
  const conversationUuid = await at(file, metaPath, async () => {
    if (fillId) {
      // The planned row keeps its plan template when the seed does not name one.
      const { tier_template: tierTemplate, ...rest } = row;
      await trx.updateTable('training_conversations')
        .set({ ...rest, ...(tierTemplate ? { tier_template: tierTemplate } : {}), updated_at: new Date() })
        .where('id', '=', fillId).execute();
      return fillId;
    }
    const inserted = await trx.insertInto('training_conversations').values(row).returning('id').executeTakeFirstOrThrow();
    return inserted.id;
  });

  let sentences = 0;
  for (const { pair, index } of group.pairs) {
    await writeTurn(trx, file, `training_pairs[${index}]`, pair, conversationUuid);
    sentences += pair.response_breakdown.sentences.length;
  }

  const { domain_specific_score: _domain, ...metrics } = q;
  await at(file, metaPath, () => trx.insertInto('quality_metrics').values({
    ...metrics,
    // Ready for training only when complete, scored and approved.
    ready_for_training: metrics.ready_for_training && row.generation_status === 'approved',
    conversation_id: conversationUuid,
    reviewer_approved: row.human_reviewed ?? null,
    review_date: row.review_date ?? null,
  }).execute());
  return { conversationUuid, turns: pairs.length, sentences, quality: q };
}

/** The training_conversations row of a seed conversation (with the caller's overrides). */
function conversationRow(seed: SeedFile, conversationId: string, firstPair: TrainingPair, pairs: TrainingPair[], q: ConversationQuality, overrides: ConversationRowOverrides) {
  const meta = firstPair.conversation_metadata;
  const reviewDates = pairs.map((p) => p.training_metadata.review_date).filter((d): d is string => Boolean(d)).sort();
  const reviewers = [...new Set(pairs.map((p) => p.training_metadata.reviewed_by).filter((r): r is string => Boolean(r)))];
  const variations = pairs.map((p) => p.training_metadata.generate_variations_count ?? 0);
  return {
    conversation_id: conversationId,
    conversation_number: meta.conversation_number,
    persona_type: meta.persona_type,
    persona_name: meta.persona_name,
    persona_description: meta.client_background ?? null,
    topic_category: meta.topic_category,
    topic_description: meta.topic_description ?? null,
    tier: meta.tier,
    tier_template: meta.tier_template ?? null,
    tier_batch: meta.tier_batch ?? null,
    starting_emotion: meta.starting_emotion,
    starting_emotion_intensity: meta.starting_emotion_intensity,
    ending_emotion: meta.ending_emotion,
    ending_emotion_intensity: meta.ending_emotion_intensity,
    emotional_arc_description: meta.emotional_arc_description ?? null,
    turn_count: pairs.length,
    total_sentences: q.total_sentences,
    total_word_count: q.total_word_count,
    session_context: meta.session_context ?? null,
    conversation_phase: meta.conversation_phase ?? null,
    expected_outcome: meta.expected_outcome ?? null,
    quality_score: q.overall_quality_score,
    empathy_score: q.empathy_score,
    clarity_score: q.clarity_score,
    appropriateness_score: q.appropriateness_score,
    brand_voice_score: q.brand_voice_alignment,
    domain_specific_score: q.domain_specific_score,
    generation_status: 'approved' as const,
    generation_method: 'manual',
    generation_date: new Date(`${seed.dataset_metadata.created_date}T00:00:00Z`),
    is_seed_example: true,
    use_for_variations: pairs.some((p) => p.training_metadata.use_as_seed_example),
    variation_count_target: Math.max(...variations) || null,
    human_reviewed: pairs.every((p) => p.training_metadata.human_reviewed),
    reviewer_notes: reviewers.length ? `Seed annotation reviewed by ${reviewers.join(', ')}` : null,
    review_date: reviewDates.length ? new Date(`${reviewDates[reviewDates.length - 1]}T00:00:00Z`) : null,
    ...overrides,
  };
}

/** One pair: the training_turns row and its annotations (emotional context, strategy, sentence breakdowns). */
async function writeTurn(trx: Trx, file: string, path: string, pair: TrainingPair, conversationUuid: string): Promise<void> {
  const turn = await at(file, path, () => trx.insertInto('training_turns').values({
    turn_id: pair.id,
    conversation_id: conversationUuid,
    turn_number: pair.turn_number,
    system_prompt: pair.system_prompt,
    user_input: pair.current_user_input,
    user_intent: pair.user_intent ?? null,
    target_response: pair.target_response,
    target_response_word_count: countWords(pair.target_response),
    target_response_sentence_count: pair.response_breakdown.sentences.length,
    response_structure_type: pair.response_breakdown.structure_type ?? null,
    positive_indicators: toJsonb(pair.expected_user_response_patterns.positive_indicators),
    neutral_indicators: toJsonb(pair.expected_user_response_patterns.neutral_indicators),
    negative_indicators: toJsonb(pair.expected_user_response_patterns.negative_indicators),
    difficulty_level: pair.training_metadata.difficulty_level,
    key_learning_objective: pair.training_metadata.key_learning_objective,
    demonstrates_skills: toJsonb(pair.training_metadata.demonstrates_skills),
    emotional_progression_target: pair.training_metadata.emotional_progression_target ?? null,
    conversation_history: toJsonb(pair.conversation_history),
  }).returning('id').executeTakeFirstOrThrow());

  await writeEmotionalContext(trx, file, path, pair, turn.id);
  await writeStrategy(trx, file, path, pair, turn.id);
  await at(file, `${path}.response_breakdown.sentences`, () => trx.insertInto('response_breakdowns').values(
    pair.response_breakdown.sentences.map((b) => ({
      turn_id: turn.id,
      sentence_number: b.sentence_number,
      sentence_text: b.text,
      function: b.function,
      emotional_purpose: b.emotional_purpose,
      technique: b.technique,
      teaches_model: b.teaches_model,
      word_choice_rationale: b.word_choice_rationale,
      psychological_principle: b.psychological_principle ?? null,
      stylistic_note: b.stylistic_note ?? null,
    })),
  ).execute());
}

async function writeEmotionalContext(trx: Trx, file: string, path: string, pair: TrainingPair, turnId: string): Promise<void> {
  const e = pair.emotional_context;
  const d = e.detected_emotions;
  const ind = e.emotional_indicators;
  await at(file, `${path}.emotional_context`, () => trx.insertInto('emotional_context').values({
    turn_id: turnId,
    primary_emotion: d.primary,
    primary_confidence: d.primary_confidence,
    secondary_emotion: d.secondary ?? null,
    secondary_confidence: d.secondary_confidence ?? null,
    tertiary_emotion: d.tertiary ?? null,
    tertiary_confidence: d.tertiary_confidence ?? null,
    intensity: d.intensity,
    valence: d.valence,
    explicit_emotion_words: toJsonb(ind.explicit_emotion_words),
    uncertainty_language: toJsonb(ind.uncertainty_language),
    self_deprecation: toJsonb(ind.self_deprecation),
    time_pressure: toJsonb(ind.time_pressure),
    social_comparison: toJsonb(ind.social_comparison),
    decision_paralysis: toJsonb(ind.decision_paralysis),
    vulnerability: toJsonb(ind.vulnerability),
    enthusiasm: toJsonb(ind.enthusiasm),
    previous_turn_emotion: e.emotional_progression?.previous_turn_emotion ?? null,
    current_turn_emotion: e.emotional_progression?.current_turn_emotion ?? null,
    progression_description: e.emotional_progression?.progression_description ?? null,
    intensity_change: e.emotional_progression?.intensity_change ?? null,
    risk_level: e.behavioral_assessment.risk_level,
    engagement_readiness: e.behavioral_assessment.engagement_readiness,
    knowledge_level: e.behavioral_assessment.knowledge_level,
    trust_level: e.behavioral_assessment.trust_level,
    client_needs: toJsonb(e.client_needs_hierarchy),
    red_flags: toJsonb(e.red_flags),
  }).execute());
}

async function writeStrategy(trx: Trx, file: string, path: string, pair: TrainingPair, turnId: string): Promise<void> {
  const s = pair.response_strategy;
  await at(file, `${path}.response_strategy`, () => trx.insertInto('response_strategies').values({
    turn_id: turnId,
    primary_strategy: s.primary_strategy,
    primary_rationale: s.primary_rationale,
    secondary_strategies: toJsonb(s.secondary_strategies),
    tone_selection: s.tone_selection,
    tone_rationale: s.tone_rationale ?? null,
    pacing: s.pacing,
    tactical_choices: s.tactical_choices,
    avoid_tactics: toJsonb(s.avoid_tactics),
    specific_techniques: toJsonb(s.specific_techniques),
  }).execute());
}

