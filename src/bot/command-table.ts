/**
 * The one command table. Parsing (commands.ts), dispatch (tuning-bot.ts), the /help card, the "I don't
 * know the command" list and the Teams manifest's command menu (src/cli/teams-app-package.ts) are all
 * derived from it: adding a command is adding an entry here.
 */
import type { Dialog } from 'botbuilder-dialogs';
import type { CommandHelp } from '../cards';
import type { CommandHandler } from './command-context';
import type { BotDeps } from './deps';
import { GenerateDialog } from './dialogs/generate-dialog';
import { conversationCommand, planCommand, qualityCommand, reviewCommand } from './handlers/dataset-commands';
import { dashboardCommand } from './handlers/dashboard-command';
import { replayCommand, suggestCommand } from './handlers/insights-commands';
import { jobCommand, jobsCommand } from './handlers/job-commands';
import { practicesCommand } from './handlers/practice-commands';
import {
  endCommand, exportCommand, helpCommand, newCommand, promoteCommand, promptCommand, promptsCommand, sessionsCommand, statsCommand,
} from './handlers/session-commands';

/**
 * How a command's argument is read:
 * - 'none': the word alone (with the slash, anything after it is refused);
 * - 'session': an optional session id (the 8 characters /sessions shows, or the full id);
 * - 'export': `bundle` with an optional session id and format (json, md); or an optional session id, then optionally `anonymize` (`anonymise`), `anonymize strip` or
 *   `anonymize pseudonymize` (spec 004: the file without tester identities);
 * - 'prompts': `retraining N` or `review T`, then optionally `anonymize` as for 'export';
 * - 'free': only with the slash, any text, which the handler checks (the training-data commands).
 */
export type ArgumentRule = 'none' | 'session' | 'export' | 'prompts' | 'free';

/** The bot scopes a Teams command menu is declared for. */
export type MenuScope = 'personal' | 'groupChat' | 'team';

export interface CommandEntry {
  /** The word, lower case, without the slash. */
  name: string;
  /** How /help shows it, e.g. "/export [session]"; null: listed with another entry's row. */
  syntax: string | null;
  description: string;
  arg: ArgumentRule;
  /** In Teams' command menu (at most 10), with this shorter description. */
  menu?: string;
  /** Only in these scopes' menus (default: every scope the bot has), e.g. a command whose answer is personal. */
  menuScopes?: readonly MenuScope[];
  /** A one-step command: parse, call a service, answer. */
  run?: CommandHandler;
  /** A command with several steps or that waits for the tester: the dialog the bot registers and begins. */
  dialog?: (deps: BotDeps) => Dialog;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'help', syntax: '/help', description: 'What the bot does and its commands', arg: 'none', menu: 'What the bot does and its commands', run: helpCommand },
  { name: 'new', syntax: '/new', description: 'Close the open session and start a new one', arg: 'none', menu: 'Close the open session and start a new one', run: newCommand },
  { name: 'end', syntax: '/end', description: 'End the session with a summary', arg: 'none', menu: 'End the session with a summary', run: endCommand },
  {
    name: 'export', syntax: '/export [session] [anonymize [strip]]', arg: 'export', run: exportCommand,
    description: 'Download a session as CSV (default: the open or latest one; anonymize: without tester ids, names, e-mails or phone numbers); /export bundle [session] [json]: as an LLM-ready bundle',
    menu: 'Download a session as CSV: export [session] [anonymize]',
  },
  { name: 'sessions', syntax: '/sessions', description: 'Your last ten sessions, with counts', arg: 'none', menu: 'Your last ten sessions', run: sessionsCommand },
  { name: 'stats', syntax: '/stats [session]', description: 'Session statistics and notes per category', arg: 'session', menu: 'Session statistics: stats [session]', run: statsCommand },
  // Teams allows 10 menu entries per scope: in the 1:1 chat, /practices and /dashboard take the room of
  // /prompt, which stays a command there (in /help and the welcome card).
  { name: 'prompt', syntax: '/prompt', description: 'The prompt file and its version', arg: 'none', menu: 'The prompt file and its version', menuScopes: ['groupChat'], run: promptCommand },
  {
    name: 'prompts', syntax: '/prompts [retraining N | review T] [anonymize]', arg: 'prompts', run: promptsCommand,
    description: 'Captured prompts with their topics: retraining JSONL (last N days) or review JSON (confidence below T); anonymize: testers scrubbed from the texts',
    menu: 'Captured prompts and topics: prompts retraining 30 | review 0.7',
  },
  { name: 'plan', syntax: '/plan [filters]', description: 'Training dataset: counts and a page of conversations (persona= tier= status= template= topic= quality=4-5 page=)', arg: 'free', run: planCommand },
  { name: 'conversation', syntax: '/conversation N', description: 'One training conversation: arc, turns, scores, completeness', arg: 'free', run: conversationCommand },
  { name: 'quality', syntax: '/quality', description: 'Quality averages, distribution, and what needs review', arg: 'free', run: qualityCommand },
  { name: 'review', syntax: '/review N | /approve N | /flag N notes', description: 'Move a training conversation through review, with notes', arg: 'free', run: reviewCommand('review') },
  { name: 'approve', syntax: null, description: 'Approve a training conversation', arg: 'free', run: reviewCommand('approve') },
  { name: 'flag', syntax: null, description: 'Flag a training conversation, with what is wrong', arg: 'free', run: reviewCommand('flag') },
  {
    name: 'generate', syntax: '/generate N | N-M | filters | all', arg: 'free', dialog: (deps) => new GenerateDialog(deps),
    description: 'Generate training conversations with Claude, after a confirmation card with count, time and cost',
  },
  { name: 'jobs', syntax: '/jobs, /job ID', description: 'Generation jobs and their progress (Pause, Resume, Cancel on the card)', arg: 'free', run: jobsCommand },
  { name: 'job', syntax: null, description: 'One generation job and its progress', arg: 'free', run: jobCommand },
  {
    name: 'suggest', syntax: '/suggest [session]', arg: 'session', run: suggestCommand,
    description: "Prompt edits from the session's notes, as a diff with Replay with this suggestion (offline: a digest of the notes)",
    menu: "Prompt edits from a session's notes: suggest [session]",
  },
  {
    name: 'replay', syntax: '/replay [session …] [version]', arg: 'free', run: replayCommand,
    description: 'Replay sessions on a candidate prompt and compare: version = suggestion (default), suggestion:ID, file:NAME.md, or a git ref (HEAD~1, ref:abc1234)',
  },
  {
    name: 'promote', syntax: '/promote [session]', arg: 'session', run: promoteCommand,
    description: 'Turn a tuning session into a training conversation; replies with notes are rewritten by Claude',
  },
  {
    name: 'dashboard', syntax: '/dashboard', arg: 'none', run: dashboardCommand,
    description: 'A sign-in link to the dashboard (sessions, training data, quality, jobs) for your browser',
    menu: 'A sign-in link to the dashboard for your browser', menuScopes: ['personal'],
  },
  {
    name: 'practices', syntax: '/practices [search | refresh]', arg: 'free', run: practicesCommand,
    description: 'Best practices the best-rated replies share, as a card (search, or model= category= min= page=); refresh (admins) runs the analysis',
    menu: 'Best practices from the best-rated replies: practices [search]',
  },
];

/** The entry for a command word (lower case), if any. */
export function commandNamed(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((c) => c.name === name);
}

/** The /help rows (and the welcome card's list). */
export function helpEntries(): CommandHelp[] {
  return COMMAND_TABLE.flatMap((c) => (c.syntax === null ? [] : [{ name: c.syntax, description: c.description }]));
}

/** Every command's dialog, built once per bot (its id is the dialog's id). */
export function commandDialogs(deps: BotDeps): Map<string, Dialog> {
  return new Map(COMMAND_TABLE.flatMap((c) => (c.dialog ? [[c.name, c.dialog(deps)] as const] : [])));
}

/** The Teams manifest's command menu for a scope: title (the word) and description, in table order. */
export function manifestCommands(scope: MenuScope): Array<{ title: string; description: string }> {
  return COMMAND_TABLE.flatMap((c) => (c.menu === undefined || (c.menuScopes && !c.menuScopes.includes(scope)) ? [] : [{ title: c.name, description: c.menu }]));
}

/** The reply to a command whose argument its rule refused: what the command takes instead. */
export function badArgumentText(name: string, arg: string): string {
  const entry = commandNamed(name);
  const quoted = `"${arg.slice(0, 60)}"`;
  if (entry?.arg === 'prompts') return `${quoted} isn't what /${name} takes: \`${entry.syntax ?? ''}\`, e.g. \`/prompts retraining 30\` or \`/prompts review 0.7 anonymize\`.`;
  const session = `${quoted} doesn't look like a session id. Use the id \`/sessions\` shows, e.g. \`/${name} 1a2b3c4d\`, or leave it out for the current session.`;
  return entry?.arg === 'export' ? `${session} The whole form is \`${entry.syntax ?? ''}\`.` : session;
}

/** The reply to an unknown slash command. */
export function unknownCommandText(word: string): string {
  return `I don't know the command ${word}. ${helpEntries().map((c) => `\`${c.name}\``).join(', ')}.`;
}
