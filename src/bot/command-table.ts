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
import { jobCommand, jobsCommand } from './handlers/job-commands';
import { practicesCommand } from './handlers/practice-commands';
import {
  endCommand, exportCommand, helpCommand, newCommand, promoteCommand, promptCommand, promptsCommand, sessionsCommand, statsCommand,
} from './handlers/session-commands';

/**
 * How a command's argument is read:
 * - 'none': the word alone (with the slash, anything after it is refused);
 * - 'session': an optional session id (the 8 characters /sessions shows, or the full id);
 * - 'prompts': `retraining N` or `review T`;
 * - 'free': only with the slash, any text, which the handler checks (the training-data commands).
 */
export type ArgumentRule = 'none' | 'session' | 'prompts' | 'free';

export interface CommandEntry {
  /** The word, lower case, without the slash. */
  name: string;
  /** How /help shows it, e.g. "/export [session]"; null: listed with another entry's row. */
  syntax: string | null;
  description: string;
  arg: ArgumentRule;
  /** In Teams' command menu (at most 10), with this shorter description. */
  menu?: string;
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
    name: 'export', syntax: '/export [session]', description: 'Download a session as CSV (default: the open or latest one)', arg: 'session',
    menu: 'Download a session as CSV: export [session]', run: exportCommand,
  },
  { name: 'sessions', syntax: '/sessions', description: 'Your last ten sessions, with counts', arg: 'none', menu: 'Your last ten sessions', run: sessionsCommand },
  { name: 'stats', syntax: '/stats [session]', description: 'Session statistics and notes per category', arg: 'session', menu: 'Session statistics: stats [session]', run: statsCommand },
  { name: 'prompt', syntax: '/prompt', description: 'The prompt file and its version', arg: 'none', menu: 'The prompt file and its version', run: promptCommand },
  {
    name: 'prompts', syntax: '/prompts [retraining N | review T]', arg: 'prompts', run: promptsCommand,
    description: 'Captured prompts with their topics: retraining JSONL (last N days) or review JSON (confidence below T)',
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
    name: 'promote', syntax: '/promote [session]', arg: 'session', run: promoteCommand,
    description: 'Turn a tuning session into a training conversation; replies with notes are rewritten by Claude',
  },
  {
    name: 'practices', syntax: '/practices [search | refresh]', arg: 'free', run: practicesCommand,
    description: 'Best practices the best-rated replies share, as a card (search, or model= category= min= page=); refresh (admins) runs the analysis',
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

/** The Teams manifest's command menu: title (the word) and description, in table order. */
export function manifestCommands(): Array<{ title: string; description: string }> {
  return COMMAND_TABLE.flatMap((c) => (c.menu === undefined ? [] : [{ title: c.name, description: c.menu }]));
}

/** The reply to an unknown slash command. */
export function unknownCommandText(word: string): string {
  return `I don't know the command ${word}. ${helpEntries().map((c) => `\`${c.name}\``).join(', ')}.`;
}
