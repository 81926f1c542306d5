/**
 * Quality metrics of an annotated conversation (quality_metrics and the training_conversations
 * score columns), computed from its turns: dimension scores are the mean of the per-turn scores the
 * annotators gave, rounded to one decimal as DECIMAL(2,1) stores them; completeness flags check each
 * annotation layer the spec asks for (US-TRAIN-008's checklist).
 */
import type { TrainingPair } from './seed-schema';

/** The spec's 3-6 word-choice rationales per sentence. */
export const MIN_RATIONALES = 3;
export const MAX_RATIONALES = 6;
/** Below this a conversation is flagged for review rather than marked ready for training. */
export const READY_THRESHOLD = 4.0;

export interface ConversationQuality {
  total_turns: number;
  total_sentences: number;
  total_word_count: number;
  average_words_per_sentence: number | null;
  overall_quality_score: number;
  empathy_score: number;
  clarity_score: number;
  appropriateness_score: number;
  brand_voice_alignment: number;
  domain_specific_score: number | null;
  has_complete_emotional_context: boolean;
  has_emotional_progression: boolean;
  emotional_indicator_count: number;
  has_primary_strategy: boolean;
  has_strategy_rationale: boolean;
  technique_count: number;
  sentences_analyzed: number;
  sentences_with_word_rationale: number;
  word_choice_rationale_completeness: number;
  all_required_fields_complete: boolean;
  ready_for_training: boolean;
  needs_review: boolean;
}

/** Words as a reader counts them: runs of non-space characters. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const oneDecimal = (n: number) => Math.round(n * 10) / 10;

/** Computes the metrics of one conversation from its turns (in any order). */
export function computeQuality(pairs: TrainingPair[]): ConversationQuality {
  const sentences = pairs.flatMap((p) => p.response_breakdown.sentences);
  const words = pairs.reduce((n, p) => n + countWords(p.target_response), 0);
  const criteria = pairs.map((p) => p.training_metadata.quality_criteria);
  const domain = criteria.map((c) => c.domain_specific_score).filter((s): s is number => typeof s === 'number');

  const completeEmotion = pairs.every((p) => {
    const e = p.emotional_context;
    const indicators = Object.values(e.emotional_indicators).reduce((n, list) => n + list.length, 0);
    return indicators > 0 && e.client_needs_hierarchy.length > 0 && Object.values(e.behavioral_assessment).every((v) => v.length > 0);
  });
  const progression = pairs.every((p) => p.turn_number === 1 || Boolean(p.emotional_context.emotional_progression));
  const indicatorCount = pairs.reduce(
    (n, p) => n + Object.values(p.emotional_context.emotional_indicators).reduce((m, list) => m + list.length, 0),
    0,
  );
  const primaryStrategy = pairs.every((p) => p.response_strategy.primary_strategy.length > 0);
  const rationale = pairs.every((p) => p.response_strategy.primary_rationale.length > 0);
  const techniques = pairs.reduce((n, p) => n + p.response_strategy.specific_techniques.length, 0);
  const withRationale = sentences.filter((s) => {
    const n = Object.keys(s.word_choice_rationale).length;
    return n >= MIN_RATIONALES && n <= MAX_RATIONALES;
  }).length;
  const completeness = sentences.length ? withRationale / sentences.length : 0;
  // Every sentence of every response must be analysed, not only the ones the annotator chose.
  const allSentencesAnalysed = pairs.every((p) => p.response_breakdown.sentences.map((s) => s.text).join(' ').length >= p.target_response.trim().length * 0.9);

  const overall = oneDecimal(mean(pairs.map((p) => p.training_metadata.quality_score)));
  const allComplete = completeEmotion && progression && primaryStrategy && rationale && techniques > 0 && completeness === 1 && allSentencesAnalysed;
  const ready = allComplete && overall >= READY_THRESHOLD;
  return {
    total_turns: pairs.length,
    total_sentences: sentences.length,
    total_word_count: words,
    average_words_per_sentence: sentences.length ? oneDecimal(words / sentences.length) : null,
    overall_quality_score: overall,
    empathy_score: oneDecimal(mean(criteria.map((c) => c.empathy_score))),
    clarity_score: oneDecimal(mean(criteria.map((c) => c.clarity_score))),
    appropriateness_score: oneDecimal(mean(criteria.map((c) => c.appropriateness_score))),
    brand_voice_alignment: oneDecimal(mean(criteria.map((c) => c.brand_voice_alignment))),
    domain_specific_score: domain.length ? oneDecimal(mean(domain)) : null,
    has_complete_emotional_context: completeEmotion,
    has_emotional_progression: progression,
    emotional_indicator_count: indicatorCount,
    has_primary_strategy: primaryStrategy,
    has_strategy_rationale: rationale,
    technique_count: techniques,
    sentences_analyzed: sentences.length,
    sentences_with_word_rationale: withRationale,
    word_choice_rationale_completeness: Math.round(completeness * 100) / 100,
    all_required_fields_complete: allComplete,
    // Complete and scored; the writer also requires approval before a conversation is ready.
    ready_for_training: ready,
    // Any dimension under 4.0 (or an incomplete annotation) needs a human look.
    needs_review:
      !allComplete ||
      [overall, ...criteria.flatMap((c) => [c.empathy_score, c.clarity_score, c.appropriateness_score, c.brand_voice_alignment])].some(
        (score) => score < READY_THRESHOLD,
      ),
  };
}
