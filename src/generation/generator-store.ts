/**
 * Writing a generated conversation: over its planned row, with every annotation table, in the caller's
 * transaction (direct and batch mode share it), and setting abandoned generations back to planned.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, TrainingConversation } from '../../db';
import { GenerationError } from './generation-error';
import { groupByConversation, writeConversation } from './plan/seed-import';
import type { SeedFile } from './plan/seed-schema';

/**
 * Stores a validated conversation over its planned row (which must be 'in_progress' and have no turns:
 * a conversation is never written twice), status 'generated'. Run inside the caller's transaction.
 * @throws GenerationError 'not_generatable' when the row moved on meanwhile.
 */
export async function storeGenerated(
  trx: Transaction<Database>,
  planned: TrainingConversation,
  seed: SeedFile,
  stats: { durationSeconds: number; costUsd: number | null; method: string },
): Promise<{ turns: number; quality: number | null }> {
  const key = planned.conversation_id;
  const row = await trx.selectFrom('training_conversations').select('generation_status').where('id', '=', planned.id).forUpdate().executeTakeFirst();
  if (row?.generation_status !== 'in_progress') {
    throw new GenerationError('not_generatable', `${key} is ${row?.generation_status ?? 'gone'}; the generated answer was not stored`);
  }
  const turn = await trx.selectFrom('training_turns').select('id').where('conversation_id', '=', planned.id).executeTakeFirst();
  if (turn) throw new GenerationError('not_generatable', `${key} already has turns; the generated answer was not stored`);
  const [group] = groupByConversation(seed);
  if (!group) throw new GenerationError('invalid_output', `${key}: the answer has no training pairs`);
  const written = await writeConversation(trx, `claude:${key}`, seed, group, planned.id, {
    // The plan, not the model, owns what the conversation was meant to be.
    persona_type: planned.persona_type, persona_name: planned.persona_name, persona_description: planned.persona_description,
    topic_category: planned.topic_category, topic_description: planned.topic_description,
    tier: planned.tier, tier_template: planned.tier_template, tier_batch: planned.tier_batch,
    starting_emotion: planned.starting_emotion, starting_emotion_intensity: planned.starting_emotion_intensity,
    ending_emotion: planned.ending_emotion, ending_emotion_intensity: planned.ending_emotion_intensity,
    emotional_arc_description: planned.emotional_arc_description,
    session_context: planned.session_context, expected_outcome: planned.expected_outcome,
    generation_status: 'generated', generation_method: stats.method, generation_date: new Date(),
    generation_duration_seconds: stats.durationSeconds,
    generation_cost_cents: stats.costUsd === null ? null : Math.round(stats.costUsd * 100),
    is_seed_example: false, use_for_variations: false, variation_count_target: null,
    human_reviewed: false, reviewer_notes: null, review_date: null,
  });
  return { turns: written.turns, quality: written.quality.overall_quality_score };
}

/** Sets conversations a failed or abandoned generation left 'in_progress' back to 'planned'. */
export async function setBackToPlanned(db: Kysely<Database> | Transaction<Database>, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('training_conversations').set({ generation_status: 'planned', updated_at: new Date() })
    .where('id', 'in', ids).where('generation_status', '=', 'in_progress').execute();
}

