/**
 * Bot Framework Storage over the dialog-state repository of src/tuning (table bot_state), so dialog state
 * survives restarts and any bot instance can serve any turn.
 */
import type { Storage, StoreItems } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database, JsonObject } from '../../db';
import { deleteDialogState, readDialogState, writeDialogState } from '../tuning';

/** botbuilder's Storage over table bot_state. */
export class PostgresStorage implements Storage {
  constructor(private readonly db: Kysely<Database>) {}

  async read(keys: string[]): Promise<StoreItems> {
    const items: StoreItems = {};
    for (const [key, stored] of await readDialogState(this.db, keys)) items[key] = { ...stored.data, eTag: stored.etag };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...data } = { ...(item as JsonObject) };
      await writeDialogState(this.db, key, data, typeof eTag === 'string' ? eTag : undefined);
    }
  }

  async delete(keys: string[]): Promise<void> {
    await deleteDialogState(this.db, keys);
  }
}
