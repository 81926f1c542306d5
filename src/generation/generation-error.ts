/** Why generating a conversation failed, in the kinds the job runners act on (wait, retry, fail the item, stop). */
import { AppError } from '../errors';

export type GenerationErrorKind = 'offline' | 'not_found' | 'not_generatable' | 'invalid_output' | 'rate_limited' | 'overloaded' | 'unavailable';

/** A generation that failed; `kind` tells the runners what to do about it. */
export class GenerationError extends AppError {
  constructor(
    readonly kind: GenerationErrorKind,
    message: string,
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get userMessage(): string {
    return this.message;
  }
}

