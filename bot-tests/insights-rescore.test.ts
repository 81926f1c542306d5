/**
 * Re-scoring through the real SDK against the loopback fake: the metrics backfill, direct judging that
 * never judges a turn twice, batch mode (half price, one create, results stored with their batch ids),
 * a stopped batch run polled (not resent) by the next run, a lost create answer adopted or sent again,
 * a refused batch, an errored request judged again by the next run, and offline mode.
 */
import path from 'node:path';
import { sql } from 'kysely';
import { createJudge, judgingCustomId, METRICS_VERSION, rescoreTurns, type RescoreDeps } from '../src/insights';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { fakeClient, recordingCallLog, seedSession } from './helpers/insights-fixtures';

const RUBRIC = path.resolve(__dirname, '../examples/era/JUDGE_RUBRIC.md');
const MODEL = 'claude-haiku-5-5';
const ANSWER = 'That sounds tough.\n\n1. Document it [1].\n2. Contact ER today.';

describe.each(testDbKinds)('rescore (%s)', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
    await t.dispose();
  });
  beforeEach(async () => {
    fake.reset();
    // Each test starts from no batches, so the open-batch collection of one test never sees another's.
    await t.db.deleteFrom('insight_batches').execute();
  });

  const deps = (online = true): RescoreDeps & { calls: ReturnType<typeof recordingCallLog> } => {
    const { logger } = capturingLogger();
    const calls = recordingCallLog(t.db, logger);
    const client = online ? fakeClient(fake.baseURL) : null;
    const judge = createJudge({ db: t.db, client, model: MODEL, rubricPath: RUBRIC, callLog: calls, logger });
    return { db: t.db, judge, logger, client, callLog: calls, pollMs: 20, calls };
  };
  const scores = (sessionId: string) => t.db.selectFrom('tuning_conversation_turns')
    .select(['turn_number', 'has_policy_citation', 'structure_complete', 'clarity_score', sql<string | null>`metadata->>'metrics_version'`.as('mv')])
    .where('session_id', '=', sessionId).orderBy('turn_number').execute();
  const twoTurns = (tester: string) => seedSession(t.db, tester, [
    { user: 'Can I fire her?', answer: ANSWER, passages: ['c1'] },
    { user: 'And her final pay?', answer: 'No idea.' },
  ]);

  it('direct: backfills the metrics, judges each turn once, and a second run judges nothing', async () => {
    const { session } = await twoTurns('aad-rs-1');
    const d = deps();
    const first = await rescoreTurns(d, { sessionIds: [session.id] });
    expect(first).toMatchObject({ judge: 'claude', metricsUpdated: 2, selected: 2, judged: 2, failed: 0, stopped: false, rubricVersion: 'era-judge-2026-12-02' });
    expect(await scores(session.id)).toEqual([
      { turn_number: 1, has_policy_citation: true, structure_complete: true, clarity_score: 5, mv: String(METRICS_VERSION) },
      { turn_number: 2, has_policy_citation: false, structure_complete: false, clarity_score: 4, mv: String(METRICS_VERSION) },
    ]);
    const again = await rescoreTurns(d, { sessionIds: [session.id] });
    expect(again).toMatchObject({ metricsUpdated: 0, selected: 0, judged: 0 });
    expect(fake.messageRequests()).toHaveLength(2);
    const forced = await rescoreTurns(d, { sessionIds: [session.id] }, { force: true });
    expect(forced).toMatchObject({ selected: 2, judged: 2 });
  });

  it('offline: the metrics only; no call; the judge scores stay NULL', async () => {
    const { session } = await twoTurns('aad-rs-2');
    const r = await rescoreTurns(deps(false), { sessionIds: [session.id] });
    expect(r).toMatchObject({ judge: 'offline', metricsUpdated: 2, judged: 0 });
    expect((await scores(session.id)).map((s) => [s.has_policy_citation, s.clarity_score])).toEqual([[true, null], [false, null]]);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses an empty or double selection rather than judging everything', async () => {
    await expect(rescoreTurns(deps(), {})).rejects.toThrow(/exactly one/);
    await expect(rescoreTurns(deps(), { all: true, since: new Date() })).rejects.toThrow(/exactly one/);
  });

  it('batch: one create for the selected turns, results stored with their batch ids, the calls priced as batch', async () => {
    const { session, turns } = await twoTurns('aad-rs-3');
    const d = deps();
    const r = await rescoreTurns(d, { sessionIds: [session.id] }, { mode: 'batch' });
    expect(r).toMatchObject({ selected: 2, judged: 2, failed: 0, stopped: false, refused: null });
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect(fake.messageRequests()).toHaveLength(0);
    const rows = await t.db.selectFrom('turn_judgements').select(['turn_id', 'batch_id', 'custom_id', 'status']).where('turn_id', 'in', turns.map((x) => x.id)).execute();
    expect(rows.map((x) => x.custom_id).sort()).toEqual(turns.map((x) => judgingCustomId(x.id)).sort());
    expect(new Set(rows.map((x) => x.batch_id))).toEqual(new Set(['msgbatch_fake_000001']));
    expect(d.calls.entries.map((e) => [e.purpose, e.batch, e.status])).toEqual([['judging', true, 'ok'], ['judging', true, 'ok']]);
    expect(d.calls.entries[0]?.io?.output?.structured).toBeDefined();
    const batchRow = await t.db.selectFrom('insight_batches').selectAll().executeTakeFirstOrThrow();
    expect(batchRow).toMatchObject({ status: 'collected', batch_id: 'msgbatch_fake_000001', request_count: 2 });
    expect((await rescoreTurns(d, { sessionIds: [session.id] }, { mode: 'batch' })).selected).toBe(0);
    expect(fake.batchCreateRequests()).toHaveLength(1);
  });

  it('batch: a run stopped while polling leaves the batch; the next run polls it and sends nothing again', async () => {
    const { session } = await twoTurns('aad-rs-4');
    fake.batchOptions({ pollsBeforeEnd: 1000 });
    const stop = new AbortController();
    const first = await rescoreTurns(deps(), { sessionIds: [session.id] }, {
      mode: 'batch', signal: stop.signal, onProgress: (p) => { if (p.phase === 'batch') stop.abort(); },
    });
    expect(first).toMatchObject({ selected: 2, judged: 0, stopped: true });
    expect((await t.db.selectFrom('insight_batches').select('status').executeTakeFirstOrThrow()).status).toBe('in_progress');
    fake.endBatch('msgbatch_fake_000001');
    const second = await rescoreTurns(deps(), { sessionIds: [session.id] }, { mode: 'batch' });
    // The turns waiting in the open batch are not selected again: the batch's results judge them.
    expect(second).toMatchObject({ selected: 0, stopped: false });
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect((await scores(session.id)).every((s) => s.clarity_score !== null)).toBe(true);
  });

  it('batch: a create call whose answer was lost is adopted when its batch exists, sent again when none does', async () => {
    const { session, turns } = await twoTurns('aad-rs-5');
    const d = deps();
    const client = fakeClient(fake.baseURL);
    const made = await client.messages.batches.create({ requests: turns.map((x) => ({ custom_id: judgingCustomId(x.id), params: { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] } })) });
    const lost = async () => {
      const row = await t.db.insertInto('insight_batches').values({ purpose: 'judging', status: 'submitting', request_count: 2, submit_started_at: new Date(Date.now() - 600_000), submit_expires_at: new Date(Date.now() - 1000) }).returning('id').executeTakeFirstOrThrow();
      await t.db.insertInto('insight_batch_requests').values(turns.map((x) => ({ batch_row_id: row.id, custom_id: judgingCustomId(x.id), turn_id: x.id, payload: { rubric_version: 'era-judge-2026-12-02', judge_model: MODEL } }))).execute();
      return row.id;
    };
    const adoptedRow = await lost();
    await rescoreTurns(d, { sessionIds: [session.id] }, { mode: 'batch' });
    expect(await t.db.selectFrom('insight_batches').select(['batch_id', 'status']).where('id', '=', adoptedRow).executeTakeFirstOrThrow()).toEqual({ batch_id: made.id, status: 'collected' });
    expect(fake.batchCreateRequests()).toHaveLength(1); // only the test's own
    // Now one whose create call never reached the API: found nowhere, so its work is sent again.
    await t.db.deleteFrom('turn_judgements').where('turn_id', 'in', turns.map((x) => x.id)).execute();
    const goneRow = await lost();
    const r = await rescoreTurns(d, { sessionIds: [session.id] }, { mode: 'batch' });
    expect(await t.db.selectFrom('insight_batches').select('id').where('id', '=', goneRow).execute()).toEqual([]);
    // This run found the two turns waiting in the lost batch, so it sent nothing; the next run does.
    expect(r.selected).toBe(0);
    expect((await rescoreTurns(d, { sessionIds: [session.id] }, { mode: 'batch' })).judged).toBe(2);
    expect(fake.batchCreateRequests()).toHaveLength(2);
  });

  it('batch: a refused create leaves nothing behind and says why; an errored request is judged again next run', async () => {
    const { session, turns } = await twoTurns('aad-rs-6');
    fake.enqueueBatchApi({ status: 400 });
    const refused = await rescoreTurns(deps(), { sessionIds: [session.id] }, { mode: 'batch' });
    expect(refused.refused).toMatch(/refused the batch \(400\)/);
    expect(await t.db.selectFrom('insight_batches').select('id').execute()).toEqual([]);
    fake.enqueue({ status: 529 });
    const partly = await rescoreTurns(deps(), { sessionIds: [session.id] }, { mode: 'batch' });
    expect(partly).toMatchObject({ selected: 2, judged: 1, failed: 1 });
    const failed = await t.db.selectFrom('turn_judgements').select(['status', 'error']).where('turn_id', '=', turns[0]!.id).executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: 'error', error: expect.stringMatching(/overloaded_error/) });
    const retry = await rescoreTurns(deps(), { sessionIds: [session.id] }, { mode: 'batch' });
    expect(retry).toMatchObject({ selected: 1, judged: 1, failed: 0 });
  });
});
