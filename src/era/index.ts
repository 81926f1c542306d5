/** ERA, the assistant under tuning: its prompt (text and version) and the responder that answers as it. */
export type { EraAnswer, EraHistoryTurn, EraResponder, EraTurnInput, EraUsage } from './types';
export { EraAnswerStoppedError, EraUnavailableError, eraCallIo, PromptFileError, type EraUnavailableKind } from './errors';
export { createEraResponder, type EraResponderDeps } from './responder';
export { createClaudeResponder, type ClaudeResponderDeps } from './claude-responder';
export { createOfflineResponder, OFFLINE_LABEL } from './offline-responder';
export { buildMessagesParams, toEraUnavailableError, type EraMessagesParams } from './claude-request';
export {
  createPromptSource,
  PromptSource,
  promptVersion,
  readPromptText,
  type PromptSnapshot,
  type PromptText,
  type PromptVersion,
  type PromptVersionOptions,
} from './prompt';
export type { EraPassage } from './types';
export { aiMessageEntity, citedNumbers, normaliseMarkers, confidenceScore, MAX_CITATIONS, type AiMessageEntity, type TeamsCitation } from './citations';
export { runGit, type GitResult, type GitRunOptions } from './git';
