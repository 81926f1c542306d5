/**
 * The suggester's request and answer: Claude reads the prompt, the session's turns with their scores,
 * and the testers' notes (labelled N1, N2, …), and answers with edits as exact find/replace pairs on the
 * prompt, each naming the notes it answers and why (structured output in the strict subset, validated
 * with zod).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { CallRequest } from '../llm';
import type { SessionData } from './session-data';

export const SUGGEST_MAX_TOKENS = 4096;
const ANSWER_CHARS = 3000;

/** The suggester's answer. Closed objects only (strict subset). */
export const SUGGEST_OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    summary: { type: 'string', description: 'two or three sentences: what the notes show and what the edits change' },
    edits: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          find: { type: 'string', description: 'text copied exactly from the current prompt, occurring there exactly once' },
          replace: { type: 'string', description: 'the text that takes its place' },
          note_ids: { type: 'array', items: { type: 'string' }, description: 'the labels (N1, N2, …) of the notes this edit answers' },
          rationale: { type: 'string', description: 'one sentence: how the edit answers those notes' },
        },
        required: ['find', 'replace', 'note_ids', 'rationale'],
        additionalProperties: false,
      },
    },
  },
  required: ['summary', 'edits'],
  additionalProperties: false,
} as const;

const answerSchema = z.object({
  summary: z.string(),
  edits: z.array(z.object({ find: z.string(), replace: z.string(), note_ids: z.array(z.string()), rationale: z.string() })).max(30),
});
export type SuggesterAnswer = z.infer<typeof answerSchema>;

const SYSTEM = [
  'You improve the system prompt of ERA, an employee-relations assistant that answers club managers in Microsoft Teams.',
  'Testers chatted with ERA and left notes on its replies; an LLM judge scored each reply 1-5 for professionalism, empathy and clarity.',
  'Propose the smallest edits to the prompt that would make ERA answer the way the notes ask, without breaking what testers liked.',
  'Each edit is an exact find/replace: `find` is copied character for character from the current prompt (whole lines are safest) and must occur there exactly once; `replace` is the new text.',
  'Each edit names the labels of the notes it answers (N1, N2, …) and says why in one sentence. Do not address notes marked positive; leave out notes about a single fact that no prompt change would fix.',
  'Return JSON only, in the given schema. No edits is a valid answer when the notes need none.',
].join('\n');

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function scoresLine(t: SessionData['turns'][number]): string {
  const m = t.turn;
  const judge = m.professionalism_score === null ? 'judge: none' : `professionalism ${m.professionalism_score}, empathy ${m.empathy_score ?? '?'}, clarity ${m.clarity_score ?? '?'}`;
  const flag = (v: boolean | null) => (v === null ? '?' : v ? 'yes' : 'no');
  return `citation ${flag(m.has_policy_citation)}, action ${flag(m.appropriate_action_suggested)}, structure ${flag(m.structure_complete)}; ${judge}`;
}

/** The user message: the prompt, the turns with scores, the notes. */
export function suggestUserContent(prompt: string, data: SessionData): string {
  const turns = data.turns.map((t) => [
    `Turn ${t.turn.turn_number}`,
    `Manager: ${clip(t.turn.user_message, ANSWER_CHARS)}`,
    `ERA: ${clip(t.turn.era_response, ANSWER_CHARS)}`,
    `Scores: ${scoresLine(t)}`,
  ].join('\n'));
  const notes = data.turns.flatMap((t) => t.notes.map((n) =>
    `[${n.label}] turn ${n.turnNumber} · ${n.positive ? 'positive' : (n.category ?? 'uncategorised')}: ${n.text}`));
  return [
    `<current_prompt>\n${prompt}\n</current_prompt>`,
    `<turns>\n${turns.join('\n\n')}\n</turns>`,
    `<notes>\n${notes.join('\n')}\n</notes>`,
    'Propose the edits.',
  ].join('\n\n');
}

/** The Messages request. */
export function suggestRequest(prompt: string, data: SessionData, model: string, maxTokens = SUGGEST_MAX_TOKENS): Anthropic.MessageCreateParamsNonStreaming {
  return {
    model,
    max_tokens: maxTokens,
    system: SYSTEM,
    messages: [{ role: 'user', content: suggestUserContent(prompt, data) }],
    output_config: { format: { type: 'json_schema', schema: SUGGEST_OUTPUT_SCHEMA } },
  };
}

/** The request as the call log records it. */
export function suggestCallRequest(params: Anthropic.MessageCreateParamsNonStreaming): CallRequest {
  return { system: SYSTEM, messages: params.messages, outputSchema: SUGGEST_OUTPUT_SCHEMA, params: { max_tokens: params.max_tokens } };
}

/** Reads the suggester's answer text. */
export function readSuggesterAnswer(text: string): { ok: true; answer: SuggesterAnswer } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `the suggester's answer is not JSON: ${clip(text, 120)}` };
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `the suggester's answer does not match the schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { ok: true, answer: parsed.data };
}
