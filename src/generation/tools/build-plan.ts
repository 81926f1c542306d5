/**
 * Writes examples/financial-planning/plan.json: the 100-conversation plan, laid out deterministically
 * (no randomness, so re-running produces the same file byte for byte).
 *   node -r @swc-node/register src/generation/tools/build-plan.ts [OUT]
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { planFileSchema } from '../plan/plan-schema';
import { ARCS, DATASET, PERSONAS, TIERS, TOPICS } from './plan-content';
import { buildTemplates } from './plan-templates';

type PersonaKey = 'marcus' | 'jennifer' | 'david' | 'mixed';

// Conversations 1-10: the seeds, two per tier-1 template (Marcus 4, Jennifer 3, David 3).
const SEEDS: { persona: PersonaKey; template: string; topic: string; turns: number }[] = [
  { persona: 'marcus', template: 'a', topic: 'rsu_confusion', turns: 3 },
  { persona: 'jennifer', template: 'a', topic: 'post_divorce_rebuild', turns: 4 },
  { persona: 'david', template: 'b', topic: 'debt_shame', turns: 3 },
  { persona: 'marcus', template: 'b', topic: 'tax_surprise', turns: 4 },
  { persona: 'jennifer', template: 'c', topic: 'keep_the_house', turns: 4 },
  { persona: 'marcus', template: 'c', topic: 'retirement_catch_up', turns: 4 },
  { persona: 'david', template: 'd', topic: 'couple_money_conflict', turns: 4 },
  { persona: 'jennifer', template: 'd', topic: 'college_saving', turns: 4 },
  { persona: 'marcus', template: 'e', topic: 'espp_and_concentration', turns: 5 },
  { persona: 'david', template: 'e', topic: 'insurance_gaps', turns: 5 },
];

// The spec's persona split over all 100 (Marcus 17, Jennifer 14, David 13, mixed 56), less the seeds.
const GENERATED_PERSONAS: Record<PersonaKey, number> = { marcus: 13, jennifer: 11, david: 10, mixed: 56 };

const TOPIC_POOLS: Record<PersonaKey, string[]> = {
  marcus: ['rsu_confusion', 'espp_and_concentration', 'retirement_catch_up', 'tax_surprise', 'investing_start', 'windfall', 'scam_or_hype'],
  jennifer: ['post_divorce_rebuild', 'college_saving', 'keep_the_house', 'debt_shame', 'emergency_fund', 'insurance_gaps', 'caring_for_parents'],
  david: ['student_loans', 'couple_money_conflict', 'first_home', 'emergency_fund', 'insurance_gaps', 'debt_shame', 'job_loss'],
  mixed: TOPICS.map((t) => t.key),
};

const BLENDS = [['marcus', 'jennifer'], ['marcus', 'david'], ['jennifer', 'david']];

const CONTEXTS = [
  'Late evening (10:47 PM), alone at the kitchen table after a long day',
  'Lunch break at work, typing quickly between meetings',
  'Sunday morning, finally sitting down with statements that have piled up',
  'Right after opening a letter that changed the picture',
  'After an argument about money the night before',
  'First session, booked after months of putting it off',
];

const TIER2_ARCS = ['anxiety_to_confidence', 'guilt_to_self_compassion', 'frustration_to_empowerment', 'confusion_to_clarity', 'skepticism_to_trust', 'shame_to_acceptance', 'excitement_to_grounded'];
const TIER3_ARCS: Record<string, string[]> = {
  tier3_edge_crisis: ['fear_to_hope'],
  tier3_edge_boundary: ['frustration_to_empowerment', 'skepticism_to_trust'],
  tier3_edge_adversarial: ['skepticism_to_trust', 'excitement_to_grounded'],
};

/** VALUE, or a failure naming WHAT: the plan's tables are fixed, so a gap is a bug in them. */
function must<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`build-plan: ${what} is missing`);
  return value;
}

/** ITEMS[i mod length]. */
function cycle<T>(items: readonly T[], i: number, what: string): T {
  return must(items[i % items.length], what);
}

/** Spreads the generated slots over the personas so every tier gets its share of each. */
function personaSequence(total: number): PersonaKey[] {
  const keys = Object.keys(GENERATED_PERSONAS) as PersonaKey[];
  const given: Record<PersonaKey, number> = { marcus: 0, jennifer: 0, david: 0, mixed: 0 };
  const out: PersonaKey[] = [];
  for (let i = 0; i < total; i += 1) {
    let best = must(keys[0], 'a persona');
    let bestDeficit = -Infinity;
    for (const k of keys) {
      const deficit = (GENERATED_PERSONAS[k] * (i + 1)) / total - given[k];
      if (deficit > bestDeficit + 1e-9) {
        best = k;
        bestDeficit = deficit;
      }
    }
    given[best] += 1;
    out.push(best);
  }
  return out;
}

function buildPlan() {
  const templates = buildTemplates();
  const arcByKey = new Map(ARCS.map((a) => [a.key, a]));
  const topicByKey = new Map(TOPICS.map((t) => [t.key, t]));
  const perPersona: Record<PersonaKey, number> = { marcus: 0, jennifer: 0, david: 0, mixed: 0 };
  const topicTurn: Record<PersonaKey, number> = { marcus: 0, jennifer: 0, david: 0, mixed: 0 };
  const conversations: Record<string, unknown>[] = [];

  const add = (number: number, persona: PersonaKey, tier: string, templateId: string, arc: string, topic: string, turns: number, seed: boolean) => {
    perPersona[persona] += 1;
    const topicInfo = must(topicByKey.get(topic), `topic ${topic}`);
    const arcInfo = must(arcByKey.get(arc), `arc ${arc}`);
    conversations.push({
      number,
      conversation_id: `fp_${persona}_${String(perPersona[persona]).padStart(3, '0')}`,
      persona,
      ...(persona === 'mixed' ? { blend: cycle(BLENDS, perPersona.mixed - 1, 'a blend') } : {}),
      topic,
      tier,
      template_id: templateId,
      arc,
      turn_count: turns,
      tier_batch: Math.ceil((number * 16) / 100),
      seed,
      session_context: cycle(CONTEXTS, number - 1, 'a session context'),
      expected_outcome: `The client moves from ${arcInfo.starting_emotion.toLowerCase()} to ${arcInfo.ending_emotion.toLowerCase()} about ${topicInfo.category.toLowerCase()} and leaves with one concrete next step they chose.`,
    });
  };

  SEEDS.forEach((s, i) => {
    const t = must(templates.find((x) => x.template_id === `tier1_template_${s.template}`), `template ${s.template}`);
    add(i + 1, s.persona, 'tier1_template', t.template_id, must(t.emotional_arc, `the arc of ${t.template_id}`), s.topic, s.turns, true);
  });

  const personas = personaSequence(90);
  const byTier = (tier: string) => templates.filter((t) => t.tier === tier);
  const slots: { tier: string; count: number }[] = TIERS.map((t) => ({ tier: t.tier, count: t.planned_count }));
  let number = SEEDS.length;
  for (const { tier, count } of slots) {
    const pool = byTier(tier);
    for (let i = 0; i < count; i += 1) {
      number += 1;
      const persona = must(personas[number - SEEDS.length - 1], 'a persona slot');
      const template = cycle(pool, i, `a ${tier} template`);
      const topic = cycle(TOPIC_POOLS[persona], topicTurn[persona], `a topic for ${persona}`);
      topicTurn[persona] += 1;
      let arc: string;
      let turns: number;
      if (tier === 'tier1_template') {
        arc = must(template.emotional_arc, `the arc of ${template.template_id}`);
        turns = template.typical_turn_count;
      } else if (tier === 'tier2_scenario') {
        arc = cycle(TIER2_ARCS, i, 'a tier 2 arc');
        turns = 4 + (i % 2);
      } else {
        arc = cycle(must(TIER3_ARCS[template.template_id], `the arcs of ${template.template_id}`), Math.floor(i / pool.length), 'a tier 3 arc');
        turns = template.typical_turn_count;
      }
      add(number, persona, tier, template.template_id, arc, topic, turns, false);
    }
  }

  return {
    plan_version: 1,
    dataset: DATASET,
    personas: PERSONAS,
    topics: TOPICS,
    emotional_arcs: ARCS,
    tiers: TIERS,
    templates,
    conversations,
  };
}

const out = process.argv[2] ?? path.resolve(__dirname, '../../../examples/financial-planning/plan.json');
const plan = buildPlan();
// Validate before writing: the committed file must always load.
const checked = planFileSchema.safeParse(plan);
if (!checked.success) {
  console.error(checked.error.issues.slice(0, 10));
  process.exit(1);
}
writeFileSync(out, `${JSON.stringify(plan, null, 2)}\n`);
console.log(`wrote ${plan.conversations.length} conversations and ${plan.templates.length} templates to ${out}`);
