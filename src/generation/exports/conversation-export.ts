/**
 * Exports one stored training conversation as a seed file (the structure of seed-schema.ts), so that
 * importing the export with importSeeds into another database writes the same rows.
 *
 * What the seed format cannot carry, and how the export handles it:
 * - Scores: only conversation-level scores are stored (the per-turn annotator scores were averaged at
 *   import). Every turn's training_metadata gets the conversation's stored scores; their mean is the
 *   stored value again, so a re-import computes the same conversation and quality_metrics scores.
 * - Review: human_reviewed, review_date, use_for_variations and variation_count_target are conversation
 *   columns; every turn gets the conversation's value. The reviewers are read back from
 *   reviewer_notes ("Seed annotation reviewed by A, B") when it has the import's wording.
 * - Status, generation method, seed flag: importSeeds always writes 'approved', 'manual', seed = true;
 *   a generated or promoted conversation re-imports as an approved seed.
 * - dataset_metadata is not stored: vertical, consultant_persona and the name are placeholders naming the
 *   conversation; created_date is the conversation's generation date (what the import stores it as).
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, TrainingConversation } from '../../../db';
import { AppError } from '../../errors';
import { type SeedFile, seedFileSchema, type TrainingPair } from '../plan/seed-schema';

/** Why a conversation could not be exported: not found, no turns, or a column the seed format requires is empty. */
export class ConversationExportError extends AppError {
  constructor(
    readonly kind: 'not_found' | 'ambiguous' | 'not_exportable',
    message: string,
  ) {
    super(message);
  }

  get userMessage(): string {
    return this.message;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REVIEWED_BY = /^Seed annotation reviewed by (.+)$/;

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));
const dateOnly = (d: Date): string => d.toISOString().slice(0, 10);

async function findConversation(db: Kysely<Database>, ref: string | number): Promise<TrainingConversation> {
  let q = db.selectFrom('training_conversations').selectAll();
  if (typeof ref === 'number') q = q.where('conversation_number', '=', ref);
  else if (UUID.test(ref)) q = q.where('id', '=', ref);
  else q = q.where('conversation_id', '=', ref);
  const rows = await q.limit(2).execute();
  const [row, another] = rows;
  if (!row) throw new ConversationExportError('not_found', `no conversation ${String(ref)}`);
  if (another) throw new ConversationExportError('ambiguous', `more than one conversation has number ${String(ref)}; export it by its id`);
  return row;
}

/** A required number (numeric columns come back as strings), or an error naming the column. */
function needNumber(value: string | number | null, key: string, column: string): number {
  return Number(need(value, key, column));
}

/** A required value, or an error naming the column. */
function need<T>(value: T | null, key: string, column: string): T {
  if (value === null || value === undefined || value === '') {
    throw new ConversationExportError('not_exportable', `${key}: ${column} is empty; the seed format requires it`);
  }
  return value;
}

type Row<T extends keyof Database> = Selectable<Database[T]>;

/** The conversation's stored scores, as every turn's training_metadata carries them. */
function scoresOf(c: TrainingConversation, key: string) {
  return {
    quality_score: needNumber(c.quality_score, key, 'quality_score'),
    quality_criteria: {
      empathy_score: needNumber(c.empathy_score, key, 'empathy_score'),
      clarity_score: needNumber(c.clarity_score, key, 'clarity_score'),
      appropriateness_score: needNumber(c.appropriateness_score, key, 'appropriateness_score'),
      brand_voice_alignment: needNumber(c.brand_voice_score, key, 'brand_voice_score'),
      domain_specific_score: num(c.domain_specific_score),
    },
  };
}

/** The conversation_metadata every pair of the conversation carries. */
function metadataOf(c: TrainingConversation, key: string): TrainingPair['conversation_metadata'] {
  return {
    conversation_number: c.conversation_number,
    persona_type: c.persona_type,
    persona_name: c.persona_name,
    client_background: c.persona_description,
    topic_category: c.topic_category,
    topic_description: c.topic_description,
    tier: c.tier,
    tier_template: c.tier_template,
    tier_batch: c.tier_batch,
    starting_emotion: need(c.starting_emotion, key, 'starting_emotion'),
    starting_emotion_intensity: needNumber(c.starting_emotion_intensity, key, 'starting_emotion_intensity'),
    ending_emotion: need(c.ending_emotion, key, 'ending_emotion'),
    ending_emotion_intensity: needNumber(c.ending_emotion_intensity, key, 'ending_emotion_intensity'),
    emotional_arc_description: c.emotional_arc_description,
    session_context: c.session_context,
    conversation_phase: c.conversation_phase,
    expected_outcome: c.expected_outcome,
  };
}

/** A turn's emotional_context row in the seed structure. */
function emotionalContextOf(e: Row<'emotional_context'>, tk: string) {
  const progression = e.previous_turn_emotion !== null || e.current_turn_emotion !== null || e.progression_description !== null
    ? {
      previous_turn_emotion: need(e.previous_turn_emotion, tk, 'previous_turn_emotion'),
      current_turn_emotion: need(e.current_turn_emotion, tk, 'current_turn_emotion'),
      progression_description: need(e.progression_description, tk, 'progression_description'),
      intensity_change: needNumber(e.intensity_change, tk, 'intensity_change'),
    }
    : null;
  return {
    detected_emotions: {
      primary: e.primary_emotion,
      primary_confidence: Number(e.primary_confidence),
      secondary: e.secondary_emotion,
      secondary_confidence: num(e.secondary_confidence),
      tertiary: e.tertiary_emotion,
      tertiary_confidence: num(e.tertiary_confidence),
      intensity: Number(e.intensity),
      valence: e.valence,
    },
    emotional_indicators: {
      explicit_emotion_words: e.explicit_emotion_words ?? [],
      uncertainty_language: e.uncertainty_language ?? [],
      self_deprecation: e.self_deprecation ?? [],
      time_pressure: e.time_pressure ?? [],
      social_comparison: e.social_comparison ?? [],
      decision_paralysis: e.decision_paralysis ?? [],
      vulnerability: e.vulnerability ?? [],
      enthusiasm: e.enthusiasm ?? [],
    },
    emotional_progression: progression,
    behavioral_assessment: {
      risk_level: need(e.risk_level, tk, 'risk_level'),
      engagement_readiness: need(e.engagement_readiness, tk, 'engagement_readiness'),
      knowledge_level: need(e.knowledge_level, tk, 'knowledge_level'),
      trust_level: need(e.trust_level, tk, 'trust_level'),
    },
    client_needs_hierarchy: e.client_needs,
    red_flags: e.red_flags ?? [],
  };
}

/** A turn's response_strategies row in the seed structure. */
function strategyOf(s: Row<'response_strategies'>) {
  return {
    primary_strategy: s.primary_strategy,
    primary_rationale: s.primary_rationale,
    secondary_strategies: s.secondary_strategies ?? [],
    tone_selection: s.tone_selection,
    tone_rationale: s.tone_rationale,
    pacing: s.pacing,
    tactical_choices: s.tactical_choices,
    avoid_tactics: s.avoid_tactics ?? [],
    specific_techniques: s.specific_techniques,
  };
}

/** Everything a conversation's turns share, and the annotation rows to find each turn's in. */
interface ExportContext {
  c: TrainingConversation;
  key: string;
  metadata: TrainingPair['conversation_metadata'];
  scores: ReturnType<typeof scoresOf>;
  reviewers: string | null;
  emotions: Array<Row<'emotional_context'>>;
  strategies: Array<Row<'response_strategies'>>;
  sentences: Array<Row<'response_breakdowns'>>;
}

/** One turn as a training pair. */
function pairOf(x: ExportContext, t: Row<'training_turns'>) {
  const { c } = x;
  const tk = t.turn_id;
  const e = x.emotions.find((r) => r.turn_id === t.id);
  const s = x.strategies.find((r) => r.turn_id === t.id);
  if (!e) throw new ConversationExportError('not_exportable', `${tk} has no emotional context`);
  if (!s) throw new ConversationExportError('not_exportable', `${tk} has no response strategy`);
  return {
    id: tk,
    conversation_id: x.key,
    turn_number: t.turn_number,
    conversation_metadata: x.metadata,
    system_prompt: t.system_prompt,
    conversation_history: t.conversation_history ?? [],
    current_user_input: t.user_input,
    user_intent: t.user_intent,
    emotional_context: emotionalContextOf(e, tk),
    response_strategy: strategyOf(s),
    target_response: t.target_response,
    response_breakdown: {
      structure_type: t.response_structure_type,
      sentences: x.sentences.filter((b) => b.turn_id === t.id).map((b) => ({
        sentence_number: b.sentence_number,
        text: b.sentence_text,
        function: b.function,
        emotional_purpose: b.emotional_purpose,
        technique: b.technique,
        teaches_model: b.teaches_model,
        word_choice_rationale: b.word_choice_rationale,
        psychological_principle: b.psychological_principle,
        stylistic_note: b.stylistic_note,
      })),
    },
    expected_user_response_patterns: {
      positive_indicators: t.positive_indicators ?? [],
      neutral_indicators: t.neutral_indicators ?? [],
      negative_indicators: t.negative_indicators ?? [],
    },
    training_metadata: {
      difficulty_level: need(t.difficulty_level, tk, 'difficulty_level'),
      key_learning_objective: need(t.key_learning_objective, tk, 'key_learning_objective'),
      demonstrates_skills: t.demonstrates_skills ?? [],
      emotional_progression_target: t.emotional_progression_target,
      ...x.scores,
      human_reviewed: c.human_reviewed ?? false,
      reviewed_by: x.reviewers,
      review_date: c.review_date ? dateOnly(c.review_date) : null,
      use_as_seed_example: c.use_for_variations ?? false,
      generate_variations_count: c.variation_count_target,
    },
  };
}

/**
 * The conversation REF (training_conversations.id, its human key such as "fp_marcus_001", or its
 * conversation number) as a validated seed file with one conversation. Throws
 * {@link ConversationExportError}.
 */
export async function exportConversationSeed(db: Kysely<Database>, ref: string | number): Promise<SeedFile> {
  const c = await findConversation(db, ref);
  const key = c.conversation_id;
  const turns = await db.selectFrom('training_turns').selectAll().where('conversation_id', '=', c.id).orderBy('turn_number').execute();
  if (turns.length === 0) throw new ConversationExportError('not_exportable', `${key} has no turns`);
  const turnIds = turns.map((t) => t.id);
  const [emotions, strategies, sentences] = await Promise.all([
    db.selectFrom('emotional_context').selectAll().where('turn_id', 'in', turnIds).execute(),
    db.selectFrom('response_strategies').selectAll().where('turn_id', 'in', turnIds).execute(),
    db.selectFrom('response_breakdowns').selectAll().where('turn_id', 'in', turnIds).orderBy('sentence_number').execute(),
  ]);
  const reviewers = c.reviewer_notes ? REVIEWED_BY.exec(c.reviewer_notes)?.[1] ?? null : null;
  const x: ExportContext = { c, key, metadata: metadataOf(c, key), scores: scoresOf(c, key), reviewers, emotions, strategies, sentences };
  const pairs = turns.map((t) => pairOf(x, t));
  const candidate = {
    dataset_metadata: {
      dataset_name: `Export of ${key}`,
      version: '1.0.0',
      created_date: dateOnly(c.generation_date ?? c.created_at ?? new Date()),
      vertical: c.topic_category,
      consultant_persona: 'not stored per conversation',
      total_conversations: 1,
      total_turns: pairs.length,
      notes: `Exported from training_conversations ${c.id} (${c.generation_status ?? 'planned'}, ${c.generation_method ?? 'unknown method'}). Per-turn scores are the conversation's stored scores.`,
    },
    training_pairs: pairs,
  };
  const parsed = seedFileSchema.safeParse(candidate);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConversationExportError('not_exportable', `${key} does not fit the seed format: ${issues}`);
  }
  return parsed.data;
}
