/**
 * Loads a plan file into conversation_templates and training_conversations (status 'planned'),
 * keyed by the plan's template_id and conversation_id, in one transaction. Re-running it changes
 * nothing; a changed entry updates its row only while the conversation is still 'planned', so a
 * plan edit never rewrites a conversation that has been generated, reviewed or imported as a seed.
 */
import type { Kysely } from 'kysely';
import { type Database, type JsonObject, toJsonb } from '../../../db';
import { rowMatches } from './compare';
import { loadJsonFile } from './load-json';
import { type PlanFile, planFileSchema } from './plan-schema';

/** What an import did to each kind of row. */
export interface PlanImportCounts {
  added: number;
  updated: number;
  unchanged: number;
  /** Conversations whose plan entry changed but which are past 'planned', so were left alone. */
  locked: number;
}

export interface PlanImportResult {
  templates: PlanImportCounts;
  conversations: PlanImportCounts;
}

const emptyCounts = (): PlanImportCounts => ({ added: 0, updated: 0, unchanged: 0, locked: 0 });

/** The conversation_templates row for each template of the plan. */
export function templateRows(plan: PlanFile) {
  const arcs = new Map(plan.emotional_arcs.map((a) => [a.key, a]));
  const tiers = new Map(plan.tiers.map((t) => [t.tier, t]));
  return plan.templates.map((t) => {
    const arc = t.emotional_arc ? arcs.get(t.emotional_arc) : undefined;
    const uses = plan.conversations.filter((c) => c.template_id === t.template_id);
    return {
      template_id: t.template_id,
      template_name: t.template_name,
      tier: t.tier,
      tier_description: tiers.get(t.tier)?.description ?? null,
      emotional_arc_pattern: t.emotional_arc ?? null,
      starting_emotion_pattern: arc?.starting_emotion ?? null,
      ending_emotion_pattern: arc?.ending_emotion ?? null,
      typical_turn_count: t.typical_turn_count,
      structural_pattern_description: t.structural_pattern_description,
      template_prompt: t.template_prompt,
      template_instructions: t.template_instructions,
      reference_conversation_ids: toJsonb(uses.filter((c) => c.seed).map((c) => c.conversation_id)),
      target_conversation_count: uses.filter((c) => !c.seed).length,
      quality_requirements: t.quality_requirements as JsonObject,
      is_active: t.is_active,
    };
  });
}

/** KEY's entry; the plan schema checked every cross-reference, so a miss is a bug here. */
function known<T>(entries: Map<string, T>, key: string, what: string): T {
  const entry = entries.get(key);
  if (entry === undefined) throw new Error(`plan import: unknown ${what} ${key} passed validation`);
  return entry;
}

/** The training_conversations row (status 'planned') for each planned conversation. */
export function conversationRows(plan: PlanFile) {
  const personas = new Map(plan.personas.map((p) => [p.key, p]));
  const topics = new Map(plan.topics.map((t) => [t.key, t]));
  const arcs = new Map(plan.emotional_arcs.map((a) => [a.key, a]));
  return plan.conversations.map((c) => {
    const persona = known(personas, c.persona, 'persona');
    const blend = (c.blend ?? []).map((k) => known(personas, k, 'persona'));
    const topic = known(topics, c.topic, 'topic');
    const arc = known(arcs, c.arc, 'emotional arc');
    return {
      conversation_id: c.conversation_id,
      conversation_number: c.number,
      persona_type: persona.persona_type,
      persona_name: blend.length ? `${persona.persona_type} (${blend.map((b) => b.persona_type).join(' + ')})` : persona.persona_name,
      persona_description: blend.length ? [persona.description, ...blend.map((b) => b.description)].join('\n\n') : persona.description,
      topic_category: topic.category,
      topic_description: topic.description,
      tier: c.tier,
      // The spec gives tier_template no foreign key; the template_id is what generation needs to find the prompt.
      tier_template: c.template_id,
      tier_batch: c.tier_batch,
      starting_emotion: arc.starting_emotion,
      starting_emotion_intensity: arc.starting_intensity,
      ending_emotion: arc.ending_emotion,
      ending_emotion_intensity: arc.ending_intensity,
      emotional_arc_description: arc.description,
      turn_count: c.turn_count,
      session_context: c.session_context,
      expected_outcome: c.expected_outcome,
      is_seed_example: c.seed,
      use_for_variations: c.seed,
    };
  });
}

/** Imports a validated plan. Exported for callers that already hold the parsed plan (tests, tools). */
export async function importPlanData(db: Kysely<Database>, plan: PlanFile): Promise<PlanImportResult> {
  const result: PlanImportResult = { templates: emptyCounts(), conversations: emptyCounts() };
  const templates = templateRows(plan);
  const conversations = conversationRows(plan);
  await db.transaction().execute(async (trx) => {
    const existingTemplates = await trx.selectFrom('conversation_templates').selectAll()
      .where('template_id', 'in', templates.map((t) => t.template_id)).execute();
    const templateById = new Map(existingTemplates.map((t) => [t.template_id, t]));
    for (const row of templates) {
      const existing = templateById.get(row.template_id);
      if (!existing) {
        await trx.insertInto('conversation_templates').values(row).execute();
        result.templates.added += 1;
      } else if (rowMatches(existing, row)) {
        result.templates.unchanged += 1;
      } else {
        await trx.updateTable('conversation_templates').set({ ...row, updated_at: new Date() }).where('id', '=', existing.id).execute();
        result.templates.updated += 1;
      }
    }

    const existingConversations = await trx.selectFrom('training_conversations').selectAll()
      .where('conversation_id', 'in', conversations.map((c) => c.conversation_id)).execute();
    const conversationById = new Map(existingConversations.map((c) => [c.conversation_id, c]));
    for (const row of conversations) {
      const existing = conversationById.get(row.conversation_id);
      if (!existing) {
        await trx.insertInto('training_conversations').values({ ...row, generation_status: 'planned' }).execute();
        result.conversations.added += 1;
      } else if (existing.generation_status !== 'planned') {
        // Generated or imported content owns the row now; the plan only describes what was intended.
        if (rowMatches(existing, row)) result.conversations.unchanged += 1;
        else result.conversations.locked += 1;
      } else if (rowMatches(existing, row)) {
        result.conversations.unchanged += 1;
      } else {
        await trx.updateTable('training_conversations').set({ ...row, updated_at: new Date() })
          .where('id', '=', existing.id).where('generation_status', '=', 'planned').execute();
        result.conversations.updated += 1;
      }
    }
  });
  return result;
}

/**
 * Validates FILE and imports it (see the module comment). A malformed file throws
 * GenerationFileError naming the file and JSON path, before anything is written.
 */
export async function importPlan(db: Kysely<Database>, file: string): Promise<PlanImportResult> {
  const plan = await loadJsonFile(file, planFileSchema);
  return importPlanData(db, plan);
}
