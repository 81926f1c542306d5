/**
 * Command recognition, from the command table. With a slash, any word is a command (unknown ones get the
 * list). Without the slash, a message is a command only when it is the command word alone, or with a
 * session id for the commands that take one: "End of shift rules?" stays a question for ERA.
 */
import type { AnonymizeMode } from '../privacy';
import { commandNamed } from './command-table';

const SESSION_ARG = /^[0-9a-f-]{4,36}$/i;
const BUNDLE_ARG = /^bundle(\s+([0-9a-f-]{4,36}|json|md|markdown)){0,2}$/i;
/** `anonymize` (or `anonymise`), optionally followed by `strip` or `pseudonymize`: the last part of an export's argument. */
const ANONYMIZE = String.raw`anonymi[sz]e(?:[\s=]+(strip|pseudonymi[sz]e))?`;
/** `[session] [anonymize [strip|pseudonymize]]`. */
const EXPORT_ARG = new RegExp(String.raw`^(?:([0-9a-f-]{4,36})(?:\s+|$))?(${ANONYMIZE})?$`, 'i');
/** `[retraining N | review T] [anonymize [strip|pseudonymize]]`. */
const PROMPTS_ARG = new RegExp(String.raw`^(?:(retraining|review)(?:\s+(\d+(?:\.\d+)?))?(?:\s+|$))?(${ANONYMIZE})?$`, 'i');

/** The anonymize mode an export argument asked for: `anonymize` alone pseudonymises (as the CLIs' --anonymize). */
function modeOf(word: string | undefined, mode: string | undefined): AnonymizeMode | null {
  if (word === undefined) return null;
  return mode?.toLowerCase() === 'strip' ? 'strip' : 'pseudonymize';
}

/** `/export`'s argument, as the table's 'export' rule accepted it: the session (null: the open or latest) and the anonymize mode. */
export function parseExportArgument(arg: string | null): { session: string | null; anonymize: AnonymizeMode | null } {
  const m = EXPORT_ARG.exec(arg?.trim() ?? '');
  if (!m) return { session: arg, anonymize: null };
  return { session: m[1] ?? null, anonymize: modeOf(m[2], m[3]) };
}

/** `/prompts`' argument, as the table's 'prompts' rule accepted it; the mode defaults to retraining. */
export function parsePromptsArgument(arg: string | null): { mode: 'retraining' | 'review'; value: string | undefined; anonymize: AnonymizeMode | null } {
  const m = PROMPTS_ARG.exec(arg?.trim() ?? '');
  return { mode: m?.[1]?.toLowerCase() === 'review' ? 'review' : 'retraining', value: m?.[2], anonymize: modeOf(m?.[3], m?.[4]) };
}

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
  if (entry.arg === 'session' && SESSION_ARG.test(rest)) return { kind: 'command', name, arg: rest };
  if (entry.arg === 'export' && (BUNDLE_ARG.test(rest) || EXPORT_ARG.test(rest))) return { kind: 'command', name, arg: rest.replace(/\s+/g, ' ') };
  if (entry.arg === 'prompts' && PROMPTS_ARG.test(rest)) return { kind: 'command', name, arg: rest.toLowerCase().replace(/\s+/g, ' ') };
  if (!slash) return null;
  return { kind: 'bad-argument', name, arg: rest };
}
