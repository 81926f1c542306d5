/**
 * Command recognition. With a slash, any word is a command (unknown ones get the list). Without the
 * slash, a message is a command only when it is the command word alone, or with a session id for
 * the commands that take one: "End of shift rules?" stays a question for ERA.
 */
import type { CommandHelp } from '../cards';

export const COMMANDS = ['help', 'new', 'end', 'export', 'sessions', 'stats', 'prompt', 'prompts', 'plan', 'conversation', 'quality', 'review', 'approve', 'flag', 'generate', 'jobs', 'job', 'promote', 'dashboard'] as const;

/** Training-data commands: only with the slash, and their arguments are free text the handler checks. */
const DATASET_COMMANDS: ReadonlySet<string> = new Set(['plan', 'conversation', 'quality', 'review', 'approve', 'flag', 'generate', 'jobs', 'job']);
export type CommandName = (typeof COMMANDS)[number];

export const COMMAND_HELP: CommandHelp[] = [
  { name: '/help', description: 'What the bot does and its commands' },
  { name: '/new', description: 'Close the open session and start a new one' },
  { name: '/end', description: 'End the session with a summary' },
  { name: '/export [session]', description: 'Download a session as CSV (default: the open or latest one)' },
  { name: '/sessions', description: 'Your last ten sessions, with counts' },
  { name: '/stats [session]', description: 'Session statistics and notes per category' },
  { name: '/prompt', description: 'The prompt file and its version' },
  { name: '/prompts [retraining N | review T]', description: 'Captured prompts with their topics: retraining JSONL (last N days) or review JSON (confidence below T)' },
  { name: '/plan [filters]', description: 'Training dataset: counts and a page of conversations (persona= tier= status= template= topic= quality=4-5 page=)' },
  { name: '/conversation N', description: 'One training conversation: arc, turns, scores, completeness' },
  { name: '/quality', description: 'Quality averages, distribution, and what needs review' },
  { name: '/review N | /approve N | /flag N notes', description: 'Move a training conversation through review, with notes' },
  { name: '/generate N | N-M | filters | all', description: 'Generate training conversations with Claude, after a confirmation card with count, time and cost' },
  { name: '/jobs, /job ID', description: 'Generation jobs and their progress (Pause, Resume, Cancel on the card)' },
  { name: '/dashboard', description: 'A sign-in link to the dashboard (sessions, training data, quality, jobs) for your browser' },
  { name: '/promote [session]', description: 'Turn a tuning session into a training conversation; replies with notes are rewritten by Claude' },
];

const TAKES_SESSION: ReadonlySet<CommandName> = new Set(['export', 'stats', 'promote']);
const SESSION_ARG = /^[0-9a-f-]{4,36}$/i;
const PROMPTS_ARG = /^(retraining|review)(\s+\d+(\.\d+)?)?$/i;

export type ParsedCommand =
  | { kind: 'command'; name: CommandName; arg: string | null }
  | { kind: 'unknown'; word: string }
  | { kind: 'bad-argument'; name: CommandName; arg: string };

/** Strips Teams' <at>…</at> mention markup that removeRecipientMention may leave. */
export function stripMentions(text: string): string {
  return text.replace(/<at>[^<]*<\/at>/gi, ' ').trim();
}

/** The command in a message, or null when it is a question for ERA. */
export function parseCommand(text: string): ParsedCommand | null {
  const trimmed = text.trim();
  const match = /^(\/?)([a-z]+)(?:\s+([\s\S]*))?$/i.exec(trimmed);
  if (!match) {
    if (trimmed.startsWith('/')) return { kind: 'unknown', word: trimmed.split(/\s+/)[0] ?? trimmed };
    return null;
  }
  const slash = match[1] === '/';
  const word = (match[2] ?? '').toLowerCase();
  const rest = (match[3] ?? '').trim();
  const known = (COMMANDS as readonly string[]).includes(word);
  if (!known) return slash ? { kind: 'unknown', word: `/${word}` } : null;
  const name = word as CommandName;
  if (DATASET_COMMANDS.has(name)) return slash ? { kind: 'command', name, arg: rest === '' ? null : rest } : null;
  if (rest === '') return { kind: 'command', name, arg: null };
  if (TAKES_SESSION.has(name) && SESSION_ARG.test(rest)) return { kind: 'command', name, arg: rest };
  if (name === 'prompts' && PROMPTS_ARG.test(rest)) return { kind: 'command', name, arg: rest.toLowerCase().replace(/\s+/g, ' ') };
  if (!slash) return null;
  return { kind: 'bad-argument', name, arg: rest };
}
