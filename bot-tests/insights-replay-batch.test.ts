/**
 * Replaying many sessions in batch mode, through the real SDK against the fake's Message Batches API:
 * round k carries turn k of every replay still going, then one judging batch, then the comparisons; a run
 * stopped while polling is resumed by the next without sending any batch twice; an errored request is sent
 * again in the next round.
 */
import { cancelReplay, compareReplays, createReplays, resolveCandidate, runReplaysInBatches, type BatchReplayDeps } from '../src/insights';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { ACKNOWLEDGE_RULE } from './helpers/fake-insights';
import { seedSession } from './helpers/insights-fixtures';
import { world, withKnowledge } from './helpers/insights-world';
import { createPromptRepo, type PromptRepo } from './helpers/prompt-repo';
import { readFileSync, writeFileSync } from 'node:fs';

const cold = 'Record it [1].\n\n1. Log it.\n2. Contact ER.';
const A = [
  { user: 'A trainer no-showed her 6am shift without calling.', answer: cold, notes: [{ text: 'Cold', category: 'tone' }] },
  { user: 'Can I write her up?', answer: cold },
  { user: 'What should it say?', answer: cold },
];
const B = [
  { user: 'An employee says a member keeps making comments about her body.', answer: cold, notes: [{ text: 'Acknowledge first', category: 'tone' }] },
  { user: 'She asked me not to tell anyone.', answer: cold },
];

describe.each(testDbKinds)('replay in batch mode (%s)', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  let repo: PromptRepo;
  let candidatePath: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await withKnowledge(t);
    fake = await startFakeAnthropic();
    repo = createPromptRepo();
    candidatePath = `${repo.dir}/candidate.md`;
    writeFileSync(candidatePath, readFileSync(repo.promptPath, 'utf8').replace('## Tone\n', `## Tone\n\n${ACKNOWLEDGE_RULE}\n`));
  });
  afterAll(async () => {
    repo.dispose();
    await fake.close();
    await t.dispose();
  });
  beforeEach(async () => {
    fake.reset();
    await t.db.deleteFrom('insight_batches').execute();
  });

  const deps = (): BatchReplayDeps => {
    const w = world(t, fake);
    return { ...w.replay, client: w.client, pollMs: 10 };
  };
  const setUp = async (tester: string) => {
    const a = await seedSession(t.db, `${tester}-a`, A);
    const b = await seedSession(t.db, `${tester}-b`, B);
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: candidatePath });
    const replays = await createReplays(t.db, { sourceSessionIds: [a.session.id, b.session.id], candidate, requestedBy: tester, mode: 'batch' });
    return { replays, candidate };
  };
  const creates = () => fake.batchCreateRequests().map((r) => (r.body as { requests: Array<{ custom_id: string }> }).requests.map((q) => q.custom_id));

  it('sends turn k of every replay in one batch per round, then judges in one batch, then compares', async () => {
    const { replays, candidate } = await setUp('aad-rb-1');
    expect(new Set(replays.map((r) => r.group_id)).size).toBe(1);
    const results = await runReplaysInBatches(deps(), replays.map((r) => r.id));
    expect([...results.values()].map((r) => r.outcome)).toEqual(['completed', 'completed']);
    const rounds = creates();
    expect(rounds.map((r) => r.length)).toEqual([2, 2, 1, 10]);
    expect(rounds[0]!.every((id) => id.startsWith('r_') && id.endsWith('_1'))).toBe(true);
    expect(rounds[3]!.every((id) => id.startsWith('j_'))).toBe(true);
    expect(fake.messageRequests()).toHaveLength(0);
    const c = await compareReplays(t.db, replays.map((r) => r.id));
    expect(c).toMatchObject({ replays: 2, versionB: [candidate.version], judgeMissing: false });
    expect(c.metrics.find((m) => m.metric === 'empathy_score')).toMatchObject({ aTurns: 5, bTurns: 5 });
    expect(c.metrics.find((m) => m.metric === 'empathy_score')!.delta).toBeGreaterThan(0);
    const stored = await t.db.selectFrom('tuning_conversation_turns').select(['metadata']).where('session_id', '=', replays[0]!.replay_session_id!).orderBy('turn_number').execute();
    expect(stored.map((s) => (s.metadata as { batch?: { batch_id: string } }).batch?.batch_id)).toEqual(['msgbatch_fake_000001', 'msgbatch_fake_000002', 'msgbatch_fake_000003']);
  });

  it('a run stopped while a round is at Anthropic is resumed by the next run, which sends nothing twice', async () => {
    const { replays } = await setUp('aad-rb-2');
    fake.batchOptions({ pollsBeforeEnd: 100_000 });
    const stop = new AbortController();
    const timer = setTimeout(() => { stop.abort(); }, 300);
    const first = await runReplaysInBatches(deps(), replays.map((r) => r.id), { signal: stop.signal });
    clearTimeout(timer);
    expect([...first.values()].map((r) => r.outcome)).toEqual(['stopped', 'stopped']);
    expect(creates()).toHaveLength(1);
    fake.batchOptions({});
    fake.endBatch('msgbatch_fake_000001');
    const second = await runReplaysInBatches(deps(), replays.map((r) => r.id));
    expect([...second.values()].map((r) => r.outcome)).toEqual(['completed', 'completed']);
    expect(creates().map((r) => r.length)).toEqual([2, 2, 1, 10]);
  });

  it('an errored request is sent again in the next round', async () => {
    const { replays } = await setUp('aad-rb-3');
    fake.enqueue({ status: 529 });
    const results = await runReplaysInBatches(deps(), replays.map((r) => r.id));
    expect([...results.values()].map((r) => r.outcome)).toEqual(['completed', 'completed']);
    const rounds = creates();
    // Round 1: A1 errored, B1 stored; round 2: A1 again with B2; then A2, A3; then judging.
    expect(rounds.slice(0, 4).map((r) => r.map((id) => id.slice(-2)))).toEqual([['_1', '_1'], ['_1', '_2'], ['_2'], ['_3']]);
  });

  it('a round answered after its replays were cancelled stores nothing', async () => {
    const { replays } = await setUp('aad-rb-4');
    fake.batchOptions({ pollsBeforeEnd: 100_000 });
    const stop = new AbortController();
    const timer = setTimeout(() => { stop.abort(); }, 300);
    await runReplaysInBatches(deps(), replays.map((r) => r.id), { signal: stop.signal });
    clearTimeout(timer);
    for (const r of replays) await cancelReplay(t.db, r.id, 'aad-rb-4');
    fake.endBatch('msgbatch_fake_000001');
    const after = await runReplaysInBatches(deps(), replays.map((r) => r.id));
    expect([...after.values()].map((r) => r.outcome)).toEqual(['cancelled', 'cancelled']);
    const stored = await t.db.selectFrom('tuning_conversation_turns').select('id').where('session_id', 'in', replays.map((r) => r.replay_session_id ?? '')).execute();
    expect(stored).toEqual([]);
    expect(creates()).toHaveLength(1);
  });
});
