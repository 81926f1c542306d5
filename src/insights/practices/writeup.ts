/**
 * A practice's text — title, description, key insights, tags, example: written by Claude from the pattern,
 * its statistics and the replies that show it best (one structured-output call, purpose `practices` in
 * the call log with its request and output), or offline by a deterministic extraction that says so.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { CallRequest } from '../../llm';
import type { PracticeCandidate } from './analysis';
import { FEATURES, type FeatureId } from './features';

export const OFFLINE_LABEL = 'Offline extraction (no ANTHROPIC_API_KEY)';
export const WRITEUP_MAX_TOKENS = 1200;
const EXAMPLES = 3;
const EXAMPLE_CHARS = 1500;

export interface PracticeText {
  title: string;
  description: string;
  keyInsights: string[];
  tags: string[];
  example: string;
}

export const PRACTICE_OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    title: { type: 'string', description: 'an imperative title of at most 80 characters, e.g. "Acknowledge the situation, then give numbered steps"' },
    description: { type: 'string', description: 'two to four sentences: what the replies do and why it works for managers asking about this topic' },
    key_insights: { type: 'array', items: { type: 'string' }, description: 'two to five short, concrete insights a prompt engineer can act on' },
    tags: { type: 'array', items: { type: 'string' }, description: 'two to six lower-case tags' },
    example: { type: 'string', description: 'the manager question and an excerpt of the reply that best shows the practice, as "Manager: …\\n\\nERA: …"' },
  },
  required: ['title', 'description', 'key_insights', 'tags', 'example'],
  additionalProperties: false,
} as const;

const answer = z.object({
  title: z.string().trim().min(1),
  description: z.string().trim().min(1),
  key_insights: z.array(z.string().trim().min(1)).min(1).max(10),
  tags: z.array(z.string().trim().min(1)).min(1).max(12),
  example: z.string().trim().min(1),
});

export const PRACTICE_SYSTEM = [
  'You write entries for a library of best practices used by prompt engineers who tune ERA, an assistant that answers',
  'managers\' employee-relations questions from policy documents. Each entry describes a pattern that the best-rated',
  'ERA replies share (rated by an LLM judge, programmatic checks and the testers\' Looks good / thumbs up).',
  'Describe the pattern as something a system prompt can ask for. Base every claim on the pattern, the statistics and',
  'the examples given; do not invent numbers. Write plainly, without marketing words.',
].join(' ');

const clip = (t: string, n: number): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
const pct = (n: number): string => n.toFixed(1);

/** The best reply as the example: the manager's question and ERA's answer. */
export function exampleOf(c: PracticeCandidate): string {
  const best = c.members[0];
  return best ? `Manager: ${clip(best.userMessage, 600)}\n\nERA: ${clip(best.reply, EXAMPLE_CHARS)}` : '';
}

function patternLines(features: readonly FeatureId[]): string[] {
  return features.map((f) => FEATURES[f]);
}

/** The Messages request writing one practice up. */
export function writeupRequest(c: PracticeCandidate, model: string): Anthropic.MessageCreateParamsNonStreaming {
  const s = c.stats;
  const content = [
    `<model>${c.model}</model>`,
    `<topic>${c.category}</topic>`,
    `<pattern>\n${patternLines(c.features).map((l) => `- ${l}`).join('\n')}\n</pattern>`,
    `<statistics>\nreplies on this topic by this model: ${s.groupReplies}; top replies: ${s.topReplies}; replies showing the pattern: ${s.withPattern} (mean combined score ${pct(s.meanWith)}/100); replies without it: ${s.withoutPattern}${s.meanWithout === null ? '' : ` (mean ${pct(s.meanWithout)}/100)`}; effectiveness score ${pct(c.effectiveness)}/100 (50 = no better than replies without it)\n</statistics>`,
    ...c.members.slice(0, EXAMPLES).map((m, i) => `<example n="${i + 1}" score="${pct(m.score)}">\nManager: ${clip(m.userMessage, 600)}\n\nERA: ${clip(m.reply, EXAMPLE_CHARS)}\n</example>`),
    'Write the best-practice entry for this pattern.',
  ].join('\n\n');
  return {
    model,
    max_tokens: WRITEUP_MAX_TOKENS,
    system: [{ type: 'text', text: PRACTICE_SYSTEM, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content }],
    output_config: { format: { type: 'json_schema', schema: PRACTICE_OUTPUT_SCHEMA } },
  };
}

/** The request as the call log records it. */
export function writeupCallRequest(params: Anthropic.MessageCreateParamsNonStreaming): CallRequest {
  return { system: PRACTICE_SYSTEM, messages: params.messages, outputSchema: PRACTICE_OUTPUT_SCHEMA, params: { max_tokens: params.max_tokens } };
}

/** Reads Claude's answer; an unusable one is an error string, never a practice. */
export function readWriteup(text: string): { ok: true; text: PracticeText; structured: unknown } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `invalid_output: not JSON: ${clip(text, 120)}` };
  }
  const parsed = answer.safeParse(json);
  if (!parsed.success) return { ok: false, error: `invalid_output: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const a = parsed.data;
  return {
    ok: true,
    structured: json,
    text: {
      title: clip(a.title, 255),
      description: a.description,
      keyInsights: a.key_insights,
      tags: [...new Set(a.tags.map((t) => clip(t.toLowerCase(), 60)))],
      example: a.example,
    },
  };
}

const SHORT: Record<FeatureId, string> = {
  opens_with_empathy: 'acknowledge the situation first',
  cites_policy: 'cite the policy',
  numbered_steps: 'give numbered steps',
  bulleted_points: 'list the points',
  names_next_action: 'name the next action',
  escalates_to_er: 'say when to involve ER',
  asks_clarifying_question: 'ask a clarifying question',
  advises_documentation: 'advise documenting the facts',
  considers_employee: 'consider the employee\'s circumstances',
  length_short: 'keep it short',
  length_medium: 'keep it to medium length',
  length_long: 'go into detail',
};

/** The deterministic write-up, labelled as an offline extraction. */
export function offlineWriteup(c: PracticeCandidate): PracticeText {
  const s = c.stats;
  const short = c.features.map((f) => SHORT[f]);
  const head = short.join(', ');
  const title = clip(`${c.category[0]?.toUpperCase() ?? ''}${c.category.slice(1)}: ${head.charAt(0).toUpperCase()}${head.slice(1)}`, 255);
  const comparison = s.meanWithout === null ? 'every reply in the group shows it' : `against ${pct(s.meanWithout)} for the ${s.withoutPattern} without it`;
  return {
    title,
    description: `${OFFLINE_LABEL}: the best-scored replies of ${c.model} to ${c.category} questions share these features — ${patternLines(c.features).join('; ')}. The ${s.withPattern} replies showing all of them score ${pct(s.meanWith)}/100 on the combined score, ${comparison}.`,
    keyInsights: [
      ...patternLines(c.features),
      `${s.withPattern} of ${s.groupReplies} replies show the pattern; effectiveness ${pct(c.effectiveness)}/100 (50 = no better than without it).`,
    ],
    tags: [c.category, ...c.features, 'offline-extraction'],
    example: exampleOf(c),
  };
}
