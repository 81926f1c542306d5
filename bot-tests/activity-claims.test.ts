/**
 * handled_activities (issue 9): each activity claimed once across instances, a lapsed claim taken
 * over (an instance that died does not lose the activity), an invoke's outcome kept for
 * redeliveries, expired rows purged.
 */
import { sql } from 'kysely';
import { ActivityClaims } from '../src/delivery';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

describe.each(testDbKinds)('activity claims on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  let n = 0;
  const key = () => ({ channelId: 'msteams', conversationId: 'a:conv', activityId: `act-${String(++n)}` });

  it('lets one of two instances claim an activity; the other sees it busy, then done with its outcome', async () => {
    const a = new ActivityClaims(t.db, { leaseMs: 60_000, retentionMs: 60_000 }, 'inst-a');
    const b = new ActivityClaims(t.db, { leaseMs: 60_000, retentionMs: 60_000 }, 'inst-b');
    const k = key();
    const [first, second] = await Promise.all([a.claim(k, 'invoke'), b.claim(k, 'invoke')]);
    const results = [first, second].map((r) => r.kind).sort();
    expect(results).toEqual(['busy', 'claimed']);
    const winner = first.kind === 'claimed' ? { claims: a, token: first.token } : { claims: b, token: (second as { token: string }).token };
    expect(await winner.claims.renew(k, winner.token)).toBe(true);
    expect(await winner.claims.complete(k, winner.token, { status: 200, body: { ok: true } })).toBe(true);
    expect(await b.claim(k, 'invoke')).toEqual({ kind: 'done', outcome: { status: 200, body: { ok: true } } });
    expect(await a.claim(k, 'invoke')).toEqual({ kind: 'done', outcome: { status: 200, body: { ok: true } } });
  });

  it('lets a redelivery take over a claim whose instance stopped renewing it, and the old holder can no longer complete it', async () => {
    const dead = new ActivityClaims(t.db, { leaseMs: 50, retentionMs: 60_000 }, 'dead');
    const alive = new ActivityClaims(t.db, { leaseMs: 60_000, retentionMs: 60_000 }, 'alive');
    const k = key();
    const held = await dead.claim(k, 'message');
    expect(held.kind).toBe('claimed');
    expect((await alive.claim(k, 'message')).kind).toBe('busy');
    await new Promise((r) => setTimeout(r, 120));
    const taken = await alive.claim(k, 'message');
    expect(taken).toMatchObject({ kind: 'claimed', takeover: true });
    expect(await dead.complete(k, (held as { token: string }).token, null)).toBe(false);
    expect(await dead.renew(k, (held as { token: string }).token)).toBe(false);
    const row = await t.db.selectFrom('handled_activities').select(['attempts', 'status']).where('activity_id', '=', k.activityId).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 2, status: 'working' });
  });

  it('releases a claim so the next delivery handles the activity', async () => {
    const c = new ActivityClaims(t.db);
    const k = key();
    const held = await c.claim(k, 'message');
    await c.release(k, (held as { token: string }).token);
    expect((await c.claim(k, 'message')).kind).toBe('claimed');
  });

  it('purges expired rows only: done ones, and working ones whose lease lapsed too', async () => {
    const c = new ActivityClaims(t.db, { leaseMs: 60_000, retentionMs: 60_000 });
    const done = key();
    const working = key();
    const fresh = key();
    const d = await c.claim(done, 'message');
    await c.complete(done, (d as { token: string }).token, null);
    await c.claim(working, 'message');
    await c.claim(fresh, 'message');
    await t.db.updateTable('handled_activities').set({ expires_at: sql<Date>`now() - interval '1 minute'` }).where('activity_id', 'in', [done.activityId, working.activityId]).execute();
    await c.purge();
    const left = (await t.db.selectFrom('handled_activities').select('activity_id').where('activity_id', 'in', [done.activityId, working.activityId, fresh.activityId]).execute()).map((r) => r.activity_id).sort();
    // The working claim's lease is still live: it stays until the lease lapses too.
    expect(left).toEqual([working.activityId, fresh.activityId].sort());
  });
});
