/**
 * The patterns of a reply: deterministic features read from ERA's reply text (and the turn's stored
 * programmatic metrics where they exist). A practice is a set of these shared by the best replies; its
 * identity (practice_key) is built from their ids, so ids never change meaning once shipped.
 */

/** Every feature, its id (stable) and how a practice names it. */
export const FEATURES = {
  opens_with_empathy: 'Opens by acknowledging the manager\'s situation',
  cites_policy: 'Cites the policy passage it relies on',
  numbered_steps: 'Gives numbered steps',
  bulleted_points: 'Lists points as bullets',
  names_next_action: 'Names a concrete next action',
  escalates_to_er: 'Names when to involve Employee Relations / HR',
  asks_clarifying_question: 'Asks a clarifying question',
  advises_documentation: 'Advises documenting the facts',
  considers_employee: 'Considers the employee\'s circumstances',
  length_short: 'Short (at most 120 words)',
  length_medium: 'Medium length (121-250 words)',
  length_long: 'Long (over 250 words)',
} as const;

export type FeatureId = keyof typeof FEATURES;
export const FEATURE_IDS = Object.keys(FEATURES) as FeatureId[];

/** What the extraction reads of a turn. */
export interface FeatureInput {
  reply: string;
  /** Stored spec 000 metrics (null: not computed). */
  hasPolicyCitation: boolean | null;
  appropriateActionSuggested: boolean | null;
}

const LIST_ITEM = /^\s*(\d+[.)]|[-*•])\s+\S/;
const NUMBERED_ITEM = /^\s*\d+[.)]\s+\S/;
const EMPATHY = /\b(sounds|understand|understandable|sorry|stressful|difficult|tough|frustrating|disruptive|thank(s| you)|good that you|right to)\b/i;
const ACTION_START = /^\s*(?:\d+[.)]\s*|[-*•]\s*)?(document|contact|call|ask|meet|schedule|send|review|check|talk|speak|record|write|report|follow|escalate|reach out|set up|give|tell|let|keep|email|notify|confirm)\b/i;
const ER = /\b(employee relations|ER team|ER\b|HR\b|human resources|people team)/;
const DOCUMENT = /\b(document|write down|keep a record|record (the|what|each)|note the date)/i;
const EMPLOYEE_CARE = /\b(medical|family|circumstance|support|well-being|wellbeing|personal|EAP|employee assistance)\b/i;
const CITATION = /\[\d+\]/;

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** The reply without the offline label line, so offline and Claude replies read alike. */
function body(reply: string): string {
  return reply.replace(/^_?\*?Offline mode[^\n]*\n+/i, '').trim();
}

/** The features a reply shows, sorted by id. */
export function replyFeatures(input: FeatureInput): FeatureId[] {
  const text = body(input.reply);
  const lines = text.split('\n');
  const firstSentence = text.split(/(?<=[.!?])\s+|\n/)[0] ?? '';
  const found = new Set<FeatureId>();
  if (EMPATHY.test(firstSentence)) found.add('opens_with_empathy');
  if (input.hasPolicyCitation ?? CITATION.test(text)) found.add('cites_policy');
  const numbered = lines.filter((l) => NUMBERED_ITEM.test(l)).length;
  const listed = lines.filter((l) => LIST_ITEM.test(l)).length;
  if (numbered >= 2) found.add('numbered_steps');
  else if (listed >= 2) found.add('bulleted_points');
  const sentences = text.split(/(?<=[.!?])\s+|\n/);
  if (input.appropriateActionSuggested ?? sentences.some((s) => ACTION_START.test(s))) found.add('names_next_action');
  if (ER.test(text)) found.add('escalates_to_er');
  if (sentences.some((s) => s.trim().endsWith('?'))) found.add('asks_clarifying_question');
  if (DOCUMENT.test(text)) found.add('advises_documentation');
  if (EMPLOYEE_CARE.test(text)) found.add('considers_employee');
  const n = words(text);
  found.add(n <= 120 ? 'length_short' : n <= 250 ? 'length_medium' : 'length_long');
  return FEATURE_IDS.filter((f) => found.has(f));
}

/** Jaccard similarity of two feature sets (1 for two empty sets). */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter += 1;
  const union = sa.size + sb.size - inter;
  return union === 0 ? 1 : inter / union;
}
