/** Typed errors of the ERA capability; the bot turns them into tester-facing text in one place. */

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

/** The system-prompt file is missing or cannot be read. `path` is the absolute path that was tried. */
export class PromptFileError extends Error {
  readonly path: string;

  constructor(path: string, reason: string, cause?: unknown) {
    super(`Cannot read the prompt file ${path}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'PromptFileError';
    this.path = path;
  }
}
