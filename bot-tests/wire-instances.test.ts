/**
 * Each activity handled once across instances and restarts (issue 9), through the real servers: two
 * bot instances on one database (each its own server, Claude and process state, as two replicas
 * behind Teams' load balancing would be) receive the same activity at the same moment, and a restarted
 * instance receives an activity the previous one already answered. The claim in `handled_activities`
 * is what makes it once; activity-claims.test.ts covers the claim's rules at the repository level.
 */
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import type { ConnectorRequest } from './helpers/fake-connector';
import { repliesTo, startWire, type Wire } from './helpers/wire-harness';

const isAnswer = (r: ConnectorRequest) =>
  r.body?.type === 'message' && ((r.body.entities as Array<{ type?: string }> | undefined) ?? []).some((e) => e.type === 'https://schema.org/Message');

/** The answer calls (ERA's model) an instance's Claude received. */
const answerCalls = (w: Wire) => w.fake!.messageRequests().filter((r) => (r.body as { model?: string } | null)?.model === w.config.anthropic.model).length;

async function turnsAbout(t: TestDatabase, text: string): Promise<number> {
  return (await t.db.selectFrom('tuning_conversation_turns').select('id').where('user_message', '=', text).execute()).length;
}

describe.each(testDbKinds)('several bot instances on one database (%s)', (kind) => {
  let t: TestDatabase;
  let a: Wire;
  let b: Wire;
  let aOpen = true;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    a = await startWire(kind, { database: t });
    b = await startWire(kind, { database: t });
  }, 180_000);
  afterAll(async () => {
    await b.close();
    if (aOpen) await a.close();
    await t.dispose();
  });

  it('an activity delivered to two instances at once gets one turn and one answer', async () => {
    const text = 'Two instances, one question: what is the dress code for trainers?';
    const msg = a.message(text, { group: true });
    const [ra, rb] = await Promise.all([a.post(msg), b.post(msg)]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    // Both answer to the activity's service URL: the connector of the first instance's test.
    await a.connector.waitFor(() => repliesTo(a, msg.id as string).some(isAnswer));
    await a.idle();
    await b.idle();
    expect(await turnsAbout(t, text)).toBe(1);
    expect(repliesTo(a, msg.id as string).filter(isAnswer)).toHaveLength(1);
    expect(answerCalls(a) + answerCalls(b)).toBe(1);
  });

  it('an instance started after a restart does not handle an activity answered before it', async () => {
    const text = 'Before the restart: can a trainer swap her Saturday shift?';
    const msg = a.message(text, { group: true });
    expect((await a.post(msg)).status).toBe(200);
    await a.connector.waitFor(() => repliesTo(a, msg.id as string).some(isAnswer));
    await a.idle();
    await a.close();
    aOpen = false;

    const c = await startWire(kind, { database: t });
    try {
      const res = await c.post(msg);
      expect(res.status).toBe(200);
      await c.idle();
      expect(await turnsAbout(t, text)).toBe(1);
      expect(answerCalls(c)).toBe(0);
      const claim = await t.db.selectFrom('handled_activities').select(['status']).where('activity_id', '=', msg.id as string).executeTakeFirstOrThrow();
      expect(claim.status).toBe('done');
    } finally {
      await c.close();
    }
  });
});
