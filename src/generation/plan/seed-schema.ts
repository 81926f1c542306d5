/**
 * The annotated seed-conversation file (US-TRAIN-007): `dataset_metadata` plus `training_pairs`,
 * one pair per turn, each with `emotional_context`, `response_strategy` and
 * `response_breakdown.sentences`. A file may hold several conversations; pairs are grouped by
 * `conversation_id`. Lengths mirror the VARCHAR columns so a value that would not fit fails here,
 * with its path, rather than half-way through an insert.
 */
import { z } from 'zod';
import { TIERS } from './plan-schema';

const unit = z.number().min(0).max(1);
const score = z.number().min(1).max(5);
const text = z.string().trim().min(1);
const phrases = z.array(text).default([]);

const emotionalContextSchema = z.object({
  detected_emotions: z.object({
    primary: text.max(50),
    primary_confidence: unit,
    secondary: text.max(50).nullish(),
    secondary_confidence: unit.nullish(),
    tertiary: text.max(50).nullish(),
    tertiary_confidence: unit.nullish(),
    intensity: unit,
    valence: z.enum(['positive', 'negative', 'mixed']),
  }),
  emotional_indicators: z.object({
    explicit_emotion_words: phrases,
    uncertainty_language: phrases,
    self_deprecation: phrases,
    time_pressure: phrases,
    social_comparison: phrases,
    decision_paralysis: phrases,
    vulnerability: phrases,
    enthusiasm: phrases,
  }),
  emotional_progression: z.object({
    previous_turn_emotion: text.max(50),
    current_turn_emotion: text.max(50),
    progression_description: text,
    intensity_change: z.number().min(-1).max(1),
  }).nullish(),
  behavioral_assessment: z.object({
    risk_level: text.max(100),
    engagement_readiness: text.max(100),
    knowledge_level: text.max(100),
    trust_level: text.max(100),
  }),
  client_needs_hierarchy: z.array(z.object({ priority: z.number().int().min(1), need: text, rationale: text })).min(1),
  red_flags: z.array(z.object({ flag: text, implication: text, handling: text })).default([]),
});

const responseStrategySchema = z.object({
  primary_strategy: text.max(100),
  primary_rationale: text,
  secondary_strategies: z.array(text).default([]),
  tone_selection: text.max(50),
  tone_rationale: text.nullish(),
  pacing: z.enum(['slow', 'moderate', 'fast']),
  tactical_choices: z.record(z.union([z.boolean(), z.string(), z.number()])),
  avoid_tactics: z.array(text).default([]),
  specific_techniques: z.array(z.object({ technique: text, application: text, purpose: text })).min(1),
});

const sentenceSchema = z.object({
  sentence_number: z.number().int().min(1),
  text,
  function: text.max(100),
  emotional_purpose: text.max(100),
  technique: text.max(100),
  teaches_model: text,
  word_choice_rationale: z.record(text).refine((r) => Object.keys(r).length >= 1, 'at least one phrase with its rationale'),
  psychological_principle: text.max(200).nullish(),
  stylistic_note: text.nullish(),
});

const conversationMetadataSchema = z.object({
  conversation_number: z.number().int().min(1).max(100),
  persona_type: text.max(50),
  persona_name: text.max(100),
  client_background: text.nullish(),
  topic_category: text.max(100),
  topic_description: text.nullish(),
  tier: z.enum(TIERS),
  tier_template: text.max(100).nullish(),
  tier_batch: z.number().int().min(1).max(16).nullish(),
  starting_emotion: text.max(50),
  starting_emotion_intensity: unit,
  ending_emotion: text.max(50),
  ending_emotion_intensity: unit,
  emotional_arc_description: text.nullish(),
  session_context: text.nullish(),
  conversation_phase: text.max(100).nullish(),
  expected_outcome: text.nullish(),
});

const trainingPairSchema = z.object({
  id: text.max(50),
  conversation_id: z.string().regex(/^[a-z0-9_]+$/).max(50),
  turn_number: z.number().int().min(1).max(6),
  conversation_metadata: conversationMetadataSchema,
  system_prompt: text,
  conversation_history: z.array(z.object({ turn: z.number().int(), role: z.enum(['user', 'assistant']), content: text })).default([]),
  current_user_input: text,
  user_intent: text.max(100).nullish(),
  emotional_context: emotionalContextSchema,
  response_strategy: responseStrategySchema,
  target_response: text,
  response_breakdown: z.object({
    structure_type: text.max(100).nullish(),
    sentences: z.array(sentenceSchema).min(1),
  }),
  expected_user_response_patterns: z.object({
    positive_indicators: z.array(text).default([]),
    neutral_indicators: z.array(text).default([]),
    negative_indicators: z.array(text).default([]),
  }),
  training_metadata: z.object({
    difficulty_level: z.enum(['beginner', 'intermediate', 'advanced']),
    key_learning_objective: text,
    demonstrates_skills: z.array(text).min(1),
    emotional_progression_target: text.nullish(),
    quality_score: score,
    quality_criteria: z.object({
      empathy_score: score,
      clarity_score: score,
      appropriateness_score: score,
      brand_voice_alignment: score,
      domain_specific_score: score.nullish(),
    }),
    human_reviewed: z.boolean().default(false),
    reviewed_by: text.nullish(),
    review_date: z.string().date().nullish(),
    use_as_seed_example: z.boolean().default(false),
    generate_variations_count: z.number().int().min(0).max(100).nullish(),
  }),
});

/** A whole seed file, with per-conversation consistency checks (turn numbering, sentence numbering). */
export const seedFileSchema = z.object({
  dataset_metadata: z.object({
    dataset_name: text,
    version: text,
    created_date: z.string().date(),
    vertical: text,
    consultant_persona: text,
    total_conversations: z.number().int().min(1),
    total_turns: z.number().int().min(1),
    notes: text.nullish(),
  }),
  training_pairs: z.array(trainingPairSchema).min(1),
}).superRefine((file, ctx) => {
  const bad = (path: (string | number)[], message: string) => { ctx.addIssue({ code: z.ZodIssueCode.custom, path, message }); };
  const byConversation = new Map<string, number[]>();
  const turnIds = new Set<string>();
  file.training_pairs.forEach((pair, i) => {
    if (turnIds.has(pair.id)) bad(['training_pairs', i, 'id'], `duplicate turn id ${pair.id}`);
    turnIds.add(pair.id);
    const turns = byConversation.get(pair.conversation_id) ?? [];
    if (turns.includes(pair.turn_number)) bad(['training_pairs', i, 'turn_number'], `turn ${pair.turn_number} of ${pair.conversation_id} appears twice`);
    turns.push(pair.turn_number);
    byConversation.set(pair.conversation_id, turns);
    pair.response_breakdown.sentences.forEach((s, j) => {
      if (s.sentence_number !== j + 1) bad(['training_pairs', i, 'response_breakdown', 'sentences', j, 'sentence_number'], `expected sentence ${j + 1}, found ${s.sentence_number}`);
      if (!pair.target_response.includes(s.text)) bad(['training_pairs', i, 'response_breakdown', 'sentences', j, 'text'], 'sentence does not appear in target_response');
    });
    if (pair.turn_number > 1 && !pair.emotional_context.emotional_progression) {
      bad(['training_pairs', i, 'emotional_context', 'emotional_progression'], 'required from turn 2 on');
    }
  });
  for (const [id, turns] of byConversation) {
    const sorted = [...turns].sort((a, b) => a - b);
    if (sorted.some((t, k) => t !== k + 1)) bad(['training_pairs'], `${id} has turns ${sorted.join(', ')}: they must run 1..n without gaps`);
  }
  if (byConversation.size !== file.dataset_metadata.total_conversations) {
    bad(['dataset_metadata', 'total_conversations'], `says ${file.dataset_metadata.total_conversations}, the file holds ${byConversation.size}`);
  }
  if (file.training_pairs.length !== file.dataset_metadata.total_turns) {
    bad(['dataset_metadata', 'total_turns'], `says ${file.dataset_metadata.total_turns}, the file holds ${file.training_pairs.length}`);
  }
});

/** A validated seed file. */
export type SeedFile = z.output<typeof seedFileSchema>;
export type TrainingPair = SeedFile['training_pairs'][number];
