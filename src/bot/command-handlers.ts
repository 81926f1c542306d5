/** What each command does. The dialogs in command-dialogs.ts call these. */
import { CardFactory, MessageFactory, type TurnContext } from 'botbuilder';
import { type CardJson, displayPath, exportCard, formatUtc, helpCard, sessionsListCard, sessionStatsCard, welcomeCard } from '../cards';
import {
  closeOpenSession,
  EmptySessionError,
  exportFileName,
  listSessions,
  resolveTesterSession,
  restartSession,
  sessionStats,
  type Tester,
} from '../tuning';
import { conversationMetadata } from './chat';
import { COMMAND_HELP } from './commands';
import type { BotDeps } from './deps';
import { isLocalServiceUrl } from './local-client';
import { isAllowed } from './tester';

async function sendCard(context: TurnContext, card: CardJson): Promise<void> {
  await context.sendActivity(MessageFactory.attachment(CardFactory.adaptiveCard(card)));
}

function modeLabel(deps: BotDeps): string {
  return deps.era.mode === 'offline' ? 'OFFLINE MODE (no ANTHROPIC_API_KEY)' : `Claude ${deps.era.model}`;
}

export async function helpCommand(context: TurnContext, deps: BotDeps): Promise<void> {
  const { version } = await deps.prompt.version();
  await sendCard(context, helpCard({ commands: COMMAND_HELP, promptVersion: version, mode: modeLabel(deps) }));
}

export async function newCommand(context: TurnContext, deps: BotDeps, tester: Tester): Promise<void> {
  const stamp = await deps.prompt.version();
  const { closed, opened } = await restartSession(deps.db, tester, stamp, { ...conversationMetadata(context), prompt_path: deps.prompt.path });
  deps.logger.info({ testerId: tester.id, closed: closed?.id ?? null, opened: opened.id }, 'session restarted');
  await sendCard(
    context,
    welcomeCard({
      sessionId: opened.id,
      promptVersion: stamp.version,
      branch: opened.branch_name,
      promptPath: deps.prompt.path,
      model: deps.era.model,
      offline: deps.era.mode === 'offline',
      commands: COMMAND_HELP,
      closedSessionId: closed?.id ?? null,
    }),
  );
}

export async function endCommand(context: TurnContext, deps: BotDeps, tester: Tester): Promise<void> {
  const closed = await closeOpenSession(deps.db, tester.id);
  if (!closed) {
    await context.sendActivity('No session is open, so there was nothing to end. Send a question to start one, or `/sessions` to see past ones.');
    return;
  }
  deps.logger.info({ testerId: tester.id, sessionId: closed.id }, 'session ended');
  const stats = await sessionStats(deps.db, closed.id);
  await sendCard(
    context,
    sessionStatsCard({
      ...stats,
      title: `Session ${closed.id.slice(0, 8)} ended`,
      footer: `Send /export ${closed.id.slice(0, 8)} for the CSV. Your next message starts a new session.`,
    }),
  );
}

export async function statsCommand(context: TurnContext, deps: BotDeps, tester: Tester, ref: string | null): Promise<void> {
  const session = await resolveTesterSession(deps.db, tester.id, ref ?? undefined);
  const stats = await sessionStats(deps.db, session.id);
  await sendCard(
    context,
    sessionStatsCard({ ...stats, title: `Statistics of session ${session.id.slice(0, 8)}`, footer: `/export ${session.id.slice(0, 8)} gives its CSV.` }),
  );
}

export async function sessionsCommand(context: TurnContext, deps: BotDeps, tester: Tester): Promise<void> {
  const sessions = await listSessions(deps.db, tester.id, 10);
  if (sessions.length === 0) {
    await context.sendActivity('You have no tuning sessions yet. Send a question to start one.');
    return;
  }
  await sendCard(
    context,
    sessionsListCard(
      sessions.map((s) => ({
        id: s.id,
        sessionStart: s.session_start,
        sessionEnd: s.session_end,
        totalTurns: s.total_turns ?? 0,
        totalImprovements: s.total_improvements ?? 0,
        promptVersion: s.master_prompt_version,
      })),
    ),
  );
}

export async function promptCommand(context: TurnContext, deps: BotDeps): Promise<void> {
  const [{ version, branch }, { sha256 }] = await Promise.all([deps.prompt.version(), deps.prompt.read()]);
  await context.sendActivity(
    [
      `**Prompt file:** ${displayPath(deps.prompt.path)}`,
      `**Version:** ${version}${branch ? ` on branch ${branch}` : ''}`,
      `**Content SHA-256:** ${sha256.slice(0, 12)}`,
      `**Answering with:** ${modeLabel(deps)}`,
      'A session records the version it started with; edit and commit the prompt, then `/new` to test the new version.',
    ].join('\n\n'),
  );
}

export async function exportCommand(context: TurnContext, deps: BotDeps, tester: Tester, ref: string | null): Promise<void> {
  const session = await resolveTesterSession(deps.db, tester.id, ref ?? undefined);
  const stats = await sessionStats(deps.db, session.id);
  if (stats.totalTurns === 0) throw new EmptySessionError(session.id);
  const link = deps.exportLinks.create(session.id, tester.id);
  const fileName = exportFileName(session.id, session.session_start);
  deps.logger.info({ testerId: tester.id, sessionId: session.id }, 'export link issued');
  await sendCard(
    context,
    exportCard({ sessionId: session.id, turns: stats.totalTurns, improvements: stats.totalImprovements, url: link.url, expiresAt: link.expiresAt, fileName }),
  );
  // In a Teams 1:1 chat the file can also land in the tester's OneDrive, through the consent card.
  // A local client (the Agents Playground) has no OneDrive and shows the card as unsupported.
  const a = context.activity;
  if (a.channelId === 'msteams' && a.conversation?.conversationType === 'personal' && !isLocalServiceUrl(a.serviceUrl)) {
    const size = await deps.csvSize(session.id);
    await context.sendActivity({
      attachments: [
        {
          contentType: 'application/vnd.microsoft.teams.card.file.consent',
          name: fileName,
          content: {
            description: `Tuning session ${session.id.slice(0, 8)}: ${stats.totalTurns} turns, ${stats.totalImprovements} notes`,
            sizeInBytes: size,
            acceptContext: { sessionId: session.id, fileName },
            declineContext: { sessionId: session.id, fileName },
          },
        },
      ],
    });
  }
}

/** `/prompts [retraining N | review T]`: the prompt-capture exports; admins get every tester's rows. */
export async function promptsCommand(context: TurnContext, deps: BotDeps, tester: Tester, arg: string | null): Promise<void> {
  const [word, value] = (arg ?? 'retraining').split(' ');
  const mode = word === 'review' ? 'review' : 'retraining';
  const parameter = value !== undefined ? Number(value) : mode === 'review' ? 0.7 : 30;
  if (mode === 'review' && !(parameter > 0 && parameter <= 1)) {
    await context.sendActivity(`The review threshold is a confidence between 0 and 1, e.g. \`/prompts review 0.7\`; "${value}" is not.`);
    return;
  }
  if (mode === 'retraining' && !(Number.isInteger(parameter) && parameter >= 1 && parameter <= 3650)) {
    await context.sendActivity(`The retraining window is a whole number of days (1 to 3650), e.g. \`/prompts retraining 30\`; "${value}" is not.`);
    return;
  }
  const admin = deps.config.adminAllowlist.length > 0 && isAllowed(tester, deps.config.adminAllowlist);
  const link = deps.exportLinks.createPrompts(mode, parameter, admin ? '*' : tester.id);
  deps.logger.info({ testerId: tester.id, mode, parameter, admin }, 'prompt export link issued');
  const what =
    mode === 'retraining'
      ? `Retraining JSONL (text, label, confidence, source, corrected): corrected prompts and predictions above 0.85 from the last ${parameter} day(s)`
      : `Review JSON: uncorrected predictions with confidence below ${parameter}, with corrected_intent and notes to fill in`;
  await context.sendActivity(
    `${what}, ${admin ? 'for every tester (you are an admin)' : 'of your own messages'}.\n\n[Download](${link.url}) — the link works until ${formatUtc(link.expiresAt)}.`,
  );
}

/** `/promote [session]`: the tuning session becomes a training conversation. */
export async function promoteCommand(context: TurnContext, deps: BotDeps, tester: Tester, ref: string | null): Promise<void> {
  if (!deps.promote) {
    await context.sendActivity('Promotion to training data is not set up on this bot.');
    return;
  }
  const session = await resolveTesterSession(deps.db, tester.id, ref ?? undefined);
  const admin = deps.config.adminAllowlist.length > 0 && isAllowed(tester, deps.config.adminAllowlist);
  const r = await deps.promote(session.id, tester.id, admin);
  deps.logger.info({ testerId: tester.id, sessionId: session.id, conversation: r.conversationKey, rewritten: r.rewritten }, 'session promoted');
  await context.sendActivity(
    `Session ${session.id.slice(0, 8)} is training conversation **${r.conversationNumber} · ${r.conversationKey}** (${r.turns} turn(s), status generated). ` +
      (r.rewritten > 0 ? `${r.rewritten} reply(ies) with improvement notes were rewritten by Claude. ` : '') +
      (r.flaggedForReview ? 'It is flagged for review: the notes could not be applied (Claude offline or failed), so the replies are as ERA gave them. ' : '') +
      `\`/conversation ${r.conversationNumber}\` shows it.`,
  );
}
