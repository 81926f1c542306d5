/** Typed errors of the ERA capability, on the product's one error base (src/errors.ts). */
import { APIUserAbortError } from '@anthropic-ai/sdk';
import { AppError } from '../errors';
import type { CallIo } from '../llm';

/** Why ERA could not answer. Each kind needs a different message for the tester (wait, retry, fix config). */
export type EraUnavailableKind =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'bad_request'
  | 'auth'
  | 'empty';

/**
 * Claude could not produce an answer, after the SDK's own retries were spent.
 * `status` is the HTTP status when there was a response; `requestId` is Anthropic's request id
 * (the one to quote to Anthropic support) when the API sent one.
 */
export class EraUnavailableError extends AppError {
  readonly kind: EraUnavailableKind;
  readonly status: number | null;
  readonly requestId: string | null;
  /** The request that failed (and any text that arrived first), for the call log; set by the responder. */
  io: CallIo | undefined;

  constructor(
    kind: EraUnavailableKind,
    message: string,
    details: { status?: number | null; requestId?: string | null; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.status = details.status ?? null;
    this.requestId = details.requestId ?? null;
  }

  /** Each kind needs a different message for the tester (wait, retry, fix config). */
  get userMessage(): string {
    const tail = ' Your message was not stored: send it again to retry.';
    switch (this.kind) {
      case 'rate_limited':
        return `Claude is rate-limiting requests right now, so ERA couldn't answer.${tail}`;
      case 'overloaded':
        return `Claude is overloaded right now, so ERA couldn't answer.${tail}`;
      case 'timeout':
        return `Claude took too long to answer.${tail}`;
      case 'connection':
        return `I couldn't reach Claude.${tail}`;
      case 'auth':
        return `Claude refused the bot's API key, so ERA can't answer. Ask the bot's owner to check ANTHROPIC_API_KEY.${tail}`;
      case 'bad_request':
        return `Claude rejected the request (it may be too long for the model).${tail}`;
      case 'empty':
        return `Claude returned an empty answer.${tail}`;
      case 'server_error':
        return `Claude had an error and ERA couldn't answer.${tail}`;
    }
  }
}

/**
 * The caller aborted the answer (a tester's Stop): still the SDK's APIUserAbortError, so callers that
 * expect it are unchanged, carrying the request and the text that arrived before the stop.
 */
export class EraAnswerStoppedError extends APIUserAbortError {
  constructor(readonly io: CallIo) {
    super({ message: 'Request was aborted.' });
    this.name = 'EraAnswerStoppedError';
  }
}

/** The request and partial output an ERA failure or stop carries, for the call log; undefined otherwise. */
export function eraCallIo(err: unknown): CallIo | undefined {
  if (err instanceof EraUnavailableError || err instanceof EraAnswerStoppedError) return err.io;
  return undefined;
}

/** The system-prompt file is missing or cannot be read. `path` is the absolute path that was tried. */
export class PromptFileError extends AppError {
  readonly path: string;

  constructor(path: string, reason: string, cause?: unknown) {
    super(`Cannot read the prompt file ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.path = path;
  }

  get userMessage(): string {
    return `ERA's prompt file can't be read (${this.path}), so I can't answer. Ask the prompt owner to check MASTER_PROMPT_PATH. Your message was not stored.`;
  }
}
