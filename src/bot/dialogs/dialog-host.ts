/**
 * The bot's dialogs (botbuilder-dialogs), used only where a command has several steps or waits for the
 * tester. Their state is per tester and conversation (PrivateConversationState) in Postgres, so a dialog
 * survives a restart or moves to another instance. State is only read for a message (no default is
 * written), and only saved when a dialog changed it: a one-step command or a question for ERA writes no
 * bot_state row.
 */
import type { BotState, StatePropertyAccessor, TurnContext } from 'botbuilder';
import { type Dialog, DialogContextError, type DialogState, DialogSet, DialogTurnStatus } from 'botbuilder-dialogs';

/** What a dialog ends with when the message was not meant for it: the bot handles it as it would otherwise. */
export const RELEASED = { released: true } as const;

function isReleased(result: unknown): boolean {
  return typeof result === 'object' && result !== null && 'released' in result && result.released === true;
}

/** botbuilder-dialogs wraps a step's error in DialogContextError; the cause is what matters. */
export function unwrapDialogError(err: unknown): unknown {
  return err instanceof DialogContextError ? err.error : err;
}

/** Begins, continues and ends the bot's dialogs, and saves their state only when a turn changed it. */
export class DialogHost {
  private readonly accessor: StatePropertyAccessor<DialogState>;
  private readonly dialogs: DialogSet;

  constructor(
    private readonly state: BotState,
    dialogs: Dialog[],
  ) {
    this.accessor = state.createProperty<DialogState>('dialogState');
    this.dialogs = new DialogSet(this.accessor);
    for (const d of dialogs) this.dialogs.add(d);
  }

  /** Whether a dialog is waiting for this tester here. Reads the state; writes nothing. */
  async isActive(turn: TurnContext): Promise<boolean> {
    const state = await this.accessor.get(turn);
    return state !== undefined && state.dialogStack.length > 0;
  }

  /** Starts a dialog, replacing any in progress. A step that fails leaves nothing on the stack. */
  async begin(turn: TurnContext, dialogId: string, options: object): Promise<void> {
    const dc = await this.dialogs.createContext(turn);
    await dc.cancelAllDialogs();
    try {
      await dc.beginDialog(dialogId, options);
    } catch (err) {
      // A failed dialog must not stay on the stack, or it would swallow the next message.
      await dc.cancelAllDialogs();
      throw unwrapDialogError(err);
    }
  }

  /** Gives the message to the waiting dialog: 'consumed', or 'released' when the dialog ended without taking it. */
  async continue(turn: TurnContext): Promise<'consumed' | 'released'> {
    const dc = await this.dialogs.createContext(turn);
    try {
      const result = await dc.continueDialog();
      return result.status === DialogTurnStatus.complete && isReleased(result.result) ? 'released' : 'consumed';
    } catch (err) {
      await dc.cancelAllDialogs();
      throw unwrapDialogError(err);
    }
  }

  /** Ends whatever dialog is waiting (a command replaced it, or a card answered it). */
  async endActive(turn: TurnContext): Promise<void> {
    if (!(await this.isActive(turn))) return;
    const dc = await this.dialogs.createContext(turn);
    await dc.cancelAllDialogs();
  }

  /** Saves the dialog state if this turn changed it (begun, continued or ended a dialog). */
  async save(turn: TurnContext): Promise<void> {
    await this.state.saveChanges(turn, false);
  }
}
