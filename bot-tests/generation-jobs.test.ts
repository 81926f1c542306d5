import path from 'node:path';
import { connectDatabase, type DatabaseHandle } from '../db';
import {
  cancelJob,
  claimNextItem,
  createJob,
  DEFAULT_LEASE_MS,
  type Generate,
  importPlan,
  jobProgress,
  listJobs,
  pauseJob,
  resumeJob,
  runJob,
  type RunJobDeps,
  type Ticker,
} from '../src/generation';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const PLAN = path.resolve(__dirname, '../examples/financial-planning/plan.json');
const CREATOR = '00000000-0000-4000-8000-000000000001';

type GenErr = Error & { kind?: string; retryAfterMs?: number | null };
function genError(message: string, kind?: string, retryAfterMs?: number | null): GenErr {
  return Object.assign(new Error(message), { kind, retryAfterMs });
}

describe.each(testDbKinds)('generation jobs on %s', (kind) => {
  let t: TestDatabase;
  const byNumber = new Map<number, string>();
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await importPlan(t.db, PLAN);
    const rows = await t.db.selectFrom('training_conversations').select(['id', 'conversation_number']).execute();
    for (const r of rows) byNumber.set(r.conversation_number, r.id);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const ids = (...numbers: number[]) => numbers.map((n) => byNumber.get(n)!);
  const numberOf = (id: string) => [...byNumber].find(([, v]) => v === id)![0];

  /** A test double for the generator: marks the conversation generated and records every call. */
  function generator(opts: { fail?: (id: string, callNo: number) => Error | null; before?: (id: string) => Promise<void> } = {}) {
    const calls: string[] = [];
    const generate: Generate = async (id) => {
      calls.push(id);
      await opts.before?.(id);
      const err = opts.fail?.(id, calls.filter((c) => c === id).length);
      if (err) throw err;
      const r = await t.db
        .updateTable('training_conversations')
        .set({ generation_status: 'generated' })
        .where('id', '=', id)
        .where('generation_status', '=', 'planned')
        .executeTakeFirst();
      // Generating a conversation twice would find it already generated.
      if (Number(r.numUpdatedRows) !== 1) throw new Error(`conversation ${id} generated twice`);
      return { inputTokens: 100, outputTokens: 50, costUsd: 0.01, durationMs: 1000 };
    };
    return { calls, generate };
  }

  /** A fake clock: sleep records the wait and advances time. */
  function clock() {
    let time = Date.parse('2026-11-23T12:00:00Z');
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => time,
      sleep: async (ms: number) => {
        // A runner that never stops fails the test rather than hanging it.
        if (sleeps.length >= 100) throw new Error('runner is still sleeping after 100 waits');
        sleeps.push(ms);
        time += ms;
        await new Promise((r) => setImmediate(r));
      },
    };
  }

  function deps(generate: Generate, c = clock(), extra: Partial<RunJobDeps> = {}): RunJobDeps {
    return { db: t.db, generate, workerId: 'worker-a', logger: capturingLogger().logger, now: c.now, sleep: c.sleep, ...extra };
  }

  async function items(jobId: string) {
    return t.db.selectFrom('generation_job_items').selectAll().where('job_id', '=', jobId).orderBy('position').execute();
  }
  async function job(jobId: string) {
    return t.db.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  }
  async function statuses(numbers: number[]) {
    const rows = await t.db.selectFrom('training_conversations').select(['id', 'generation_status']).where('id', 'in', ids(...numbers)).execute();
    return Object.fromEntries(rows.map((r) => [numberOf(r.id), r.generation_status]));
  }

  it('runs a batch of 5 to completion in position order with its counters and totals', async () => {
    const order = ids(15, 13, 11, 12, 14);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    expect(created.status).toBe('queued');
    expect(created.total_conversations).toBe(5);
    expect(created.target_conversation_ids).toEqual(order);
    expect((await items(created.id)).map((i) => [i.conversation_id, i.position, i.status])).toEqual(order.map((id, p) => [id, p, 'pending']));

    const g = generator();
    const progress: number[] = [];
    const c = clock();
    const summary = await runJob({ ...deps(g.generate, c), onProgress: (p) => progress.push(p.done) }, created.id);

    expect(g.calls).toEqual(order);
    expect(summary).toMatchObject({ stopReason: 'completed', succeeded: 5, failed: 0, calls: 5 });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    const j = await job(created.id);
    expect(j).toMatchObject({
      status: 'completed',
      completed_conversations: 5,
      failed_conversations: 0,
      total_tokens_used: 750,
      total_cost_cents: 5,
      total_api_calls: 5,
      current_conversation_index: 4,
      failed_conversation_ids: [],
    });
    expect(j.started_at).toEqual(new Date(c.now()));
    expect(j.completed_at).toEqual(new Date(c.now()));
    for (const id of order) expect(j.results_summary?.[id]).toMatchObject({ status: 'succeeded', attempts: 1, tokens: 150 });
    const its = await items(created.id);
    expect(its.map((i) => [i.status, i.attempts])).toEqual(order.map(() => ['succeeded', 1]));
    expect(its[0]!.result).toMatchObject({ input_tokens: 100, output_tokens: 50, cost_usd: 0.01, duration_ms: 1000, worker: 'worker-a' });
    expect(await jobProgress(t.db, created.id)).toMatchObject({ status: 'completed', total: 5, done: 5, failed: 0, pending: 0, tokens: 750, costUsd: 0.05, etaMs: 0 });
    expect(Object.values(await statuses([11, 12, 13, 14, 15]))).toEqual(Array(5).fill('generated'));
    expect(c.sleeps).toEqual([]);
    // A finished job does not run again.
    expect((await runJob(deps(g.generate), created.id)).stopReason).toBe('not_runnable');
    expect(g.calls).toHaveLength(5);
  });

  it('retries a failing item, fails it after 3 attempts, and goes on with the job', async () => {
    const [a, bad, c1, d] = ids(16, 17, 18, 19);
    const created = await createJob(t.db, { type: 'batch', conversationIds: [a!, bad!, c1!, d!], createdBy: CREATOR });
    const g = generator({ fail: (id) => (id === bad ? new Error('model returned invalid JSON') : null) });
    const summary = await runJob(deps(g.generate), created.id);
    expect(g.calls).toEqual([a, bad, bad, bad, c1, d]);
    expect(summary).toMatchObject({ stopReason: 'completed', succeeded: 3, failed: 1, calls: 6 });
    const its = await items(created.id);
    expect(its[1]).toMatchObject({ status: 'failed', attempts: 3, last_error: 'model returned invalid JSON', claimed_by: null });
    expect(its.filter((i) => i.status === 'succeeded')).toHaveLength(3);
    const j = await job(created.id);
    expect(j).toMatchObject({ status: 'completed', completed_conversations: 3, failed_conversations: 1, failed_conversation_ids: [bad], total_api_calls: 6 });
    expect(j.results_summary?.[bad!]).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('marks a job failed when every item failed', async () => {
    const [only] = ids(20);
    const created = await createJob(t.db, { type: 'single', conversationIds: [only!], createdBy: CREATOR, options: { maxAttempts: 2 } });
    const g = generator({ fail: () => new Error('nope') });
    await runJob(deps(g.generate), created.id);
    expect(g.calls).toEqual([only, only]);
    expect(await job(created.id)).toMatchObject({ status: 'failed', failed_conversations: 1 });
  });

  it('waits out rate limits through the injected sleep without counting attempts', async () => {
    const [a, limited, b] = ids(21, 22, 23);
    const created = await createJob(t.db, { type: 'batch', conversationIds: [a!, limited!, b!], createdBy: CREATOR });
    const errs = [genError('429', 'rate_limited', 12_000), genError('529', 'overloaded', null), genError('429', 'rate_limited', 36_000_000)];
    const g = generator({ fail: (id, n) => (id === limited && n <= 3 ? errs[n - 1]! : null) });
    const c = clock();
    const summary = await runJob(deps(g.generate, c), created.id);
    expect(c.sleeps).toEqual([12_000, 30_000, 300_000]);
    expect(g.calls).toEqual([a, limited, limited, limited, limited, b]);
    expect(summary).toMatchObject({ stopReason: 'completed', succeeded: 3, failed: 0 });
    expect((await items(created.id))[1]).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await job(created.id)).toMatchObject({ status: 'completed', total_api_calls: 6 });
  });

  it('keeps minGapMs between calls', async () => {
    const created = await createJob(t.db, { type: 'batch', conversationIds: ids(24, 25, 26), createdBy: CREATOR, options: { minGapMs: 2000 } });
    const c = clock();
    await runJob(deps(generator().generate, c), created.id);
    expect(c.sleeps).toEqual([2000, 2000]);
  });

  it('pauses between items and resumes where it stopped', async () => {
    const order = ids(27, 28, 29, 30);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const g = generator({ before: async (id) => (id === order[1] ? pauseJob(t.db, created.id) : undefined) });
    const first = await runJob(deps(g.generate), created.id);
    expect(first.stopReason).toBe('paused');
    expect(g.calls).toEqual(order.slice(0, 2));
    expect(await jobProgress(t.db, created.id)).toMatchObject({ status: 'paused', done: 2, pending: 2 });
    expect((await listJobs(t.db, { limit: 1 }))[0]).toMatchObject({ id: created.id, displayStatus: 'paused' });

    // Running a paused job does nothing until it is resumed.
    expect((await runJob(deps(g.generate), created.id)).stopReason).toBe('paused');
    expect(g.calls).toHaveLength(2);

    await resumeJob(t.db, created.id);
    expect((await job(created.id)).status).toBe('in_progress');
    const second = await runJob(deps(g.generate), created.id);
    expect(second).toMatchObject({ stopReason: 'completed', succeeded: 2 });
    expect(g.calls).toEqual(order);
    expect(await job(created.id)).toMatchObject({ status: 'completed', completed_conversations: 4 });
  });

  it('cancel marks the remaining items cancelled', async () => {
    const order = ids(31, 32, 33, 34);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const g = generator({ before: async (id) => (id === order[1] ? cancelJob(t.db, created.id) : undefined) });
    const summary = await runJob(deps(g.generate), created.id);
    expect(summary.stopReason).toBe('cancelled');
    expect(g.calls).toEqual(order.slice(0, 2));
    expect((await items(created.id)).map((i) => i.status)).toEqual(['succeeded', 'succeeded', 'cancelled', 'cancelled']);
    const j = await job(created.id);
    expect(j.status).toBe('cancelled');
    expect(j.completed_at).not.toBeNull();
    expect(await statuses([33, 34])).toEqual({ 33: 'planned', 34: 'planned' });
  });

  it('reclaims the item of a killed runner after its lease expires; each conversation generated once', async () => {
    const order = ids(35, 36, 37, 38);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const c = clock();
    // The dead worker claimed the first item and never came back.
    const claim = await claimNextItem(t.db, created.id, 'dead-worker', c.now(), 60_000);
    expect(claim.item?.conversation_id).toBe(order[0]);
    const g = generator();
    const summary = await runJob(deps(g.generate, c, { workerId: 'worker-b', leaseMs: 60_000, idlePollMs: 25_000 }), created.id);
    expect(summary.stopReason).toBe('completed');
    // It did the free items first, waited for the dead worker's lease, then took its item over.
    expect(g.calls).toEqual([order[1], order[2], order[3], order[0]]);
    expect(c.sleeps).toEqual([25_000, 25_000, 25_000]);
    const its = await items(created.id);
    expect(its.map((i) => [i.status, i.attempts])).toEqual(order.map(() => ['succeeded', 1]));
    expect((its[0]!.result as { worker: string }).worker).toBe('worker-b');
    expect(await job(created.id)).toMatchObject({ status: 'completed', completed_conversations: 4 });
  });

  /** A heartbeat ticker driven by the test: tick() renews every running lease; kill() stops it for good (a dead worker). */
  function manualTicker() {
    const beats = new Set<() => Promise<void>>();
    let dead = false;
    const ticker: Ticker = {
      every: (_ms, beat) => {
        beats.add(beat);
        return () => beats.delete(beat);
      },
    };
    return {
      ticker,
      tick: async () => {
        if (!dead) for (const beat of [...beats]) await beat();
      },
      kill: () => {
        dead = true;
      },
    };
  }

  it('a worker killed mid-conversation (its heartbeat stopped, nothing released) loses the item within a minute', async () => {
    const order = ids(72, 73);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const c = clock();
    const start = c.now();
    const dead = manualTicker();
    dead.kill();
    const abandon = new AbortController();
    let claimed: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (claimed = resolve));
    // The killed worker claimed the first item with the default lease and never came back.
    const hung: Generate = (_id, ctx) => {
      claimed();
      return new Promise((_, reject) => { ctx.signal.addEventListener('abort', () => { reject(genError('aborted')); }); });
    };
    const first = runJob(deps(hung, c, { workerId: 'killed', ticker: dead.ticker, signal: abandon.signal }), created.id);
    await inFlight;
    const g = generator();
    const summary = await runJob(deps(g.generate, c, { workerId: 'worker-b' }), created.id);
    expect(summary.stopReason).toBe('completed');
    expect(g.calls).toEqual([order[1], order[0]]);
    // Taken over once the default lease ran out: within a minute (and a poll) of the claim.
    expect(DEFAULT_LEASE_MS).toBe(60_000);
    expect(c.now() - start).toBeGreaterThan(DEFAULT_LEASE_MS);
    expect(c.now() - start).toBeLessThanOrEqual(DEFAULT_LEASE_MS + 5_000);
    const its = await items(created.id);
    expect(its.map((i) => [i.status, (i.result as { worker: string }).worker])).toEqual([['succeeded', 'worker-b'], ['succeeded', 'worker-b']]);
    // The killed worker, should it ever wake, cannot record anything: its claim is gone.
    abandon.abort();
    expect((await first).succeeded).toBe(0);
  });

  it('a live worker whose conversation takes longer than the lease keeps its item: the heartbeat renews it', async () => {
    const order = ids(74);
    const created = await createJob(t.db, { type: 'single', conversationIds: order, createdBy: CREATOR });
    const c = clock();
    const beat = manualTicker();
    const takenOver: Array<string | null> = [];
    const slow: Generate = async (id) => {
      // Three leases' worth of time, with a heartbeat every third of a lease.
      for (let k = 0; k < 9; k++) {
        await c.sleep(DEFAULT_LEASE_MS / 3);
        await beat.tick();
        takenOver.push((await claimNextItem(t.db, created.id, 'worker-b', c.now(), DEFAULT_LEASE_MS)).item?.conversation_id ?? null);
      }
      return generator().generate(id, { signal: new AbortController().signal, jobId: created.id });
    };
    const summary = await runJob(deps(slow, c, { workerId: 'worker-a', ticker: beat.ticker }), created.id);
    expect(takenOver).toEqual(Array.from({ length: 9 }, () => null));
    expect(summary).toMatchObject({ stopReason: 'completed', succeeded: 1 });
    const [item] = await items(created.id);
    expect([item?.status, (item?.result as { worker: string } | null)?.worker]).toEqual(['succeeded', 'worker-a']);
  });

  it('an aborted runner leaves its in-flight item for the next runner, generated once', async () => {
    const order = ids(39, 40, 41);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const stop = new AbortController();
    const calls: string[] = [];
    // Never resolves on its own: only the abort ends it (a hung API call).
    const hanging: Generate = (id, ctx) => {
      calls.push(id);
      return new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => { reject(genError('aborted', 'aborted')); });
        stop.abort();
      });
    };
    const first = await runJob(deps(hanging, clock(), { signal: stop.signal }), created.id);
    expect(first.stopReason).toBe('aborted');
    expect(calls).toEqual([order[0]]);
    expect((await items(created.id))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    const g = generator();
    expect((await runJob(deps(g.generate, clock(), { workerId: 'worker-b' }), created.id)).stopReason).toBe('completed');
    expect(g.calls).toEqual(order);
    expect(await statuses([39, 40, 41])).toEqual({ 39: 'generated', 40: 'generated', 41: 'generated' });
  });

  it('two workers on one job process every item exactly once', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => 42 + i);
    const created = await createJob(t.db, { type: 'batch', conversationIds: ids(...numbers), createdBy: CREATOR, options: { concurrency: 2 } });
    let second: DatabaseHandle | undefined;
    try {
      const db2 = kind === 'postgres' ? (second = await connectDatabase({ kind: 'postgres', url: t.url! })).db : t.db;
      const g = generator({ before: (id) => new Promise((r) => setTimeout(r, numberOf(id) % 3)) });
      const base = { generate: g.generate, logger: capturingLogger().logger, idlePollMs: 5 };
      const [a, b] = await Promise.all([
        runJob({ ...base, db: t.db, workerId: 'worker-a' }, created.id),
        runJob({ ...base, db: db2, workerId: 'worker-b' }, created.id),
      ]);
      expect(a.succeeded + b.succeeded).toBe(20);
      expect([...g.calls].sort()).toEqual(ids(...numbers).sort());
      const its = await items(created.id);
      expect(its.every((i) => i.status === 'succeeded' && i.attempts === 1)).toBe(true);
      expect(await job(created.id)).toMatchObject({ status: 'completed', completed_conversations: 20, total_api_calls: 20, total_tokens_used: 3000 });
    } finally {
      await second?.close();
    }
  });

  it('pauses the job at its cost ceiling, and resumes with a raised one', async () => {
    const order = ids(62, 63, 64, 65, 66);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR, options: { costCeilingUsd: 0.025 } });
    const g = generator();
    const summary = await runJob(deps(g.generate), created.id);
    expect(summary.stopReason).toBe('cost_ceiling');
    expect(g.calls).toEqual(order.slice(0, 3));
    const p = await jobProgress(t.db, created.id);
    expect(p).toMatchObject({ status: 'paused', done: 3, pending: 2 });
    expect(p.errorMessage).toMatch(/cost ceiling of \$0\.025 reached/);
    expect((await runJob(deps(g.generate), created.id)).stopReason).toBe('paused');
    await resumeJob(t.db, created.id, { costCeilingUsd: null });
    expect((await runJob(deps(g.generate), created.id)).stopReason).toBe('completed');
    expect(g.calls).toEqual(order);
    expect(await job(created.id)).toMatchObject({ status: 'completed', error_message: null, total_cost_cents: 5 });
  });

  it('offline fails the job at once and leaves the item pending', async () => {
    const order = ids(67, 68);
    const created = await createJob(t.db, { type: 'batch', conversationIds: order, createdBy: CREATOR });
    const g = generator({ fail: () => genError('ENOTFOUND api.anthropic.com', 'offline') });
    expect((await runJob(deps(g.generate), created.id)).stopReason).toBe('offline');
    expect(g.calls).toEqual([order[0]]);
    expect((await items(created.id)).map((i) => [i.status, i.attempts])).toEqual([['pending', 0], ['pending', 0]]);
    expect(await job(created.id)).toMatchObject({ status: 'failed', error_message: 'offline: ENOTFOUND api.anthropic.com' });
    // Back online: resume reopens it and a run finishes it.
    await resumeJob(t.db, created.id);
    const g2 = generator();
    expect((await runJob(deps(g2.generate), created.id)).stopReason).toBe('completed');
    expect(g2.calls).toEqual(order);
    expect(await job(created.id)).toMatchObject({ status: 'completed', error_message: null, completed_conversations: 2 });
  });

  it('process_all takes every planned conversation, tier 1 then 2 then 3, then by number', async () => {
    // Make the order by tier differ from the order by number.
    await t.db.updateTable('training_conversations').set({ tier: 'tier3_edge' }).where('conversation_number', '=', 1).execute();
    await t.db.updateTable('training_conversations').set({ tier: 'tier1_template' }).where('conversation_number', '=', 99).execute();
    const created = await createJob(t.db, { type: 'process_all', createdBy: CREATOR });
    const planned = await t.db.selectFrom('training_conversations').select(['id', 'tier', 'conversation_number']).where('generation_status', '=', 'planned').execute();
    const its = await items(created.id);
    expect(its).toHaveLength(planned.length);
    expect(created.total_conversations).toBe(planned.length);
    expect(its.map((i) => i.position)).toEqual(planned.map((_, i) => i));
    const info = new Map(planned.map((p) => [p.id, p]));
    const seq = its.map((i) => info.get(i.conversation_id)!);
    const rank = { tier1_template: 1, tier2_scenario: 2, tier3_edge: 3 };
    const key = (p: (typeof seq)[number]) => rank[p.tier] * 1000 + p.conversation_number;
    for (let i = 1; i < seq.length; i++) expect(key(seq[i - 1]!)).toBeLessThan(key(seq[i]!));
    const nums = seq.map((p) => p.conversation_number);
    // 99 (now tier 1) comes after the tier 1 numbers but before any tier 2 one; 1 (now tier 3) opens tier 3.
    expect(nums.indexOf(99)).toBeGreaterThan(nums.indexOf(50));
    expect(nums.indexOf(99)).toBeLessThan(nums.indexOf(69));
    expect(nums.indexOf(1)).toBeGreaterThan(nums.indexOf(85));
    expect(nums.indexOf(1)).toBeLessThan(nums.indexOf(86));
    expect(new Set(seq.map((p) => p.tier))).toEqual(new Set(['tier1_template', 'tier2_scenario', 'tier3_edge']));
    expect(created.target_conversation_ids).toEqual(its.map((i) => i.conversation_id));
    // Already generated ones are not in it.
    expect(nums).not.toContain(11);
  });
});
