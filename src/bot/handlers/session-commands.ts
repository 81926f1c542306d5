/** The tuning-session commands: /help, /new, /end, /export, /sessions, /stats, /prompt, /prompts, /promote. */
import { displayPath, exportCard, formatUtc, helpCard, scoreAverageFacts, sessionsListCard, sessionStatsCard, welcomeCard } from '../../cards';
import { metricAverages } from '../../insights';
import { closeOpenSession, listSessions, prepareSessionExport, resolveTesterSession, restartSession, sessionStats } from '../../tuning';
import { type CommandContext, isAdmin, modeLabel, sendCard, sendText } from '../command-context';
import { parseExportArgument, parsePromptsArgument } from '../commands';
import { conversationMetadata } from '../conversation';
import { isLocalServiceUrl } from '../local-client';
import { conversationTypeOf } from '../wire';
import { exportBundle } from './insights-commands';

/** `/help`: what the bot does and its commands (from the command table). */
export async function helpCommand({ turn, deps, help }: CommandContext): Promise<void> {
  const { version } = await deps.prompt.version();
  await sendCard(turn, helpCard({ commands: help, promptVersion: version, mode: modeLabel(deps) }));
}

/** `/new`: closes the open session and opens another, with the welcome card. */
export async function newCommand({ turn, deps, tester, help }: CommandContext): Promise<void> {
  const stamp = await deps.prompt.version();
  const { closed, opened } = await restartSession(deps.db, tester, stamp, { ...conversationMetadata(turn), prompt_path: deps.prompt.path });
  deps.logger.info({ testerId: tester.id, closed: closed?.id ?? null, opened: opened.id }, 'session restarted');
  await sendCard(
    turn,
    welcomeCard({
      sessionId: opened.id,
      promptVersion: stamp.version,
      branch: opened.branch_name,
      promptPath: deps.prompt.path,
      model: deps.era.model,
      offline: deps.era.mode === 'offline',
      commands: help,
      closedSessionId: closed?.id ?? null,
    }),
  );
}

/** `/end`: closes the session, with its summary card. */
export async function endCommand({ turn, deps, tester }: CommandContext): Promise<void> {
  const closed = await closeOpenSession(deps.db, tester.id);
  if (!closed) {
    await sendText(turn, 'No session is open, so there was nothing to end. Send a question to start one, or `/sessions` to see past ones.');
    return;
  }
  deps.logger.info({ testerId: tester.id, sessionId: closed.id }, 'session ended');
  const stats = await sessionStats(deps.db, closed.id);
  await sendCard(
    turn,
    sessionStatsCard({
      ...stats,
      title: `Session ${closed.id.slice(0, 8)} ended`,
      footer: `Send /export ${closed.id.slice(0, 8)} for the CSV. Your next message starts a new session.`,
    }),
  );
}

/** `/stats [session]`: a session's statistics card. */
export async function statsCommand({ turn, deps, tester, arg }: CommandContext): Promise<void> {
  const session = await resolveTesterSession(deps.db, tester.id, arg ?? undefined);
  const stats = await sessionStats(deps.db, session.id);
  const judgeMode = deps.insights?.judgeMode;
  const scores = judgeMode ? scoreAverageFacts(await metricAverages(deps.db, [session.id]), judgeMode) : [];
  await sendCard(turn, sessionStatsCard({ ...stats, scores, title: `Statistics of session ${session.id.slice(0, 8)}`, footer: `/export ${session.id.slice(0, 8)} gives its CSV.` }));
}

/** `/sessions`: the tester's last ten sessions. */
export async function sessionsCommand({ turn, deps, tester }: CommandContext): Promise<void> {
  const sessions = await listSessions(deps.db, tester.id, 10);
  if (sessions.length === 0) {
    await sendText(turn, 'You have no tuning sessions yet. Send a question to start one.');
    return;
  }
  await sendCard(
    turn,
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

/** `/prompt`: the prompt file, its version and branch, and how ERA answers. */
export async function promptCommand({ turn, deps }: CommandContext): Promise<void> {
  const [{ version, branch }, { sha256 }] = await Promise.all([deps.prompt.version(), deps.prompt.read()]);
  await sendText(
    turn,
    [
      `**Prompt file:** ${displayPath(deps.prompt.path)}`,
      `**Version:** ${version}${branch ? ` on branch ${branch}` : ''}`,
      `**Content SHA-256:** ${sha256.slice(0, 12)}`,
      `**Answering with:** ${modeLabel(deps)}`,
      'A session records the version it started with; edit and commit the prompt, then `/new` to test the new version.',
    ].join('\n\n'),
  );
}

/**
 * `/export [session] [anonymize [strip]]`: a signed CSV link, and in a Teams 1:1 chat the file-consent card
 * for OneDrive. With anonymize, both the link (the mode is signed into it) and the uploaded file carry no
 * tester id, name or e-mail (pseudonyms, or nothing with strip) and no e-mail address or phone number.
 * `/export bundle …`: the LLM-ready bundle instead.
 */
export async function exportCommand(c: CommandContext): Promise<void> {
  const { turn, deps, tester, arg } = c;
  if (arg !== null && /^bundle\b/i.test(arg)) {
    await exportBundle(c);
    return;
  }
  const { session, anonymize } = parseExportArgument(arg);
  const e = await prepareSessionExport(deps.db, tester.id, session, anonymize);
  const link = deps.exportLinks.create(e.session.id, tester.id, anonymize);
  deps.logger.info({ testerId: tester.id, sessionId: e.session.id, anonymize }, 'export link issued');
  await sendCard(turn, exportCard({ sessionId: e.session.id, turns: e.turns, improvements: e.notes, url: link.url, expiresAt: link.expiresAt, fileName: e.fileName, anonymize }));
  // In a Teams 1:1 chat the file can also land in the tester's OneDrive, through the consent card.
  // A local client (the Agents Playground) has no OneDrive and shows the card as unsupported, so
  // FILE_CONSENT=auto leaves it out there; 'always' offers it on any service URL (loopback tests).
  const a = turn.activity;
  const mode = deps.config.fileConsent;
  if (mode === 'never' || a.channelId !== 'msteams' || conversationTypeOf(a) !== 'personal') return;
  if (mode === 'auto' && isLocalServiceUrl(a.serviceUrl)) return;
  const size = await deps.csvSize(e.session.id, anonymize);
  const context = { sessionId: e.session.id, fileName: e.fileName, ...(anonymize ? { anonymize } : {}) };
  await turn.sendActivity({
    attachments: [
      {
        contentType: 'application/vnd.microsoft.teams.card.file.consent',
        name: e.fileName,
        content: {
          description: `Tuning session ${e.session.id.slice(0, 8)}: ${String(e.turns)} turns, ${String(e.notes)} notes${anonymize ? ', anonymised' : ''}`,
          sizeInBytes: size,
          acceptContext: context,
          declineContext: context,
        },
      },
    ],
  });
}

/**
 * `/prompts [retraining N | review T] [anonymize]`: the prompt-capture exports; admins get every tester's rows.
 * With anonymize the texts go out with every known tester's id, e-mail and name scrubbed (and e-mail
 * addresses and phone numbers redacted), as an admin would share them for retraining.
 */
export async function promptsCommand(c: CommandContext): Promise<void> {
  const { turn, deps, tester, arg } = c;
  const { mode, value, anonymize } = parsePromptsArgument(arg);
  const parameter = value !== undefined ? Number(value) : mode === 'review' ? 0.7 : 30;
  if (mode === 'review' && !(parameter > 0 && parameter <= 1)) {
    await sendText(turn, `The review threshold is a confidence between 0 and 1, e.g. \`/prompts review 0.7\`; "${value ?? ''}" is not.`);
    return;
  }
  if (mode === 'retraining' && !(Number.isInteger(parameter) && parameter >= 1 && parameter <= 3650)) {
    await sendText(turn, `The retraining window is a whole number of days (1 to 3650), e.g. \`/prompts retraining 30\`; "${value ?? ''}" is not.`);
    return;
  }
  const admin = isAdmin(c);
  const link = deps.exportLinks.createPrompts(mode, parameter, admin ? '*' : tester.id, anonymize);
  deps.logger.info({ testerId: tester.id, mode, parameter, admin, anonymize }, 'prompt export link issued');
  const what =
    mode === 'retraining'
      ? `Retraining JSONL (text, label, confidence, source, corrected): corrected prompts and predictions above 0.85 from the last ${String(parameter)} day(s)`
      : `Review JSON: uncorrected predictions with confidence below ${String(parameter)}, with corrected_intent and notes to fill in`;
  await sendText(
    turn,
    `${what}, ${admin ? 'for every tester (you are an admin)' : 'of your own messages'}` +
      `${anonymize ? `, anonymised (${ANONYMIZE_WORDS[anonymize]})` : ''}.\n\n[Download](${link.url}) — the link works until ${formatUtc(link.expiresAt)}.`,
  );
}

/** How an anonymised export says what it did with tester identities. */
const ANONYMIZE_WORDS = {
  pseudonymize: 'testers as pseudonyms; e-mail addresses and phone numbers redacted',
  strip: 'testers removed; e-mail addresses and phone numbers redacted',
} as const;

/** `/promote [session]`: the tuning session becomes a training conversation. */
export async function promoteCommand(c: CommandContext): Promise<void> {
  const { turn, deps, tester, arg } = c;
  if (!deps.promote) {
    await sendText(turn, 'Promotion to training data is not set up on this bot.');
    return;
  }
  const session = await resolveTesterSession(deps.db, tester.id, arg ?? undefined);
  const r = await deps.promote(session.id, tester.id, isAdmin(c));
  deps.logger.info({ testerId: tester.id, sessionId: session.id, conversation: r.conversationKey, rewritten: r.rewritten }, 'session promoted');
  await sendText(
    turn,
    `Session ${session.id.slice(0, 8)} is training conversation **${String(r.conversationNumber)} · ${r.conversationKey}** (${String(r.turns)} turn(s), status generated). ` +
      (r.rewritten > 0 ? `${String(r.rewritten)} reply(ies) with improvement notes were rewritten by Claude. ` : '') +
      (r.flaggedForReview ? 'It is flagged for review: the notes could not be applied (Claude offline or failed), so the replies are as ERA gave them. ' : '') +
      `\`/conversation ${String(r.conversationNumber)}\` shows it.`,
  );
}
