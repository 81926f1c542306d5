/**
 * Each activity handled once (issue 9): before the bot acts on an activity it claims it in
 * `handled_activities`, keyed by channel + conversation + activity id. The first claim wins; a
 * redelivery finds the claim 'working' (the first is still answering: do nothing) or 'done' (give an
 * invoke's stored outcome again). A claim is held under a lease its holder renews while it works; an
 * instance that died leaves the lease to lapse, and the next redelivery takes the activity over, so
 * nothing is lost for good. Rows expire and a periodic purge deletes them.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { Database, JsonObject } from '../../db';

type Db = Kysely<Database>;

export interface ActivityKey {
  channelId: string;
  conversationId: string;
  activityId: string;
}

export type ClaimResult =
  /** Ours to handle; `token` proves it to renew/complete/release. `takeover`: a lapsed claim taken over. */
  | { kind: 'claimed'; token: string; takeover: boolean }
  /** Handled already; `outcome` is what the first delivery answered (an invoke's response), if kept. */
  | { kind: 'done'; outcome: JsonObject | null }
  /** Another delivery of it is being handled right now. */
  | { kind: 'busy' };

export interface ClaimOptions {
  /** How long a claim is its holder's without a renewal. */
  leaseMs: number;
  /** How long a handled activity is remembered. */
  retentionMs: number;
}

export const DEFAULT_CLAIM_OPTIONS: ClaimOptions = { leaseMs: 60_000, retentionMs: 24 * 60 * 60 * 1000 };

const interval = (ms: number) => sql<Date>`now() + ${`${String(Math.max(1, Math.round(ms)))} milliseconds`}::interval`;

/** The claims of one bot instance (its id is in every token it holds, for the logs). */
export class ActivityClaims {
  readonly instanceId: string;

  constructor(
    private readonly db: Db,
    private readonly options: ClaimOptions = DEFAULT_CLAIM_OPTIONS,
    instanceId?: string,
  ) {
    this.instanceId = instanceId ?? randomUUID().slice(0, 8);
  }

  /** Claims the activity (see ClaimResult). */
  async claim(key: ActivityKey, activityType: string): Promise<ClaimResult> {
    const token = `${this.instanceId}:${randomUUID()}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const claimed = await this.db
        .insertInto('handled_activities')
        .values({
          channel_id: key.channelId,
          conversation_id: key.conversationId,
          activity_id: key.activityId,
          activity_type: activityType,
          claimed_by: token,
          lease_until: interval(this.options.leaseMs),
          expires_at: interval(this.options.retentionMs),
        })
        .onConflict((oc) =>
          oc
            .columns(['channel_id', 'conversation_id', 'activity_id'])
            .doUpdateSet({
              claimed_by: token,
              lease_until: interval(this.options.leaseMs),
              expires_at: interval(this.options.retentionMs),
              attempts: sql<number>`handled_activities.attempts + 1`,
            })
            // Only a claim whose holder stopped renewing it is taken over.
            .where('handled_activities.status', '=', 'working')
            .where('handled_activities.lease_until', '<', sql<Date>`now()`),
        )
        .returning(['attempts'])
        .executeTakeFirst();
      if (claimed) return { kind: 'claimed', token, takeover: claimed.attempts > 1 };
      const existing = await this.db
        .selectFrom('handled_activities')
        .select(['status', 'outcome'])
        .where('channel_id', '=', key.channelId)
        .where('conversation_id', '=', key.conversationId)
        .where('activity_id', '=', key.activityId)
        .executeTakeFirst();
      if (existing?.status === 'done') return { kind: 'done', outcome: existing.outcome };
      if (existing) return { kind: 'busy' };
      // Purged between the two statements: claim again.
    }
    return { kind: 'busy' };
  }

  /** Extends the lease of a claim still held; false when it was lost (lapsed and taken over). */
  async renew(key: ActivityKey, token: string): Promise<boolean> {
    const r = await this.whereHeld(this.db.updateTable('handled_activities').set({ lease_until: interval(this.options.leaseMs) }), key, token).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Marks the activity handled, keeping `outcome` for redeliveries. */
  async complete(key: ActivityKey, token: string, outcome: JsonObject | null): Promise<boolean> {
    const r = await this.whereHeld(
      this.db.updateTable('handled_activities').set({ status: 'done', outcome, completed_at: sql<Date>`now()`, expires_at: interval(this.options.retentionMs) }),
      key,
      token,
    ).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** Gives the claim up (nothing was done): the next delivery handles the activity. */
  async release(key: ActivityKey, token: string): Promise<void> {
    await this.db
      .deleteFrom('handled_activities')
      .where('channel_id', '=', key.channelId)
      .where('conversation_id', '=', key.conversationId)
      .where('activity_id', '=', key.activityId)
      .where('claimed_by', '=', token)
      .where('status', '=', 'working')
      .execute();
  }

  /** Deletes expired rows (a working claim only once its lease has lapsed too). Returns how many. */
  async purge(): Promise<number> {
    const r = await this.db
      .deleteFrom('handled_activities')
      .where('expires_at', '<', sql<Date>`now()`)
      .where((eb) => eb.or([eb('status', '=', 'done'), eb('lease_until', '<', sql<Date>`now()`)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private whereHeld(query: UpdateQueryBuilder<Database, 'handled_activities', 'handled_activities', UpdateResult>, key: ActivityKey, token: string) {
    return query
      .where('channel_id', '=', key.channelId)
      .where('conversation_id', '=', key.conversationId)
      .where('activity_id', '=', key.activityId)
      .where('claimed_by', '=', token)
      .where('status', '=', 'working');
  }
}
