/**
 * The dataset plan file (examples/financial-planning/plan.json): personas, topics, emotional arcs,
 * tiers, templates and the 100 planned conversations. Cross-references are checked here so that a
 * plan that names an unknown persona or template fails with the path of the bad entry.
 */
import { z } from 'zod';

/** The spec's three tiers (training_conversations.tier / conversation_templates.tier). */
export const TIERS = ['tier1_template', 'tier2_scenario', 'tier3_edge'] as const;
export type Tier = (typeof TIERS)[number];

const key = z.string().regex(/^[a-z0-9_]+$/, 'use lowercase letters, digits and underscores');
const intensity = z.number().min(0).max(1);

const personaSchema = z.object({
  key,
  persona_type: z.string().min(1).max(50),
  persona_name: z.string().min(1).max(100),
  description: z.string().min(1),
}).strict();

const topicSchema = z.object({
  key,
  category: z.string().min(1).max(100),
  description: z.string().min(1),
}).strict();

const arcSchema = z.object({
  key: key.max(100),
  starting_emotion: z.string().min(1).max(50),
  starting_intensity: intensity,
  ending_emotion: z.string().min(1).max(50),
  ending_intensity: intensity,
  description: z.string().min(1),
}).strict();

const tierSchema = z.object({
  tier: z.enum(TIERS),
  label: z.string().min(1),
  description: z.string().min(1),
  planned_count: z.number().int().min(0),
}).strict();

const templateSchema = z.object({
  template_id: z.string().min(1).max(50),
  template_name: z.string().min(1).max(200),
  tier: z.enum(TIERS),
  letter: z.string().regex(/^[A-Z]$/).optional(),
  emotional_arc: key.optional(),
  typical_turn_count: z.number().int().min(1).max(6),
  structural_pattern_description: z.string().min(1),
  template_prompt: z.string().min(200, 'a template prompt must be a complete prompt (200 characters or more)'),
  template_instructions: z.string().min(1),
  quality_requirements: z.record(z.unknown()),
  is_active: z.boolean().default(true),
}).strict();

const conversationSchema = z.object({
  number: z.number().int().min(1).max(100),
  conversation_id: z.string().regex(/^[a-z0-9_]+$/).max(50),
  persona: key,
  blend: z.array(key).min(2).optional(),
  topic: key,
  tier: z.enum(TIERS),
  template_id: z.string().min(1),
  arc: key,
  turn_count: z.number().int().min(3).max(6),
  tier_batch: z.number().int().min(1).max(16),
  seed: z.boolean(),
  session_context: z.string().min(1),
  expected_outcome: z.string().min(1),
}).strict();

/** The whole plan, with uniqueness and reference checks. */
export const planFileSchema = z.object({
  plan_version: z.literal(1),
  dataset: z.object({
    name: z.string().min(1),
    vertical: z.string().min(1),
    consultant: z.string().min(1),
    total_conversations: z.number().int().min(1).max(100),
    seed_conversations: z.number().int().min(0),
  }).strict(),
  personas: z.array(personaSchema).min(1),
  topics: z.array(topicSchema).min(1),
  emotional_arcs: z.array(arcSchema).min(1),
  tiers: z.array(tierSchema).length(3),
  templates: z.array(templateSchema).min(1),
  conversations: z.array(conversationSchema).min(1),
}).strict().superRefine((plan, ctx) => {
  const unique = (field: 'personas' | 'topics' | 'emotional_arcs' | 'templates' | 'conversations', values: (string | number)[], what: string) => {
    const seen = new Set<string | number>();
    values.forEach((v, i) => {
      if (seen.has(v)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [field, i], message: `duplicate ${what} ${String(v)}` });
      seen.add(v);
    });
  };
  unique('personas', plan.personas.map((p) => p.key), 'persona key');
  unique('topics', plan.topics.map((t) => t.key), 'topic key');
  unique('emotional_arcs', plan.emotional_arcs.map((a) => a.key), 'arc key');
  unique('templates', plan.templates.map((t) => t.template_id), 'template_id');
  unique('conversations', plan.conversations.map((c) => c.number), 'conversation number');
  unique('conversations', plan.conversations.map((c) => c.conversation_id), 'conversation_id');

  const personas = new Set(plan.personas.map((p) => p.key));
  const topics = new Set(plan.topics.map((t) => t.key));
  const arcs = new Set(plan.emotional_arcs.map((a) => a.key));
  const templates = new Map(plan.templates.map((t) => [t.template_id, t]));
  const bad = (path: (string | number)[], message: string) => { ctx.addIssue({ code: z.ZodIssueCode.custom, path, message }); };

  plan.templates.forEach((t, i) => {
    if (t.emotional_arc && !arcs.has(t.emotional_arc)) bad(['templates', i, 'emotional_arc'], `unknown emotional arc "${t.emotional_arc}"`);
  });
  plan.conversations.forEach((c, i) => {
    if (!personas.has(c.persona)) bad(['conversations', i, 'persona'], `unknown persona "${c.persona}"`);
    c.blend?.forEach((b, j) => {
      if (!personas.has(b)) bad(['conversations', i, 'blend', j], `unknown persona "${b}"`);
    });
    if (!topics.has(c.topic)) bad(['conversations', i, 'topic'], `unknown topic "${c.topic}"`);
    if (!arcs.has(c.arc)) bad(['conversations', i, 'arc'], `unknown emotional arc "${c.arc}"`);
    const template = templates.get(c.template_id);
    if (!template) bad(['conversations', i, 'template_id'], `unknown template "${c.template_id}"`);
    else if (template.tier !== c.tier) bad(['conversations', i, 'tier'], `template ${c.template_id} is ${template.tier}, not ${c.tier}`);
  });
  if (plan.conversations.length !== plan.dataset.total_conversations) {
    bad(['conversations'], `${plan.conversations.length} conversations, but dataset.total_conversations is ${plan.dataset.total_conversations}`);
  }
  const seeds = plan.conversations.filter((c) => c.seed).length;
  if (seeds !== plan.dataset.seed_conversations) bad(['conversations'], `${seeds} seed conversations, but dataset.seed_conversations is ${plan.dataset.seed_conversations}`);
  plan.tiers.forEach((t, i) => {
    const n = plan.conversations.filter((c) => c.tier === t.tier && !c.seed).length;
    if (n !== t.planned_count) bad(['tiers', i, 'planned_count'], `${t.tier} plans ${t.planned_count} generated conversations but the plan lists ${n}`);
  });
});

/** A validated plan file. */
export type PlanFile = z.output<typeof planFileSchema>;
export type PlannedConversation = PlanFile['conversations'][number];
export type PlanTemplate = PlanFile['templates'][number];
