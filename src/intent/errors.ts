/**
 * Domain errors of prompt capture, on the product's one error base: src/bot/errors.ts shows their
 * `userMessage` to the tester like every other workflow error.
 */
import { AppError, DomainError } from '../errors';

/** A correction names a topic that does not exist. */
export class InvalidIntentError extends AppError {
  readonly userMessage: string;
  /** `known` is passed in by topics.ts, which imports this file. */
  constructor(readonly value: unknown, known: readonly string[]) {
    super(`not an intent topic: ${String(value).slice(0, 60)}`);
    this.userMessage = `"${String(value).slice(0, 40)}" is not a topic I know. Choose one of: ${known.join(', ')}.`;
  }
}

/** No prediction is stored for the turn, or it is not the tester's: one answer for both. */
export class PredictionNotFoundError extends AppError {
  readonly userMessage =
    "I have no topic prediction for that reply among yours, so there is nothing to correct. Corrections work on ERA's replies to you.";
  constructor(readonly turnId: string) {
    super(`no intent prediction for turn ${turnId} (or not the tester's)`);
  }
}

/** An export was asked for with a bad window or threshold (the CLI reports the message as is). */
export class InvalidExportOptionError extends DomainError {}
