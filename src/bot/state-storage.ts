/**
 * Bot Framework Storage on the shared Postgres schema (table bot_state), so dialog state survives
 * restarts and any bot instance can serve any turn. Optimistic concurrency by eTag, as the SDK's
 * own storages do: a write carrying a stale eTag fails; '*' or none overwrites.
 */
import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import { type Kysely, sql } from 'kysely';
import type { Database, JsonObject } from '../../db';

export class StorageConflictError extends Error {
  constructor(key: string) {
    super(`Storage: eTag conflict writing "${key}"`);
    this.name = 'StorageConflictError';
  }
}

export class PostgresStorage implements Storage {
  constructor(private readonly db: Kysely<Database>) {}

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const rows = await this.db.selectFrom('bot_state').select(['key', 'data', 'etag']).where('key', 'in', keys).execute();
    const items: StoreItems = {};
    for (const row of rows) items[row.key] = { ...row.data, eTag: row.etag };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    for (const [key, item] of Object.entries(changes)) {
      const { eTag, ...rest } = (item ?? {}) as { eTag?: string } & JsonObject;
      const data = rest as JsonObject;
      const next = randomUUID();
      if (!eTag || eTag === '*') {
        await this.db
          .insertInto('bot_state')
          .values({ key, data, etag: next })
          .onConflict((oc) => oc.column('key').doUpdateSet({ data, etag: next, updated_at: sql`now()` }))
          .execute();
        continue;
      }
      const updated = await this.db
        .updateTable('bot_state')
        .set({ data, etag: next, updated_at: sql`now()` })
        .where('key', '=', key)
        .where('etag', '=', eTag)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new StorageConflictError(key);
    }
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom('bot_state').where('key', 'in', keys).execute();
  }
}
