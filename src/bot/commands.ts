/**
 * Command recognition, from the command table. With a slash, any word is a command (unknown ones get the
 * list). Without the slash, a message is a command only when it is the command word alone, or with a
 * session id for the commands that take one: "End of shift rules?" stays a question for ERA.
 */
import { commandNamed } from './command-table';

const SESSION_ARG = /^[0-9a-f-]{4,36}$/i;
const PROMPTS_ARG = /^(retraining|review)(\s+\d+(\.\d+)?)?$/i;
const BUNDLE_ARG = /^bundle(\s+([0-9a-f-]{4,36}|json|md|markdown)){0,2}$/i;

export type ParsedCommand =
  | { kind: 'command'; name: string; arg: string | null }
  | { kind: 'unknown'; word: string }
  | { kind: 'bad-argument'; name: string; arg: string };

export { stripMentions } from './wire';

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
  const entry = commandNamed(word);
  if (!entry) return slash ? { kind: 'unknown', word: `/${word}` } : null;
  const name = entry.name;
  if (entry.arg === 'free') return slash ? { kind: 'command', name, arg: rest === '' ? null : rest } : null;
  if (rest === '') return { kind: 'command', name, arg: null };
  if ((entry.arg === 'session' || entry.arg === 'export') && SESSION_ARG.test(rest)) return { kind: 'command', name, arg: rest };
  if (entry.arg === 'export' && BUNDLE_ARG.test(rest)) return { kind: 'command', name, arg: rest.replace(/\s+/g, ' ') };
  if (entry.arg === 'prompts' && PROMPTS_ARG.test(rest)) return { kind: 'command', name, arg: rest.toLowerCase().replace(/\s+/g, ' ') };
  if (!slash) return null;
  return { kind: 'bad-argument', name, arg: rest };
}
