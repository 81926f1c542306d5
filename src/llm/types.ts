/** Token counts shared by every model call, whatever its purpose. */
import type Anthropic from '@anthropic-ai/sdk';

/** Token counts as billed; zero when not reported. `inputTokens` excludes the cached parts. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Usage of a call that reported none (a failed call, offline mode). */
export const ZERO_LLM_USAGE: Readonly<LlmUsage> = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

/** Maps the API's usage (whose cache counters may be null or absent) to ours. */
export function usageFromApi(usage: Partial<Anthropic.Usage> | null | undefined): LlmUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}

/**
 * What a model call was asked, as sent (spec 003 keeps the input → output pair of every generation).
 * The call log stores the system prompt once per content hash, the rest with the call's row.
 */
export interface CallRequest {
  /** The model the request named (the call-log row's `model` is the one that answered). */
  model?: string;
  /** The system prompt as sent (its text; cache-control blocks flattened), or null when none. */
  system: string | null;
  /** The Messages API `messages` array exactly as sent. */
  messages: Anthropic.MessageParam[];
  /** Tools offered, when any. */
  tools?: Anthropic.Tool[] | null;
  /** The structured-output JSON schema, when the call asked for one. */
  outputSchema?: Record<string, unknown> | null;
  /** Model parameters other than the model itself: max_tokens, stop_sequences, thinking, … */
  params: Record<string, unknown>;
}

/** What a model call answered: its text, and the parsed structured output when it had a schema. */
export interface CallOutput {
  text: string | null;
  structured?: unknown;
}

/** A call's request and output, recorded with its call-log row (output null when the call failed). */
export interface CallIo {
  request: CallRequest;
  output: CallOutput | null;
}
