/**
 * Batch mode of generation jobs: the real SDK against the loopback fake's Message Batches API, on each
 * database kind. A restart polls the batch it sent; nothing is sent or stored twice.
 */
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { sql } from 'kysely';
import {
  type BatchDeps, cancelJob, createJob, customIdFor, generationRequest, importPlan, jobProgress, type JobSummary, pauseJob, prepareGeneration, resumeJob, runJob,
  type RunAnyJobDeps,
} from '../src/generation';
import { createCallLog, loadPricing } from '../src/llm';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, type MessagesRequestBody, startFakeAnthropic } from './helpers/fake-anthropic';
import { generatedAnswer, generationReply } from './helpers/generated-answer';

const PLAN = path.resolve(__dirname, '../examples/financial-planning/plan.json');

/** The address a fetch was given (a string, a URL or a Request). */
const urlOf = (url: string | URL | Request): string => (typeof url === 'string' ? url : url instanceof URL ? url.href : url.url);
const CREATOR = '00000000-0000-4000-8000-000000000002';
const MODEL = 'claude-opus-5-5';
// generationReply's usage: 6000 in, 4000 out; claude-opus-5-5 at $5 / $25 per million, half in a batch.
const DIRECT_COST = (6000 * 5 + 4000 * 25) / 1e6;
const BATCH_COST = DIRECT_COST / 2;
const ANNOTATIONS = ['training_turns', 'emotional_context', 'response_strategies', 'response_breakdowns'] as const;

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.reply((body) => generationReply(body) ?? 'not a generation request');
});

/** The planned conversation a request is for, from its prompt. */
const keyOf = (body: MessagesRequestBody): string => /Conversation id: (\w+)/.exec(JSON.stringify(body.messages))![1]!;
const firstPrompt = (body: MessagesRequestBody): string => String(body.messages[0]!.content);

describe.each(testDbKinds)('batch-mode generation jobs on %s', (kind) => {
  let t: TestDatabase;
  const byNumber = new Map<number, { id: string; key: string; turns: number }>();
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await importPlan(t.db, PLAN);
    const rows = await t.db.selectFrom('training_conversations').select(['id', 'conversation_number', 'conversation_id', 'turn_count']).execute();
    for (const r of rows) byNumber.set(r.conversation_number, { id: r.id, key: r.conversation_id, turns: r.turn_count });
  });
  afterAll(async () => {
    await t.dispose();
  });

  const ids = (...numbers: number[]) => numbers.map((n) => byNumber.get(n)!.id);

  /** A clock starting now (the fake's batches carry real timestamps); sleep advances it. */
  function clock() {
    let time = Date.now();
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => time,
      sleep: async (ms: number) => {
        if (sleeps.length >= 60) throw new Error('runner is still sleeping after 60 waits');
        sleeps.push(ms);
        time += ms;
        await new Promise((r) => setImmediate(r));
      },
    };
  }

  function deps(opts: { client?: Anthropic | null; worker?: string; c?: ReturnType<typeof clock>; extra?: Partial<RunAnyJobDeps>; batch?: Partial<BatchDeps> } = {}): RunAnyJobDeps {
    const logger = capturingLogger().logger;
    const pricing = loadPricing();
    const client = opts.client === undefined ? new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 }) : opts.client;
    const c = opts.c ?? clock();
    return {
      db: t.db,
      workerId: opts.worker ?? 'worker-a',
      logger,
      now: c.now,
      sleep: c.sleep,
      generate: async () => {
        throw new Error('a batch-mode job must not make direct calls');
      },
      batch: { client, model: MODEL, callLog: createCallLog({ db: t.db, logger, pricing }), pricing, pollMs: 30_000, ...opts.batch },
      ...opts.extra,
    };
  }

  const batchJob = (numbers: number[], options: Record<string, unknown> = {}) =>
    createJob(t.db, { type: 'batch', conversationIds: ids(...numbers), createdBy: CREATOR, options: { mode: 'batch', ...options } });
  const items = (jobId: string) => t.db.selectFrom('generation_job_items').selectAll().where('job_id', '=', jobId).orderBy('position').execute();
  const job = (jobId: string) => t.db.selectFrom('generation_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
  async function conversations(numbers: number[]) {
    return t.db.selectFrom('training_conversations').selectAll().where('id', 'in', ids(...numbers)).orderBy('conversation_number').execute();
  }
  async function rowCounts(numbers: number[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of ANNOTATIONS) {
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} x
        ${table === 'training_turns' ? sql`` : sql`JOIN training_turns tt ON tt.id = x.turn_id`}
        WHERE ${table === 'training_turns' ? sql`x.conversation_id` : sql`tt.conversation_id`} IN (${sql.join(ids(...numbers))})`.execute(t.db);
      out[table] = r.rows[0]!.n;
    }
    return out;
  }
  const requestsOf = (i: number) => (fake.batchCreateRequests()[i]!.body as { requests: Array<{ custom_id: string; params: MessagesRequestBody }> }).requests;

  it('sends the job as one batch, polls it, and stores each result at half price', async () => {
    fake.batchOptions({ pollsBeforeEnd: 2 });
    const created = await batchJob([11, 12, 13]);
    const c = clock();
    const progress: string[] = [];
    const summary = await runJob({ ...deps({ c }), onProgress: (p) => progress.push(`${p.batch?.processingStatus ?? '-'}:${p.batch?.answered ?? 0}/${p.done}`) }, created.id);

    expect(summary.stopReason).toBe('completed');
    expect(summary.succeeded).toBe(3);
    expect(fake.messageRequests()).toHaveLength(0);
    expect(fake.batchCreateRequests()).toHaveLength(1);
    const requests = requestsOf(0);
    expect(requests.map((r) => keyOf(r.params))).toEqual([11, 12, 13].map((n) => byNumber.get(n)!.key));
    for (const r of requests) {
      expect(r.custom_id).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(r.params).toMatchObject({ model: MODEL, output_config: { format: { type: 'json_schema' } } });
      expect(r.params.stream).toBeUndefined();
    }
    // Two polls in progress (a 30 s wait after each), then ended.
    expect(c.sleeps).toEqual([30_000, 30_000]);
    expect(progress).toContain('in_progress:0/0');
    expect(progress.at(-1)).toBe('-:0/3');

    const j = await job(created.id);
    expect(j).toMatchObject({ status: 'completed', batch_id: null, completed_conversations: 3, failed_conversations: 0, total_api_calls: 3, total_tokens_used: 30_000 });
    expect(j.total_cost_cents).toBe(Math.round(3 * BATCH_COST * 100));
    const history = (j.results_summary as { _job: { batches: Array<Record<string, unknown>> } })._job.batches;
    expect(history).toEqual([expect.objectContaining({ id: fake.batches()[0]!.id, requests: 3, succeeded: 3, errored: 0, ended_at: expect.any(String) })]);

    const its = await items(created.id);
    expect(its.map((i) => [i.status, i.attempts, i.batch_request_id])).toEqual(requests.map((r) => ['succeeded', 1, r.custom_id]));
    for (const i of its) expect(i.result).toMatchObject({ batch_id: fake.batches()[0]!.id, cost_usd: BATCH_COST, input_tokens: 6000, output_tokens: 4000 });

    const convs = await conversations([11, 12, 13]);
    for (const conv of convs) {
      expect(conv).toMatchObject({ generation_status: 'generated', generation_method: 'claude_batch_api', generation_cost_cents: Math.round(BATCH_COST * 100) });
    }
    const turns = [11, 12, 13].reduce((s, n) => s + byNumber.get(n)!.turns, 0);
    expect((await rowCounts([11, 12, 13])).training_turns).toBe(turns);

    const calls = await t.db.selectFrom('llm_calls').selectAll().where(sql<boolean>`metadata->>'job_id' = ${created.id}`).execute();
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(Number(call.cost_usd)).toBeCloseTo(BATCH_COST, 6);
      expect(call.metadata).toMatchObject({ batch_id: fake.batches()[0]!.id, valid: true });
    }
    const p = await jobProgress(t.db, created.id);
    expect(p).toMatchObject({ mode: 'batch', batch: null, done: 3, status: 'completed' });
  });

  it('a runner stopped while the batch runs leaves it at Anthropic; the next run polls it and sends nothing again', async () => {
    fake.batchOptions({ pollsBeforeEnd: 5 });
    const created = await batchJob([14, 15, 16]);
    const stop = new AbortController();
    const c = clock();
    const first = await runJob({ ...deps({ c, worker: 'bot-1' }), signal: stop.signal, onProgress: (p) => {
      if (p.batch?.processingStatus === 'in_progress') stop.abort();
    } }, created.id);
    expect(first.stopReason).toBe('aborted');

    const [sent] = fake.batches();
    const mid = await job(created.id);
    expect(mid.batch_id).toBe(sent!.id);
    const claimed = await items(created.id);
    expect(claimed.map((i) => [i.status, i.claimed_by])).toEqual(Array(3).fill(['claimed', `batch:${sent!.id}`]));
    expect(claimed.every((i) => i.batch_request_id)).toBe(true);
    expect((await conversations([14, 15, 16])).map((r) => r.generation_status)).toEqual(['in_progress', 'in_progress', 'in_progress']);
    expect((await jobProgress(t.db, created.id)).batch).toMatchObject({ id: sent!.id, processingStatus: 'in_progress', requests: 3, answered: 0 });

    // "Restart": another process, another worker id.
    const second = await runJob(deps({ worker: 'bot-2' }), created.id);
    expect(second.stopReason).toBe('completed');
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect((await conversations([14, 15, 16])).map((r) => r.generation_status)).toEqual(['generated', 'generated', 'generated']);
    const turns = [14, 15, 16].reduce((s, n) => s + byNumber.get(n)!.turns, 0);
    expect(await rowCounts([14, 15, 16])).toMatchObject({ training_turns: turns });

    // Running it once more stores nothing twice.
    const third = await runJob(deps({ worker: 'bot-3' }), created.id);
    expect(third.stopReason).toBe('not_runnable');
    expect((await rowCounts([14, 15, 16])).training_turns).toBe(turns);
  });

  it('a create call whose answer was lost: the batch is found (after a failed listing) and adopted, not sent twice', async () => {
    const created = await batchJob([17, 18]);
    // The request reaches the API (the batch exists), then the connection drops before the answer.
    const lossy = new Anthropic({
      apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (urlOf(url).endsWith('/v1/messages/batches') && init?.method === 'POST') {
          // The first listing of the batches fails too: the runner must try again, not give up.
          fake.enqueueBatchApi({ status: 500 });
          throw new TypeError('fetch failed: socket hang up');
        }
        return res;
      },
    });
    const c = clock();
    const summary = await runJob(deps({ client: lossy, c }), created.id);
    expect(summary.stopReason).toBe('completed');
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/messages/batches?'))).toHaveLength(2);
    // It waited for the submit marker to expire (5 min) before searching.
    expect(c.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(5 * 60_000);
    const j = await job(created.id);
    expect(j.status).toBe('completed');
    expect((j.results_summary as { _job: { batches: Array<{ id: string }> } })._job.batches.map((b) => b.id)).toEqual([fake.batches()[0]!.id]);
    expect((await conversations([17, 18])).map((r) => r.generation_status)).toEqual(['generated', 'generated']);
  });

  it('a create call that never reached the API: no batch is found, so it is sent again, once', async () => {
    const created = await batchJob([19, 20]);
    let dropped = 0;
    const flaky = new Anthropic({
      apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0,
      fetch: async (url, init) => {
        if (urlOf(url).endsWith('/v1/messages/batches') && init?.method === 'POST' && dropped++ === 0) throw new TypeError('fetch failed: ECONNRESET');
        return fetch(url, init);
      },
    });
    const summary = await runJob(deps({ client: flaky }), created.id);
    expect(summary.stopReason).toBe('completed');
    expect(dropped).toBe(2);
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect((await conversations([19, 20])).map((r) => r.generation_status)).toEqual(['generated', 'generated']);
  });

  it('an invalid answer goes back in the next batch with its errors; three invalid answers fail the conversation, the job goes on', async () => {
    const k21 = byNumber.get(21)!, k22 = byNumber.get(22)!;
    let round21 = 0;
    fake.reply((body) => {
      const key = keyOf(body);
      if (key === k21.key && round21++ === 0) return { text: generatedAnswer(key, 21, k21.turns - 1) }; // one turn short
      if (key === k22.key) return { text: '{"not": "a conversation"}' };
      return generationReply(body)!;
    });
    const created = await batchJob([21, 22, 23]);
    const summary = await runJob(deps(), created.id);
    expect(summary.stopReason).toBe('completed');
    // Round 1: 21, 22, 23. Round 2: 21 (fixed), 22. Round 3: 22. Then 22 has had its three attempts.
    expect(fake.batchCreateRequests().map((_, i) => requestsOf(i).map((r) => keyOf(r.params)))).toEqual([
      [k21.key, k22.key, byNumber.get(23)!.key], [k21.key, k22.key], [k22.key],
    ]);
    const retry = requestsOf(1)[0]!.params;
    expect(retry.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(String(retry.messages[2]!.content)).toMatch(/failed validation: training_pairs: the plan asks for exactly \d+ turns/);
    expect(firstPrompt(retry)).toBe(firstPrompt(requestsOf(0)[0]!.params));

    const its = await items(created.id);
    expect(its.map((i) => [i.status, i.attempts])).toEqual([['succeeded', 2], ['failed', 3], ['succeeded', 1]]);
    expect(its[1]!.last_error).toMatch(/^invalid_output: /);
    const j = await job(created.id);
    expect(j).toMatchObject({ status: 'completed', completed_conversations: 2, failed_conversations: 1, failed_conversation_ids: [k22.id] });
    expect((await conversations([21, 22, 23])).map((r) => r.generation_status)).toEqual(['generated', 'planned', 'generated']);
  });

  it('overloaded and expired requests go out again without an attempt; a refused request fails at once', async () => {
    const [a, b, d] = [24, 25, 26].map((n) => byNumber.get(n)!);
    let firstA = true;
    fake.reply((body) => {
      const key = keyOf(body);
      if (key === a!.key && firstA) {
        firstA = false;
        return { status: 529 };
      }
      if (key === b!.key) return { status: 400 };
      return generationReply(body)!;
    });
    const created = await batchJob([24, 25, 26]);
    // 26 expires in the first batch only.
    const expireId = `i2_${d!.key}`;
    fake.batchOptions({ expire: [expireId] });
    let reset = false;
    const summary = await runJob({ ...deps(), onProgress: (p) => {
      if (p.batch?.id && !reset) {
        reset = true;
        fake.batchOptions({}); // batches after the first: nothing expires
      }
    } }, created.id);
    expect(requestsOf(0).map((r) => r.custom_id)).toContain(expireId);
    expect(summary.stopReason).toBe('completed');
    const its = await items(created.id);
    expect(its.map((i) => [i.status, i.attempts])).toEqual([['succeeded', 1], ['failed', 1], ['succeeded', 1]]);
    expect(its[1]!.last_error).toMatch(/^invalid_request_error: /);
    expect(its[0]!.result).toMatchObject({ free_retries: 1 });
    expect(fake.batchCreateRequests().map((_, i) => requestsOf(i).map((r) => keyOf(r.params)))).toEqual([[a!.key, b!.key, d!.key], [a!.key, d!.key]]);
    const errors = await t.db.selectFrom('llm_calls').select(['status', 'error']).where(sql<boolean>`metadata->>'job_id' = ${created.id}`).where('status', '=', 'error').execute();
    expect(errors.map((e) => e.error).sort()).toEqual([expect.stringMatching(/^invalid_request_error/), expect.stringMatching(/^overloaded_error/)]);
  });

  it('cancel cancels the batch at Anthropic: results that came in before are stored, the rest cancelled', async () => {
    fake.batchOptions({ pollsBeforeEnd: 3, completeBeforeCancel: 1 });
    const created = await batchJob([27, 28, 29]);
    let cancelled = false;
    const summary = await runJob({ ...deps(), onProgress: (p) => {
      if (p.batch?.processingStatus === 'in_progress' && !cancelled) {
        cancelled = true;
        void cancelJob(t.db, created.id);
      }
    } }, created.id);
    expect(summary.stopReason).toBe('cancelled');
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/cancel'))).toHaveLength(1);
    expect(fake.batches()[0]!.cancel_initiated_at).not.toBeNull();
    const its = await items(created.id);
    expect(its.map((i) => i.status)).toEqual(['succeeded', 'cancelled', 'cancelled']);
    expect((await conversations([27, 28, 29])).map((r) => r.generation_status)).toEqual(['generated', 'planned', 'planned']);
    expect(await job(created.id)).toMatchObject({ status: 'cancelled', batch_id: null, completed_conversations: 1 });
  });

  it('pause stops polling but keeps the batch; resume picks its results up', async () => {
    fake.batchOptions({ pollsBeforeEnd: 2 });
    const created = await batchJob([30, 31]);
    let paused = false;
    const first = await runJob({ ...deps(), onProgress: (p) => {
      if (p.batch?.processingStatus === 'in_progress' && !paused) {
        paused = true;
        void pauseJob(t.db, created.id, 'paused by test');
      }
    } }, created.id);
    expect(first.stopReason).toBe('paused');
    expect((await job(created.id)).batch_id).toBe(fake.batches()[0]!.id);
    await resumeJob(t.db, created.id);
    const second = await runJob(deps(), created.id);
    expect(second.stopReason).toBe('completed');
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect((await conversations([30, 31])).map((r) => r.generation_status)).toEqual(['generated', 'generated']);
  });

  it('a refused batch fails the job and gives every conversation back; a 500 is retried', async () => {
    const refused = await batchJob([32, 33]);
    fake.enqueueBatchApi({ status: 400 });
    const summary = await runJob(deps(), refused.id);
    expect(summary.stopReason).toBe('failed');
    expect(await job(refused.id)).toMatchObject({ status: 'failed', batch_id: null, error_message: expect.stringMatching(/refused the batch \(400\)/) });
    expect((await items(refused.id)).map((i) => [i.status, i.claimed_by])).toEqual([['pending', null], ['pending', null]]);
    expect((await conversations([32, 33])).map((r) => r.generation_status)).toEqual(['planned', 'planned']);
    const control = ((await job(refused.id)).results_summary as { _job: Record<string, unknown> })._job;
    expect(control.batch_submit).toBeUndefined();

    // Once the cause is fixed, resume sends it; a 500 on the way is waited out.
    await resumeJob(t.db, refused.id);
    fake.enqueueBatchApi({ status: 500, retryAfterMs: 2000 });
    const c = clock();
    const again = await runJob(deps({ c }), refused.id);
    expect(again.stopReason).toBe('completed');
    expect(c.sleeps[0]).toBe(2000);
    expect(fake.batches()).toHaveLength(1);
    expect((await conversations([32, 33])).map((r) => r.generation_status)).toEqual(['generated', 'generated']);
  });

  it('a batch Anthropic no longer knows is sent again', async () => {
    const created = await batchJob([34]);
    // As if an earlier run had sent msgbatch_gone, since deleted.
    const item = (await items(created.id))[0]!;
    const now = new Date();
    await t.db.updateTable('generation_job_items')
      .set({ status: 'claimed', claimed_by: 'batch:msgbatch_gone', claimed_at: now, lease_expires_at: new Date(now.getTime() + 86_400_000), batch_request_id: `i0_${byNumber.get(34)!.key}` })
      .where('id', '=', item.id).execute();
    await t.db.updateTable('training_conversations').set({ generation_status: 'in_progress' }).where('id', '=', item.conversation_id).execute();
    await t.db.updateTable('generation_jobs').set({ batch_id: 'msgbatch_gone', status: 'in_progress' }).where('id', '=', created.id).execute();
    const summary = await runJob(deps(), created.id);
    expect(summary.stopReason).toBe('completed');
    expect(fake.batchCreateRequests()).toHaveLength(1);
    expect((await conversations([34]))[0]!.generation_status).toBe('generated');
  });

  it('a job over the size limit goes out in several batches, each within it', async () => {
    const created = await batchJob([43, 44, 45]);
    // The requests' sizes as the runner will build them; room for the first two, not the third.
    const its = await items(created.id);
    const size = async (i: (typeof its)[number]) => {
      const p = await prepareGeneration(t.db, i.conversation_id);
      return Buffer.byteLength(JSON.stringify({ custom_id: customIdFor(i.position, p.key), params: generationRequest(MODEL, undefined, p.prompt) }));
    };
    const [s1, s2, s3] = [await size(its[0]!), await size(its[1]!), await size(its[2]!)];
    const maxBytes = s1 + s2 + Math.floor(s3 / 2);
    const summary = await runJob(deps({ batch: { maxBytes } }), created.id);
    expect(summary.stopReason).toBe('completed');
    const sent = fake.batchCreateRequests().map((_, i) => requestsOf(i));
    expect(sent.map((r) => r.length)).toEqual([2, 1]);
    for (const r of sent) expect(r.reduce((a, q) => a + Buffer.byteLength(JSON.stringify(q)), 0)).toBeLessThanOrEqual(maxBytes);
    expect((await conversations([43, 44, 45])).map((r) => r.generation_status)).toEqual(['generated', 'generated', 'generated']);
  });

  it('two workers on one batch job send one batch and store each conversation once', async () => {
    fake.batchOptions({ pollsBeforeEnd: 1 });
    const created = await batchJob([35, 36, 37]);
    const runs: JobSummary[] = await Promise.all([runJob(deps({ worker: 'w1' }), created.id), runJob(deps({ worker: 'w2' }), created.id)]);
    expect(runs.map((r) => r.stopReason)).toEqual(['completed', 'completed']);
    expect(runs[0]!.succeeded + runs[1]!.succeeded).toBe(3);
    expect(fake.batchCreateRequests()).toHaveLength(1);
    const turns = [35, 36, 37].reduce((s, n) => s + byNumber.get(n)!.turns, 0);
    expect((await rowCounts([35, 36, 37])).training_turns).toBe(turns);
    expect(await job(created.id)).toMatchObject({ status: 'completed', completed_conversations: 3, total_api_calls: 3 });
  });

  it('offline, a batch job fails with the reason and can be resumed later', async () => {
    const created = await batchJob([38]);
    const summary = await runJob(deps({ client: null }), created.id);
    expect(summary.stopReason).toBe('offline');
    expect(await job(created.id)).toMatchObject({ status: 'failed', error_message: expect.stringMatching(/^offline: /) });
    await resumeJob(t.db, created.id);
    expect((await runJob(deps(), created.id)).stopReason).toBe('completed');
  });

  it('a batch job refuses to run without batch dependencies instead of paying full price', async () => {
    const created = await batchJob([39]);
    const { batch: _unused, ...direct } = deps();
    await expect(runJob(direct, created.id)).rejects.toThrow(/Message Batches API/);
    expect(fake.messageRequests()).toHaveLength(0);
    await cancelJob(t.db, created.id);
  });

  it('the cost ceiling is checked before each batch', async () => {
    fake.reply((body) => (keyOf(body) === byNumber.get(40)!.key ? { text: '{}' } : generationReply(body)!));
    // Round 1 (40 invalid, 41 stored) costs more than the ceiling, so round 2 is not sent.
    const created = await batchJob([40, 41], { costCeilingUsd: BATCH_COST / 2 });
    const summary = await runJob(deps(), created.id);
    expect(summary.stopReason).toBe('cost_ceiling');
    expect(fake.batchCreateRequests()).toHaveLength(1);
    const p = await jobProgress(t.db, created.id);
    expect(p).toMatchObject({ status: 'paused', done: 1, pending: 1 });
    expect(p.errorMessage).toMatch(/cost ceiling/);
    await cancelJob(t.db, created.id);
  });

  it('rejects an unknown mode', async () => {
    await expect(createJob(t.db, { type: 'batch', conversationIds: ids(42), createdBy: CREATOR, options: { mode: 'cheap' as 'batch' } })).rejects.toThrow(/mode must be direct or batch/);
  });
});
