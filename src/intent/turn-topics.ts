/** The topic of many turns at once (the dashboard's session page), as the card shows one. */
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { intentLabel } from './topics';

export interface TurnTopicView {
  id: string;
  label: string;
  confidence: number;
  corrected: boolean;
}

/** turn id → its latest prediction (the correction when there is one). Turns without one are absent. */
export async function topicsForTurns(db: Kysely<Database>, turnIds: readonly string[]): Promise<Map<string, TurnTopicView>> {
  const out = new Map<string, TurnTopicView>();
  if (turnIds.length === 0) return out;
  const rows = await db
    .selectFrom('nlu_prompt_logs')
    .select(['turn_id', 'predicted_intent', 'corrected_intent', 'confidence', 'created_at'])
    .where('turn_id', 'in', [...turnIds])
    .orderBy('created_at')
    .execute();
  for (const r of rows) {
    if (r.turn_id === null) continue;
    const id = r.corrected_intent ?? r.predicted_intent;
    out.set(r.turn_id, { id, label: intentLabel(id), confidence: r.confidence, corrected: r.corrected_intent !== null });
  }
  return out;
}
