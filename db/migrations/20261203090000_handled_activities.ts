/**
 * Handled activities (issue 9): the Bot Connector redelivers an activity it thinks the bot missed
 * (a slow answer, a lost response), and several bot instances may receive it. Each activity is
 * claimed here before the bot acts on it, keyed by channel + conversation + activity id, so a
 * redelivery gets no second turn, note or answer. A claim is 'working' under a lease its instance
 * renews while it works (an instance that dies leaves a lapsed lease, and the next redelivery takes
 * the activity over), then 'done' with its outcome (an invoke's response, given again to a
 * redelivered invoke) until it expires and the periodic purge deletes it.
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
CREATE TABLE handled_activities (
  channel_id TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  activity_id TEXT NOT NULL,
  activity_type TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'working',
  claimed_by TEXT NOT NULL,
  lease_until TIMESTAMPTZ NOT NULL,
  outcome JSONB,
  attempts INTEGER NOT NULL DEFAULT 1,
  received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  completed_at TIMESTAMPTZ,
  expires_at TIMESTAMPTZ NOT NULL,
  CONSTRAINT pk_handled_activities PRIMARY KEY (channel_id, conversation_id, activity_id),
  CONSTRAINT chk_handled_activities_status CHECK (status IN ('working', 'done')),
  CONSTRAINT chk_handled_activities_attempts CHECK (attempts >= 1)
);

CREATE INDEX idx_handled_activities_expires_at ON handled_activities (expires_at);

COMMENT ON TABLE handled_activities IS
  'Activities from the Bot Connector the bot has claimed: a redelivered activity (same channel, conversation and id) is not handled twice';
COMMENT ON COLUMN handled_activities.lease_until IS
  'While working: the claim is the claiming instance''s until then (renewed as it works); a lapsed lease lets a redelivery take over';
COMMENT ON COLUMN handled_activities.outcome IS
  'When done: what a redelivery is answered with (an invoke''s status and body), or null';
COMMENT ON COLUMN handled_activities.expires_at IS
  'The purge deletes the row after this';
`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS handled_activities;`.execute(db);
}
