/** Who is testing: the AAD object id where Teams gives one (the spec's tester_id). */
export interface Tester {
  id: string;
  name: string | null;
  email: string | null;
}

/** The improvement categories of the spec. */
export const NOTE_CATEGORIES = ['tone', 'content', 'citation', 'clarity', 'structure', 'action'] as const;
export type NoteCategory = (typeof NOTE_CATEGORIES)[number];

/** Where a note came from: the card's form, its Looks good button, or Teams' thumbs feedback. */
export type NoteSource = 'card' | 'looks_good' | 'feedback_loop';

/** The note the spec's example rows use for a reply that needs nothing. */
export const LOOKS_GOOD_NOTE = 'Good response, no changes needed';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
