/**
 * Exports of the training data: approved conversations as fine-tuning JSONL (Anthropic's and
 * OpenAI's chat formats) and the quality report as CSV. Both read page by page and stream, so a
 * large dataset is never held whole in memory.
 */
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';

type Db = Kysely<Database>;

export type FineTuningFormat = 'anthropic' | 'openai';

/** One training example in Anthropic's format: a system prompt and alternating user/assistant turns. */
export interface AnthropicExample {
  system: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string }>;
}

/** One training example in OpenAI's chat fine-tuning format. */
export interface OpenAiExample {
  messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
}

const PAGE = 100;

/** Approved conversations, in conversation-number order, each with its turns. */
async function* approvedConversations(db: Db): AsyncGenerator<{ key: string; system: string; turns: Array<{ user: string; assistant: string }> }> {
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('training_conversations')
      .select(['id', 'conversation_id', 'conversation_number'])
      .where('generation_status', '=', 'approved')
      .where('conversation_number', '>', after)
      .orderBy('conversation_number')
      .limit(PAGE)
      .execute();
    if (page.length === 0) return;
    const turns = await db
      .selectFrom('training_turns')
      .select(['conversation_id', 'turn_number', 'system_prompt', 'user_input', 'target_response'])
      .where('conversation_id', 'in', page.map((c) => c.id))
      .orderBy('conversation_id')
      .orderBy('turn_number')
      .execute();
    for (const c of page) {
      after = c.conversation_number;
      const own = turns.filter((t) => t.conversation_id === c.id);
      const [first] = own;
      if (!first) continue;
      yield { key: c.conversation_id, system: first.system_prompt, turns: own.map((t) => ({ user: t.user_input, assistant: t.target_response })) };
    }
  }
}

/** The JSONL lines (one example per approved conversation) in the chosen format. */
export async function* fineTuningJsonl(db: Db, format: FineTuningFormat): AsyncGenerator<string> {
  for await (const c of approvedConversations(db)) {
    const messages = c.turns.flatMap((t) => [
      { role: 'user' as const, content: t.user },
      { role: 'assistant' as const, content: t.assistant },
    ]);
    const example: AnthropicExample | OpenAiExample =
      format === 'anthropic' ? { system: c.system, messages } : { messages: [{ role: 'system', content: c.system }, ...messages] };
    yield `${JSON.stringify(example)}\n`;
  }
}

export const QUALITY_COLUMNS = [
  'conversation_id', 'conversation_number', 'persona_name', 'tier', 'topic_category', 'generation_status',
  'total_turns', 'total_sentences', 'overall_quality_score', 'empathy_score', 'clarity_score',
  'appropriateness_score', 'brand_voice_alignment', 'word_choice_rationale_completeness',
  'all_required_fields_complete', 'needs_review', 'ready_for_training', 'reviewer_approved',
] as const;

/** The quality report as CSV (header first), one row per conversation with metrics. */
export function qualityReportCsv(db: Db): Readable {
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const page = await db
        .selectFrom('training_conversations as c')
        .innerJoin('quality_metrics as q', 'q.conversation_id', 'c.id')
        .select([
          'c.conversation_id', 'c.conversation_number', 'c.persona_name', 'c.tier', 'c.topic_category', 'c.generation_status',
          'q.total_turns', 'q.total_sentences', 'q.overall_quality_score', 'q.empathy_score', 'q.clarity_score',
          'q.appropriateness_score', 'q.brand_voice_alignment', 'q.word_choice_rationale_completeness',
          'q.all_required_fields_complete', 'q.needs_review', 'q.ready_for_training', 'q.reviewer_approved',
        ])
        .where('c.conversation_number', '>', after)
        .orderBy('c.conversation_number')
        .limit(PAGE)
        .execute();
      if (page.length === 0) return;
      for (const r of page) {
        yield r;
        after = r.conversation_number;
      }
    }
  }
  return Readable.from(rows()).pipe(
    stringify({ header: true, columns: [...QUALITY_COLUMNS], cast: { boolean: (v) => (v ? 'true' : 'false') } }),
  );
}
