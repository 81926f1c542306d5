/**
 * The dashboard's JSON API against the real server (createApp, restify) on PGlite and Postgres, in
 * local mode (no app id, loopback): paging, sorting and filters of sessions and the training matrix,
 * one session and one conversation, review moves, generation from a selection through the bot's job
 * runner (Claude = the loopback fake), job controls, quality figures and bulk actions, bad input.
 */
import { sql } from 'kysely';
import { createJob } from '../src/generation';
import { createHarness, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { closeServer, listenOnLoopback, seedBestPractices, REPLAY_TURNS, seedComparedReplay, type SeededReplay, type SeededSession, seedTrainingData, seedTuningSessions } from './helpers/dashboard-fixtures';
import { generationReply } from './helpers/generated-answer';
import { request } from './helpers/http-client';

const TESTERS = [
  { id: 'aad-meg-0001', name: 'Meg Tester', email: 'meg@northwind.example' },
  { id: 'aad-alex-0002', name: 'Alex Wilber', email: 'alex@northwind.example' },
  { id: 'aad-lee-0003', name: 'Lee Gu', email: 'lee@northwind.example' },
];

type Json = Record<string, unknown>;

type Rows = { rows: Json[]; total: number; page: number; pageSize: number };

describe.each(testDbKinds)('dashboard API (local mode) on %s', (kind) => {
  let h: Harness;
  let base: string;
  let sessions: SeededSession[];
  let replay: SeededReplay;
  const get = async (path: string, headers: Record<string, string> = {}) => request(`${base}/api/dashboard${path}`, { headers });
  const post = async (path: string, body: unknown) => request(`${base}/api/dashboard${path}`, { method: 'POST', body });
  const ok = async <T = Json>(path: string): Promise<T> => {
    const r = await get(path);
    if (r.status !== 200) throw new Error(`${path}: ${String(r.status)} ${r.text}`);
    return r.json as T;
  };

  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
    h.fake?.reply((body) => generationReply(body) ?? 'not a generation request');
    sessions = await seedTuningSessions(h.t.db, 60, TESTERS);
    await seedTrainingData(h.t.db);
    base = await listenOnLoopback(h.app.server);
  });
  afterAll(async () => {
    await h.app.jobRunner.idle();
    await closeServer(h.app.server);
    await h.close();
  });

  it('signs the local user in as an admin on loopback, and refuses a relayed or foreign-host request', async () => {
    expect(await ok('/me')).toMatchObject({ testerId: 'local', admin: true, via: 'local', pages: ['sessions', 'compare', 'practices', 'training', 'quality', 'jobs'] });
    const relayed: Array<Record<string, string>> = [{ Host: 'tuning.example.com' }, { 'X-Forwarded-For': '203.0.113.9' }, { Forwarded: 'for=203.0.113.9' }];
    for (const headers of relayed) {
      const r = await get('/sessions', headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ error: 'Sign in to use the dashboard.' });
    }
  });

  it('/dashboard in the chat gives the local address (no link needed in local mode)', async () => {
    const sent = await h.say('/dashboard');
    expect(sent.map((a) => a.text)).toEqual(['The dashboard is at [http://bot.test/dashboard/](http://bot.test/dashboard/) — in local mode it needs no sign-in on this machine.']);
  });

  it('pages sessions by 25, 50 and 100 and refuses other page sizes', async () => {
    for (const size of [25, 50, 100]) {
      const r = await ok<Rows>(`/sessions?pageSize=${String(size)}`);
      expect(r.total).toBe(60);
      expect(r.rows).toHaveLength(Math.min(size, 60));
    }
    const page3 = await ok<Rows>('/sessions?pageSize=25&page=3');
    expect(page3.rows).toHaveLength(10);
    const ids = new Set([...(await ok<Rows>('/sessions?pageSize=25')).rows, ...(await ok<Rows>('/sessions?pageSize=25&page=2')).rows, ...page3.rows].map((r) => r.id));
    expect(ids.size).toBe(60);
    for (const bad of ['pageSize=10', 'pageSize=abc', 'page=0', 'sort=nope:asc', 'sort=turns:sideways', 'from=2026-13-01', 'colour=red']) {
      const r = await get(`/sessions?${bad}`);
      expect(r.status).toBe(400);
      expect((r.json as Json).error).toEqual(expect.any(String));
    }
    expect(((await get('/sessions?pageSize=10')).json as Json).error).toBe('pageSize: pageSize is 25, 50 or 100');
  });

  it('sorts sessions by start, turns and notes, both ways', async () => {
    const newest = await ok<Rows>('/sessions?pageSize=100');
    const starts = newest.rows.map((r) => String(r.start));
    expect(starts).toEqual([...starts].sort().reverse());
    const byTurns = (await ok<Rows>('/sessions?pageSize=100&sort=turns:asc')).rows.map((r) => Number(r.turns));
    expect(byTurns).toEqual([...byTurns].sort((a, b) => a - b));
    expect(byTurns[0]).toBe(1);
    const byNotesDesc = (await ok<Rows>('/sessions?pageSize=100&sort=notes:desc')).rows.map((r) => Number(r.notes));
    expect(byNotesDesc).toEqual([...byNotesDesc].sort((a, b) => b - a));
    expect(byNotesDesc[0]).toBe(Math.max(...sessions.map((s) => s.notes)));
  });

  it('filters sessions by tester, prompt version and dates, and counts notes per category', async () => {
    const meg = await ok<Rows & { facets: { testers: Json[]; versions: string[] } }>('/sessions?pageSize=100&tester=aad-meg-0001');
    expect(meg.total).toBe(sessions.filter((s) => s.testerId === 'aad-meg-0001').length);
    expect(meg.rows.every((r) => r.testerId === 'aad-meg-0001')).toBe(true);
    expect(meg.facets.testers.map((t) => t.id)).toEqual(TESTERS.map((t) => t.id).sort());
    expect(meg.facets.versions).toEqual(['a1b2c3d', 'e4f5a6b']);
    const two = await ok<Rows>('/sessions?pageSize=100&tester=aad-meg-0001,aad-lee-0003&version=e4f5a6b');
    expect(two.total).toBe(sessions.filter((s) => s.testerId !== 'aad-alex-0002' && s.version === 'e4f5a6b').length);
    // Sessions start hourly back from 2026-11-30 12:00 UTC: 13 on the 30th, 24 on the 29th.
    expect((await ok<Rows>('/sessions?pageSize=100&from=2026-11-30')).total).toBe(13);
    expect((await ok<Rows>('/sessions?pageSize=100&from=2026-11-29&to=2026-11-29')).total).toBe(24);
    const row = (await ok<Rows>('/sessions?pageSize=100')).rows.find((r) => r.id === sessions[1]?.id);
    expect(row).toMatchObject({ turns: 2, notes: 1, notesByCategory: { citation: 1 }, scores: null });
    expect(Number(row?.avgProcessingMs)).toBeGreaterThan(800);
  });

  it("shows the judge's scores: each judged turn's own, and a session's means over its judged turns", async () => {
    const s = sessions[5];
    if (!s) throw new Error('no session');
    const turns = await h.t.db.selectFrom('tuning_conversation_turns').select(['id', 'turn_number']).where('session_id', '=', s.id).orderBy('turn_number').execute();
    expect(turns.length).toBeGreaterThanOrEqual(2);
    // Two turns judged (4/3/5 and 5/4/4); any others left unjudged, as when the judge is offline.
    await h.t.db.updateTable('tuning_conversation_turns').set({ professionalism_score: 4, empathy_score: 3, clarity_score: 5 }).where('id', '=', turns[0]!.id).execute();
    await h.t.db.updateTable('tuning_conversation_turns').set({ professionalism_score: 5, empathy_score: 4, clarity_score: 4 }).where('id', '=', turns[1]!.id).execute();
    const row = (await ok<Rows>('/sessions?pageSize=100')).rows.find((r) => r.id === s.id);
    expect(row?.scores).toEqual({ professionalism: 4.5, empathy: 3.5, clarity: 4.5 });
    const d = await ok<{ turns: Json[] }>(`/sessions/${s.id}`);
    expect(d.turns.map((t) => t.scores)).toEqual([
      { professionalism: 4, empathy: 3, clarity: 5 },
      { professionalism: 5, empathy: 4, clarity: 4 },
      ...turns.slice(2).map(() => null),
    ]);
  });

  it('gives one session with its turns, sources and notes; an unknown or malformed id is 404', async () => {
    const s = sessions[3];
    if (!s) throw new Error('no session');
    const d = await ok<{ session: Json; turns: Json[] }>(`/sessions/${s.id}`);
    expect(d.session.id).toBe(s.id);
    expect(d.turns.map((t) => t.number)).toEqual([1, 2, 3, 4]);
    expect(d.turns[0]).toMatchObject({ sources: [{ chunkId: 'chunk-0', title: 'Attendance and no-call/no-show' }], topic: null });
    expect(d.turns.flatMap((t) => t.notes as Json[]).map((n) => n.text)).toEqual(['Note on turn 2', 'Note on turn 4']);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      const r = await get(`/sessions/${encodeURIComponent(id)}`);
      expect(r.status).toBe(404);
    }
  });

  it('filters the training matrix with multi-selects (AND), topic words and a quality range, and sorts it', async () => {
    const all = await ok<Rows & { summary: Json; facets: Json }>('/training/conversations?pageSize=100');
    expect(all.total).toBe(100);
    // The plan marks conversations 1-10 as seed examples; three of them are imported (approved).
    expect(all.summary).toMatchObject({ total: 100, seed: 10, generated: 3, remaining: 97 });
    const tiers = await h.t.db.selectFrom('training_conversations').select(['tier', sql<number>`COUNT(*)::int`.as('n')]).groupBy('tier').execute();
    expect(all.summary.byTier).toEqual(Object.fromEntries(tiers.map((t) => [t.tier, t.n])));
    expect(Object.keys(all.summary.byTier as Json)).toHaveLength(3);
    const marcusTier1 = await ok<Rows>('/training/conversations?pageSize=100&persona=Marcus&tier=tier1_template');
    expect(marcusTier1.total).toBeGreaterThan(0);
    expect(marcusTier1.rows.every((r) => r.personaType === 'Marcus' && r.tier === 'tier1_template')).toBe(true);
    const twoPersonas = await ok<Rows>('/training/conversations?pageSize=100&persona=Marcus,Jennifer');
    const byPersona = all.summary.byPersona as Record<string, number>;
    expect(marcusTier1.total).toBe(10);
    expect(twoPersonas.total).toBe((byPersona.Marcus ?? 0) + (byPersona.Jennifer ?? 0));
    expect(twoPersonas.total).toBe(31);
    expect((all.facets as { personas: string[] }).personas).toEqual(['David', 'Jennifer', 'Marcus', 'Mixed']);
    const approved = await ok<Rows>('/training/conversations?pageSize=25&status=approved&sort=quality:desc');
    expect(approved.rows.map((r) => r.number)).toHaveLength(3);
    const qualities = approved.rows.map((r) => Number(r.quality));
    expect(qualities).toEqual([...qualities].sort((a, b) => b - a));
    expect((await ok<Rows>('/training/conversations?qmin=4.9&qmax=5')).rows.every((r) => Number(r.quality) >= 4.9)).toBe(true);
    const topic = await ok<Rows>('/training/conversations?pageSize=100&topic=debt');
    expect(topic.total).toBeGreaterThan(0);
    expect(topic.total).toBeLessThan(100);
    const byNumberDesc = (await ok<Rows>('/training/conversations?pageSize=25&sort=number:desc')).rows.map((r) => r.number);
    expect(byNumberDesc[0]).toBe(100);
    expect((await ok<Rows>('/training/conversations?pageSize=25&page=4')).rows.map((r) => r.number)).toEqual(Array.from({ length: 25 }, (_v, i) => 76 + i));
    for (const bad of ['qmin=0', 'qmin=4&qmax=3', 'pageSize=30', 'sort=colour:asc', 'persona=' + 'x'.repeat(2100)]) expect((await get(`/training/conversations?${bad}`)).status).toBe(400);
  });

  it('gives a conversation with every tab of data and moves it through review; bad moves are refused plainly', async () => {
    const d = await ok<{ conversation: Json; turns: Array<Json & { emotional: Json; strategy: Json; sentences: Json[] }>; quality: Json; previous: number | null; next: number | null }>('/training/conversations/1');
    expect(d.conversation).toMatchObject({ number: 1, key: 'fp_marcus_001', status: 'approved', isSeed: true });
    expect(d.turns.length).toBeGreaterThan(0);
    expect(d.turns[0]?.emotional).toMatchObject({ primary: expect.any(String) });
    expect(d.turns[0]?.strategy).toMatchObject({ primary: expect.any(String) });
    expect(d.turns.flatMap((t) => t.sentences).length).toBeGreaterThan(5);
    expect(d.quality).toMatchObject({ readyForTraining: true });
    expect([d.previous, d.next]).toEqual([null, 2]);
    expect((await get('/training/conversations/999')).status).toBe(404);
    expect((await get('/training/conversations/abc')).status).toBe(400);
    const planned = await post('/training/conversations/50/review', { move: 'approve' });
    expect(planned.status).toBe(409);
    expect((planned.json as Json).error).toMatch(/Conversation 50 is planned: generate it before reviewing/);
    expect((await post('/training/conversations/1/review', { move: 'flag' })).json).toEqual({ error: 'Say what is wrong: /flag N <notes>.' });
    expect((await post('/training/conversations/1/review', { move: 'delete' })).status).toBe(400);
    const flagged = await post('/training/conversations/1/review', { move: 'flag', notes: 'Turn 2 rushes the budget' });
    expect(flagged.json).toEqual({ from: 'approved', to: 'generated' });
    expect((await post('/training/conversations/1/review', { move: 'approve', notes: 'fixed' })).json).toEqual({ from: 'generated', to: 'approved' });
    expect(String((await ok<{ conversation: Json }>('/training/conversations/1')).conversation.reviewerNotes)).toMatch(/Turn 2 rushes the budget/);
  });

  it('estimates and generates two selected conversations through the bot job runner', async () => {
    const rows = (await ok<Rows>('/training/conversations?pageSize=25&status=planned')).rows.slice(0, 2);
    const ids = rows.map((r) => String(r.id));
    const est = (await post('/training/estimate', { ids: [...ids, (await ok<Rows>('/training/conversations?status=approved')).rows[0]?.id] })).json as Json;
    expect(est).toMatchObject({ selected: 3, count: 2, notPlanned: [1], seconds: 80, online: true, model: h.config.anthropic.model });
    expect(Number(est.batchCostUsd)).toBeCloseTo(Number(est.costUsd) / 2, 6);
    expect((await post('/training/estimate', { ids: [] })).status).toBe(400);
    expect((await post('/training/estimate', { ids: ['not-a-uuid'] })).status).toBe(400);
    expect((await post('/training/estimate', { ids: ['00000000-0000-4000-8000-000000000000'] })).status).toBe(404);
    const started = (await post('/training/generate', { ids, mode: 'direct' })).json as Json;
    expect(started).toMatchObject({ jobId: expect.any(String), existing: false });
    await h.app.jobRunner.idle();
    const jobs = (await ok<{ jobs: Json[] }>('/jobs')).jobs;
    expect(jobs[0]).toMatchObject({ id: started.jobId, status: 'completed', done: 2, failed: 0, total: 2, type: 'batch', mode: 'direct' });
    const statuses = await h.t.db.selectFrom('training_conversations').select('generation_status').where('id', 'in', ids).execute();
    expect(statuses.map((s) => s.generation_status)).toEqual(['generated', 'generated']);
    // The same selection again: nothing left to generate, said plainly.
    const again = await post('/training/generate', { ids });
    expect(again.status).toBe(409);
    expect((again.json as Json).error).toMatch(/Nothing selected is left to generate/);
  });

  it('pauses, resumes (running it here) and cancels jobs; unknown jobs and actions are 404, refused moves 409', async () => {
    const planned = (await ok<Rows>('/training/conversations?pageSize=25&status=planned&sort=number:desc')).rows;
    const job = await createJob(h.t.db, { type: 'single', conversationIds: [String(planned[0]?.id)], createdBy: '00000000-0000-4000-8000-000000000009', options: { mode: 'direct' } });
    const paused = (await post(`/jobs/${job.id}/pause`, {})).json as { job: Json };
    expect(paused.job).toMatchObject({ status: 'paused', runningHere: false });
    const resumed = (await post(`/jobs/${job.id}/resume`, {})).json as { job: Json };
    expect(resumed.job.status).toMatch(/queued|in_progress|completed/);
    await h.app.jobRunner.idle();
    expect(((await ok<{ jobs: Json[] }>('/jobs')).jobs.find((j) => j.id === job.id))).toMatchObject({ status: 'completed', done: 1 });
    const again = await post(`/jobs/${job.id}/resume`, {});
    expect(again.status).toBe(409);
    const other = await createJob(h.t.db, { type: 'single', conversationIds: [String(planned[1]?.id)], createdBy: '00000000-0000-4000-8000-000000000009', options: { mode: 'direct' } });
    expect(((await post(`/jobs/${other.id}/cancel`, {})).json as { job: Json }).job.status).toBe('cancelled');
    expect((await post('/jobs/00000000-0000-4000-8000-000000000000/pause', {})).status).toBe(404);
    expect((await post(`/jobs/${other.id}/explode`, {})).status).toBe(404);
    expect((await post('/jobs/xyz/pause', {})).status).toBe(404);
  });

  it('gives the quality figures and runs the bulk actions through the review move', async () => {
    const q = await ok<{ averages: Json; histogram: Array<{ n: number }>; byStatus: Json[]; trend: Json[]; byTemplate: Json[]; validation: Json }>('/quality');
    const n = Number(q.averages.n);
    expect(n).toBeGreaterThanOrEqual(6);
    expect(q.histogram).toHaveLength(8);
    expect(q.histogram.reduce((a, b) => a + b.n, 0)).toBe(n);
    expect(q.byStatus.reduce((a, b) => a + Number(b.n), 0)).toBe(100);
    expect(q.trend.reduce((a, b) => a + Number(b.n), 0)).toBe(n);
    expect(q.byTemplate.reduce((a, b) => a + Number(b.n), 0)).toBe(n);
    expect(q.validation).toMatchObject({ total: n });
    // Make one generated conversation score below 4 and check the bulk flag finds exactly the low ones.
    const low = await h.t.db.selectFrom('training_conversations').select(['id', 'conversation_number']).where('generation_status', '=', 'generated').orderBy('conversation_number').executeTakeFirstOrThrow();
    await h.t.db.updateTable('quality_metrics').set({ overall_quality_score: '3.5' }).where('conversation_id', '=', low.id).execute();
    const expected = (await sql<{ n: number }>`SELECT c.conversation_number AS n FROM quality_metrics q JOIN training_conversations c ON c.id = q.conversation_id
      WHERE q.overall_quality_score < 4.0 AND c.generation_status IN ('generated', 'reviewed', 'approved') ORDER BY 1`.execute(h.t.db)).rows.map((r) => r.n);
    expect(expected).toContain(low.conversation_number);
    expect((await post('/quality/bulk', { action: 'flag_below_4' })).json).toEqual({ changed: expected });
    const flagged = await h.t.db.selectFrom('quality_metrics').select(['needs_review']).where('conversation_id', '=', low.id).executeTakeFirstOrThrow();
    expect(flagged.needs_review).toBe(true);
    expect((await post('/quality/bulk', { action: 'approve_everything' })).status).toBe(400);
  });

  it('exports a conversation in the seed structure and the quality report as CSV', async () => {
    const seed = await get('/training/conversations/2/export');
    expect(seed.status).toBe(200);
    expect(seed.headers['content-disposition']).toBe('attachment; filename="fp_jennifer_001.json"');
    expect((seed.json as { training_pairs: unknown[] }).training_pairs).toHaveLength(4);
    const planned = await get('/training/conversations/50/export');
    expect(planned.status).toBe(409);
    expect((planned.json as Json).error).toMatch(/^Conversation 50 cannot be exported: .*no turns/);
    const csv = await get('/quality/report.csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toMatch(/^conversation_id,conversation_number,/);
    expect(lines.length - 1).toBe(Number(((await ok<{ averages: Json }>('/quality')).averages.n)));
  });

  it('compares a replay with its source: per-metric means with the turns behind each, deltas, turns side by side, retrieval changes', async () => {
    expect(await ok<Rows>('/compare/replays')).toMatchObject({ total: 0, rows: [] });
    // Seeded here: the replay's own session would count in the session tests above. Session 2 has three
    // turns (1 + n % 4), recorded under a1b2c3d.
    replay = await seedComparedReplay(h.t.db, sessions[2]?.id ?? '', 'c0ffee1', REPLAY_TURNS);
    const list = await ok<Rows & { versions: string[] }>('/compare/replays');
    expect(list.total).toBe(1);
    expect(list.rows[0]).toMatchObject({ id: replay.id, status: 'completed', baseVersion: 'a1b2c3d', candidateVersion: 'c0ffee1', totalTurns: 3, doneTurns: 3, testerName: 'Lee Gu' });
    expect(list.rows[0]?.comparedAt).toEqual(expect.any(String));
    expect(list.versions).toEqual(['a1b2c3d', 'c0ffee1', 'e4f5a6b']);
    expect((await ok<Rows>('/compare/replays?version=e4f5a6b')).total).toBe(0);
    expect((await ok<Rows>('/compare/replays?version=c0ffee1')).total).toBe(1);

    const c = await ok<{ metrics: Json[]; pairs: Json[]; judgeMissing: boolean; versionA: string; versionB: string; total: number }>(`/compare/replays/${replay.id}`);
    expect([c.versionA, c.versionB, c.total, c.judgeMissing]).toEqual(['a1b2c3d', 'c0ffee1', 3, true]);
    const m = Object.fromEntries(c.metrics.map((x) => [String(x.metric), x]));
    expect(m.has_policy_citation).toMatchObject({ a: 2 / 3, b: 1, aTurns: 3, bTurns: 3 });
    expect(m.appropriate_action_suggested).toMatchObject({ a: 1 / 3, b: 2 / 3, aTurns: 3, bTurns: 3 });
    expect(m.professionalism_score).toMatchObject({ a: 3.5, aTurns: 2, bTurns: 3 });
    expect(m.professionalism_score?.b).toBeCloseTo(14 / 3, 10);
    expect(m.professionalism_score?.delta).toBeCloseTo(14 / 3 - 3.5, 10);
    expect(m.empathy_score?.a).toBe(2.5);
    expect(m.clarity_score).toMatchObject({ a: 4, b: 4, delta: 0 });
    // The same figures as the stored prompt_version_comparisons rows.
    const stored = await h.t.db.selectFrom('prompt_version_comparisons').selectAll().where('replay_id', '=', replay.id).execute();
    for (const row of stored) expect([m[row.metric_name]?.a, m[row.metric_name]?.aTurns]).toEqual([row.version_a_score, row.version_a_turns]);
    expect(c.pairs.map((p) => p.retrieval)).toEqual([
      { same: true, added: [], dropped: [], reordered: [] },
      { same: false, added: ['chunk-9'], dropped: [], reordered: [{ chunkId: 'chunk-1', from: 1, to: 2 }] },
      { same: false, added: ['chunk-7'], dropped: ['chunk-2'], reordered: [] },
    ]);
    expect(c.pairs[0]).toMatchObject({ turnNumber: 1, newAnswer: 'Replayed answer 1 on c0ffee1.', oldScores: { professionalism_score: 3, has_policy_citation: true } });
    expect(String(c.pairs[0]?.oldAnswer)).toMatch(/^Answer 1: /);

    for (const bad of [`/compare/replays/${replay.id}?pageSize=7`, '/compare/replays?colour=red', '/compare/versions?a=a1b2c3d', '/compare/versions?a=a1b2c3d&b=a1b2c3d']) {
      const r = await get(bad);
      expect([bad, r.status]).toEqual([bad, 400]);
    }
    expect(((await get('/compare/versions?a=a1b2c3d&b=a1b2c3d')).json as Json).error).toBe('Choose two different prompt versions.');
    for (const missing of ['/compare/replays/00000000-0000-4000-8000-000000000000', '/compare/replays/not-a-uuid', '/compare/versions?a=nope111&b=nope222']) {
      expect((await get(missing)).status).toBe(404);
    }
  });

  it('compares two prompt versions over every turn recorded under each, and lists the replays from A to B', async () => {
    const v = await ok<{ metrics: Json[]; sessionsA: number; sessionsB: number; rows: Json[]; total: number }>('/compare/versions?a=a1b2c3d&b=c0ffee1');
    expect([v.sessionsA, v.sessionsB, v.total]).toEqual([30, 1, 1]);
    expect(v.rows[0]?.id).toBe(replay.id);
    const b = Object.fromEntries(v.metrics.map((x) => [String(x.metric), x]));
    expect(b.professionalism_score).toMatchObject({ bTurns: 3 });
    // Version A: the 30 a1b2c3d sessions' turns; only the replayed session's have metrics.
    expect(b.has_policy_citation).toMatchObject({ aTurns: 3, a: 2 / 3 });
    expect((await ok<{ total: number }>('/compare/versions?a=c0ffee1&b=a1b2c3d')).total).toBe(0);
  });

  it('lists best practices through the reads /api/best-practices uses: model, category and minimum effectiveness, sources, per-model figures', async () => {
    expect(await ok('/practices')).toMatchObject({ total: 0, rows: [], stats: [], facets: { models: [], categories: [] } });
    await seedBestPractices(h.t.db);
    type Practices = { total: number; rows: Array<Json & { sources: Array<{ sessionId: string | null; contributionScore: number }> }>; facets: { models: string[]; categories: string[] }; stats: Json[] };
    const stored = await h.t.db.selectFrom('best_practices').select(['id', 'model', 'category', 'effectiveness_score']).where('status', '=', 'active').execute();
    expect(stored.length).toBeGreaterThan(3);
    const all = await ok<Practices>('/practices?pageSize=100');
    expect(all.total).toBe(stored.length);
    expect(all.facets.models).toEqual(['claude-haiku-5-5', 'claude-sonnet-5-5']);
    expect(all.facets.categories).toEqual([...new Set(stored.map((p) => p.category))].sort());
    const scores = all.rows.map((r) => Number(r.effectivenessScore));
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const haiku = await ok<Practices>('/practices?pageSize=100&model=claude-haiku-5-5');
    expect(haiku.total).toBe(stored.filter((p) => p.model === 'claude-haiku-5-5').length);
    expect(haiku.rows.every((r) => r.model === 'claude-haiku-5-5')).toBe(true);
    const category = stored[0]?.category ?? '';
    const both = await ok<Practices>(`/practices?pageSize=100&model=claude-sonnet-5-5&category=${category}`);
    expect(both.total).toBe(stored.filter((p) => p.model === 'claude-sonnet-5-5' && p.category === category).length);
    const sorted = stored.map((p) => Number(p.effectiveness_score)).sort((x, y) => x - y);
    const threshold = sorted[Math.floor(sorted.length / 2)] ?? 0;
    expect((await ok<Practices>(`/practices?pageSize=100&minEffectiveness=${String(threshold)}`)).total).toBe(sorted.filter((v) => v >= threshold).length);
    // Each practice's sources are its practice_source_sessions rows, largest contribution first; an admin sees every id.
    for (const row of all.rows) {
      const src = await h.t.db.selectFrom('practice_source_sessions').select(['session_id', 'contribution_score']).where('best_practice_id', '=', String(row.id))
        .orderBy('contribution_score', 'desc').orderBy('session_id').execute();
      expect(row.sources).toEqual(src.map((x) => ({ sessionId: x.session_id, contributionScore: Number(x.contribution_score) })));
    }
    expect(all.rows.some((r) => r.sources.length > 0)).toBe(true);
    const stats = await h.t.db.selectFrom('model_performance_stats').select(['model', 'total_practices']).orderBy('model').execute();
    expect(all.stats.map((x) => [x.model, x.totalPractices])).toEqual(stats.map((x) => [x.model, x.total_practices]));
    expect((await ok<Practices>('/practices?pageSize=25')).rows).toHaveLength(Math.min(25, stored.length));
    for (const [bad, message] of [
      ['minEffectiveness=101', 'minEffectiveness: minEffectiveness is a number from 0 to 100'],
      ['minEffectiveness=abc', 'minEffectiveness: minEffectiveness is a number from 0 to 100'],
      ['pageSize=20', 'pageSize: pageSize is 25, 50 or 100'],
      ['status=gone', 'status: status is active, archived or all'],
      [`model=${'m'.repeat(101)}`, 'model: model is 1-100 characters'],
    ] as const) {
      const r = await get(`/practices?${bad}`);
      expect([bad, r.status, r.json]).toEqual([bad, 400, { error: message }]);
    }
    expect((await get('/practices?colour=red')).status).toBe(400);
  });

  it('answers unknown API paths with 404 and a non-JSON body with a plain refusal', async () => {
    expect((await get('/nothing-here')).status).toBe(404);
    const r = await request(`${base}/api/dashboard/training/estimate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: undefined });
    expect(r.status).toBe(400);
  });
});
