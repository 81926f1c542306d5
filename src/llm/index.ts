/** The Claude client wrapper, the dated price table and the call log of every model call. */
export { createClaudeClient, isApiError, type ClaudeClientOptions } from './claude-client';
export { usageFromApi, ZERO_LLM_USAGE, type CallIo, type CallOutput, type CallRequest, type LlmUsage } from './types';
export { BATCH_PRICE_FACTOR, loadPricing, parsePricing, PricingFileError, type CallCost, type ModelPrice, type Pricing } from './pricing';
export { createCallLog, noopCallLog, systemPromptHash, type CallLog, type CallLogDeps, type CallLogEntry } from './call-log';
export { callRequestOf, rebuildRequestBody, structuredOutputOf, textOfContent, type MessagesRequestBody } from './call-io';
export { CALL_EXPORT_FORMATS, callExportLines, type CallExportFormat, type CallExportOptions, type CallExportStats } from './call-export';
export { latestCallOutput, readCallIo, type LatestCallOutput, type LatestOutputScope } from './call-io-store';
export {
  batchResults, BATCH_CREATE_TIMEOUT_MS, createBatchOnce, findLostBatch, pollUntilEnded, requestCountOf, waitUnlessAborted,
  type BatchRequestParams, type CreateOutcome, type LostBatch, type PollOptions,
} from './message-batches';
