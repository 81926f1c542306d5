/**
 * The bot: a thin router. A message is a card submit (the verb table), a command (the command table: a
 * handler, or a dialog), an answer to a waiting dialog, or a question for ERA (the tuning turn service).
 * Invokes go to the verb table, the feedback loop or the file-consent upload, and each gets the response
 * Teams expects, built in one place (invoke-response.ts).
 */
import { type BotState, type FileConsentCardResponse, type InvokeResponse, TeamsActivityHandler, TurnContext } from 'botbuilder';
import { welcomeCard } from '../cards';
import { answerTurn, DialogStateConflictError, prepareTurn, type Tester, uploadConsentedCsv } from '../tuning';
import { sendCard } from './command-context';
import { badArgumentText, COMMAND_TABLE, commandDialogs, commandNamed, helpEntries, unknownCommandText } from './command-table';
import { parseCommand, stripMentions } from './commands';
import { conversationMetadata } from './conversation';
import type { BotDeps } from './deps';
import { DialogHost } from './dialogs/dialog-host';
import { userMessageFor } from './errors';
import { feedbackResponse } from './feedback';
import { type ActionResponse, badActionResponse, cardResponse, messageResponse } from './invoke-response';
import { TeamsReplySink } from './reply-sink';
import { identifyTester, isAllowed, NOT_ALLOWED_MESSAGE } from './tester';
import { runVerb, type VerbResult } from './verb-table';
import { conversationTypeOf, messageTextOf, senderOf, wireString } from './wire';

/** A card action's value: an Action.Execute invoke's, or an Action.Submit message's. */
function recordOf(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The router: see the file comment for where each activity goes. */
export class TuningBot extends TeamsActivityHandler {
  readonly dialogs: DialogHost;
  /** Command name → the id of the dialog it begins. */
  private readonly dialogIds = new Map<string, string>();

  constructor(
    private readonly deps: BotDeps,
    dialogState: BotState,
  ) {
    super();
    const dialogs = commandDialogs(deps);
    for (const [name, dialog] of dialogs) this.dialogIds.set(name, dialog.id);
    this.dialogs = new DialogHost(dialogState, [...dialogs.values()]);
    for (const entry of COMMAND_TABLE) {
      if (entry.dialog === undefined && entry.run === undefined) throw new Error(`command ${entry.name} has neither a handler nor a dialog`);
    }
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
  }

  /** Saves dialog state after a turn that changed it (a dialog begun, continued or ended); others write nothing. */
  override async run(context: TurnContext): Promise<void> {
    await super.run(context);
    try {
      await this.dialogs.save(context);
    } catch (err) {
      // Another turn of this tester changed the dialog at the same moment (a double click on a
      // confirmation, two messages at once): that turn's state stands, and this turn was answered.
      if (!(err instanceof DialogStateConflictError)) throw err;
      this.deps.logger.warn({ err, activityId: context.activity.id }, 'dialog state changed by a concurrent turn; keeping that one');
      if (context.activity.type === 'message') await context.sendActivity(err.userMessage);
    }
  }

  private async tester(context: TurnContext): Promise<Tester | null> {
    const tester = await identifyTester(context, this.deps.members);
    if (!tester || !isAllowed(tester, this.deps.config.testerAllowlist)) {
      this.deps.logger.info({ activityId: context.activity.id, from: senderOf(context.activity).id }, 'refused: not on the tester allowlist');
      return null;
    }
    return tester;
  }

  private async handleMessage(context: TurnContext): Promise<void> {
    const tester = await this.tester(context);
    if (!tester) {
      await context.sendActivity(NOT_ALLOWED_MESSAGE);
      return;
    }
    try {
      const value = recordOf(context.activity.value);
      if (value && typeof value.verb === 'string' && !wireString(context.activity.text)) {
        await this.cardSubmitAsMessage(context, tester, value.verb, value);
        return;
      }
      const text = stripMentions(messageTextOf(context.activity));
      const command = parseCommand(text);
      if (command) {
        await this.runCommand(context, tester, command);
        return;
      }
      if ((await this.dialogs.isActive(context)) && (await this.dialogs.continue(context)) === 'consumed') return;
      await this.askEra(context, tester, text);
    } catch (err) {
      this.logError(context, err);
      await context.sendActivity(userMessageFor(err, context.activity.id));
    }
  }

  /** Dispatches a parsed command through the command table. A command replaces any dialog in progress. */
  private async runCommand(context: TurnContext, tester: Tester, command: NonNullable<ReturnType<typeof parseCommand>>): Promise<void> {
    if (command.kind === 'unknown') {
      await context.sendActivity(unknownCommandText(command.word));
      return;
    }
    if (command.kind === 'bad-argument') {
      await context.sendActivity(badArgumentText(command.name, command.arg));
      return;
    }
    const entry = commandNamed(command.name);
    const dialogId = this.dialogIds.get(command.name);
    if (dialogId !== undefined) {
      await this.dialogs.begin(context, dialogId, { tester, spec: command.arg });
      return;
    }
    await this.dialogs.endActive(context);
    await entry?.run?.({ turn: context, deps: this.deps, tester, arg: command.arg, help: helpEntries() });
  }

  /** A question for ERA: the turn service answers it through a Teams reply sink. */
  private async askEra(context: TurnContext, tester: Tester, text: string): Promise<void> {
    const a = context.activity;
    const prepared = await prepareTurn(this.deps, { tester, text, conversation: conversationMetadata(context), activityId: a.id ?? null, conversationId: a.conversation.id });
    if (prepared.kind === 'refused') {
      await context.sendActivity(prepared.text);
      return;
    }
    if (prepared.welcome) await sendCard(context, welcomeCard({ ...prepared.welcome, commands: helpEntries() }));
    const sink = new TeamsReplySink(context, this.deps);
    try {
      await answerTurn(this.deps, prepared, sink);
    } catch (err) {
      // An open stream must end, or Teams keeps showing "Searching the policies…": the error text is
      // its final message. Without a stream the bot's one error handler answers.
      if (!sink.streaming || sink.outcome !== 'open') throw err;
      this.deps.logger.error({ err, sessionId: prepared.session.id, activityId: a.id }, 'turn failed while streaming');
      await sink.final({ kind: 'text', text: userMessageFor(err, a.id) });
    }
  }

  /** A card action that arrived as a message (Action.Submit, or a client that downgrades Execute). */
  private async cardSubmitAsMessage(context: TurnContext, tester: Tester, verb: string, data: Record<string, unknown>): Promise<void> {
    const result = await runVerb(verb, { turn: context, deps: this.deps, tester, data, dialogs: this.dialogs });
    const replyToId = context.activity.replyToId;
    if (result.kind === 'card' && replyToId) {
      await context.updateActivity({ ...this.cardActivity(result), id: replyToId });
    } else {
      await context.sendActivity(result.kind === 'message' ? result.text : 'Saved.');
    }
  }

  /** The activity that shows a card result in place of the clicked message. */
  private cardActivity(result: Extract<VerbResult, { kind: 'card' }>) {
    return result.refresh ?? { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: result.card }] };
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    if (context.activity.name === 'adaptiveCard/action') return this.onCardAction(context);
    if (context.activity.name === 'message/submitAction') {
      return feedbackResponse(context, this.deps, (c) => this.tester(c), (err) => {
        this.logError(context, err);
      });
    }
    return super.onInvokeActivity(context);
  }

  /** An Action.Execute: the verb table's result as the typed invoke response (and the card refreshed for others). */
  private async onCardAction(context: TurnContext): Promise<ActionResponse> {
    const value = recordOf(context.activity.value);
    const action = value ? recordOf(value.action) : null;
    if (!value) return badActionResponse('BadRequest', 'Missing value property');
    if (action?.type !== 'Action.Execute') return badActionResponse('NotSupported', `The action '${typeof action?.type === 'string' ? action.type : ''}' is not supported.`);
    const tester = await this.tester(context);
    if (!tester) return messageResponse(NOT_ALLOWED_MESSAGE);
    const verb = typeof action.verb === 'string' ? action.verb : '';
    let result: VerbResult;
    try {
      result = await runVerb(verb, { turn: context, deps: this.deps, tester, data: recordOf(action.data) ?? {}, dialogs: this.dialogs });
    } catch (err) {
      this.logError(context, err);
      return messageResponse(userMessageFor(err, context.activity.id));
    }
    if (result.kind === 'message') return messageResponse(result.text);
    if (result.refresh) await this.refreshForOthers(context, result.refresh);
    return cardResponse(result.card);
  }

  /** In a group chat the invoke response updates the card only for the clicker; update it for all. */
  private async refreshForOthers(context: TurnContext, reply: Parameters<TurnContext['updateActivity']>[0]): Promise<void> {
    const replyToId = context.activity.replyToId;
    if (!replyToId || conversationTypeOf(context.activity) === 'personal') return;
    try {
      await context.updateActivity({ ...reply, id: replyToId });
    } catch (err) {
      this.deps.logger.warn({ err, activityId: context.activity.id }, 'could not update the card for other members');
    }
  }

  protected override async handleTeamsFileConsentAccept(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    const tester = await this.tester(context);
    if (!tester) throw new Error('file consent from a user not on the allowlist');
    const consent = recordOf(response.context) ?? {};
    const upload = response.uploadInfo;
    try {
      await uploadConsentedCsv(this.deps.db, tester.id, { sessionId: consent.sessionId, uploadUrl: upload?.uploadUrl, anonymize: consent.anonymize }, this.deps.uploadCsv);
      await context.sendActivity({
        attachments: [
          {
            contentType: 'application/vnd.microsoft.teams.card.file.info',
            contentUrl: upload?.contentUrl,
            name: upload?.name,
            content: { uniqueId: upload?.uniqueId, fileType: upload?.fileType },
          },
        ],
      });
    } catch (err) {
      this.logError(context, err);
      await context.sendActivity(`The file couldn't be uploaded to your OneDrive: ${userMessageFor(err, context.activity.id)} The download link above still works.`);
    }
  }

  protected override async handleTeamsFileConsentDecline(context: TurnContext): Promise<void> {
    await context.sendActivity('No problem — the download link above still works until it expires.');
  }

  private logError(context: TurnContext, err: unknown): void {
    this.deps.logger.error({ err, activityId: context.activity.id, type: context.activity.type, name: context.activity.name }, 'turn failed');
  }
}
