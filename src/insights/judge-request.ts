/**
 * The pure half of the LLM judge: the request for one turn (rubric as the cached system prompt, the
 * conversation, the passages and the reply), its structured-output schema in the API's strict subset,
 * and the reading of its answer (validated with zod; anything else is an invalid answer, never a score).
 */
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import type { SearchResults } from '../../db';
import type { CallRequest } from '../llm';
import type { JudgeScores } from './judgements';
import type { Rubric } from './rubric';

const SCORE = { enum: [1, 2, 3, 4, 5], description: '1 (poor) to 5 (excellent), as the rubric defines' } as const;
const DIMENSION = {
  type: 'object',
  properties: { score: SCORE, rationale: { type: 'string', description: 'one sentence naming what drove the score' } },
  required: ['score', 'rationale'],
  additionalProperties: false,
} as const;

/** The judge's answer: a score and a reason per dimension. Closed objects only (strict subset). */
export const JUDGE_OUTPUT_SCHEMA = {
  type: 'object',
  properties: { professionalism: DIMENSION, empathy: DIMENSION, clarity: DIMENSION },
  required: ['professionalism', 'empathy', 'clarity'],
  additionalProperties: false,
} as const;

const dimension = z.object({ score: z.number().int().min(1).max(5), rationale: z.string().max(2000) });
const judgeAnswer = z.object({ professionalism: dimension, empathy: dimension, clarity: dimension });

/** A parsed answer, or the reasons it is unusable. */
export type JudgeReading =
  | { ok: true; scores: JudgeScores; rationale: { professionalism: string; empathy: string; clarity: string }; structured: unknown }
  | { ok: false; error: string };

/** What the judge sees of a turn. */
export interface JudgeContext {
  turnId: string;
  sessionId: string;
  userMessage: string;
  answer: string;
  searchResults: SearchResults | null;
  /** Earlier exchanges of the session, oldest first (the last few only). */
  history: Array<{ user: string; assistant: string }>;
}

export const JUDGE_MAX_TOKENS = 600;
const PASSAGE_CHARS = 1500;
const HISTORY_CHARS = 1200;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function userContent(c: JudgeContext): string {
  const parts: string[] = [];
  if (c.history.length > 0) {
    const earlier = c.history.map((h, i) => `Manager (${i + 1}): ${clip(h.user, HISTORY_CHARS)}\nERA (${i + 1}): ${clip(h.assistant, HISTORY_CHARS)}`);
    parts.push(`<conversation_so_far>\n${earlier.join('\n\n')}\n</conversation_so_far>`);
  }
  parts.push(`<manager_message>\n${c.userMessage}\n</manager_message>`);
  const passages = c.searchResults?.results ?? [];
  parts.push(
    passages.length === 0
      ? '<policy_passages>\n(none were given to ERA for this message)\n</policy_passages>'
      : `<policy_passages>\n${passages.map((p, i) => `[${i + 1}] ${p.document_title}\n${clip(p.chunk_text, PASSAGE_CHARS)}`).join('\n\n')}\n</policy_passages>`,
  );
  parts.push(`<era_reply>\n${c.answer}\n</era_reply>`);
  parts.push('Score ERA\'s reply on professionalism, empathy and clarity as the rubric defines them.');
  return parts.join('\n\n');
}

/** The Messages request judging one turn. */
export function judgeRequest(c: JudgeContext, rubric: Rubric, model: string, maxTokens = JUDGE_MAX_TOKENS): Anthropic.MessageCreateParamsNonStreaming {
  // No temperature: the SDK's anthropic-version rejects it. The rubric is the same for every turn: cached.
  return {
    model,
    max_tokens: maxTokens,
    system: [{ type: 'text', text: rubric.text, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: userContent(c) }],
    output_config: { format: { type: 'json_schema', schema: JUDGE_OUTPUT_SCHEMA } },
  };
}

/** The request as the call log records it. */
export function judgeCallRequest(params: Anthropic.MessageCreateParamsNonStreaming, rubric: Rubric): CallRequest {
  return { system: rubric.text, messages: params.messages, outputSchema: JUDGE_OUTPUT_SCHEMA, params: { max_tokens: params.max_tokens } };
}

/** The text of a message's text blocks. */
export function messageText(message: Pick<Anthropic.Message, 'content'>): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

/** Reads the judge's answer text. */
export function readJudgeAnswer(text: string, stopReason: string | null = null): JudgeReading {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const cut = stopReason === 'max_tokens' ? ' (cut off at max_tokens)' : '';
    return { ok: false, error: `invalid_output: not JSON${cut}: ${clip(text, 120)}` };
  }
  const parsed = judgeAnswer.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: `invalid_output: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const a = parsed.data;
  return {
    ok: true,
    scores: { professionalism: a.professionalism.score, empathy: a.empathy.score, clarity: a.clarity.score },
    rationale: { professionalism: a.professionalism.rationale, empathy: a.empathy.rationale, clarity: a.clarity.rationale },
    structured: json,
  };
}
