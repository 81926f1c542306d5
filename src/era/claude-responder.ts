/** ERA answered by Claude through the Messages API (non-streaming). */
import type Anthropic from '@anthropic-ai/sdk';
import { APIUserAbortError } from '@anthropic-ai/sdk';
import type { Config } from '../config';
import { callRequestOf, type CallRequest } from '../llm';
import type { Logger } from '../logger';
import { answerText, buildMessagesParams, messageToAnswer, toEraUnavailableError } from './claude-request';
import { EraAnswerStoppedError, EraUnavailableError } from './errors';
import type { EraAnswer, EraResponder, EraTurnInput } from './types';

/** What the Claude responder needs; the client's own options carry retries and timeout. */
export interface ClaudeResponderDeps {
  anthropic: Config['anthropic'];
  client: Anthropic;
  logger: Logger;
}

/**
 * A responder that asks Claude. Retries (429, 5xx, 529, connection failures) are the SDK's, configured
 * on the client; what still fails afterwards rejects with EraUnavailableError and is logged with
 * Anthropic's request id.
 */
export function createClaudeResponder(deps: ClaudeResponderDeps): EraResponder {
  const { anthropic, client } = deps;
  const logger = deps.logger.child({ component: 'era', mode: 'claude' });

  /** The text that has arrived so far on a streamed call: what a stopped or broken stream still delivered. */
  interface Arrived {
    text: string | null;
  }

  /** The whole message, streamed (text snapshots to onText) when the caller wants the text as it comes. */
  async function call(params: ReturnType<typeof buildMessagesParams>, arrived: Arrived, signal?: AbortSignal, onText?: (textSoFar: string) => void) {
    if (!onText) return client.messages.create(params, { signal }).withResponse();
    const stream = client.messages.stream(params, { signal });
    arrived.text = '';
    stream.on('text', (_delta, snapshot) => {
      arrived.text = snapshot;
      onText(snapshot);
    });
    const data = await stream.finalMessage();
    return { data, request_id: stream.request_id ?? null };
  }

  async function answer(input: EraTurnInput, signal?: AbortSignal, onText?: (textSoFar: string) => void): Promise<EraAnswer> {
    const params = buildMessagesParams(input, anthropic);
    // Copied before the call, as the SDK sends it (a streamed call's body carries stream: true).
    const request: CallRequest = callRequestOf(onText ? { ...params, stream: true } : params);
    const arrived: Arrived = { text: null };
    const started = performance.now();
    try {
      const { data, request_id: requestId } = await call(params, arrived, signal, onText);
      const latencyMs = Math.round(performance.now() - started);
      arrived.text = answerText(data.content);
      const result = { ...messageToAnswer(data, requestId ?? null, latencyMs), io: { request, output: { text: arrived.text } } };
      logger.info(
        {
          sessionId: input.sessionId,
          requestId: result.requestId,
          model: result.model,
          stopReason: result.stopReason,
          ...result.usage,
          latencyMs,
        },
        'era answered',
      );
      if (result.stopReason === 'max_tokens') {
        // A cut-off answer still goes to the tester, but an operator should see that maxTokens is too low.
        logger.warn({ sessionId: input.sessionId, requestId: result.requestId, maxTokens: anthropic.maxTokens }, 'era answer truncated at max_tokens');
      }
      return result;
    } catch (err) {
      const output = arrived.text === null ? null : { text: arrived.text };
      // A stop keeps what arrived (possibly nothing) as the call's output: the tester saw it.
      const mapped = err instanceof APIUserAbortError ? new EraAnswerStoppedError({ request, output: output ?? { text: '' } }) : toEraUnavailableError(err);
      if (mapped instanceof EraUnavailableError) mapped.io = { request, output: output?.text ? output : null };
      const latencyMs = Math.round(performance.now() - started);
      if (mapped instanceof EraUnavailableError) {
        logger.error(
          { err: mapped, sessionId: input.sessionId, requestId: mapped.requestId, status: mapped.status, kind: mapped.kind, latencyMs },
          'era unavailable',
        );
      } else {
        logger.warn({ err: mapped, sessionId: input.sessionId, latencyMs }, 'era call did not complete');
      }
      throw mapped;
    }
  }

  return { mode: 'claude', model: anthropic.model, answer };
}
