/**
 * The loopback fake's answers as the tuning loop's judge and suggester (fake-anthropic.ts routes a
 * request here by its structured-output schema), and a deterministic ERA whose replies follow the system
 * prompt it is given, so a prompt edit visibly changes answers and scores in end-to-end tests.
 *
 * - Judge (schema with professionalism / empathy / clarity): scores computed from ERA's reply text only:
 *   empathy 3, +1 when the first sentence acknowledges the situation, +1 when the employee's circumstances
 *   are considered; clarity 3, +1 with two or more list items, +1 at 250 words or fewer, −1 above 400;
 *   professionalism 5, −1 for "you may wish to consider", −2 for flippant words. Clamped to 1-5.
 * - Suggester (schema with summary / edits): one edit on the prompt between <current_prompt> tags — the
 *   first line under "## Tone" gains the sentence ACKNOWLEDGE_RULE — answering every note label [N…] the
 *   request lists under a tone or empathy heading (all labels when none is).
 */
import type { FakeStep, MessagesRequestBody } from './fake-anthropic-protocol';
import { isObject, textOf } from './fake-anthropic-protocol';

/** The sentence the fake suggester adds to the prompt; the fake ERA opens with an acknowledgement when it is there. */
export const ACKNOWLEDGE_RULE = 'Always open with one short sentence that acknowledges how the situation feels for the manager.';
/** The acknowledgement the fake ERA opens with under a prompt holding ACKNOWLEDGE_RULE. */
export const ACKNOWLEDGEMENT = 'That sounds stressful, and it is good that you are handling it carefully.';

export type FakeScores = { professionalism: number; empathy: number; clarity: number };
export type FakeJudgeFn = (reply: string) => FakeScores;

function schemaProperties(body: MessagesRequestBody): string[] {
  const config = body.output_config;
  if (!isObject(config) || !isObject(config.format) || !isObject(config.format.schema)) return [];
  const props = config.format.schema.properties;
  return isObject(props) ? Object.keys(props) : [];
}

export function isJudgeRequest(body: MessagesRequestBody): boolean {
  const keys = schemaProperties(body);
  return keys.includes('professionalism') && keys.includes('empathy') && keys.includes('clarity');
}

export function isSuggestRequest(body: MessagesRequestBody): boolean {
  const keys = schemaProperties(body);
  return keys.includes('edits') && keys.includes('summary');
}

const between = (text: string, tag: string): string | null => {
  const m = new RegExp(`<${tag}>\\n?([\\s\\S]*?)\\n?</${tag}>`).exec(text);
  return m?.[1] ?? null;
};

const clamp = (n: number): number => Math.max(1, Math.min(5, n));
const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

/** The fake judge's scores for a reply (see the file comment). */
export const defaultJudgeScores: FakeJudgeFn = (reply) => {
  const firstSentence = reply.split(/(?<=[.!?])\s+|\n/)[0] ?? '';
  const listItems = reply.split('\n').filter((l) => /^\s*(\d+[.)]|[-*•])\s+\S/.test(l)).length;
  let empathy = 3;
  if (/\b(sounds|understand|sorry|stressful|tough|disruptive|frustrating|thank)/i.test(firstSentence)) empathy += 1;
  if (/\b(medical|family|circumstance|support|well-being|wellbeing)\b/i.test(reply)) empathy += 1;
  let clarity = 3;
  if (listItems >= 2) clarity += 1;
  if (words(reply) <= 250) clarity += 1;
  if (words(reply) > 400) clarity -= 1;
  let professionalism = 5;
  if (/you may wish to consider/i.test(reply)) professionalism -= 1;
  if (/\b(whatever|obviously|just fire|lol)\b/i.test(reply)) professionalism -= 2;
  return { professionalism: clamp(professionalism), empathy: clamp(empathy), clarity: clamp(clarity) };
};

/** The judge's structured answer to a request. */
export function judgeAnswer(body: MessagesRequestBody, scoresOf: FakeJudgeFn = defaultJudgeScores): FakeStep {
  const content = body.messages.map((m) => textOf(m.content)).join('\n');
  const reply = between(content, 'era_reply') ?? '';
  const s = scoresOf(reply);
  const why = (dim: string, n: number) => `fake judge: ${dim} ${n} from the reply's wording`;
  return {
    text: JSON.stringify({
      professionalism: { score: s.professionalism, rationale: why('professionalism', s.professionalism) },
      empathy: { score: s.empathy, rationale: why('empathy', s.empathy) },
      clarity: { score: s.clarity, rationale: why('clarity', s.clarity) },
    }),
    usage: { input_tokens: 900, output_tokens: 90, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** The suggester's structured answer: one edit under "## Tone" (see the file comment). */
export function suggestAnswer(body: MessagesRequestBody): FakeStep {
  const content = body.messages.map((m) => textOf(m.content)).join('\n');
  const prompt = between(content, 'current_prompt') ?? '';
  const notes = between(content, 'notes') ?? '';
  const toneLabels = [...notes.matchAll(/\[(N\d+)\][^\n]*\b(tone|empathy)\b/gi)].map((m) => m[1] ?? '');
  const labels = toneLabels.length > 0 ? toneLabels : [...notes.matchAll(/\[(N\d+)\]/g)].map((m) => m[1] ?? '');
  const lines = prompt.split('\n');
  const heading = lines.findIndex((l) => l.trim() === '## Tone');
  const target = lines.slice(heading + 1).find((l) => l.trim() !== '' && prompt.split(l).length === 2);
  const edits = heading >= 0 && target
    ? [{ find: target, replace: `${target}\n${ACKNOWLEDGE_RULE}`, note_ids: [...new Set(labels)], rationale: 'Testers asked for warmth: open by acknowledging the situation.' }]
    : [];
  return {
    text: JSON.stringify({ summary: `Fake suggester: ${edits.length} edit(s) answering ${labels.length} note(s).`, edits }),
    usage: { input_tokens: 4000, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

/** The judge or suggester answer to a request, or null when it is neither. */
export function insightsAnswer(body: MessagesRequestBody, scoresOf?: FakeJudgeFn): FakeStep | null {
  if (isJudgeRequest(body)) return judgeAnswer(body, scoresOf);
  if (isSuggestRequest(body)) return suggestAnswer(body);
  return null;
}

/**
 * A deterministic ERA: a short reply with two steps and a citation of passage [1] when passages were
 * given, opening with ACKNOWLEDGEMENT when the system prompt holds ACKNOWLEDGE_RULE.
 */
export function eraReply(body: MessagesRequestBody): string {
  const system = textOf(body.system);
  const last = body.messages.at(-1);
  const question = last ? textOf(last.content) : '';
  const hasPassages = /Policy passages for this question/.test(question);
  // The tester's message is the last text block (after the passages block); textOf joins blocks with
  // nothing between them, so the last line alone would also carry the last passage's last words.
  const blocks = Array.isArray(last?.content) ? last.content : [];
  const lastBlock = blocks.at(-1);
  const message = lastBlock !== undefined ? textOf([lastBlock]) : question;
  const asked = (message.split('\n').filter(Boolean).at(-1) ?? '').slice(0, 60);
  const opening = system.includes(ACKNOWLEDGE_RULE) ? ACKNOWLEDGEMENT : `About "${asked}":`;
  return [
    opening,
    '',
    `1. Document what happened today${hasPassages ? ' [1]' : ''}.`,
    '2. Contact ER before any decision.',
  ].join('\n');
}
