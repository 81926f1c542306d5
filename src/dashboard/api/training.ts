/** The training-data pages' API: the matrix, one conversation, review moves, estimate and generate. */
import type { Kysely } from 'kysely';
import type { Database, TrainingConversation } from '../../../db';
import {
  annotatedConversation, conversationMatrix, conversationsByIds, creatorUuid, estimateJob, GENERATABLE_STATUSES, matrixFacets, matrixSummary, moveReview,
  startJob, type AnnotatedTurn,
} from '../../generation';
import { BATCH_PRICE_FACTOR, type Pricing } from '../../llm';
import type { Principal } from '../auth';
import {
  type ConversationDetailResponse, type EstimateResponse, estimateRequest, generateRequest, type MatrixResponse, type MatrixRow,
  matrixQuery, reviewRequest, type TrainingTurnView,
} from '../contract';
import { ApiError, parseWith } from './http';

/** What generation needs from the bot: its pricing and model, whether Claude is there, and the job runner. */
export interface GenerationAccess {
  pricing: Pricing;
  model: string;
  online: boolean;
  /** Runs the job on the bot's job runner (no card: the Jobs page polls it). */
  run(jobId: string): void;
}

const n = (v: string | null): number | null => (v === null ? null : Number(v));
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const list = (v: string[] | null): string[] => v ?? [];

function matrixRow(c: TrainingConversation): MatrixRow {
  return {
    id: c.id, number: c.conversation_number, key: c.conversation_id, personaName: c.persona_name, personaType: c.persona_type,
    topic: c.topic_category, tier: c.tier, template: c.tier_template, startEmotion: c.starting_emotion, endEmotion: c.ending_emotion,
    turns: c.turn_count, status: c.generation_status ?? 'planned', quality: n(c.quality_score), isSeed: c.is_seed_example === true,
  };
}

/** GET /training/conversations */
export async function listMatrix(db: Kysely<Database>, query: unknown): Promise<MatrixResponse> {
  const q = parseWith(matrixQuery, query);
  const filter = {
    personas: q.persona, tiers: q.tier, startEmotions: q.startEmotion, endEmotions: q.endEmotion, statuses: q.status, templates: q.template,
    topic: q.topic, minQuality: q.qmin, maxQuality: q.qmax,
  };
  const [{ rows, total }, summary, facets] = await Promise.all([conversationMatrix(db, filter, q.sort, q.page, q.pageSize), matrixSummary(db), matrixFacets(db)]);
  return { rows: rows.map(matrixRow), total, page: q.page, pageSize: q.pageSize, summary, facets };
}

function turnView(a: AnnotatedTurn): TrainingTurnView {
  const e = a.emotional;
  const s = a.strategy;
  return {
    number: a.turn.turn_number, turnId: a.turn.turn_id, userIntent: a.turn.user_intent, userInput: a.turn.user_input, targetResponse: a.turn.target_response,
    difficulty: a.turn.difficulty_level, learningObjective: a.turn.key_learning_objective,
    emotional: e && {
      primary: e.primary_emotion, primaryConfidence: Number(e.primary_confidence), secondary: e.secondary_emotion, intensity: Number(e.intensity), valence: e.valence,
      indicators: {
        'explicit emotion words': list(e.explicit_emotion_words), 'uncertainty language': list(e.uncertainty_language), 'self-deprecation': list(e.self_deprecation),
        'time pressure': list(e.time_pressure), 'social comparison': list(e.social_comparison), 'decision paralysis': list(e.decision_paralysis),
        vulnerability: list(e.vulnerability), enthusiasm: list(e.enthusiasm),
      },
      progression: e.progression_description, intensityChange: n(e.intensity_change), riskLevel: e.risk_level, trustLevel: e.trust_level,
      knowledgeLevel: e.knowledge_level, engagementReadiness: e.engagement_readiness, clientNeeds: e.client_needs, redFlags: e.red_flags ?? [],
    },
    strategy: s && {
      primary: s.primary_strategy, rationale: s.primary_rationale, secondary: list(s.secondary_strategies), tone: s.tone_selection, toneRationale: s.tone_rationale,
      pacing: s.pacing, tactics: Object.entries(s.tactical_choices).map(([name, value]) => ({ name, value: typeof value === 'string' ? value : JSON.stringify(value) })),
      avoid: list(s.avoid_tactics), techniques: s.specific_techniques,
    },
    sentences: a.sentences.map((b) => ({
      number: b.sentence_number, text: b.sentence_text, function: b.function, emotionalPurpose: b.emotional_purpose, technique: b.technique,
      teachesModel: b.teaches_model, wordChoices: Object.entries(b.word_choice_rationale).map(([phrase, why]) => ({ phrase, why })),
      principle: b.psychological_principle, note: b.stylistic_note,
    })),
  };
}

/** Parses a conversation number from the path. */
export function conversationNumber(raw: string | undefined): number {
  const v = Number(raw);
  if (!raw || !/^\d{1,6}$/.test(raw) || !Number.isInteger(v) || v < 1) throw new ApiError(400, 'A conversation number is a whole number from 1.');
  return v;
}

/** GET /training/conversations/:number */
export async function getConversation(db: Kysely<Database>, number: number): Promise<ConversationDetailResponse> {
  const a = await annotatedConversation(db, number);
  const c = a.conversation;
  const q = a.quality;
  return {
    conversation: {
      ...matrixRow(c), personaDescription: c.persona_description, topicDescription: c.topic_description, startIntensity: n(c.starting_emotion_intensity),
      endIntensity: n(c.ending_emotion_intensity), arc: c.emotional_arc_description, sessionContext: c.session_context, expectedOutcome: c.expected_outcome,
      generatedAt: iso(c.generation_date), durationSeconds: c.generation_duration_seconds, costCents: c.generation_cost_cents, reviewerNotes: c.reviewer_notes,
      humanReviewed: c.human_reviewed === true,
    },
    turns: a.turns.map(turnView),
    quality: q && {
      overall: Number(q.overall_quality_score), empathy: Number(q.empathy_score), clarity: Number(q.clarity_score), appropriateness: Number(q.appropriateness_score),
      brandVoice: Number(q.brand_voice_alignment), completeEmotionalContext: q.has_complete_emotional_context === true, emotionalProgression: q.has_emotional_progression === true,
      primaryStrategy: q.has_primary_strategy === true, strategyRationale: q.has_strategy_rationale === true, sentencesAnalyzed: q.sentences_analyzed,
      wordChoiceCompleteness: n(q.word_choice_rationale_completeness), allFieldsComplete: q.all_required_fields_complete === true, readyForTraining: q.ready_for_training === true,
      needsReview: q.needs_review === true, reviewerApproved: q.reviewer_approved === true,
    },
    previous: a.previous,
    next: a.next,
  };
}

/** POST /training/conversations/:number/review — the same move as /review, /approve, /flag. */
export async function reviewConversation(db: Kysely<Database>, who: Principal, number: number, body: unknown): Promise<{ from: string; to: string }> {
  const r = parseWith(reviewRequest, body);
  const notes = r.notes && r.notes.length > 0 ? r.notes : null;
  return moveReview(db, number, r.move, who.email ?? who.name ?? who.testerId, notes);
}

/** POST /training/estimate — the confirmation's count, time and cost for a selection. */
export async function estimate(db: Kysely<Database>, gen: GenerationAccess, body: unknown): Promise<EstimateResponse> {
  const { ids } = parseWith(estimateRequest, body);
  const rows = await conversationsByIds(db, ids);
  if (rows.length !== new Set(ids).size) throw new ApiError(404, 'Some selected conversations no longer exist; reload the page.');
  const open = rows.filter((r) => GENERATABLE_STATUSES.includes(r.generation_status ?? 'planned'));
  const e = estimateJob(open.length, gen.pricing, gen.model);
  return {
    selected: rows.length, count: open.length, notPlanned: rows.filter((r) => !open.includes(r)).map((r) => r.conversation_number),
    seconds: e.seconds, costUsd: e.costUsd, batchCostUsd: e.costUsd === null ? null : e.costUsd * BATCH_PRICE_FACTOR, model: gen.model, online: gen.online,
  };
}

/** POST /training/generate — a job through the same start as the Teams card, run on the bot's job runner. */
export async function generate(db: Kysely<Database>, gen: GenerationAccess, who: Principal, body: unknown): Promise<{ jobId: string; existing: boolean }> {
  const { ids, mode } = parseWith(generateRequest, body);
  if (!gen.online) throw new ApiError(503, 'Generation needs Claude: set ANTHROPIC_API_KEY and restart the bot.');
  // In conversation order, as the card lists them, so the same selection is recognised as the same job.
  const unique = (await conversationsByIds(db, ids)).map((r) => r.id);
  if (unique.length !== new Set(ids).size) throw new ApiError(404, 'Some selected conversations no longer exist; reload the page.');
  const started = await startJob(db, { type: unique.length === 1 ? 'single' : 'batch', ids: unique, mode, createdBy: creatorUuid(who.testerId) });
  if (started.kind === 'nothing_left') {
    throw new ApiError(409, 'Nothing selected is left to generate: those conversations are past planned. Choose planned conversations and try again.');
  }
  gen.run(started.jobId);
  return { jobId: started.jobId, existing: started.kind === 'existing' };
}
