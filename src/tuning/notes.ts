/** Improvement notes on ERA's replies. */
import type { Kysely } from 'kysely';
import type { Database, Improvement, JsonObject } from '../../db';
import { InvalidNoteError } from './errors';
import { cleanText } from './text';
import { LOOKS_GOOD_NOTE, NOTE_CATEGORIES, type NoteCategory, type NoteSource } from './types';

type Db = Kysely<Database>;

export interface NoteInput {
  turnId: string;
  testerId: string;
  note: unknown;
  /** A category name, 'none' or empty for none. Anything else is rejected. */
  category: unknown;
  source: NoteSource;
  /** The card render's nonce: a second submission with the same one is not stored again. */
  submissionId?: string;
  extra?: JsonObject;
}

export interface NoteResult {
  /** False when this submission was already stored (a double click). */
  stored: boolean;
  notes: Improvement[];
}

/** Validates a category from a card: a known category, or null for none. */
export function parseCategory(value: unknown): NoteCategory | null {
  if (value === undefined || value === null || value === '' || value === 'none') return null;
  if (typeof value === 'string' && (NOTE_CATEGORIES as readonly string[]).includes(value.trim().toLowerCase())) {
    return value.trim().toLowerCase() as NoteCategory;
  }
  throw new InvalidNoteError(
    `"${typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 40) : typeof value}" is not a category I know. Choose one of: ${NOTE_CATEGORIES.join(', ')}, or none.`,
  );
}

/** Validates and cleans a note's text. */
export function parseNoteText(value: unknown, maxChars: number): string {
  if (typeof value !== 'string') throw new InvalidNoteError('Write a note before saving.');
  const { text } = cleanText(value);
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidNoteError('The note is empty. Write what should change, then save.');
  if (trimmed.length > maxChars) {
    throw new InvalidNoteError(
      `The note is ${trimmed.length.toLocaleString('en-US')} characters; the limit is ${maxChars.toLocaleString('en-US')}. Shorten it and save again — your text is still in the form.`,
    );
  }
  return trimmed;
}

/** Stores a note (once per submission id) and returns all of the turn's notes. */
export async function addNote(db: Db, input: NoteInput, maxChars: number): Promise<NoteResult> {
  const note = input.source === 'looks_good' ? LOOKS_GOOD_NOTE : parseNoteText(input.note, maxChars);
  const category = input.source === 'looks_good' ? null : parseCategory(input.category);
  const metadata: JsonObject = { ...(input.extra ?? {}), source: input.source, tester_id: input.testerId };
  if (input.submissionId) metadata.submission_id = input.submissionId;
  const inserted = await db
    .insertInto('tuning_improvements')
    .values({ turn_id: input.turnId, improvement_note: note, category, metadata })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return { stored: inserted !== undefined, notes: await listNotes(db, input.turnId) };
}

/** A turn's notes, oldest first. */
export async function listNotes(db: Db, turnId: string): Promise<Improvement[]> {
  return db
    .selectFrom('tuning_improvements')
    .selectAll()
    .where('turn_id', '=', turnId)
    .orderBy('timestamp')
    .orderBy('id')
    .execute();
}
