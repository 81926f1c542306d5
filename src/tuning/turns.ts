/** Conversation turns: numbered under a session lock, found by id or by their reply's activity id. */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JsonObject, SearchResults, Turn } from '../../db';
import { SessionNotFoundError, TurnNotFoundError } from './errors';
import { UUID_PATTERN } from './types';

type Db = Kysely<Database>;

export interface NewTurnInput {
  sessionId: string;
  userMessage: string;
  eraResponse: string;
  processingTimeMs: number;
  searchResults?: SearchResults | null;
  avgSimilarity?: number | null;
  totalChunks?: number | null;
  confidenceScore?: number | null;
  templateUsed?: string | null;
  metadata: JsonObject;
}

/**
 * Stores a turn with the next turn number. The session row is locked for the transaction, so
 * concurrent messages in one session get 1, 2, 3… in the order they finish, never a duplicate.
 */
export async function recordTurn(db: Db | Transaction<Database>, input: NewTurnInput): Promise<Turn> {
  // Inside the caller's transaction when given one (the turn service writes the prompt capture with it).
  const inTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
  return inTransaction(async (trx) => {
    const session = await trx
      .selectFrom('prompt_tuning_sessions')
      .select('id')
      .where('id', '=', input.sessionId)
      .forUpdate()
      .executeTakeFirst();
    if (!session) throw new SessionNotFoundError(input.sessionId);
    const { next } = await trx
      .selectFrom('tuning_conversation_turns')
      .select(sql<number>`coalesce(max(turn_number), 0) + 1`.as('next'))
      .where('session_id', '=', input.sessionId)
      .executeTakeFirstOrThrow();
    return trx
      .insertInto('tuning_conversation_turns')
      .values({
        session_id: input.sessionId,
        turn_number: next,
        user_message: input.userMessage,
        era_response: input.eraResponse,
        processing_time_ms: input.processingTimeMs,
        search_results: input.searchResults ?? null,
        avg_similarity: input.avgSimilarity ?? null,
        total_chunks: input.totalChunks ?? null,
        confidence_score: input.confidenceScore ?? null,
        template_used: input.templateUsed ?? null,
        metadata: input.metadata,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** The last `limit` turns of a session, oldest first: ERA's conversation history. */
export async function recentTurns(db: Db, sessionId: string, limit: number): Promise<Turn[]> {
  if (limit <= 0) return [];
  const rows = await db
    .selectFrom('tuning_conversation_turns')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('turn_number', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse();
}

/** Records which Teams activity carries the turn's reply card. */
export async function setReplyActivityId(db: Db, turnId: string, activityId: string): Promise<void> {
  await db
    .updateTable('tuning_conversation_turns')
    .set({ metadata: sql`coalesce(metadata, '{}'::jsonb) || jsonb_build_object('reply_activity_id', ${activityId}::text)` })
    .where('id', '=', turnId)
    .execute();
}

/** A turn by id, whoever's it is (the bot's own bookkeeping: the judge's card update), or undefined. */
export async function findTurn(db: Db, turnId: string): Promise<Turn | undefined> {
  if (!UUID_PATTERN.test(turnId)) return undefined;
  return db.selectFrom('tuning_conversation_turns').selectAll().where('id', '=', turnId).executeTakeFirst();
}

export interface TesterTurn {
  turn: Turn;
  sessionId: string;
  sessionOpen: boolean;
}

/**
 * The turn with this id if it is in one of the tester's sessions. A malformed id, a missing turn
 * and another tester's turn all give TurnNotFoundError: a forged card learns nothing.
 */
export async function findTesterTurn(db: Db, turnId: unknown, testerId: string): Promise<TesterTurn> {
  if (typeof turnId !== 'string' || !UUID_PATTERN.test(turnId)) throw new TurnNotFoundError(String(turnId).slice(0, 60));
  const row = await db
    .selectFrom('tuning_conversation_turns as t')
    .innerJoin('prompt_tuning_sessions as s', 's.id', 't.session_id')
    .selectAll('t')
    .select(['s.session_end as session_end'])
    .where('t.id', '=', turnId)
    .where('s.tester_id', '=', testerId)
    .executeTakeFirst();
  if (!row) throw new TurnNotFoundError(turnId);
  const { session_end: sessionEnd, ...turn } = row;
  return { turn, sessionId: turn.session_id, sessionOpen: sessionEnd === null };
}

/** The tester's turn whose reply card is the given Teams activity (thumbs feedback names only that). */
export async function findTesterTurnByReply(db: Db, replyActivityId: string, testerId: string): Promise<TesterTurn> {
  const row = await db
    .selectFrom('tuning_conversation_turns as t')
    .innerJoin('prompt_tuning_sessions as s', 's.id', 't.session_id')
    .selectAll('t')
    .select(['s.session_end as session_end'])
    .where(sql<boolean>`t.metadata ? 'reply_activity_id'`)
    .where(sql`t.metadata->>'reply_activity_id'`, '=', replyActivityId)
    .where('s.tester_id', '=', testerId)
    .executeTakeFirst();
  if (!row) throw new TurnNotFoundError(replyActivityId);
  const { session_end: sessionEnd, ...turn } = row;
  return { turn, sessionId: turn.session_id, sessionOpen: sessionEnd === null };
}
