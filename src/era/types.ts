/** The shapes the rest of the bot uses to talk to ERA, whichever responder is behind it. */
import type { CallIo } from '../llm';

/** One earlier exchange of the session, oldest first when in a list. */
export interface EraHistoryTurn {
  user: string;
  assistant: string;
}

/** Everything one answer depends on. The caller reads the prompt per turn so edits apply at once. */
/** A policy passage given to ERA, numbered as ERA must cite it: [n]. */
export interface EraPassage {
  n: number;
  title: string;
  section: string | null;
  text: string;
}

export interface EraTurnInput {
  message: string;
  /** Retrieved policy passages, numbered from 1; empty when retrieval found nothing (or is off). */
  passages?: EraPassage[];
  history: EraHistoryTurn[];
  systemPrompt: string;
  /** For log correlation only; never sent to Claude. */
  sessionId: string;
}

/** Token counts as billed; zero when not reported (and always zero offline). */
export interface EraUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** ERA's answer with the metadata the turn row and the call log store. */
export interface EraAnswer {
  text: string;
  /** The model that answered, as the API reported it; 'offline' in offline mode. */
  model: string;
  offline: boolean;
  stopReason: string | null;
  usage: EraUsage;
  /** Anthropic's `request-id`; null offline or when the API sent none. */
  requestId: string | null;
  latencyMs: number;
  /** The request as sent and the output as received, for the call log; absent when no model was called. */
  io?: CallIo;
}

/** Answers a tester's message as ERA. */
export interface EraResponder {
  readonly mode: 'claude' | 'offline';
  /** The configured model, or 'offline'. */
  readonly model: string;
  /**
   * Produces one answer. Rejects with EraUnavailableError when Claude cannot answer; an abort through
   * `signal` rejects with the SDK's APIUserAbortError unchanged, since the caller asked for it.
   */
  answer(input: EraTurnInput, signal?: AbortSignal, onText?: (textSoFar: string) => void): Promise<EraAnswer>;
}

/** Usage of an answer that cost nothing. */
export const ZERO_USAGE: Readonly<EraUsage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
