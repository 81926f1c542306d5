/** Stores the programmatic metrics of turns: at store time (one turn) and as a backfill (many). */
import { type Kysely, sql } from 'kysely';
import type { Database, SearchResults, Turn } from '../../db';
import { METRICS_VERSION, type ProgrammaticMetrics, programmaticMetrics } from './metrics';
import { type TurnSelection, turnsQuery, whereSelected } from './turn-selection';

type Db = Kysely<Database>;

/** The fields of a stored turn the metrics are computed from. */
export type MetricsSource = Pick<Turn, 'user_message' | 'era_response' | 'search_results'>;

function passageCount(results: SearchResults | null): number {
  return results?.results.length ?? 0;
}

/** The metrics of a stored turn (its passages are the numbered search_results, in order). */
export function metricsOfTurn(turn: MetricsSource): ProgrammaticMetrics {
  return programmaticMetrics({ userMessage: turn.user_message, answer: turn.era_response, passageCount: passageCount(turn.search_results) });
}

/** Writes the three metric columns and stamps metadata.metrics_version. */
export async function storeTurnMetrics(db: Db, turnId: string, metrics: ProgrammaticMetrics): Promise<void> {
  await db
    .updateTable('tuning_conversation_turns')
    .set({
      ...metrics,
      metadata: sql`coalesce(metadata, '{}'::jsonb) || jsonb_build_object('metrics_version', ${METRICS_VERSION}::int)`,
    })
    .where('id', '=', turnId)
    .execute();
}

/**
 * Computes and stores the metrics of a turn just stored: the call the turn service makes after
 * recordTurn. Returns them (the reply card can show them at once).
 */
export async function recordTurnMetrics(db: Db, turn: Pick<Turn, 'id'> & MetricsSource): Promise<ProgrammaticMetrics> {
  const metrics = metricsOfTurn(turn);
  await storeTurnMetrics(db, turn.id, metrics);
  return metrics;
}

/** What a backfill did. */
export interface BackfillResult {
  updated: number;
}

const PAGE = 500;

/**
 * Stores the metrics of the selected turns that have none, or were computed by an older definition
 * (force: every selected turn). Pages by id, so it runs in bounded memory and is safe to repeat.
 */
export async function backfillMetrics(db: Db, selection: TurnSelection, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<BackfillResult> {
  let after: string | null = null;
  let updated = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    let query = whereSelected(turnsQuery(db), selection)
      .select(['t.id', 't.user_message', 't.era_response', 't.search_results'])
      .orderBy('t.id')
      .limit(PAGE);
    if (after !== null) query = query.where('t.id', '>', after);
    if (!options.force) {
      query = query.where(sql<boolean>`coalesce((t.metadata->>'metrics_version')::int, 0) < ${METRICS_VERSION}::int`);
    }
    const rows = await query.execute();
    if (rows.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (const row of rows) await storeTurnMetrics(trx, row.id, metricsOfTurn(row));
    });
    updated += rows.length;
    const last = rows.at(-1);
    if (!last) break;
    after = last.id;
  }
  return { updated };
}
