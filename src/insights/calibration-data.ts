/**
 * The data behind a calibration: labelled replies read from the database (any selection of turns), and
 * a labelled calibration set (examples/era/calibration/calibration-set.json) loaded into a database as
 * closed sessions, one per reply, with the passages retrieval finds for each question.
 */
import { readFile } from 'node:fs/promises';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, SearchResults } from '../../db';
import type { CalibrationItem } from './calibration';
import { METRIC_NAMES, type MetricName } from './compare';
import { InsightsFileError } from './errors';
import type { ReplayRetriever } from './replay-turn';
import { isPositiveNote } from './session-data';
import { type TurnSelection, turnsQuery, whereSelected } from './turn-selection';

type Db = Kysely<Database>;

const CATEGORIES = ['tone', 'content', 'citation', 'clarity', 'structure', 'action'] as const;
const noteSchema = z.object({
  category: z.enum(CATEGORIES).nullable(),
  text: z.string().min(1),
  source: z.enum(['card', 'looks_good', 'feedback_loop']),
  reaction: z.enum(['like', 'dislike']).optional(),
});
const itemSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]{1,60}$/),
  question: z.string().min(1),
  answer: z.string().min(1),
  label: z.enum(['good', 'flagged']),
  flaw: z.string().nullable(),
  notes: z.array(noteSchema).min(1),
});
const setSchema = z.object({ version: z.literal(1), description: z.string(), items: z.array(itemSchema).min(1) });
export type CalibrationSet = z.infer<typeof setSchema>;

const positive = (n: z.infer<typeof noteSchema>): boolean => n.source === 'looks_good' || (n.source === 'feedback_loop' && n.reaction === 'like');

/** Reads and checks a calibration set. @throws InsightsFileError naming the file and the problem */
export async function readCalibrationSet(path: string): Promise<CalibrationSet> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new InsightsFileError(`The calibration set ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new InsightsFileError(`The calibration set ${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = setSchema.safeParse(json);
  if (!parsed.success) {
    throw new InsightsFileError(`The calibration set ${path} is not in the expected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const ids = new Set<string>();
  for (const item of parsed.data.items) {
    if (ids.has(item.id)) throw new InsightsFileError(`The calibration set ${path} has two items with id ${item.id}.`);
    ids.add(item.id);
    const good = item.notes.every(positive);
    if ((item.label === 'good') !== good) {
      throw new InsightsFileError(`Item ${item.id} of ${path} is labelled ${item.label} but its notes say ${good ? 'good' : 'flagged'} (good: only Looks good or thumbs up notes).`);
    }
  }
  return parsed.data;
}

/** Loads the set as closed sessions (one per item, tester "calibration"). Returns their session ids. */
export async function loadCalibrationSet(db: Db, set: CalibrationSet, retriever: ReplayRetriever | null): Promise<string[]> {
  const ids: string[] = [];
  for (const item of set.items) {
    const found = retriever ? await retriever.retrieve(item.question) : [];
    const searchResults: SearchResults | null = retriever ? { results: found.map((p) => ({ chunk_id: p.chunkId, document_title: p.documentTitle, chunk_text: p.text, similarity: p.similarity })) } : null;
    await db.transaction().execute(async (trx) => {
      const session = await trx.insertInto('prompt_tuning_sessions')
        .values({ tester_id: 'calibration', master_prompt_version: `calibration-set-v${set.version}`, branch_name: 'calibration', session_end: new Date(), metadata: { kind: 'calibration', item_id: item.id, flaw: item.flaw } })
        .returning('id').executeTakeFirstOrThrow();
      const turn = await trx.insertInto('tuning_conversation_turns').values({
        session_id: session.id, turn_number: 1, user_message: item.question, era_response: item.answer, search_results: searchResults,
        total_chunks: searchResults ? found.length : null, metadata: { calibration_item: item.id },
      }).returning('id').executeTakeFirstOrThrow();
      for (const note of item.notes) {
        await trx.insertInto('tuning_improvements').values({
          turn_id: turn.id, improvement_note: note.text, category: note.category,
          metadata: { source: note.source, tester_id: 'calibration', ...(note.reaction ? { reaction: note.reaction } : {}) },
        }).execute();
      }
      ids.push(session.id);
    });
  }
  return ids;
}

/** The labelled replies of a selection (see calibration.ts for the labels). */
export async function loadCalibrationItems(db: Db, selection: TurnSelection): Promise<CalibrationItem[]> {
  const turns = await whereSelected(turnsQuery(db), selection).selectAll('t').execute();
  if (turns.length === 0) return [];
  const notes = await db.selectFrom('tuning_improvements').select(['turn_id', 'category', 'metadata']).where('turn_id', 'in', turns.map((t) => t.id)).execute();
  const items: CalibrationItem[] = [];
  for (const turn of turns) {
    const mine = notes.filter((n) => n.turn_id === turn.id);
    if (mine.length === 0) continue;
    const positives = mine.filter(isPositiveNote);
    const improvements = mine.filter((n) => !isPositiveNote(n));
    if (positives.length > 0 && improvements.length > 0) continue;
    items.push({
      label: improvements.length > 0 ? 'flagged' : 'good',
      categories: [...new Set(improvements.flatMap((n) => (n.category ? [n.category] : [])))],
      scores: Object.fromEntries(METRIC_NAMES.map((m) => [m, turn[m]])) as Record<MetricName, number | boolean | null>,
    });
  }
  return items;
}
