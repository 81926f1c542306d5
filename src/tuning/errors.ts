/**
 * Domain errors of the tuning workflow (extending the product's one base, src/errors.ts). Each carries the text a tester sees; src/bot/errors.ts turns
 * them (and anything unexpected) into a reply in one place.
 */
import { AppError } from '../errors';

export abstract class TuningError extends AppError {}

export class SessionNotFoundError extends TuningError {
  readonly userMessage: string;
  constructor(readonly ref: string) {
    super(`session not found: ${ref}`);
    this.userMessage = `I couldn't find a session "${ref}" among yours. Send \`/sessions\` to see your sessions and their ids.`;
  }
}

export class NoSessionError extends TuningError {
  readonly userMessage = 'You have no tuning sessions yet. Send any question to start one.';
  constructor() {
    super('tester has no sessions');
  }
}

export class AmbiguousSessionError extends TuningError {
  readonly userMessage: string;
  constructor(readonly ref: string) {
    super(`ambiguous session prefix: ${ref}`);
    this.userMessage = `More than one of your sessions starts with "${ref}". Give more of the id (see \`/sessions\`).`;
  }
}

/** A card action names a turn that does not exist, or is not the tester's: one answer for both. */
export class TurnNotFoundError extends TuningError {
  readonly userMessage =
    "That card doesn't belong to a reply I can find in your sessions, so nothing was saved. Add notes from the buttons on ERA's replies to you.";
  constructor(readonly turnId: string) {
    super(`turn not found or not the tester's: ${turnId}`);
  }
}

export class InvalidNoteError extends TuningError {
  constructor(readonly userMessage: string) {
    super(`invalid note: ${userMessage}`);
  }
}

export class EmptySessionError extends TuningError {
  readonly userMessage: string;
  constructor(readonly sessionId: string) {
    super(`session has no turns: ${sessionId}`);
    this.userMessage = `Session ${sessionId.slice(0, 8)} has no turns yet, so there is nothing to export. Ask ERA something first.`;
  }
}
