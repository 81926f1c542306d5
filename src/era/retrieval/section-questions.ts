/**
 * Document expansion ("doc2query"): for a knowledge document `<name>.md`, the file `<name>.questions.json`
 * beside it lists, per section heading, the questions a manager would type when that section is the
 * answer. Ingestion stores them on the section's chunks and the retrieval index scores them as a
 * field, so managers' words ("she ghosted us", "side gig") reach the policy's ("no-call/no-show",
 * "outside employment") with no model at question time. The files are plain, reviewable data kept in
 * git beside the policies; `npm run knowledge:questions` drafts them with Claude for headings that have
 * none (src/cli/knowledge-questions.ts).
 *
 *   { "document": "attendance-and-no-call-no-show.md",
 *     "sections": { "5.2 First no-call/no-show": ["one of my trainers never came in and won't pick up", …] } }
 *
 * Keys are a heading's text as written after its `#`s. A key that names no heading of the document is
 * reported (a renamed heading) and its questions are not used.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { SECTION_SEPARATOR } from './chunker';
import { KnowledgeReadError } from './errors';

/** Most questions kept per section, and longest question kept (characters). */
export const MAX_QUESTIONS_PER_SECTION = 40;
export const MAX_QUESTION_CHARS = 300;
/**
 * A questions file larger than this is refused unread: the per-section caps keep at most 40 × 300
 * characters a heading, so a real file is tens of KiB; a file of many MiB is a mistake (a log pasted
 * in, a generator run away) and would be parsed whole before any cap applied.
 */
export const MAX_QUESTIONS_FILE_BYTES = 1024 * 1024;

const fileSchema = z.object({
  document: z.string().optional(),
  sections: z.record(z.string(), z.array(z.string())),
});

/** A document's section questions: heading text → questions, and a hash of the file (null when none). */
export interface SectionQuestions {
  byHeading: ReadonlyMap<string, readonly string[]>;
  /** sha256 of the file's bytes; part of the chunking metadata, so editing the file re-ingests the document. */
  hash: string | null;
}

export const NO_SECTION_QUESTIONS: SectionQuestions = Object.freeze({ byHeading: new Map(), hash: null });

/** The sidecar path of a document path: `a/b.md` → `a/b.questions.json`. */
export function questionsPathOf(documentPath: string): string {
  return documentPath.replace(/\.md$/i, '') + '.questions.json';
}

/** Trimmed, single-line, NUL-free, bounded; duplicates and empties dropped. */
function cleanQuestions(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const q = raw.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, MAX_QUESTION_CHARS);
    const key = q.toLowerCase();
    if (q.length === 0 || seen.has(key)) continue;
    seen.add(key);
    out.push(q);
    if (out.length === MAX_QUESTIONS_PER_SECTION) break;
  }
  return out;
}

/** Parses a sidecar's text; throws a message naming what is wrong. */
export function parseSectionQuestions(text: string): Map<string, string[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`expected { "sections": { "<heading>": ["question", …] } }: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  const out = new Map<string, string[]>();
  for (const [heading, questions] of Object.entries(parsed.data.sections)) {
    const cleaned = cleanQuestions(questions);
    if (cleaned.length > 0) out.set(heading.trim(), cleaned);
  }
  return out;
}

/**
 * Reads the sidecar of a document file; NO_SECTION_QUESTIONS when it does not exist. An unreadable or
 * malformed sidecar is a KnowledgeReadError: ingestion changes nothing rather than silently dropping
 * the questions of a document that has them.
 */
export async function readSectionQuestions(documentFile: string): Promise<SectionQuestions> {
  const file = questionsPathOf(documentFile);
  let bytes: Buffer;
  try {
    const { size } = await stat(file);
    if (size > MAX_QUESTIONS_FILE_BYTES) throw new Error(`the file is ${size} bytes; a questions file may be at most ${MAX_QUESTIONS_FILE_BYTES} (1 MiB)`);
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NO_SECTION_QUESTIONS;
    throw new KnowledgeReadError(file, err);
  }
  try {
    return { byHeading: parseSectionQuestions(bytes.toString('utf8')), hash: createHash('sha256').update(bytes).digest('hex') };
  } catch (err) {
    throw new KnowledgeReadError(file, err);
  }
}

/** The deepest heading of every chunk of a document: the headings that have text of their own. */
export function leafHeadings(sections: readonly (string | null)[]): Set<string> {
  return new Set(sections.flatMap((s) => (s === null ? [] : [s.split(SECTION_SEPARATOR).at(-1)?.trim() ?? ''])));
}

/**
 * The questions of a chunk: those of its own (deepest) heading, and those of any heading above it that
 * has no text of its own ("2. Scope" over "2.1 Who is covered"), which its subsections answer together.
 */
export function questionsOfSection(questions: SectionQuestions, section: string | null, leaves: ReadonlySet<string>): string[] {
  if (section === null || questions.byHeading.size === 0) return [];
  const path = section.split(SECTION_SEPARATOR).map((p) => p.trim());
  const out: string[] = [];
  path.forEach((heading, i) => {
    const own = i === path.length - 1;
    if (own || !leaves.has(heading)) out.push(...(questions.byHeading.get(heading) ?? []));
  });
  return out;
}

/** Sidecar keys that name no heading of the document (the headings as the chunker saw them). */
export function unknownHeadings(questions: SectionQuestions, sections: readonly (string | null)[]): string[] {
  const leaves = new Set<string>();
  for (const s of sections) {
    for (const part of s?.split(SECTION_SEPARATOR) ?? []) leaves.add(part.trim());
  }
  return [...questions.byHeading.keys()].filter((h) => !leaves.has(h));
}
