/**
 * One training conversation with everything annotated about it (spec 001 US-TRAIN-006): turns, each
 * with its emotional context, response strategy and sentence breakdown, and the quality metrics.
 */
import type { Kysely } from 'kysely';
import type { Database, EmotionalContext, QualityMetrics, ResponseBreakdown, ResponseStrategy, TrainingConversation, TrainingTurn } from '../../../db';
import { ConversationNotFoundError } from './catalog';

export interface AnnotatedTurn {
  turn: TrainingTurn;
  emotional: EmotionalContext | null;
  strategy: ResponseStrategy | null;
  sentences: ResponseBreakdown[];
}

export interface AnnotatedConversation {
  conversation: TrainingConversation;
  turns: AnnotatedTurn[];
  quality: QualityMetrics | null;
  previous: number | null;
  next: number | null;
}

/** The conversation numbered `number` with all its annotations; throws ConversationNotFoundError. */
export async function annotatedConversation(db: Kysely<Database>, number: number): Promise<AnnotatedConversation> {
  const conversation = await db.selectFrom('training_conversations').selectAll().where('conversation_number', '=', number).executeTakeFirst();
  if (!conversation) throw new ConversationNotFoundError(number);
  const turns = await db.selectFrom('training_turns').selectAll().where('conversation_id', '=', conversation.id).orderBy('turn_number').execute();
  const turnIds = turns.map((t) => t.id);
  const [emotional, strategies, sentences, quality, previous, next] = await Promise.all([
    turnIds.length ? db.selectFrom('emotional_context').selectAll().where('turn_id', 'in', turnIds).execute() : Promise.resolve([]),
    turnIds.length ? db.selectFrom('response_strategies').selectAll().where('turn_id', 'in', turnIds).execute() : Promise.resolve([]),
    turnIds.length ? db.selectFrom('response_breakdowns').selectAll().where('turn_id', 'in', turnIds).orderBy('sentence_number').execute() : Promise.resolve([]),
    db.selectFrom('quality_metrics').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst(),
    db.selectFrom('training_conversations').select('conversation_number').where('conversation_number', '<', number).orderBy('conversation_number', 'desc').limit(1).executeTakeFirst(),
    db.selectFrom('training_conversations').select('conversation_number').where('conversation_number', '>', number).orderBy('conversation_number').limit(1).executeTakeFirst(),
  ]);
  return {
    conversation,
    turns: turns.map((turn) => ({
      turn,
      emotional: emotional.find((e) => e.turn_id === turn.id) ?? null,
      strategy: strategies.find((s) => s.turn_id === turn.id) ?? null,
      sentences: sentences.filter((s) => s.turn_id === turn.id),
    })),
    quality: quality ?? null,
    previous: previous?.conversation_number ?? null,
    next: next?.conversation_number ?? null,
  };
}
