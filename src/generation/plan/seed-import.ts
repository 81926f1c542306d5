/**
 * US-TRAIN-007: imports annotated seed conversations from JSON files. Each file is validated whole,
 * then written in ONE transaction: its conversations (is_seed_example, 'approved'), their turns,
 * emotional context, response strategies, one response_breakdowns row per sentence, and computed
 * quality metrics. A bad file changes nothing; a conversation already in the database (same
 * conversation_id or number) is skipped, except a still-empty 'planned' row from the plan, which
 * is the slot the seed fills.
 */
import type { Kysely, Transaction } from 'kysely';
import { type Database, toJsonb, type TrainingConversationUpdate } from '../../../db';
import { GenerationFileError, SeedImportError } from '../errors';
import { loadJsonFile } from './load-json';
import { computeQuality, type ConversationQuality, countWords } from './quality';
import { type SeedFile, seedFileSchema, type TrainingPair } from './seed-schema';

/** Progress after each file, for a CLI line or a log event. */
export interface SeedImportProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  status: 'imported' | 'failed';
  conversationsImported: number;
  conversationsSkipped: number;
  turns: number;
  sentences: number;
  error?: Error;
}

export interface SeedImportSummary {
  files: number;
  filesFailed: number;
  conversationsImported: number;
  conversationsSkipped: number;
  turnsImported: number;
  sentencesImported: number;
  imported: string[];
  skipped: { conversationId: string; file: string; reason: string }[];
  failed: { file: string; error: GenerationFileError | SeedImportError }[];
}

export interface SeedImportOptions {
  onProgress?: (progress: SeedImportProgress) => void;
}

type Trx = Transaction<Database>;

/** One conversation of a seed file: its conversation_id and its pairs (with their index in the file). */
export interface SeedConversationGroup {
  id: string;
  pairs: { pair: TrainingPair; index: number }[];
}

/** Groups a file's pairs by conversation, each group's pairs in turn order. */
export function groupByConversation(file: SeedFile): SeedConversationGroup[] {
  const groups = new Map<string, SeedConversationGroup>();
  file.training_pairs.forEach((pair, index) => {
    const g = groups.get(pair.conversation_id) ?? { id: pair.conversation_id, pairs: [] };
    g.pairs.push({ pair, index });
    groups.set(pair.conversation_id, g);
  });
  for (const g of groups.values()) g.pairs.sort((a, b) => a.pair.turn_number - b.pair.turn_number);
  return [...groups.values()];
}

/** Runs one write, naming the JSON path it came from if the database refuses it. */
async function at<T>(file: string, path: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw new SeedImportError(file, path, err);
  }
}

/** Why an existing row blocks this conversation, or null when the seed may take its place. */
async function blocker(trx: Trx, conversationId: string, number: number): Promise<{ reason: string | null; fillId: string | null }> {
  const rows = await trx.selectFrom('training_conversations').select(['id', 'conversation_id', 'conversation_number', 'generation_status'])
    .where((eb) => eb.or([eb('conversation_id', '=', conversationId), eb('conversation_number', '=', number)])).execute();
  if (rows.length === 0) return { reason: null, fillId: null };
  const same = rows.find((r) => r.conversation_id === conversationId);
  const other = rows.find((r) => r.conversation_id !== conversationId);
  if (other) return { reason: `conversation number ${number} already belongs to ${other.conversation_id}`, fillId: null };
  if (same && same.generation_status === 'planned') {
    const turn = await trx.selectFrom('training_turns').select('id').where('conversation_id', '=', same.id).executeTakeFirst();
    if (!turn) return { reason: null, fillId: same.id };
  }
  return { reason: `${conversationId} is already in the database (${same?.generation_status ?? 'unknown status'})`, fillId: null };
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
  const meta = first.pair.conversation_metadata;
  const q = computeQuality(pairs);
  const reviewDates = pairs.map((p) => p.training_metadata.review_date).filter((d): d is string => Boolean(d)).sort();
  const reviewers = [...new Set(pairs.map((p) => p.training_metadata.reviewed_by).filter((r): r is string => Boolean(r)))];
  const variations = pairs.map((p) => p.training_metadata.generate_variations_count ?? 0);
  const row = {
    conversation_id: group.id,
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
    const path = `training_pairs[${index}]`;
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

    const e = pair.emotional_context;
    const d = e.detected_emotions;
    const ind = e.emotional_indicators;
    await at(file, `${path}.emotional_context`, () => trx.insertInto('emotional_context').values({
      turn_id: turn.id,
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

    const s = pair.response_strategy;
    await at(file, `${path}.response_strategy`, () => trx.insertInto('response_strategies').values({
      turn_id: turn.id,
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

/**
 * Imports each seed FILE in its own transaction and returns a summary. A file that fails validation
 * or a write is recorded in `failed` (its error names the file and JSON path) and leaves no rows;
 * the other files are still imported. Conversations already present are skipped, so re-running is
 * safe.
 */
export async function importSeeds(db: Kysely<Database>, files: string[], options: SeedImportOptions = {}): Promise<SeedImportSummary> {
  const summary: SeedImportSummary = {
    files: files.length, filesFailed: 0, conversationsImported: 0, conversationsSkipped: 0,
    turnsImported: 0, sentencesImported: 0, imported: [], skipped: [], failed: [],
  };
  for (const [i, file] of files.entries()) {
    const progress: SeedImportProgress = {
      file, fileIndex: i + 1, fileCount: files.length, status: 'imported',
      conversationsImported: 0, conversationsSkipped: 0, turns: 0, sentences: 0,
    };
    const imported: string[] = [];
    const skipped: SeedImportSummary['skipped'] = [];
    try {
      const seed = await loadJsonFile(file, seedFileSchema);
      await db.transaction().execute(async (trx) => {
        for (const group of groupByConversation(seed)) {
          const meta = group.pairs[0].pair.conversation_metadata;
          const { reason, fillId } = await blocker(trx, group.id, meta.conversation_number);
          if (reason) {
            skipped.push({ conversationId: group.id, file, reason });
            continue;
          }
          const written = await writeConversation(trx, file, seed, group, fillId);
          imported.push(group.id);
          progress.turns += written.turns;
          progress.sentences += written.sentences;
        }
      });
      progress.conversationsImported = imported.length;
      progress.conversationsSkipped = skipped.length;
      summary.imported.push(...imported);
      summary.skipped.push(...skipped);
      summary.conversationsImported += imported.length;
      summary.conversationsSkipped += skipped.length;
      summary.turnsImported += progress.turns;
      summary.sentencesImported += progress.sentences;
    } catch (err) {
      if (!(err instanceof GenerationFileError || err instanceof SeedImportError)) throw err;
      // The transaction rolled back: nothing of this file counts.
      progress.status = 'failed';
      progress.turns = 0;
      progress.sentences = 0;
      progress.error = err;
      summary.filesFailed += 1;
      summary.failed.push({ file, error: err });
    }
    options.onProgress?.(progress);
  }
  return summary;
}
