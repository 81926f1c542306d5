/**
 * One replayed turn, shared by the direct and the batch runner: its input (the source turn's message, the
 * replay's own earlier answers as history, retrieval run again) and the row it is stored as (the same
 * columns and metadata a live turn gets, plus what it replays and how its retrieval differs).
 */
import type { Kysely } from 'kysely';
import type { Database, JsonObject, NewTurn, PromptReplay, SearchResults, Turn } from '../../db';
import { citedNumbers, confidenceScore, type EraAnswer, type EraPassage, type EraTurnInput, normaliseMarkers } from '../era';
import { NO_MATCH_TEMPLATE } from '../tuning/no-match';
import { METRICS_VERSION, programmaticMetrics } from './metrics';
import { diffJson, retrievalDiff } from './retrieval-diff';

/** A passage found for a question (what the bot's retriever gives). */
export interface ReplayPassage {
  chunkId: string;
  documentTitle: string;
  section: string | null;
  text: string;
  similarity: number;
}

/** Finds the policy passages for a question. */
export interface ReplayRetriever {
  /** `context`: the previous message of the conversation, as in a live turn. */
  retrieve(query: string, options?: { context?: string }): Promise<ReplayPassage[]>;
}

export type NumberedPassage = EraPassage & { similarity: number; chunkId: string };

/** Everything needed to answer replayed turn k. */
export interface PreparedTurn {
  turnNumber: number;
  source: Turn;
  input: EraTurnInput;
  passages: NumberedPassage[];
  /** Retrieval ran (a retriever is configured). */
  retrieved: boolean;
  /** True when no passage matched: the canned answer, no model call. */
  noMatch: boolean;
}

/** The source session's turns, in order (turn k of the replay replays the k-th of these). */
export async function sourceTurns(db: Kysely<Database>, replay: PromptReplay): Promise<Turn[]> {
  return db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', replay.source_session_id).orderBy('turn_number').execute();
}

/** Prepares replayed turn TURN_NUMBER (1-based). */
export async function prepareTurn(
  db: Kysely<Database>,
  replay: PromptReplay,
  sources: readonly Turn[],
  turnNumber: number,
  deps: { retriever: ReplayRetriever | null; historyTurns: number },
): Promise<PreparedTurn> {
  const source = sources[turnNumber - 1];
  if (!source || !replay.replay_session_id) throw new Error(`replay ${replay.id} has no turn ${turnNumber} to replay`);
  const history = deps.historyTurns <= 0 ? [] : await db.selectFrom('tuning_conversation_turns').select(['user_message', 'era_response'])
    .where('session_id', '=', replay.replay_session_id).where('turn_number', '<', turnNumber)
    .orderBy('turn_number', 'desc').limit(deps.historyTurns).execute();
  // The previous recorded message is the context, as it was when the tester sent this one.
  const previous = sources[turnNumber - 2]?.user_message;
  const found = deps.retriever ? await deps.retriever.retrieve(source.user_message, previous === undefined ? {} : { context: previous }) : [];
  const passages = found.map((p, i) => ({ n: i + 1, title: p.documentTitle, section: p.section, text: p.text, similarity: p.similarity, chunkId: p.chunkId }));
  return {
    turnNumber,
    source,
    passages,
    retrieved: deps.retriever !== null,
    noMatch: deps.retriever !== null && passages.length === 0,
    input: {
      message: source.user_message,
      history: history.reverse().map((t) => ({ user: t.user_message, assistant: t.era_response })),
      systemPrompt: replay.candidate_prompt,
      sessionId: replay.replay_session_id,
      passages,
    },
  };
}

/** The row a replayed turn is stored as. */
export function replayTurnRow(replay: PromptReplay, prepared: PreparedTurn, answer: EraAnswer, extra: { processingTimeMs: number; batch?: JsonObject }): NewTurn {
  const { passages, source } = prepared;
  const text = normaliseMarkers(answer.text);
  const cited = citedNumbers(text, passages.length);
  const searchResults: SearchResults | null = prepared.retrieved
    ? { results: passages.map((p) => ({ chunk_id: p.chunkId, document_title: p.title, chunk_text: p.text, similarity: p.similarity })) }
    : null;
  const diff = prepared.retrieved ? retrievalDiff(source.search_results, passages.map((p) => p.chunkId)) : null;
  const metadata: JsonObject = {
    model: answer.model,
    offline: answer.offline,
    stop_reason: answer.stopReason,
    usage: { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens, cache_read_input_tokens: answer.usage.cacheReadTokens, cache_creation_input_tokens: answer.usage.cacheWriteTokens },
    request_id: answer.requestId,
    llm_latency_ms: answer.latencyMs,
    prompt_sha256: replay.candidate_sha256,
    history_turns: prepared.input.history.length,
    passages: passages.map((p) => ({ n: p.n, chunk_id: p.chunkId, title: p.title, section: p.section })),
    cited,
    replay: { replay_id: replay.id, source_turn_id: source.id, source_turn_number: source.turn_number },
    retrieval_diff: diffJson(diff),
    metrics_version: METRICS_VERSION,
    ...(extra.batch ? { batch: extra.batch } : {}),
  };
  return {
    session_id: replay.replay_session_id ?? '',
    turn_number: prepared.turnNumber,
    user_message: source.user_message,
    era_response: text,
    processing_time_ms: Math.round(extra.processingTimeMs),
    search_results: searchResults,
    avg_similarity: passages.length ? passages.reduce((s, p) => s + p.similarity, 0) / passages.length : null,
    total_chunks: prepared.retrieved ? passages.length : null,
    confidence_score: prepared.retrieved ? (prepared.noMatch ? 0 : confidenceScore(text, passages)) : null,
    template_used: prepared.noMatch ? NO_MATCH_TEMPLATE : null,
    metadata,
    ...programmaticMetrics({ userMessage: source.user_message, answer: text, passageCount: passages.length, cited }),
  };
}
