/**
 * The bot: a thin router. Messages go to commands (dialogs), card submits or ERA; invokes go to
 * card actions, the feedback loop or file consent. Every invoke gets the response Teams expects.
 */
import {
  type Activity,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type ConversationState,
  type FileConsentCardResponse,
  type InvokeResponse,
  TeamsActivityHandler,
  TurnContext,
} from 'botbuilder';
import type { DialogState } from 'botbuilder-dialogs';
import { userMessageFor } from './errors';
import { replyContext, runCardAction, type CardActionResult } from './card-actions';
import { handleChat } from './chat';
import { runJobAction } from './job-commands';
import { CommandDialogs } from './command-dialogs';
import { COMMAND_HELP, parseCommand, stripMentions } from './commands';
import type { BotDeps } from './deps';
import { parseFeedback, storeFeedback } from './feedback';
import { replyActivityFor, replyCardFor } from './reply-card';
import { identifyTester, isAllowed, NOT_ALLOWED_MESSAGE } from './tester';
import { resolveTesterSession, type Tester } from '../tuning';

const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
const MESSAGE_CONTENT_TYPE = 'application/vnd.microsoft.activity.message';

export class TuningBot extends TeamsActivityHandler {
  private readonly commands: CommandDialogs;

  constructor(
    private readonly deps: BotDeps,
    private readonly conversationState: ConversationState,
  ) {
    super();
    this.commands = new CommandDialogs(conversationState.createProperty<DialogState>('dialogState'), deps);
    this.onMessage(async (context, next) => {
      await this.handleMessage(context);
      await next();
    });
  }

  /** Saves dialog state after every turn. */
  override async run(context: TurnContext): Promise<void> {
    await super.run(context);
    await this.conversationState.saveChanges(context, false);
  }

  private async tester(context: TurnContext): Promise<Tester | null> {
    const tester = await identifyTester(context, this.deps.members);
    if (!tester || !isAllowed(tester, this.deps.config.testerAllowlist)) {
      this.deps.logger.info({ activityId: context.activity.id, from: context.activity.from?.id }, 'refused: not on the tester allowlist');
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
      const value = context.activity.value as Record<string, unknown> | undefined;
      if (value && typeof value === 'object' && typeof value.verb === 'string' && !context.activity.text) {
        await this.cardSubmitAsMessage(context, tester, value.verb, value);
        return;
      }
      if (await this.commands.continueActive(context)) return;
      const text = stripMentions(TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '');
      const command = parseCommand(text);
      if (command?.kind === 'command') {
        await this.commands.begin(context, command.name, { tester, arg: command.arg });
      } else if (command?.kind === 'unknown') {
        await context.sendActivity(`I don't know the command ${command.word}. ${COMMAND_HELP.map((c) => `\`${c.name}\``).join(', ')}.`);
      } else if (command?.kind === 'bad-argument') {
        await context.sendActivity(
          `"${command.arg.slice(0, 60)}" doesn't look like a session id. Use the id \`/sessions\` shows, e.g. \`/${command.name} 1a2b3c4d\`, or leave it out for the current session.`,
        );
      } else {
        await handleChat(context, this.deps, tester, text);
      }
    } catch (err) {
      await this.reportError(context, err);
    }
  }

  /** A card action that arrived as a message (Action.Submit, or a client that downgrades Execute). */
  private async cardSubmitAsMessage(context: TurnContext, tester: Tester, verb: string, data: Record<string, unknown>): Promise<void> {
    const result = await runCardAction(context, this.deps, tester, verb, data);
    const replyToId = context.activity.replyToId;
    if (result.kind === 'card' && replyToId) {
      await context.updateActivity({ ...replyActivityFor(result.turn, result.card), id: replyToId });
    } else {
      await context.sendActivity(result.kind === 'message' ? result.text : 'Saved.');
    }
  }

  protected override async onAdaptiveCardInvoke(context: TurnContext, invokeValue: AdaptiveCardInvokeValue): Promise<AdaptiveCardInvokeResponse> {
    const tester = await this.tester(context);
    if (!tester) return { statusCode: 200, type: MESSAGE_CONTENT_TYPE, value: NOT_ALLOWED_MESSAGE } as unknown as AdaptiveCardInvokeResponse;
    const action = invokeValue?.action;
    const data = (action?.data ?? {}) as Record<string, unknown>;
    const verb = String(action?.verb ?? '');
    if (verb.startsWith('tb.job.')) {
      try {
        const card = await runJobAction(context, this.deps, tester, verb, data);
        return { statusCode: 200, type: CARD_CONTENT_TYPE, value: card } as unknown as AdaptiveCardInvokeResponse;
      } catch (err) {
        this.logError(context, err);
        return { statusCode: 200, type: MESSAGE_CONTENT_TYPE, value: userMessageFor(err, context.activity.id) } as unknown as AdaptiveCardInvokeResponse;
      }
    }
    let result: CardActionResult;
    try {
      result = await runCardAction(context, this.deps, tester, verb, data);
    } catch (err) {
      this.logError(context, err);
      return { statusCode: 200, type: MESSAGE_CONTENT_TYPE, value: userMessageFor(err, context.activity.id) } as unknown as AdaptiveCardInvokeResponse;
    }
    if (result.kind === 'message') return { statusCode: 200, type: MESSAGE_CONTENT_TYPE, value: result.text } as unknown as AdaptiveCardInvokeResponse;
    await this.refreshForOthers(context, replyActivityFor(result.turn, result.card));
    return { statusCode: 200, type: CARD_CONTENT_TYPE, value: result.card } as unknown as AdaptiveCardInvokeResponse;
  }

  /** In a group chat the invoke response updates the card only for the clicker; update it for all. */
  private async refreshForOthers(context: TurnContext, reply: Partial<Activity>): Promise<void> {
    const replyToId = context.activity.replyToId;
    if (!replyToId || context.activity.conversation?.conversationType === 'personal') return;
    try {
      await context.updateActivity({ ...reply, id: replyToId });
    } catch (err) {
      this.deps.logger.warn({ err, activityId: context.activity.id }, 'could not update the card for other members');
    }
  }

  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    if (context.activity.name === 'message/submitAction') return this.onFeedbackInvoke(context);
    return super.onInvokeActivity(context);
  }

  private async onFeedbackInvoke(context: TurnContext): Promise<InvokeResponse> {
    const feedback = parseFeedback(context.activity.value);
    if (!feedback) return { status: 400, body: { error: 'not a feedback submission' } };
    const tester = await this.tester(context);
    if (!tester) return { status: 403, body: { error: 'not an allowed tester' } };
    try {
      const { turn, notes } = await storeFeedback(context, this.deps, tester, feedback);
      await this.deps.intent?.recordOutcome(turn.id, feedback.reaction === 'like');
      const replyToId = context.activity.replyToId;
      if (replyToId) {
        const card = replyCardFor(turn, notes, this.deps.config.maxNoteChars, { status: { text: 'Feedback saved as a note.', kind: 'good' } }, await replyContext(this.deps, turn.id));
        await context
          .updateActivity({ ...replyActivityFor(turn, card), id: replyToId })
          .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not refresh the card after feedback'));
      }
      return { status: 200, body: {} };
    } catch (err) {
      this.logError(context, err);
      await context.sendActivity(userMessageFor(err, context.activity.id)).catch(() => undefined);
      return { status: 200, body: {} };
    }
  }

  protected override async handleTeamsFileConsentAccept(context: TurnContext, response: FileConsentCardResponse): Promise<void> {
    const tester = await this.tester(context);
    if (!tester) throw new Error('file consent from a user not on the allowlist');
    const ctx = (response.context ?? {}) as { sessionId?: unknown };
    try {
      // The context round-trips through the client: check the session is still the tester's.
      const session = await resolveTesterSession(this.deps.db, tester.id, typeof ctx.sessionId === 'string' ? ctx.sessionId : '-');
      const upload = response.uploadInfo;
      if (!upload?.uploadUrl) throw new Error('file consent accepted without an upload URL');
      await this.deps.uploadCsv(session.id, upload.uploadUrl);
      await context.sendActivity({
        attachments: [
          {
            contentType: 'application/vnd.microsoft.teams.card.file.info',
            contentUrl: upload.contentUrl,
            name: upload.name,
            content: { uniqueId: upload.uniqueId, fileType: upload.fileType },
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

  private async reportError(context: TurnContext, err: unknown): Promise<void> {
    this.logError(context, err);
    await context.sendActivity(userMessageFor(err, context.activity.id));
  }
}
