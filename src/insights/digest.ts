/**
 * The offline digest a suggestion falls back to without Claude: the session's improvement notes grouped
 * by category, then by turn, clearly labelled as a digest with no proposed edits.
 */
import type { SessionData } from './session-data';
import { improvementNotes } from './session-data';

export const DIGEST_LABEL = 'Offline digest — no ANTHROPIC_API_KEY is set, so no prompt edits were proposed. These are the testers\' notes, grouped.';

const ORDER = ['tone', 'content', 'citation', 'clarity', 'structure', 'action'];

/** The digest as Markdown. */
export function notesDigest(data: SessionData): string {
  const notes = improvementNotes(data);
  const positive = data.turns.reduce((n, t) => n + t.notes.filter((x) => x.positive).length, 0);
  const lines = [DIGEST_LABEL, '', `Session ${data.session.id.slice(0, 8)} · prompt ${data.session.master_prompt_version ?? '(unknown)'} · ${data.turns.length} turn(s), ${notes.length} improvement note(s), ${positive} positive.`];
  const byCategory = new Map<string, typeof notes>();
  for (const n of notes) {
    const key = n.category ?? 'uncategorised';
    byCategory.set(key, [...(byCategory.get(key) ?? []), n]);
  }
  const categories = [...byCategory.keys()].sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  for (const category of categories) {
    const group = byCategory.get(category) ?? [];
    lines.push('', `**${category}** (${group.length})`);
    const turns = [...new Set(group.map((n) => n.turnNumber))];
    for (const turn of turns) {
      for (const n of group.filter((x) => x.turnNumber === turn)) lines.push(`- turn ${turn} [${n.label}]: ${n.text}`);
    }
  }
  if (notes.length === 0) lines.push('', 'No improvement notes: nothing to change.');
  return lines.join('\n');
}
