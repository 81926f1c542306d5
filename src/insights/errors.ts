/**
 * Domain errors of the tuning loop (judge, suggestions, replays, bundle, calibration). Each carries the
 * text a tester or operator may read; internals (paths beyond the file named, SQL, stacks) stay in
 * `message` and the logs.
 */
import { AppError } from '../errors';

/** The base of the folder's errors. */
export abstract class InsightsError extends AppError {}

/** An InsightsError whose tester-facing text is given at construction. */
export class InsightsRefusal extends InsightsError {
  constructor(
    readonly userMessage: string,
    message: string = userMessage,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The rubric file is missing, unreadable, or names no version. */
export class RubricFileError extends InsightsError {
  readonly userMessage: string;
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`judge rubric ${path}: ${reason}`, options);
    this.userMessage = `The judge's rubric (${path}) cannot be used: ${reason}.`;
  }
}

/** A session, turn, suggestion or replay that does not exist (or is not the caller's). */
export class InsightsNotFoundError extends InsightsError {
  readonly userMessage: string;
  constructor(
    readonly what: 'session' | 'turn' | 'suggestion' | 'replay',
    readonly ref: string,
  ) {
    super(`${what} not found: ${ref}`);
    this.userMessage = `I couldn't find a ${what} "${ref.slice(0, 60)}".`;
  }
}

/** The candidate prompt of a replay cannot be had (bad ref, missing file, an edit that no longer applies). */
export class CandidateError extends InsightsError {
  constructor(readonly userMessage: string, options?: { cause?: unknown }) {
    super(`candidate prompt: ${userMessage}`, options);
  }
}

/** A replay (or suggestion) is in a state that does not allow the request. */
export class InsightsStateError extends InsightsError {
  constructor(readonly userMessage: string) {
    super(userMessage);
  }
}

/** A file given to a command (calibration set, prompt file) is not usable. */
export class InsightsFileError extends InsightsError {
  constructor(readonly userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
  }
}
