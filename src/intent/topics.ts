/**
 * The fixed intent topics: one per knowledge-base policy area, plus `other`. Ids are stored in
 * nlu_prompt_logs and exported as training labels, so an id is never renamed, only added.
 */
import { InvalidIntentError } from './errors';

/** One topic a manager's question can be about. */
export interface IntentTopic {
  id: string;
  /** For display (cards, exports for reviewers). */
  label: string;
  /** What belongs here: shown to the classifier model and to reviewers. */
  covers: string;
}

export const INTENT_TOPICS = [
  { id: 'attendance', label: 'Attendance', covers: 'attendance, tardiness, call-outs, no-call/no-show, absences' },
  { id: 'scheduling', label: 'Scheduling', covers: 'schedules, shift swaps, shift coverage, picking up shifts' },
  { id: 'leave', label: 'Leave & time off', covers: 'PTO, vacation, sick time, leaves of absence, FMLA-style family and medical leave' },
  { id: 'discipline', label: 'Discipline & performance', covers: 'progressive discipline, coaching, verbal and written warnings, performance problems' },
  { id: 'harassment', label: 'Harassment & complaints', covers: 'harassment, discrimination, employee complaints, retaliation' },
  { id: 'safety', label: 'Safety & injuries', covers: "workplace injuries, incidents, hazards, workers' compensation" },
  { id: 'termination', label: 'Termination & resignation', covers: 'terminations, resignations, notice, final pay' },
  { id: 'pay', label: 'Pay & hours', covers: 'pay, overtime, time clock, meal and rest breaks, payroll errors' },
  { id: 'conduct', label: 'Conduct', covers: 'dress code, phones, social media, member interactions, workplace relationships' },
  { id: 'accommodation', label: 'Accommodation', covers: 'disability, pregnancy and religious accommodation, work restrictions' },
  { id: 'other', label: 'Other', covers: 'anything else: greetings, small talk, questions outside employee relations' },
] as const satisfies readonly IntentTopic[];

/** A topic id. */
export type IntentId = (typeof INTENT_TOPICS)[number]['id'];

/** Every topic id, in display order. */
export const INTENT_IDS: readonly IntentId[] = INTENT_TOPICS.map((t) => t.id);

/** The topic for messages nothing else fits. */
export const OTHER_INTENT: IntentId = 'other';

/** Whether a value is a topic id (exactly, as stored). */
export function isIntentId(value: unknown): value is IntentId {
  return typeof value === 'string' && (INTENT_IDS as readonly string[]).includes(value);
}

/** The display label of a topic id; the id itself for an id no longer in the list. */
export function intentLabel(id: string): string {
  return INTENT_TOPICS.find((t) => t.id === id)?.label ?? id;
}

/**
 * Reads a topic from a card or a reviewer: an id or a label, any case.
 * @throws InvalidIntentError listing the topics.
 */
export function parseIntentId(value: unknown): IntentId {
  if (typeof value === 'string') {
    const wanted = value.trim().toLowerCase();
    const topic = INTENT_TOPICS.find((t) => t.id === wanted || t.label.toLowerCase() === wanted);
    if (topic) return topic.id;
  }
  throw new InvalidIntentError(value, INTENT_IDS);
}
