/**
 * Suggested edits made real: each edit is an exact find/replace on the prompt. An edit is applied only
 * when its `find` occurs exactly once, it changes something, it names known notes, and it does not
 * overlap an edit already accepted; otherwise it is refused with its reason. The result is a unified
 * diff (jsdiff) in git's format, every hunk header annotated with the notes its edits answer, so the
 * .patch file applies with `git apply` from the repository root.
 */
import { formatPatch, structuredPatch } from 'diff';
import type { RefusedEdit, StoredEdit } from '../../db';

/** What applying a list of edits gave. */
export interface AppliedEdits {
  text: string;
  accepted: StoredEdit[];
  refused: RefusedEdit[];
}

interface Located {
  edit: StoredEdit;
  start: number;
  end: number;
}

function occurrences(text: string, find: string): number[] {
  const at: number[] = [];
  for (let i = text.indexOf(find); i >= 0; i = text.indexOf(find, i + 1)) at.push(i);
  return at;
}

/**
 * Applies EDITS to BASE (positions are all taken in BASE, so the order of the edits does not matter).
 * `knownNotes`: the note ids an edit may name; an edit naming another is refused.
 */
export function applyEdits(base: string, edits: readonly StoredEdit[], knownNotes: ReadonlySet<string>): AppliedEdits {
  const accepted: Located[] = [];
  const refused: RefusedEdit[] = [];
  for (const edit of edits) {
    const refuse = (reason: string): void => void refused.push({ edit, reason });
    if (edit.find === '') {
      refuse('its find text is empty');
      continue;
    }
    if (edit.find === edit.replace) {
      refuse('it changes nothing (find and replace are the same)');
      continue;
    }
    const unknown = edit.note_ids.filter((id) => !knownNotes.has(id));
    if (unknown.length > 0) {
      refuse(`it names notes that are not this session's improvement notes (${unknown.join(', ')})`);
      continue;
    }
    const at = occurrences(base, edit.find);
    if (at.length !== 1) {
      refuse(at.length === 0 ? 'its find text does not occur in the prompt' : `its find text occurs ${at.length} times in the prompt, not exactly once`);
      continue;
    }
    const start = at[0] ?? 0;
    const end = start + edit.find.length;
    if (accepted.some((a) => start < a.end && a.start < end)) {
      refuse('it overlaps an earlier edit');
      continue;
    }
    accepted.push({ edit, start, end });
  }
  accepted.sort((a, b) => a.start - b.start);
  let text = '';
  let cursor = 0;
  for (const a of accepted) {
    text += base.slice(cursor, a.start) + a.edit.replace;
    cursor = a.end;
  }
  text += base.slice(cursor);
  return { text, accepted: accepted.map((a) => a.edit), refused };
}

/** 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

/** How a note id is shown in the patch (its label, e.g. N3, with its category). */
export type NoteNamer = (noteId: string) => string;

/**
 * The unified diff from BASE to the edited text, git style, for `repoPath` (the prompt's path from the
 * repository root). Each hunk header carries "answers N1 (tone), N4 (clarity)" for the edits inside it.
 * Null when nothing changes.
 */
export function annotatedPatch(base: string, edited: string, accepted: readonly StoredEdit[], repoPath: string, nameNote: NoteNamer): string | null {
  if (base === edited) return null;
  const patch = structuredPatch(`a/${repoPath}`, `b/${repoPath}`, base, edited, undefined, undefined, { context: 3 });
  const ranges = accepted.map((edit) => {
    const start = base.indexOf(edit.find);
    return { edit, first: lineOf(base, start), last: lineOf(base, start + Math.max(0, edit.find.length - 1)) };
  });
  const annotations = patch.hunks.map((hunk) => {
    const first = hunk.oldStart;
    const last = hunk.oldStart + Math.max(0, hunk.oldLines - 1);
    const inside = ranges.filter((r) => r.first <= last && r.last >= first);
    const names = [...new Set(inside.flatMap((r) => r.edit.note_ids).map(nameNote))];
    return names.length > 0 ? ` answers ${names.join(', ')}` : '';
  });
  const text = formatPatch({ ...patch, isGit: true });
  let hunk = 0;
  return text
    .split('\n')
    .map((line) => {
      if (!/^@@ -\d+(,\d+)? \+\d+(,\d+)? @@$/.test(line)) return line;
      const annotated = `${line}${annotations[hunk] ?? ''}`;
      hunk += 1;
      return annotated;
    })
    .join('\n');
}
