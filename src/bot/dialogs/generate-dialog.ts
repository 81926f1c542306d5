/**
 * `/generate` as a dialog: what to generate (asked when the command came without it, asked again after
 * an answer that does not fit), the confirmation card (count, time, cost, batch price), then the
 * tester's choice. The card's Start / Start as a batch / Cancel are card verbs that end this dialog; a
 * typed "start", "batch" or "cancel" answers it here. A tester who moves on (a question for ERA, another
 * command) leaves it: the dialog ends and the message is handled as it would be otherwise.
 */
import type { TurnContext } from 'botbuilder';
import { ComponentDialog, Dialog, type DialogTurnResult, WaterfallDialog, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { GenerationJobType } from '../../../db';
import { jobProgress } from '../../generation';
import type { Tester } from '../../tuning';
import { sendCard, sendText } from '../command-context';
import {
  confirmationFor, type ConfirmedSelection, GENERATE_USAGE, JobCommandError, jobsOf, launchJob, looksLikeGenerateSpec, NOTHING_LEFT,
} from '../handlers/job-commands';
import type { BotDeps } from '../deps';
import { progressCard } from '../job-cards';
import { messageTextOf, stripMentions } from '../wire';
import { RELEASED } from './dialog-host';

export const GENERATE_DIALOG = 'generate';
const STEPS = 'generate.steps';

/** What the dialog is begun with. */
export interface GenerateOptions {
  tester: Tester;
  /** The command's argument; null: ask for it. */
  spec: string | null;
  /** Set when the dialog asks again after a bad answer (the question went out with the error). */
  reasked?: boolean;
}

/** What the dialog keeps between turns (JSON, in Postgres). */
interface GenerateValues {
  asked: boolean;
  tester: Tester;
  selection?: ConfirmedSelection;
}

const CANCEL = /^(cancel|stop|no|never ?mind)$/i;
const START = /^(start|yes|go)$/i;
const START_BATCH = /^(batch|start as a batch|start batch)$/i;

function messageText(turn: TurnContext): string {
  return stripMentions(messageTextOf(turn.activity));
}

/** The `/generate` dialog: ask (when needed), confirm, then run or drop. */
export class GenerateDialog extends ComponentDialog {
  constructor(private readonly deps: BotDeps) {
    super(GENERATE_DIALOG);
    this.addDialog(new WaterfallDialog(STEPS, [(s) => this.askWhat(s), (s) => this.confirm(s), (s) => this.decide(s)]));
    this.initialDialogId = STEPS;
  }

  /** Step 1: the spec from the command, or the question. */
  private async askWhat(step: WaterfallStepContext): Promise<DialogTurnResult> {
    jobsOf(this.deps);
    const options = step.options as GenerateOptions;
    const values = step.values as GenerateValues;
    values.tester = options.tester;
    values.asked = options.spec === null;
    if (options.spec !== null) return step.next(options.spec);
    if (!options.reasked) await sendText(step.context, `${GENERATE_USAGE.replace('Say what to generate: ', 'Say what to generate: a number, a range, filters or all, e.g. ')} Or \`cancel\`.`);
    return Dialog.EndOfTurn;
  }

  /** Step 2: the confirmation card for the spec; a bad answer to the question is asked again. */
  private async confirm(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as GenerateValues;
    const spec = values.asked ? messageText(step.context) : String(step.result);
    if (values.asked && CANCEL.test(spec)) return this.cancelled(step);
    if (values.asked && !looksLikeGenerateSpec(spec)) return step.endDialog(RELEASED);
    try {
      const { card, selection } = await confirmationFor(this.deps, spec);
      values.selection = selection;
      await sendCard(step.context, card);
      return Dialog.EndOfTurn;
    } catch (err) {
      if (!values.asked || !(err instanceof JobCommandError)) throw err;
      await sendText(step.context, `${err.userMessage} What should I generate? (or \`cancel\`)`);
      const again: GenerateOptions = { tester: values.tester, spec: null, reasked: true };
      return step.replaceDialog(STEPS, again);
    }
  }

  /** Step 3: a typed answer to the confirmation; anything else leaves the dialog to the rest of the bot. */
  private async decide(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as GenerateValues;
    const answer = messageText(step.context);
    if (CANCEL.test(answer)) return this.cancelled(step);
    const batch = START_BATCH.test(answer);
    if (!batch && !START.test(answer)) return step.endDialog(RELEASED);
    const selection = values.selection ?? { type: 'batch' as GenerationJobType, ids: [] };
    const c = { deps: this.deps, tester: values.tester, turn: step.context };
    // A typed start has no card to replace: the progress card is a new message.
    const launched = await launchJob(c, { ...selection, mode: batch ? 'batch' : 'direct' }, async (job) =>
      (await sendCard(step.context, progressCard(await jobProgress(this.deps.db, job.jobId), job.title, job.note))) ?? null);
    if (!launched) throw new JobCommandError(NOTHING_LEFT);
    return step.endDialog();
  }

  private async cancelled(step: WaterfallStepContext): Promise<DialogTurnResult> {
    await sendText(step.context, 'Cancelled: nothing was generated.');
    return step.endDialog();
  }
}
