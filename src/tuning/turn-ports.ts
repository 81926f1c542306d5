/**
 * What the tuning turn service is given (composition roots pass real parts; tests pass local ones) and
 * how it talks back to the channel: a ReplySink, implemented by the bot over Teams streaming.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, JsonObject, Turn } from '../../db';
import type { EraResponder } from '../era';
import type { CallLogEntry } from '../llm';
import type { Logger } from '../logger';

/** The prompt under tuning: its text per turn, its version per session. */
export interface PromptProvider {
  readonly path: string;
  read(): Promise<{ text: string; sha256: string }>;
  version(): Promise<{ version: string; branch: string | null }>;
}

/** A passage found for a question. */
export interface RetrievedPassageLike {
  chunkId: string;
  documentTitle: string;
  section: string | null;
  text: string;
  similarity: number;
}

/** Finds the policy passages for a question (top k above the minimum similarity). */
export interface PassageRetriever {
  /** `context`: the conversation's previous message, so a follow-up finds what it follows. */
  retrieve(query: string, options?: { context?: string }): Promise<RetrievedPassageLike[]>;
}

/** Records model calls; never throws. */
export interface CallRecorder {
  record(entry: CallLogEntry): Promise<void>;
}

export interface IntentPrediction {
  intent: string;
  confidence: number;
  source: string;
  ruleName?: string | null;
}

/** A turn's topic as the card shows it. */
export interface TopicView {
  id: string;
  label: string;
  confidence: number;
  source: string;
  corrected: boolean;
}

/** The prompt-capture side of a turn: prediction, outcome, correction. Implementations never throw from capture. */
export interface IntentCapture {
  topics: Array<{ id: string; label: string }>;
  classify(text: string, ctx: { sessionId: string; testerId: string; previousMessage?: string | null }): Promise<IntentPrediction>;
  /** Stores a prediction; with `trx`, inside that transaction (a failure there does not abort it). */
  logPrediction(
    entry: {
      testerId: string;
      sessionId: string;
      /** Null when ERA failed and no turn was stored (then executionError says why). */
      turnId: string | null;
      messageIndex: number | null;
      prompt: string;
      prediction: IntentPrediction;
      executionError?: string | null;
    },
    trx?: Transaction<Database>,
  ): Promise<unknown>;
  recordOutcome(turnId: string, wasSuccessful: boolean): Promise<unknown>;
  /** The turn's topic as the card shows it, null when none was captured. */
  topicOf(turnId: string): Promise<TopicView | null>;
  /** Stores a tester's correction. Throws domain errors (AppError) for an unknown topic. */
  correct(turnId: string, correctedIntent: string, correctedBy: string): Promise<unknown>;
}

/** Scores a stored turn once its reply is out (the LLM judge's background queue). Never throws, never waits. */
export interface TurnJudge {
  enqueue(task: { turnId: string; sessionId: string; activityId: string | null; notify?: JsonObject }): void;
}

export interface TurnServiceDeps {
  db: Kysely<Database>;
  logger: Logger;
  era: EraResponder;
  prompt: PromptProvider;
  config: { historyTurns: number; maxMessageChars: number };
  /** Policy retrieval; absent: ERA answers without passages. */
  retriever?: PassageRetriever;
  /** The call log; absent: calls are not logged. */
  calls?: CallRecorder;
  /** Intent capture; absent: no topics. */
  intent?: IntentCapture;
  /** The judge, handed each turn after its reply is sent; absent: no judge scores. */
  judge?: TurnJudge;
}

/** What the tester gets at the end of a turn. */
export type TurnReply =
  | { kind: 'answer'; turn: Turn; topic: TopicView | null; stopped: boolean }
  | { kind: 'text'; text: string };

/**
 * The channel a turn's reply goes to. In a Teams 1:1 chat it streams: an informative update, the text so
 * far, then the final message; elsewhere a typing indicator, then one message.
 */
export interface ReplySink {
  readonly streaming: boolean;
  /** 'open' until the final message; 'cancelled' once the tester stopped the answer. */
  readonly outcome: 'open' | 'final' | 'cancelled';
  /** Where the reply went, opaque to the service (a Teams conversation reference): the judge's update of the card goes there. */
  readonly address?: JsonObject;
  /** Called once when the tester stops the answer. */
  onCancel: (() => void) | null;
  /** Shows that work started ("Searching the policies…"); a typing indicator when not streaming. */
  informative(text: string): Promise<void>;
  /** The answer so far (sent at most once per interval; the latest text wins). */
  update(textSoFar: string): void;
  /** Delivers the reply: as the stream's final message while it is open, else as a new message. Returns its activity id. */
  final(reply: TurnReply): Promise<string | null>;
}
