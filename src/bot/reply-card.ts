/** Builds the reply card of a turn from its row and its notes. */
import { randomUUID } from 'node:crypto';
import type { Improvement, Turn } from '../../db';
import { answerCard, type CardJson } from '../cards';

export interface ReplyCardExtras {
  notice?: string | null;
  status?: { text: string; kind: 'good' | 'attention' } | null;
  draft?: { category: string; note: string } | null;
}

/** The reply card for a turn, with a fresh submission nonce. */
export function replyCardFor(turn: Turn, notes: Improvement[], maxNoteChars: number, extras: ReplyCardExtras = {}): CardJson {
  const meta = turn.metadata ?? {};
  return answerCard({
    turnId: turn.id,
    turnNumber: turn.turn_number,
    answer: turn.era_response,
    offline: meta.offline === true,
    notes: notes.map((n) => ({
      category: n.category,
      text: n.improvement_note,
      source: typeof n.metadata?.source === 'string' ? n.metadata.source : 'card',
    })),
    submissionId: randomUUID(),
    maxNoteChars,
    notice: extras.notice ?? (typeof meta.notice === 'string' ? meta.notice : null),
    status: extras.status ?? null,
    draft: extras.draft ?? null,
  });
}
