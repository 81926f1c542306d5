/** A card action the bot does not know (a card from an older version, or a forged one). */
import { AppError } from '../../errors';

/** Refuses a verb the verb table does not have. */
export class UnknownActionError extends AppError {
  readonly userMessage = "That button isn't one I know — the card may be from an older version of the bot. Nothing was saved.";
  constructor(readonly verb: string) {
    super(`unknown card verb: ${verb}`);
  }
}
