/**
 * ERA without Claude: a deterministic, clearly labelled stand-in so a tester without an API key can
 * still exercise sessions, notes and export. It makes no network call. (A later change makes these
 * answers extractive from policy passages; this file is where that goes.)
 */
import type { Logger } from '../logger';
import { ZERO_USAGE, type EraAnswer, type EraResponder, type EraTurnInput } from './types';

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

const STOPWORDS = new Set(
  'a an the and or but if of to in on at for with by from is are was were be been am do does did have has had i my me we our you your he she her his they them their it its this that what how can should would could when who whom which about as into not no'.split(' '),
);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9']+/g) ?? []).filter((w) => w.length > 2 && !STOPWORDS.has(w));
}

/** Up to two of the passage's sentences that share the most words with the question, in passage order. */
export function extractSentences(passage: string, question: string, maxChars = 320): string {
  const asked = new Set(words(question).map((w) => w.slice(0, 5)));
  const sentences = passage.replace(/\s+/g, ' ').match(/[^.!?]+[.!?]+|[^.!?]+$/g) ?? [passage];
  const scored = sentences.map((text, i) => ({ text: text.trim(), i, score: words(text).filter((w) => asked.has(w.slice(0, 5))).length }));
  const best = [...scored].sort((a, b) => b.score - a.score || a.i - b.i).slice(0, 2).sort((a, b) => a.i - b.i);
  const joined = best.map((b) => b.text).join(' ');
  return joined.length > maxChars ? `${joined.slice(0, maxChars - 1)}…` : joined;
}

/** The extractive offline answer: the most relevant sentences of the top passages, cited. */
function extractiveAnswer(input: EraTurnInput, passages: NonNullable<EraTurnInput['passages']>): string {
  const lines = [OFFLINE_LABEL, '', 'From the policies that match your question:'];
  for (const p of passages.slice(0, 3)) lines.push(`- **${p.title}**: ${extractSentences(p.text, input.message)} [${p.n}]`);
  lines.push('', 'These are quoted passages, not advice. Set ANTHROPIC_API_KEY for ERA\'s own answer; notes and /export work as usual.');
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
