/** Which turns a rescore, backfill or calibration works on: one session, those since a date, a list, or all. */
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../../db';
import { InsightsRefusal } from './errors';

type Db = Kysely<Database>;

/** Exactly one of the fields (all: true for every turn). */
export interface TurnSelection {
  sessionIds?: readonly string[];
  /** Turns stored at or after this instant. */
  since?: Date;
  turnIds?: readonly string[];
  all?: boolean;
}

/** Describes a selection for logs and progress lines. */
export function describeSelection(s: TurnSelection): string {
  if (s.turnIds) return `${s.turnIds.length} turn(s)`;
  if (s.sessionIds) return s.sessionIds.length === 1 ? `session ${(s.sessionIds[0] ?? '').slice(0, 8)}` : `${s.sessionIds.length} sessions`;
  if (s.since) return `turns since ${s.since.toISOString()}`;
  return 'every turn';
}

/**
 * Restricts a query over `tuning_conversation_turns as t` to the selection.
 * @throws InsightsRefusal when the selection names nothing (an empty selection must not mean "all").
 */
export function whereSelected<O>(
  query: SelectQueryBuilder<Database & { t: Database['tuning_conversation_turns'] }, 't', O>,
  s: TurnSelection,
): SelectQueryBuilder<Database & { t: Database['tuning_conversation_turns'] }, 't', O> {
  const given = [s.sessionIds, s.since, s.turnIds, s.all ? true : undefined].filter((v) => v !== undefined).length;
  if (given !== 1) throw new InsightsRefusal('Choose exactly one of: a session, a date (since), a list of turns, or all.');
  if (s.turnIds) return s.turnIds.length === 0 ? query.where('t.id', 'is', null) : query.where('t.id', 'in', [...s.turnIds]);
  if (s.sessionIds) return s.sessionIds.length === 0 ? query.where('t.id', 'is', null) : query.where('t.session_id', 'in', [...s.sessionIds]);
  if (s.since) return query.where('t.timestamp', '>=', s.since);
  return query;
}

/** A query over the turns, ready for whereSelected. */
export function turnsQuery(db: Db) {
  return db.selectFrom('tuning_conversation_turns as t');
}
