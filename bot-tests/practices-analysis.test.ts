/**
 * The best-practices analysis (spec 002) on both databases: offline extraction from the example data,
 * re-running (the same rows, no duplicates), changed data (updates and archives), dry runs, Claude's
 * write-ups through the loopback fake (logged as `practices` with their I/O; an unchanged practice is not
 * sent again; an unusable answer falls back to the labelled extraction), the lease (two concurrent runs:
 * one works, the other is told it is already running), and the links to sessions.
 */
import { sql } from 'kysely';
import { analyzePractices, getPractice, listPractices, modelStats, OFFLINE_LABEL, PracticesBusyError, type PracticesDeps } from '../src/insights';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, type MessagesRequestBody, startFakeAnthropic, textOf } from './helpers/fake-anthropic';
import { fakeClient, recordingCallLog } from './helpers/insights-fixtures';
import { seedPracticeData } from './helpers/practices-fixtures';

function deps(t: TestDatabase, client: PracticesDeps['client'] = null): PracticesDeps & { callLog: ReturnType<typeof recordingCallLog> } {
  const { logger } = capturingLogger();
  return { db: t.db, client, model: 'claude-sonnet-5-5', callLog: recordingCallLog(t.db, logger), logger };
}

async function rows(t: TestDatabase) {
  return t.db.selectFrom('best_practices').select(['id', 'practice_key', 'status', 'effectiveness_score', 'sample_count', 'title', 'generated_by', 'category']).orderBy('practice_key').execute();
}

describe.each(testDbKinds)('best-practices analysis on %s', (kind) => {
  let t: TestDatabase;
  let sessionIds: string[];
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    ({ sessionIds } = await seedPracticeData(t.db));
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('extracts practices offline, labelled, with sources and per-model statistics', async () => {
    const r = await analyzePractices(deps(t), { holder: 'test' });
    expect(r.mode).toBe('offline');
    expect(r.replies).toBe(120);
    expect(r.groupsAnalysed).toBe(5);
    expect(r.created).toBeGreaterThanOrEqual(5);
    expect(r.calls).toBe(0);
    const stored = await rows(t);
    expect(stored).toHaveLength(r.created);
    for (const p of stored) {
      expect(p.generated_by).toBe('offline');
      expect(Number(p.effectiveness_score)).toBeGreaterThan(50);
      expect(Number(p.effectiveness_score)).toBeLessThanOrEqual(100);
    }
    // The acknowledge-and-steps replies are the liked ones: each topic has that practice.
    const page = await listPractices(t.db, { search: 'acknowledge', pageSize: 100 });
    expect(new Set(page.items.map((p) => p.category))).toEqual(new Set(['attendance', 'leave', 'harassment', 'pay', 'safety']));
    const one = page.items[0];
    if (!one) throw new Error('no practice');
    expect(one.description.startsWith(OFFLINE_LABEL)).toBe(true);
    expect(one.tags).toContain('offline-extraction');
    expect(one.examplePrompt).toMatch(/^Manager: .+\n\nERA: That sounds stressful/s);
    const detail = await getPractice(t.db, one.id);
    expect(detail?.sources.length).toBeGreaterThan(0);
    for (const s of detail?.sources ?? []) expect(sessionIds).toContain(s.sessionId);
    const total = (detail?.sources ?? []).reduce((a, s) => a + s.contributionScore, 0);
    expect(total).toBeGreaterThan(99.9);
    expect(total).toBeLessThan(100.1);
    const stats = await modelStats(t.db);
    expect(stats).toEqual([expect.objectContaining({ model: 'claude-sonnet-5-5', totalPractices: stored.length })]);
    const mean = stored.reduce((a, p) => a + Number(p.effectiveness_score), 0) / stored.length;
    expect(stats[0]?.avgEffectiveness).toBeCloseTo(mean, 1);
  });

  it('re-running on the same data keeps the same rows: no duplicates, nothing archived', async () => {
    const before = await rows(t);
    const links = await t.db.selectFrom('practice_source_sessions').select(['best_practice_id', 'session_id', 'contribution_score']).orderBy('best_practice_id').orderBy('session_id').execute();
    const r = await analyzePractices(deps(t), { holder: 'test' });
    expect(r.created).toBe(0);
    expect(r.archived).toBe(0);
    expect(r.updated).toBe(before.length);
    expect(await rows(t)).toEqual(before);
    expect(await t.db.selectFrom('practice_source_sessions').select(['best_practice_id', 'session_id', 'contribution_score']).orderBy('best_practice_id').orderBy('session_id').execute()).toEqual(links);
    expect(await t.db.selectFrom('model_performance_stats').selectAll().execute()).toHaveLength(1);
  });

  it('a dry run reports and writes nothing', async () => {
    const before = await rows(t);
    await sql`UPDATE tuning_improvements SET improvement_note = 'Wrong', category = 'content', metadata = metadata || '{"source": "card"}'::jsonb
      WHERE turn_id IN (SELECT turn_id FROM nlu_prompt_logs WHERE predicted_intent = 'pay')`.execute(t.db);
    const r = await analyzePractices(deps(t), { holder: 'test', dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.archivedKeys.length).toBeGreaterThan(0);
    expect(await rows(t)).toEqual(before);
  });

  it('changed data updates what it still supports and archives what it no longer does', async () => {
    // (The previous test turned every note on pay replies into an improvement note.)
    const before = await rows(t);
    const payKeys = before.filter((p) => p.category === 'pay').map((p) => p.practice_key);
    expect(payKeys.length).toBeGreaterThan(0);
    const r = await analyzePractices(deps(t), { holder: 'test' });
    expect(r.archived).toBeGreaterThanOrEqual(payKeys.length);
    const after = await rows(t);
    for (const k of payKeys) expect(after.find((p) => p.practice_key === k)?.status).toBe('archived');
    const archivedAt = await t.db.selectFrom('best_practices').select('archived_at').where('practice_key', 'in', payKeys).execute();
    for (const a of archivedAt) expect(a.archived_at).toBeInstanceOf(Date);
    // Practices seen before keep their rows (same ids); only patterns not seen before are new rows.
    for (const p of after) {
      const was = before.find((b) => b.practice_key === p.practice_key);
      if (was) expect(p.id).toBe(was.id);
    }
    expect(after.length - before.length).toBe(r.created);
    // What is active on pay now is a different pattern (the replies that got no improvement note), if any.
    const activePay = after.filter((p) => p.category === 'pay' && p.status === 'active');
    expect((await listPractices(t.db, { category: 'pay' })).total).toBe(activePay.length);
    for (const p of activePay) expect(payKeys).not.toContain(p.practice_key);
    expect((await listPractices(t.db, { category: 'pay', status: 'archived' })).total).toBe(payKeys.length);
    const stats = await modelStats(t.db);
    expect(stats[0]?.totalPractices).toBe(after.filter((p) => p.status === 'active').length);

    // More sessions: the supported practices are updated in place (sample counts grow), nothing duplicated.
    await seedPracticeData(t.db, { sessions: 6, testerPrefix: 'late' });
    const r2 = await analyzePractices(deps(t), { holder: 'test' });
    const again = await rows(t);
    expect(new Set(again.map((p) => p.practice_key)).size).toBe(again.length);
    const grown = again.filter((p) => p.status === 'active' && before.some((b) => b.id === p.id && b.sample_count < p.sample_count));
    expect(grown.length).toBeGreaterThan(0);
    expect(r2.updated).toBeGreaterThan(0);
  });

  it('links of a session that is deleted (or archived by retention) go with it', async () => {
    const link = await t.db.selectFrom('practice_source_sessions').select('session_id').executeTakeFirstOrThrow();
    await t.db.deleteFrom('prompt_tuning_sessions').where('id', '=', link.session_id).execute();
    expect(await t.db.selectFrom('practice_source_sessions').select('id').where('session_id', '=', link.session_id).execute()).toEqual([]);
  });

  it('never runs twice at once: of two concurrent runs one works and the other is told it is running', async () => {
    const outcomes = await Promise.allSettled([analyzePractices(deps(t), { holder: 'one' }), analyzePractices(deps(t), { holder: 'two' })]);
    const done = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.reason).toBeInstanceOf(PracticesBusyError);
    expect((refused[0]?.reason as PracticesBusyError).userMessage).toMatch(/already running/);
    // The lease is released after the run.
    await expect(analyzePractices(deps(t), { holder: 'three' })).resolves.toBeDefined();
  });
});

describe.each(testDbKinds)('best-practices write-ups by Claude on %s', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fake = await startFakeAnthropic();
    await seedPracticeData(t.db, { sessions: 10 });
  });
  afterAll(async () => {
    await fake.close();
    await t.dispose();
  });

  it('writes each practice up with one structured call, logged with its I/O, and not again when nothing changed', async () => {
    fake.reply((body) => {
      const topic = /<topic>(.*)<\/topic>/.exec(textOf(body.messages[0]?.content ?? ''))?.[1] ?? '?';
      return JSON.stringify({
        title: `Acknowledge, then steps (${topic})`, description: 'Replies that acknowledge the situation and give numbered steps score best.',
        key_insights: ['Open with one sentence of acknowledgement.', 'Give numbered steps.'], tags: ['Empathy', topic], example: 'Manager: q\n\nERA: a',
      });
    });
    const d = deps(t, fakeClient(fake.baseURL));
    const r = await analyzePractices(d, { holder: 'test' });
    expect(r.mode).toBe('claude');
    expect(r.calls).toBe(r.created);
    expect(r.failedCalls).toBe(0);
    const stored = await listPractices(t.db, { pageSize: 100 });
    expect(stored.total).toBe(r.created);
    for (const p of stored.items) {
      expect(p.generatedBy).toBe('claude');
      expect(p.title).toBe(`Acknowledge, then steps (${p.category})`);
      expect(p.tags).toEqual(['empathy', p.category]);
      expect(p.keyInsights).toHaveLength(2);
    }
    const calls = await t.db.selectFrom('llm_calls').select(['purpose', 'status']).where('purpose', '=', 'practices').execute();
    expect(calls).toHaveLength(r.created);
    const entry = d.callLog.entries[0];
    expect(entry?.purpose).toBe('practices');
    expect(entry?.io?.request.outputSchema).toBeDefined();
    expect(entry?.io?.output?.structured).toEqual(expect.objectContaining({ title: expect.any(String) }));
    const request = fake.messageRequests()[0]?.body as MessagesRequestBody | undefined;
    expect(textOf(request?.messages[0]?.content ?? '')).toMatch(/<pattern>[\s\S]*<example n="1"/);

    const again = await analyzePractices(deps(t, fakeClient(fake.baseURL)), { holder: 'test' });
    expect(again.calls).toBe(0);
    expect(again.created).toBe(0);
    expect((await listPractices(t.db, { pageSize: 100 })).items.every((p) => p.generatedBy === 'claude')).toBe(true);
  });

  it('an unusable answer or a failed call stores the labelled offline extraction instead, and loses nothing', async () => {
    await t.db.deleteFrom('best_practices').execute();
    fake.reply(() => 'not json at all');
    fake.enqueue({ status: 500 });
    const r = await analyzePractices(deps(t, fakeClient(fake.baseURL)), { holder: 'test' });
    expect(r.failedCalls).toBe(r.calls);
    expect(r.created).toBeGreaterThan(0);
    const stored = await listPractices(t.db, { pageSize: 100 });
    expect(stored.total).toBe(r.created);
    for (const p of stored.items) {
      expect(p.generatedBy).toBe('offline');
      expect(p.description.startsWith(OFFLINE_LABEL)).toBe(true);
    }
    const statuses = await t.db.selectFrom('llm_calls').select('status').where('purpose', '=', 'practices').where('created_at', '>', new Date(Date.now() - 60_000)).execute();
    expect(statuses.map((s) => s.status)).toContain('error');
  });
});
