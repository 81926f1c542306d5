/**
 * Shared by the tuning-loop suites: a recorded session written directly (turns with passages, notes of
 * each source), a Claude client on the loopback fake, and a call log that keeps every entry it is given
 * (besides storing it) so tests can assert on the `io` each call passes.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { Database, SearchResults, Session, Turn } from '../../db';
import { type CallLog, type CallLogEntry, createCallLog } from '../../src/llm';
import type { Logger } from '../../src/logger';

type Db = Kysely<Database>;

export interface FixtureNote {
  text: string;
  category?: string | null;
  source?: 'card' | 'looks_good' | 'feedback_loop';
  reaction?: 'like' | 'dislike';
}

export interface FixtureTurn {
  user: string;
  answer: string;
  /** Chunk ids of the passages retrieved (titles and texts are made up). */
  passages?: string[];
  notes?: FixtureNote[];
}

export interface SeededSession {
  session: Session;
  turns: Turn[];
}

export function searchResultsOf(chunkIds: string[]): SearchResults {
  return { results: chunkIds.map((id, i) => ({ chunk_id: id, document_title: `Policy ${id}`, chunk_text: `Text of ${id}.`, similarity: 0.5 - i * 0.05 })) };
}

/** Writes a session with its turns and notes; the tester is `testerId`, the prompt version `version`. */
export async function seedSession(db: Db, testerId: string, turns: FixtureTurn[], options: { version?: string; closed?: boolean } = {}): Promise<SeededSession> {
  const session = await db.insertInto('prompt_tuning_sessions')
    .values({ tester_id: testerId, master_prompt_version: options.version ?? 'abc1234', ...(options.closed === false ? {} : { session_end: new Date() }) })
    .returningAll().executeTakeFirstOrThrow();
  const stored: Turn[] = [];
  for (const [i, t] of turns.entries()) {
    const turn = await db.insertInto('tuning_conversation_turns').values({
      session_id: session.id, turn_number: i + 1, user_message: t.user, era_response: t.answer, processing_time_ms: 100,
      search_results: t.passages ? searchResultsOf(t.passages) : null, total_chunks: t.passages?.length ?? null,
      metadata: { model: 'claude-sonnet-5-5', offline: false },
    }).returningAll().executeTakeFirstOrThrow();
    stored.push(turn);
    for (const [j, n] of (t.notes ?? []).entries()) {
      const source = n.source ?? 'card';
      await db.insertInto('tuning_improvements').values({
        turn_id: turn.id, improvement_note: n.text, category: n.category ?? null,
        timestamp: new Date(Date.UTC(2026, 10, 23, 10, i, j)),
        metadata: { source, tester_id: testerId, ...(n.reaction ? { reaction: n.reaction } : {}) },
      }).execute();
    }
  }
  const fresh = await db.selectFrom('prompt_tuning_sessions').selectAll().where('id', '=', session.id).executeTakeFirstOrThrow();
  return { session: fresh, turns: stored };
}

/** A client of the fake, without SDK retries unless asked. */
export function fakeClient(baseURL: string, maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: 'sk-test', baseURL, maxRetries });
}

/** A real call log that also keeps the entries it was given. */
export function recordingCallLog(db: Db, logger: Logger): CallLog & { entries: CallLogEntry[] } {
  const inner = createCallLog({ db, logger, pricing: null });
  const entries: CallLogEntry[] = [];
  return {
    entries,
    async record(entry) {
      entries.push(entry);
      await inner.record(entry);
    },
  };
}
