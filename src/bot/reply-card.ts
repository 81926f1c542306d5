/**
 * ERA's reply as Teams shows it: the answer as the message text (so Teams renders its [n] citation
 * markers, the AI-generated label and the thumbs feedback), and under it the tuning card (sources,
 * topic, notes, Improve, Looks good). Everything is rebuilt from the turn row, so any instance can
 * refresh a reply.
 */
import { randomUUID } from 'node:crypto';
import { type Activity, CardFactory } from 'botbuilder';
import type { Improvement, JsonValue, Turn } from '../../db';
import { answerCard, type CardJson, turnScoresLine } from '../cards';
import { aiMessageEntity, type EraPassage } from '../era';
import type { TopicView } from '../tuning';

export interface ReplyCardExtras {
  notice?: string | null;
  status?: { text: string; kind: 'good' | 'attention' } | null;
  draft?: { category: string; note: string } | null;
}


export interface ReplyContext {
  topic?: TopicView | null;
  topicChoices?: Array<{ id: string; label: string }>;
  /** The judge's mode when the tuning loop is on: the card shows the turn's scores line. */
  judgeMode?: 'claude' | 'offline';
}

interface StoredPassage {
  n: number;
  chunk_id: string;
  title: string;
  section: string | null;
}

/** metadata.passages entries as the turn service writes them (anything else is skipped). */
function storedPassages(value: JsonValue | undefined): StoredPassage[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
    const { n, chunk_id, title, section } = v;
    if (typeof n !== 'number' || typeof chunk_id !== 'string' || typeof title !== 'string') return [];
    return [{ n, chunk_id, title, section: typeof section === 'string' ? section : null }];
  });
}

/** The numbered passages a turn was answered from, with their text and similarity. */
export function passagesOf(turn: Turn): Array<EraPassage & { similarity: number; chunkId: string }> {
  const meta = turn.metadata ?? {};
  const stored = storedPassages(meta.passages);
  const results = turn.search_results?.results ?? [];
  return stored.map((p) => {
    const r = results.find((x) => x.chunk_id === p.chunk_id);
    return { n: p.n, title: p.title, section: p.section, text: r?.chunk_text ?? '', similarity: r?.similarity ?? 0, chunkId: p.chunk_id };
  });
}

/** The tuning card of a turn, with a fresh submission nonce. */
export function replyCardFor(turn: Turn, notes: Improvement[], maxNoteChars: number, extras: ReplyCardExtras = {}, ctx: ReplyContext = {}): CardJson {
  const meta = turn.metadata ?? {};
  const cited = Array.isArray(meta.cited) ? meta.cited.filter((n): n is number => typeof n === 'number') : [];
  return answerCard({
    turnId: turn.id,
    turnNumber: turn.turn_number,
    // The answer itself is the message text; the card holds what tuning needs around it.
    answer: '',
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
    sources: passagesOf(turn).map((p) => ({ n: p.n, title: p.title, section: p.section, similarity: p.similarity, cited: cited.includes(p.n) })),
    templateNote: turn.template_used ? `Canned answer (${turn.template_used}): no policy passage matched well enough, so Claude was not asked.` : null,
    topic: ctx.topic ?? null,
    topicChoices: ctx.topicChoices ?? [],
    scoresLine: ctx.judgeMode ? turnScoresLine(turn, ctx.judgeMode) : null,
  });
}

/** The whole reply activity: answer text, AI label with citations, feedback loop, tuning card. */
export function replyActivityFor(turn: Turn, card: CardJson): Partial<Activity> {
  return {
    type: 'message',
    text: turn.era_response,
    textFormat: 'markdown',
    attachments: [CardFactory.adaptiveCard(card)],
    entities: [{ ...aiMessageEntity(turn.era_response, passagesOf(turn)) }],
    // Teams' native thumbs up/down under the reply; the reaction comes back as message/submitAction.
    channelData: { feedbackLoopEnabled: true },
  };
}
