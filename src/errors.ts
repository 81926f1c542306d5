/**
 * The one error base of the product. Every capability folder's typed errors extend AppError (directly
 * or through a folder base such as TuningError), so code outside a folder can tell a domain refusal
 * from a bug without importing that folder. `userMessage` is what a tester or operator may read: it
 * never carries internals. src/bot/errors.ts turns errors into tester-facing text in one place.
 */
export abstract class AppError extends Error {
  /** What the tester is told. Never contains internals (paths, SQL, stack, hostnames). */
  abstract readonly userMessage: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An AppError whose tester-facing text is given at construction. */
export class DomainError extends AppError {
  constructor(
    readonly userMessage: string,
    message: string = userMessage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for any of the product's typed domain errors. */
export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
