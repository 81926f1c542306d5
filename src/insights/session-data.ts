/**
 * A session as the tuning loop reads it: its turns in order, each with its notes (labelled N1, N2, … in
 * turn and time order, the labels a suggestion names) and its latest judging.
 */
import { type Kysely, sql } from 'kysely';
import type { Database, Improvement, Session, Turn, TurnJudgement } from '../../db';
import { InsightsNotFoundError, InsightsRefusal } from './errors';
import { latestJudgements } from './judgements';

type Db = Kysely<Database>;

/** A note with its label. */
export interface LabelledNote {
  label: string;
  id: string;
  turnNumber: number;
  category: string | null;
  text: string;
  /** 'card' | 'looks_good' | 'feedback_loop' (unknown when the row has none). */
  source: string;
  reaction: 'like' | 'dislike' | null;
  /** Looks good, or thumbs up: the tester liked the reply as it is. */
  positive: boolean;
  timestamp: Date;
}

export interface SessionTurnData {
  turn: Turn;
  notes: LabelledNote[];
  judgement: TurnJudgement | null;
}

export interface SessionData {
  session: Session;
  turns: SessionTurnData[];
}

/** True for a note saying the reply needs nothing: Looks good, or a thumbs up. */
export function isPositiveNote(note: Pick<Improvement, 'metadata'>): boolean {
  const meta = note.metadata ?? {};
  return meta.source === 'looks_good' || (meta.source === 'feedback_loop' && meta.reaction === 'like');
}

/** Loads a session with its turns, labelled notes and latest judgings. @throws InsightsNotFoundError */
export async function loadSessionData(db: Db, sessionId: string): Promise<SessionData> {
  const session = await db.selectFrom('prompt_tuning_sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
  if (!session) throw new InsightsNotFoundError('session', sessionId);
  const turns = await db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', sessionId).orderBy('turn_number').execute();
  const ids = turns.map((t) => t.id);
  const notes = ids.length === 0 ? [] : await db.selectFrom('tuning_improvements').selectAll().where('turn_id', 'in', ids).orderBy('timestamp').orderBy('id').execute();
  const judgements = await latestJudgements(db, ids);
  let n = 0;
  return {
    session,
    turns: turns.map((turn) => ({
      turn,
      judgement: judgements.get(turn.id) ?? null,
      notes: notes.filter((x) => x.turn_id === turn.id).map((x) => {
        n += 1;
        const reaction = x.metadata?.reaction;
        return {
          label: `N${n}`,
          id: x.id,
          turnNumber: turn.turn_number,
          category: x.category,
          text: x.improvement_note,
          source: typeof x.metadata?.source === 'string' ? x.metadata.source : 'unknown',
          reaction: reaction === 'like' || reaction === 'dislike' ? reaction : null,
          positive: isPositiveNote(x),
          timestamp: x.timestamp,
        };
      }),
    })),
  };
}

/** The improvement notes (not the positive ones) of a session, in label order. */
export function improvementNotes(data: SessionData): LabelledNote[] {
  return data.turns.flatMap((t) => t.notes.filter((n) => !n.positive));
}

/**
 * A session by full id or unambiguous prefix (8 characters as /sessions shows), any tester's: for operator
 * tools. @throws InsightsNotFoundError, InsightsRefusal when the prefix is ambiguous
 */
export async function resolveSessionRef(db: Db, ref: string): Promise<string> {
  const wanted = ref.trim().toLowerCase();
  if (!/^[0-9a-f-]{4,36}$/.test(wanted)) throw new InsightsNotFoundError('session', ref);
  const rows = await db.selectFrom('prompt_tuning_sessions').select('id').where(sql`id::text`, 'like', `${wanted}%`).limit(2).execute();
  const [only] = rows;
  if (!only) throw new InsightsNotFoundError('session', ref);
  if (rows.length > 1) throw new InsightsRefusal(`More than one session starts with "${ref}": give more of the id.`);
  return only.id;
}
