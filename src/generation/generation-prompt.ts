/**
 * The generation request's pure parts: the template prompt with the planned conversation's variables
 * filled in, and the JSON schema of the answer, derived from the seed zod schema so the two cannot drift.
 */
import { type ZodTypeAny, z } from 'zod';
import type { ConversationTemplate, TrainingConversation } from '../../db';
import { AppError } from '../errors';
import { seedFileSchema } from './plan/seed-schema';

/** A template placeholder the plan has no value for; the conversation cannot be generated as planned. */
export class UnfilledPlaceholderError extends AppError {
  constructor(readonly templateId: string, readonly placeholders: string[]) {
    super(`template ${templateId} has placeholders with no value for this conversation: ${placeholders.map((p) => `{{${p}}}`).join(', ')}`);
  }

  get userMessage(): string {
    return this.message;
  }
}

type Json = { [key: string]: unknown };

/**
 * The API's structured outputs take closed objects only (additionalProperties: false), so a free-form
 * map such as word_choice_rationale ({phrase: rationale}) travels as a list of {key, value} pairs;
 * {@link fromWireFormat} turns the answer back into the seed structure.
 */
const PAIR_KEY = 'key';
const PAIR_VALUE = 'value';

/**
 * JSON schema of a zod (v3) schema, in the subset the API's structured outputs accept: objects closed,
 * optional fields left out of `required`, records as arrays of {key, value} pairs.
 */
export function jsonSchemaOf(schema: ZodTypeAny): Json {
  const def = schema._def as { typeName: z.ZodFirstPartyTypeKind } & Record<string, unknown>;
  const K = z.ZodFirstPartyTypeKind;
  switch (def.typeName) {
    case K.ZodString: return { type: 'string' };
    case K.ZodNumber: {
      const checks = (def.checks as { kind: string }[]);
      return { type: checks.some((c) => c.kind === 'int') ? 'integer' : 'number' };
    }
    case K.ZodBoolean: return { type: 'boolean' };
    case K.ZodLiteral: return { const: def.value };
    // enum without type, as the SDK's strict transform writes it.
    case K.ZodEnum: return { enum: [...(def.values as string[])] };
    case K.ZodArray: return { type: 'array', items: jsonSchemaOf(def.type as ZodTypeAny) };
    case K.ZodRecord: return {
      type: 'array',
      items: {
        type: 'object',
        properties: { [PAIR_KEY]: { type: 'string' }, [PAIR_VALUE]: jsonSchemaOf(def.valueType as ZodTypeAny) },
        required: [PAIR_KEY, PAIR_VALUE],
        additionalProperties: false,
      },
    };
    case K.ZodUnion: return { anyOf: (def.options as ZodTypeAny[]).map(jsonSchemaOf) };
    case K.ZodNullable: return { anyOf: [jsonSchemaOf(def.innerType as ZodTypeAny), { type: 'null' }] };
    case K.ZodOptional:
    case K.ZodDefault: return jsonSchemaOf(def.innerType as ZodTypeAny);
    case K.ZodEffects: return jsonSchemaOf(def.schema as ZodTypeAny);
    case K.ZodObject: {
      const shape: Record<string, ZodTypeAny> = schema instanceof z.ZodObject ? (schema.shape as Record<string, ZodTypeAny>) : {};
      const properties: Json = {};
      const required: string[] = [];
      for (const [key, value] of Object.entries(shape)) {
        properties[key] = jsonSchemaOf(value);
        if (!value.isOptional()) required.push(key);
      }
      return { type: 'object', properties, required, additionalProperties: false };
    }
    default: throw new Error(`jsonSchemaOf: unsupported zod type ${def.typeName}`);
  }
}

/** The structured-output schema of a generated conversation: the seed file format, maps as pair lists. */
export const GENERATED_CONVERSATION_SCHEMA: Json = jsonSchemaOf(seedFileSchema);

const isPairList = (v: unknown): v is Array<{ key: unknown; value: unknown }> =>
  Array.isArray(v) && v.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p) && PAIR_KEY in p && PAIR_VALUE in p);

/**
 * Turns an answer in the wire format back into the seed structure: the {key, value} lists of the seed
 * schema's maps become objects. A map already given as an object is kept. Duplicate keys are reported.
 */
export function fromWireFormat(json: unknown): { value: unknown; errors: string[] } {
  const errors: string[] = [];
  const walk = (schema: ZodTypeAny, value: unknown, at: string): unknown => {
    const def = schema._def as { typeName: z.ZodFirstPartyTypeKind } & Record<string, unknown>;
    const K = z.ZodFirstPartyTypeKind;
    switch (def.typeName) {
      case K.ZodRecord: {
        if (!isPairList(value)) return value;
        const out: Record<string, unknown> = {};
        for (const [i, pair] of value.entries()) {
          const key = String(pair.key);
          if (key in out) errors.push(`${at}[${i}].key: "${key}" appears twice`);
          out[key] = walk(def.valueType as ZodTypeAny, pair.value, `${at}[${i}].value`);
        }
        return out;
      }
      case K.ZodArray:
        return Array.isArray(value) ? value.map((v, i) => walk(def.type as ZodTypeAny, v, `${at}[${i}]`)) : value;
      case K.ZodObject: {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
        const shape: Record<string, ZodTypeAny> = schema instanceof z.ZodObject ? (schema.shape as Record<string, ZodTypeAny>) : {};
        const obj = value as Record<string, unknown>;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, shape[k] ? walk(shape[k], v, at ? `${at}.${k}` : k) : v]));
      }
      case K.ZodOptional:
      case K.ZodNullable:
      case K.ZodDefault: return walk(def.innerType as ZodTypeAny, value, at);
      case K.ZodEffects: return walk(def.schema as ZodTypeAny, value, at);
      default: return value;
    }
  };
  return { value: walk(seedFileSchema, json, ''), errors };
}

/** The values a template prompt may name, from the planned conversation row. */
export function placeholderValues(c: TrainingConversation): Record<string, string | null> {
  const str = (v: string | number | null) => (v === null ? null : String(v));
  return {
    conversation_id: c.conversation_id,
    conversation_number: String(c.conversation_number),
    persona_type: c.persona_type,
    persona_name: c.persona_name,
    persona_description: c.persona_description,
    topic_category: c.topic_category,
    topic_description: c.topic_description,
    tier: c.tier,
    tier_template: c.tier_template,
    tier_batch: str(c.tier_batch),
    starting_emotion: c.starting_emotion,
    starting_emotion_intensity: str(c.starting_emotion_intensity),
    ending_emotion: c.ending_emotion,
    ending_emotion_intensity: str(c.ending_emotion_intensity),
    emotional_arc_description: c.emotional_arc_description,
    session_context: c.session_context,
    conversation_phase: c.conversation_phase,
    expected_outcome: c.expected_outcome,
    turn_count: String(c.turn_count),
  };
}

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

/** Fills `{{name}}` placeholders; throws UnfilledPlaceholderError listing every one without a value. */
export function fillTemplate(templateId: string, text: string, values: Record<string, string | null>): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values[name];
    if (v === undefined || v === null || v.trim() === '') {
      missing.add(name);
      return whole;
    }
    return v;
  });
  if (missing.size) throw new UnfilledPlaceholderError(templateId, [...missing]);
  return out;
}

/** The user message asking for one conversation: the filled template, its instructions, the output contract. */
export function buildGenerationPrompt(template: ConversationTemplate, conversation: TrainingConversation): string {
  const values = placeholderValues(conversation);
  const parts = [fillTemplate(template.template_id, template.template_prompt, values)];
  if (template.template_instructions) parts.push(fillTemplate(template.template_id, template.template_instructions, values));
  parts.push([
    'Output requirements:',
    `- Exactly ${conversation.turn_count} training_pairs, turn_number 1..${conversation.turn_count}, all with conversation_id "${conversation.conversation_id}"`
      + ` and ids "${conversation.conversation_id}_turn<N>".`,
    `- conversation_metadata in every pair: conversation_number ${conversation.conversation_number}, tier "${conversation.tier}"`
      + (conversation.tier_template ? `, tier_template "${conversation.tier_template}"` : '') + '.',
    '- dataset_metadata.total_conversations is 1 and total_turns equals the number of pairs.',
    '- Every sentence of each target_response appears, verbatim and in order, in response_breakdown.sentences (numbered from 1),'
      + ' each with 3-6 word_choice_rationale entries ({"key": the exact phrase, "value": why it was chosen}).',
    '- emotional_progression is required from turn 2 on. Confidences and intensities are 0-1; scores are 1-5.',
    '- Return the JSON object only.',
  ].join('\n'));
  return parts.join('\n\n');
}
