/**
 * Spec 000's three programmatic metrics of a reply, computed from its text, its passages and the
 * tester's question. Pure and deterministic: the same reply always gets the same values, so a replay on
 * another prompt is compared on equal terms. Each is a checkable proxy for one rule of ERA's prompt
 * (examples/era/MASTER_PROMPT.md), not a judgement of quality; the LLM judge does that.
 *
 * - **has_policy_citation**: the reply cites at least one of the passages it was given, by a marker [n]
 *   (or [n, m]) with 1 ≤ n ≤ the number of passages. No passages given: false.
 * - **appropriate_action_suggested**: the reply gives a concrete next step — a numbered or bulleted list
 *   item, or a sentence that starts with an action verb (Document, Contact, Call, Ask, …) — AND, when the
 *   tester's message is about a situation the prompt says must go to ER ("When to involve HR / ER":
 *   termination, harassment/discrimination/retaliation, possible protected leave or accommodation, legal
 *   risk, safety, final pay / unpaid or off-the-clock work), it names ER or HR.
 * - **structure_complete**: the reply has the shape the prompt asks for — it opens with a prose sentence
 *   (the acknowledgement: not a list item, heading or table), gives at least two steps (list items), has
 *   no Markdown headings or tables, and is at most 300 words (the prompt's "about 250"). The offline
 *   label line, when present, is not counted.
 */
import { citedNumbers, OFFLINE_LABEL } from '../era';

/** Bumped whenever a definition above changes; stored with the values (metadata.metrics_version). */
export const METRICS_VERSION = 1;

/** The three programmatic metrics, named as their columns. */
export interface ProgrammaticMetrics {
  has_policy_citation: boolean;
  appropriate_action_suggested: boolean;
  structure_complete: boolean;
}

/** What the metrics are computed from. */
export interface MetricsInput {
  /** The tester's message the reply answers. */
  userMessage: string;
  /** The reply as stored. */
  answer: string;
  /** How many numbered passages the reply was given (0 when none). */
  passageCount: number;
  /** The passage numbers the reply cites; computed from the text when omitted. */
  cited?: readonly number[];
}

export const MAX_STRUCTURED_WORDS = 300;

const LIST_ITEM = /^\s*(?:\d{1,2}[.)]|[-*•])\s+\S/;
const HEADING = /^\s{0,3}#{1,6}\s/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;

/** Verbs a step starts with (lower case); a sentence beginning with one is an instruction. */
const ACTION_VERBS = new Set([
  'add', 'ask', 'avoid', 'book', 'call', 'check', 'confirm', 'contact', 'document', 'email', 'escalate', 'explain',
  'file', 'follow', 'gather', 'give', 'hold', 'involve', 'issue', 'keep', 'let', 'log', 'make', 'meet', 'note',
  'notify', 'offer', 'pull', 'reach', 'record', 'remind', 'remove', 'report', 'request', 'review', 'schedule',
  'send', 'share', 'speak', 'start', 'submit', 'take', 'talk', 'tell', 'try', 'update', 'write', 'do', 'don\'t',
  'never', 'loop', 'set', 'complete', 'print', 'route', 'collect',
]);

/** Situations ERA's prompt says go to ER before the manager acts ("When to involve HR / ER"). */
const ESCALATION_TRIGGERS: readonly RegExp[] = [
  /\b(terminat\w*|fire|fired|firing|let (?:him|her|them) go|job abandonment|dismiss\w*)\b/i,
  /\b(harass\w*|discriminat\w*|retaliat\w*|hostile|inappropriate(?:ly)? touch\w*)\b/i,
  /\b(fmla|medical leave|protected leave|pregnan\w*|disabilit\w*|accommodat\w*|military leave|work(?:place)? injur\w*)\b/i,
  /\b(lawyer|attorney|lawsuit|sue|suing|union|police|subpoena|eeoc|wage claim)\b/i,
  /\b(threat\w*|violen\w*|weapon|assault\w*|seriously (?:hurt|injured)|911)\b/i,
  /\b(final (?:pay|paycheck)|unpaid overtime|off the clock|off-the-clock)\b/i,
];

const NAMES_ESCALATION = /\b(ER|HR|Employee Relations|Human Resources)\b|\b(?:er|hr)@|ER line/;

function contentLines(answer: string): string[] {
  const lines = answer.split(/\r?\n/);
  // The offline stand-in's label is ours, not the reply's.
  if (lines[0]?.trim() === OFFLINE_LABEL) lines.shift();
  return lines;
}

function firstWord(sentence: string): string {
  const cleaned = sentence.replace(/^[\s*_>"'`(]+/, '').toLowerCase();
  return /^[a-z']+/.exec(cleaned)?.[0] ?? '';
}

function startsWithAction(sentence: string): boolean {
  const word = firstWord(sentence);
  return ACTION_VERBS.has(word) || (word === 'please' && ACTION_VERBS.has(firstWord(sentence.replace(/^\W*please\s+/i, ''))));
}

/** The number of words, Markdown markers aside. */
export function wordCount(text: string): number {
  return text.replace(/[*_`#>|]/g, ' ').split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
}

/** True when the message describes a situation the prompt says must involve ER. */
export function needsEscalation(userMessage: string): boolean {
  return ESCALATION_TRIGGERS.some((re) => re.test(userMessage));
}

/** Computes the three metrics (see the file comment for their exact definitions). */
export function programmaticMetrics(input: MetricsInput): ProgrammaticMetrics {
  const lines = contentLines(input.answer);
  const body = lines.join('\n');
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  const listItems = nonEmpty.filter((l) => LIST_ITEM.test(l)).length;
  const cited = input.cited ?? citedNumbers(body, input.passageCount);
  const validCited = cited.filter((n) => n >= 1 && n <= input.passageCount);

  const sentences = body.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter((s) => s !== '');
  const hasStep = listItems > 0 || sentences.some(startsWithAction);
  const escalated = !needsEscalation(input.userMessage) || NAMES_ESCALATION.test(body);

  const first = nonEmpty[0] ?? '';
  const opensWithProse = first !== '' && !LIST_ITEM.test(first) && !HEADING.test(first) && !TABLE_ROW.test(first);
  const plainFormat = !nonEmpty.some((l) => HEADING.test(l) || TABLE_ROW.test(l));

  return {
    has_policy_citation: input.passageCount > 0 && validCited.length > 0,
    appropriate_action_suggested: hasStep && escalated,
    structure_complete: opensWithProse && listItems >= 2 && plainFormat && wordCount(body) <= MAX_STRUCTURED_WORDS,
  };
}
