/**
 * Commands as dialogs (botbuilder-dialogs), one WaterfallDialog each. Dialog state lives in Postgres
 * through PostgresStorage, so a multi-step command would survive a restart or another instance.
 */
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import { DialogContextError, type DialogState, DialogSet, DialogTurnStatus, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { Tester } from '../tuning';
import * as handlers from './command-handlers';
import * as dataset from './dataset-commands';
import * as jobs from './job-commands';
import type { CommandName } from './commands';
import type { BotDeps } from './deps';

export interface CommandOptions {
  tester: Tester;
  arg: string | null;
}

type Handler = (context: TurnContext, deps: BotDeps, options: CommandOptions) => Promise<void>;

const HANDLERS: Record<CommandName, Handler> = {
  help: (c, d) => handlers.helpCommand(c, d),
  new: (c, d, o) => handlers.newCommand(c, d, o.tester),
  end: (c, d, o) => handlers.endCommand(c, d, o.tester),
  export: (c, d, o) => handlers.exportCommand(c, d, o.tester, o.arg),
  sessions: (c, d, o) => handlers.sessionsCommand(c, d, o.tester),
  stats: (c, d, o) => handlers.statsCommand(c, d, o.tester, o.arg),
  prompt: (c, d) => handlers.promptCommand(c, d),
  prompts: (c, d, o) => handlers.promptsCommand(c, d, o.tester, o.arg),
  plan: (c, d, o) => dataset.planCommand(c, d, o.arg),
  conversation: (c, d, o) => dataset.conversationCommand(c, d, o.arg),
  quality: (c, d) => dataset.qualityCommand(c, d),
  review: (c, d, o) => dataset.reviewCommand(c, d, o.tester, 'review', o.arg),
  approve: (c, d, o) => dataset.reviewCommand(c, d, o.tester, 'approve', o.arg),
  flag: (c, d, o) => dataset.reviewCommand(c, d, o.tester, 'flag', o.arg),
  generate: (c, d, o) => jobs.generateCommand(c, d, o.arg),
  jobs: (c, d) => jobs.jobsCommand(c, d),
  job: (c, d, o) => jobs.jobCommand(c, d, o.arg),
  promote: (c, d, o) => handlers.promoteCommand(c, d, o.tester, o.arg),
  dashboard: async (c, d, o) => {
    await c.sendActivity(d.dashboard ? await d.dashboard(o.tester) : 'The dashboard is not set up on this bot.');
  },
};

export class CommandDialogs {
  private readonly dialogs: DialogSet;

  constructor(dialogState: StatePropertyAccessor<DialogState>, deps: BotDeps) {
    this.dialogs = new DialogSet(dialogState);
    for (const [name, handler] of Object.entries(HANDLERS)) {
      this.dialogs.add(
        new WaterfallDialog(`command.${name}`, [
          async (step: WaterfallStepContext) => {
            await handler(step.context, deps, step.options as CommandOptions);
            return step.endDialog();
          },
        ]),
      );
    }
  }

  /** Continues a dialog waiting for input; true when one consumed the turn. */
  async continueActive(context: TurnContext): Promise<boolean> {
    const dc = await this.dialogs.createContext(context);
    if (!dc.activeDialog) return false;
    const result = await dc.continueDialog();
    return result.status !== DialogTurnStatus.empty;
  }

  /** Runs a command. */
  async begin(context: TurnContext, name: CommandName, options: CommandOptions): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    // A command replaces whatever was in progress.
    await dc.cancelAllDialogs();
    try {
      await dc.beginDialog(`command.${name}`, options);
    } catch (err) {
      // A failed command must not stay on the stack, or it would swallow the next message.
      await dc.cancelAllDialogs();
      throw unwrapDialogError(err);
    }
  }
}

/** botbuilder-dialogs wraps a step's error in DialogContextError; the cause is what matters. */
export function unwrapDialogError(err: unknown): unknown {
  if (err instanceof DialogContextError) return err.error;
  return err;
}
