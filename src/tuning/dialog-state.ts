/**
 * The bot's dialog state (Bot Framework storage items) in table bot_state, so a dialog survives restarts
 * and any bot instance can serve any turn. Optimistic concurrency by eTag, as the SDK's own storages do:
 * a write carrying a stale eTag fails; '*' or none overwrites. src/bot/state-storage.ts adapts these to
 * botbuilder's Storage interface.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database, JsonObject } from '../../db';
import { TuningError } from './errors';

export interface StoredDialogState {
  data: JsonObject;
  etag: string;
}

/** Two turns of one conversation changed its dialog state at once; the later write lost. */
export class DialogStateConflictError extends TuningError {
  readonly userMessage = 'Two of your messages arrived at the same moment and I could only follow one of them. Send the other again.';
  constructor(readonly key: string) {
    super(`Storage: eTag conflict writing "${key}"`);
  }
}

/** The stored items for KEYS (missing keys are absent from the result). */
export async function readDialogState(db: Kysely<Database>, keys: string[]): Promise<Map<string, StoredDialogState>> {
  const out = new Map<string, StoredDialogState>();
  if (keys.length === 0) return out;
  const rows = await db.selectFrom('bot_state').select(['key', 'data', 'etag']).where('key', 'in', keys).execute();
  for (const row of rows) out.set(row.key, { data: row.data, etag: row.etag });
  return out;
}

/** Writes one item: overwriting when ETAG is absent or '*', else only over that eTag (DialogStateConflictError otherwise). */
export async function writeDialogState(db: Kysely<Database>, key: string, data: JsonObject, etag: string | undefined): Promise<void> {
  const next = randomUUID();
  if (!etag || etag === '*') {
    await db
      .insertInto('bot_state')
      .values({ key, data, etag: next })
      .onConflict((oc) => oc.column('key').doUpdateSet({ data, etag: next, updated_at: sql`now()` }))
      .execute();
    return;
  }
  const updated = await db
    .updateTable('bot_state')
    .set({ data, etag: next, updated_at: sql`now()` })
    .where('key', '=', key)
    .where('etag', '=', etag)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw new DialogStateConflictError(key);
}

/** Deletes the items for KEYS. */
export async function deleteDialogState(db: Kysely<Database>, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom('bot_state').where('key', 'in', keys).execute();
}
