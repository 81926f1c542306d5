/** The Claude client wrapper. Pricing and the call log join this folder later. */
export { createClaudeClient, type ClaudeClientOptions } from './claude-client';
