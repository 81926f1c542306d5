/**
 * Policy sections filed under another topic than their policy's (examples/era/intent/section-topics.json):
 * the topic list puts meal and rest breaks under pay though the scheduling policy holds those rules.
 * The topic model's training labels section questions by it, and the classifier's retrieval evidence
 * counts a passage for its section's topic.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type IntentId, isIntentId } from './topics';

export const SECTION_TOPICS_FILE = path.resolve(__dirname, '../../examples/era/intent/section-topics.json');

const sectionTopicsSchema = z.object({
  sections: z.record(z.string(), z.record(z.string(), z.string().refine(isIntentId, { message: 'not a topic id of src/intent/topics.ts' }))),
});

/** Per policy file, headings whose sections belong to another topic than the policy's. */
export type SectionTopics = ReadonlyMap<string, ReadonlyMap<string, IntentId>>;

/**
 * The topic of a policy's section: its policy's, unless `sectionTopics` files its own (deepest) heading
 * under another topic. Only the deepest heading counts, so filing a parent heading moves its own text
 * and questions but not its other subsections (5.4 Rest between shifts stays scheduling).
 */
export function topicOfSection(sectionTopics: SectionTopics, file: string, documentTopic: IntentId, section: string | null): IntentId {
  const heading = section?.split(' › ').at(-1)?.trim();
  return (heading !== undefined ? sectionTopics.get(file)?.get(heading) : undefined) ?? documentTopic;
}

/**
 * Reads the sections filed under another topic than their policy's (examples/era/intent/section-topics.json).
 * @throws Error naming the file when it is not JSON of that shape or names an unknown topic.
 */
export function loadSectionTopics(file: string = SECTION_TOPICS_FILE): SectionTopics {
  const parsed = sectionTopicsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  return new Map(Object.entries(parsed.data.sections).map(([doc, headings]) => [doc, new Map(Object.entries(headings).map(([h, t]) => [h.trim(), t]))]));
}

let shipped: SectionTopics | undefined;

/** The shipped file, read once per process. */
export function shippedSectionTopics(): SectionTopics {
  shipped ??= loadSectionTopics(SECTION_TOPICS_FILE);
  return shipped;
}

/** A retrieved passage's topic: its section's (topicOfSection), or its document's when that is no topic. */
export function passageTopic(sectionTopics: SectionTopics, passage: { sourcePath: string; topic: string | null; section: string | null }): string | null {
  return isIntentId(passage.topic) ? topicOfSection(sectionTopics, passage.sourcePath, passage.topic, passage.section) : passage.topic;
}
