/** Typed errors of the ERA capability; the bot turns them into tester-facing text in one place. */
import { APIUserAbortError } from '@anthropic-ai/sdk';
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
export class EraUnavailableError extends Error {
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
    this.name = 'EraUnavailableError';
    this.kind = kind;
    this.status = details.status ?? null;
    this.requestId = details.requestId ?? null;
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
export class PromptFileError extends Error {
  readonly path: string;

  constructor(path: string, reason: string, cause?: unknown) {
    super(`Cannot read the prompt file ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'PromptFileError';
    this.path = path;
  }
}
