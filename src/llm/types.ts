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
