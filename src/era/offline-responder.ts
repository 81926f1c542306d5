/**
 * ERA without Claude: a deterministic, clearly labelled stand-in so a tester without an API key can
 * still exercise sessions, notes and export. It makes no network call. With policy passages it quotes
 * them (whole sentences of the best sections, under their headings, each cited); without, it says how
 * ERA would approach the topic.
 */
import type { Logger } from '../logger';
import { analyse, countWords, expandQuery, SECTION_SEPARATOR, splitSentences } from './retrieval';
import { type EraAnswer, type EraPassage, type EraResponder, type EraTurnInput, ZERO_USAGE } from './types';

/** The first line of every offline answer: a tester must never mistake it for Claude's. */
export const OFFLINE_LABEL = "⚠️ Offline mode — no ANTHROPIC_API_KEY is set, so this is not Claude's answer.";

interface OfflineTopic {
  label: string;
  keywords: readonly string[];
  approach: readonly string[];
}

/** How ERA approaches each topic the master prompt covers; the order breaks ties between equal matches. */
const TOPICS: readonly OfflineTopic[] = [
  {
    label: 'a harassment or discrimination concern',
    keywords: ['harass', 'discriminat', 'retaliat', 'hostile', 'inappropriate', 'touch', 'comment', 'complain'],
    approach: [
      'Thank the person for raising it, listen, and write down what was said, with dates and names.',
      'Protect the employee from retaliation and avoid promising confidentiality or an outcome.',
      'Report it to the ER team the same day; the manager does not investigate alone.',
    ],
  },
  {
    label: 'attendance (call-outs, lateness or a no-call/no-show)',
    keywords: ['no-call', 'no call', 'no-show', 'no show', 'late', 'tardy', 'absent', 'absence', 'call out', 'called out', 'attendance'],
    approach: [
      'Ask how many incidents there have been recently and whether a medical or family reason was mentioned.',
      'Try to reach the employee, document the attempts, and record the incident in the attendance log.',
      'Cite the attendance policy, and involve ER before any termination or if the absence may be protected leave.',
    ],
  },
  {
    label: 'PTO or a leave of absence',
    keywords: ['pto', 'vacation', 'leave', 'sick', 'fmla', 'maternity', 'paternity', 'pregnan', 'bereavement', 'jury', 'time off'],
    approach: [
      'Clarify the dates and the reason, without asking for a diagnosis.',
      'Explain how the request is approved under the PTO or leave policy and what to document.',
      "Route anything involving the employee's or a family member's health, pregnancy or military service to HR.",
    ],
  },
  {
    label: 'scheduling',
    keywords: ['schedul', 'shift', 'swap', 'coverage', 'break', 'meal', 'overtime hours', 'minor'],
    approach: [
      'Ask which roles and shifts are affected and whether any employee is a minor.',
      'Lay out the steps to change or cover the schedule fairly and consistently.',
      'Point to the scheduling policy and flag break or minor-hours rules to confirm with HR.',
    ],
  },
  {
    label: 'progressive discipline',
    keywords: ['disciplin', 'warning', 'write up', 'write-up', 'writeup', 'coaching', 'performance', 'insubordinat'],
    approach: [
      'Ask what has already been documented and what the specific behaviour was.',
      'Pick the right step (coaching, verbal, written, final) and draft a factual, neutral document.',
      'Check the timing against any recent complaint, leave or injury report, and involve ER if it could look like retaliation.',
    ],
  },
  {
    label: 'workplace safety',
    keywords: ['safety', 'injur', 'hurt', 'accident', 'threat', 'violen', 'unsafe', 'incident', 'fight', 'weapon'],
    approach: [
      'Make sure everyone is safe first, and call 911 if anyone is in danger or seriously hurt.',
      'Complete the incident report the same day with witnesses and photos.',
      'Call ER for any injury, threat or anything involving a minor.',
    ],
  },
  {
    label: 'a termination or resignation',
    keywords: ['terminat', 'fire', 'firing', 'let go', 'let her go', 'let him go', 'resign', 'quit', 'separation', 'job abandonment'],
    approach: [
      'Ask what led here and what has been documented so far.',
      'Explain what to gather: the discipline history, attendance records and any relevant policy.',
      'Contact ER before any termination decision; a manager never terminates without ER review.',
    ],
  },
  {
    label: 'pay or timekeeping',
    keywords: ['pay', 'paycheck', 'wage', 'punch', 'timecard', 'time card', 'timesheet', 'overtime', 'commission', 'off the clock', 'clock in', 'clock out', 'clocked'],
    approach: [
      'Ask which pay period and what exactly looks wrong (missed punch, overtime, commission).',
      'Explain how to correct the time record with the employee\'s acknowledgement, never backdating.',
      'Escalate final pay, unpaid overtime or off-the-clock work to HR and payroll.',
    ],
  },
];

const GENERAL_APPROACH: readonly string[] = [
  'Acknowledge the situation and ask the clarifying questions whose answers change the advice.',
  'Give the steps in order, with what to document, citing the relevant Northwind policy.',
  'Say when to involve ER: terminations, harassment, protected leave, safety or legal risk.',
];

/**
 * Keywords match at the start of a word ('late' matches "lately", not "related"; 'injur' matches
 * "injured"), which is as much language understanding as a placeholder needs.
 */
function startsWord(text: string, keyword: string): boolean {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9])${escaped}`).test(text);
}

/** The topic the message matches best (most keyword hits; list order breaks ties), or null. */
export function offlineTopic(message: string): { label: string; approach: readonly string[] } | null {
  const text = message.toLowerCase();
  let best: OfflineTopic | null = null;
  let bestHits = 0;
  for (const topic of TOPICS) {
    const hits = topic.keywords.filter((k) => startsWord(text, k)).length;
    if (hits > bestHits) {
      best = topic;
      bestHits = hits;
    }
  }
  return best;
}

function quote(message: string, max = 300): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** The prompt's first non-empty line, so a tester can see which prompt would have been used. */
function promptTitle(systemPrompt: string): string | null {
  const first = systemPrompt.split('\n').find((l) => l.trim() !== '');
  return first ? quote(first.replace(/^#+\s*/, ''), 80) : null;
}

/** How many passages an offline answer quotes, and how many sentences of each (the best first). */
const QUOTED_PASSAGES = 3;
const SENTENCES_FIRST = 4;
const SENTENCES_OTHERS = 2;
/** The best passage is quoted whole when it is this short (most policy sections are). */
const WHOLE_SECTION_WORDS = 160;

/** A passage's units (sentences, list items) in order, with how much each shares with the question. */
interface Unit {
  text: string;
  order: number;
  score: number;
}

/**
 * The passage's whole sentences and list items, scored by the question's terms (its own words and the
 * policy words its phrasing stands for). A unit that begins mid-sentence (the "…" of a chunk's overlap
 * with the previous one) is never quoted.
 */
function units(passage: string, question: string): Unit[] {
  const asked = new Map(expandQuery(question).map((t) => [t.term, t.weight]));
  return splitSentences(passage, { keepListItems: true })
    .filter((u) => !u.startsWith('…'))
    .map((text, order) => {
      const terms = new Set(analyse(text));
      let score = 0;
      for (const t of terms) score += asked.get(t) ?? 0;
      return { text: text.trim(), order, score };
    });
}

/**
 * Up to `max` whole units of a passage: the ones sharing most with the question, in passage order,
 * the passage's opening ones when nothing matches. Never cut: a long sentence is quoted whole, and a
 * list item keeps its marker.
 */
export function extractSentences(passage: string, question: string, max = SENTENCES_FIRST): string[] {
  const all = units(passage, question);
  const ranked = [...all].sort((a, b) => b.score - a.score || a.order - b.order);
  const picked = (ranked[0]?.score ?? 0) > 0 ? ranked.filter((u) => u.score > 0).slice(0, max) : all.slice(0, max);
  return picked.sort((a, b) => a.order - b.order).map((u) => u.text);
}

/** The heading of a quoted passage: its policy and, when it has one, the deepest section heading. */
function headingOf(p: EraPassage): string {
  const section = p.section?.split(SECTION_SEPARATOR).at(-1);
  return section ? `${p.title} — ${section}` : p.title;
}

/**
 * The extractive offline answer: for each of the top passages, its section as a Markdown heading and
 * its most relevant whole sentences (the best passage whole when short), each cited [n] so the
 * citations match the passages.
 */
function extractiveAnswer(input: EraTurnInput, passages: readonly EraPassage[]): string {
  const lines = [OFFLINE_LABEL, '', 'From the policies that match your question (quoted, not advice):'];
  passages.slice(0, QUOTED_PASSAGES).forEach((p, i) => {
    const whole = i === 0 && countWords(p.text) <= WHOLE_SECTION_WORDS;
    const quoted = whole ? units(p.text, input.message).map((u) => u.text) : extractSentences(p.text, input.message, i === 0 ? SENTENCES_FIRST : SENTENCES_OTHERS);
    if (quoted.length === 0) return;
    lines.push('', `#### ${headingOf(p)}`, '');
    for (const q of quoted) lines.push(`${q} [${p.n}]`);
  });
  lines.push('', "These are quoted passages, not advice. Set ANTHROPIC_API_KEY for ERA's own answer; notes and /export work as usual.");
  return lines.join('\n');
}

/** The offline answer's text: a pure function of the input. */
export function offlineAnswerText(input: EraTurnInput): string {
  if (input.passages && input.passages.length > 0) return extractiveAnswer(input, input.passages);
  const topic = offlineTopic(input.message);
  const lines = [OFFLINE_LABEL, '', `You asked: "${quote(input.message)}"`, ''];
  lines.push(
    topic
      ? `This looks like a question about ${topic.label}. With Claude connected, ERA would:`
      : 'With Claude connected, ERA would:',
  );
  for (const step of topic?.approach ?? GENERAL_APPROACH) lines.push(`- ${step}`);
  lines.push('');
  const title = promptTitle(input.systemPrompt);
  const context = `Message ${input.history.length + 1} of this session${title ? `; prompt: "${title}"` : '; no system prompt'}.`;
  lines.push(context);
  lines.push('Set ANTHROPIC_API_KEY to get real answers. Notes and /export work as usual.');
  return lines.join('\n');
}

/** A responder that never calls the network and says so in every answer. */
export function createOfflineResponder(deps: { logger: Logger }): EraResponder {
  const logger = deps.logger.child({ component: 'era', mode: 'offline' });
  return {
    mode: 'offline',
    model: 'offline',
    answer(input: EraTurnInput): Promise<EraAnswer> {
      const started = performance.now();
      const text = offlineAnswerText(input);
      const latencyMs = Math.round(performance.now() - started);
      logger.info({ sessionId: input.sessionId, latencyMs }, 'era answered offline');
      return Promise.resolve({ text, model: 'offline', offline: true, stopReason: null, usage: { ...ZERO_USAGE }, requestId: null, latencyMs });
    },
  };
}
