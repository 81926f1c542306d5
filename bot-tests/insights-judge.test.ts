/**
 * The LLM judge through the real SDK against the loopback fake: scores stored on the turn and in
 * turn_judgements, the call logged as 'judging' with its request and output, offline leaving NULLs,
 * unusable answers and API failures stored as failed judgings (never as scores), the rubric's version,
 * and the background queue (bounded, never throwing into the caller, drained and stopped).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { createJudge, createJudgeQueue, JUDGE_OUTPUT_SCHEMA, loadRubric, readJudgeAnswer, RubricFileError } from '../src/insights';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { fakeClient, recordingCallLog, seedSession } from './helpers/insights-fixtures';

const RUBRIC = path.resolve(__dirname, '../examples/era/JUDGE_RUBRIC.md');
const MODEL = 'claude-haiku-5-5';
const WARM = "That sounds stressful.\n\n1. Document the absence [1].\n2. Contact ER before deciding; ask about any medical or family circumstances.";
const COLD = 'Per policy the employee may be terminated. You may wish to consider documenting it.';

describe('the judge\'s rubric and schema', () => {
  it('reads the shipped rubric\'s version from its front matter', async () => {
    const rubric = await loadRubric(RUBRIC);
    expect(rubric.version).toBe('era-judge-2026-12-02');
    expect(rubric.text).toMatch(/^# How to judge ERA's replies/);
  });

  it('refuses a rubric without front matter, without a version, or missing, naming the file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rubric-'));
    try {
      const none = path.join(dir, 'none.md');
      writeFileSync(none, '# Rubric\nScore it.');
      await expect(loadRubric(none)).rejects.toThrow(/no front matter/);
      const noVersion = path.join(dir, 'noversion.md');
      writeFileSync(noVersion, '---\nauthor: me\n---\n# Rubric');
      await expect(loadRubric(noVersion)).rejects.toThrow(/no rubric_version/);
      const missing = loadRubric(path.join(dir, 'gone.md'));
      await expect(missing).rejects.toBeInstanceOf(RubricFileError);
      await expect(missing).rejects.toThrow(/gone\.md.*does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for structured output in the strict subset: the SDK\'s own transform changes nothing', () => {
    expect(transformJSONSchema(JUDGE_OUTPUT_SCHEMA)).toEqual(JUDGE_OUTPUT_SCHEMA);
  });

  it('reads only complete answers with integer scores 1-5', () => {
    const dim = (score: unknown) => ({ score, rationale: 'r' });
    expect(readJudgeAnswer(JSON.stringify({ professionalism: dim(5), empathy: dim(1), clarity: dim(3) }))).toMatchObject({ ok: true, scores: { professionalism: 5, empathy: 1, clarity: 3 } });
    expect(readJudgeAnswer(JSON.stringify({ professionalism: dim(6), empathy: dim(1), clarity: dim(3) }))).toMatchObject({ ok: false, error: expect.stringMatching(/professionalism\.score/) });
    expect(readJudgeAnswer(JSON.stringify({ professionalism: dim(2.5), empathy: dim(1), clarity: dim(3) })).ok).toBe(false);
    expect(readJudgeAnswer(JSON.stringify({ professionalism: dim(2), empathy: dim(1) })).ok).toBe(false);
    expect(readJudgeAnswer('{"professionalism":', 'max_tokens')).toEqual({ ok: false, error: expect.stringMatching(/not JSON \(cut off at max_tokens\)/) });
  });
});

describe.each(testDbKinds)('the judge (%s)', (kind) => {
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
  beforeEach(() => { fake.reset(); });

  const judgeWith = (online = true) => {
    const { logger, lines } = capturingLogger();
    const calls = recordingCallLog(t.db, logger);
    const judge = createJudge({ db: t.db, client: online ? fakeClient(fake.baseURL) : null, model: MODEL, rubricPath: RUBRIC, callLog: calls, logger });
    return { judge, calls, lines };
  };
  const turnRow = (id: string) => t.db.selectFrom('tuning_conversation_turns').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('scores a turn, stores the scores on it and in turn_judgements, and logs the call as judging with its io', async () => {
    const { turns } = await seedSession(t.db, 'aad-judge-1', [
      { user: 'She no-showed twice.', answer: 'Document it.' },
      { user: 'Can I fire her?', answer: WARM, passages: ['c-attendance-1'] },
    ]);
    const { judge, calls } = judgeWith();
    const outcome = await judge.judgeTurn(turns[1]!.id);
    expect(outcome).toEqual({ status: 'judged', scores: { professionalism: 5, empathy: 5, clarity: 5 }, rubricVersion: 'era-judge-2026-12-02' });
    const turn = await turnRow(turns[1]!.id);
    expect([turn.professionalism_score, turn.empathy_score, turn.clarity_score]).toEqual([5, 5, 5]);
    const judgement = await t.db.selectFrom('turn_judgements').selectAll().where('turn_id', '=', turn.id).executeTakeFirstOrThrow();
    expect(judgement).toMatchObject({ status: 'ok', rubric_version: 'era-judge-2026-12-02', judge_model: MODEL, request_id: expect.stringMatching(/^req_fake_/) });
    expect(judgement.rationale.empathy).toMatch(/empathy 5/);

    // What the judge was shown: the rubric as a cached system prompt, the earlier exchange, the passage, the reply.
    const body = fake.messageRequests()[0]!.body as { system: Array<{ text: string; cache_control?: unknown }>; messages: Array<{ content: string }>; model: string };
    expect(body.model).toBe(MODEL);
    expect(body.system[0]).toMatchObject({ cache_control: { type: 'ephemeral' } });
    expect(body.system[0]!.text).toMatch(/## Empathy \(1-5\)/);
    expect(body.messages[0]!.content).toContain('Manager (1): She no-showed twice.');
    expect(body.messages[0]!.content).toContain('[1] Policy c-attendance-1');
    expect(body.messages[0]!.content).toContain(`<era_reply>\n${WARM}\n</era_reply>`);

    expect(calls.entries).toHaveLength(1);
    const entry = calls.entries[0]!;
    expect(entry).toMatchObject({ purpose: 'judging', status: 'ok', turnId: turn.id, sessionId: turn.session_id, promptVersion: 'era-judge-2026-12-02' });
    expect(entry.io?.request.outputSchema).toEqual(JUDGE_OUTPUT_SCHEMA);
    expect(entry.io?.output?.structured).toMatchObject({ empathy: { score: 5 } });
    const logged = await t.db.selectFrom('llm_calls').selectAll().where('turn_id', '=', turn.id).execute();
    expect(logged.map((c) => c.purpose)).toEqual(['judging']);
  });

  it('judging again under the same rubric and model replaces the row, not adds one', async () => {
    const { turns } = await seedSession(t.db, 'aad-judge-2', [{ user: 'Can I fire her?', answer: COLD }]);
    const { judge } = judgeWith();
    await judge.judgeTurn(turns[0]!.id);
    fake.judge(() => ({ professionalism: 2, empathy: 2, clarity: 2 }));
    await judge.judgeTurn(turns[0]!.id);
    const rows = await t.db.selectFrom('turn_judgements').select(['professionalism_score']).where('turn_id', '=', turns[0]!.id).execute();
    expect(rows).toEqual([{ professionalism_score: 2 }]);
    expect((await turnRow(turns[0]!.id)).clarity_score).toBe(2);
  });

  it('offline: no call, no row, the scores stay NULL', async () => {
    const { turns } = await seedSession(t.db, 'aad-judge-3', [{ user: 'q', answer: WARM }]);
    const { judge, calls } = judgeWith(false);
    expect(judge.mode).toBe('offline');
    expect(await judge.judgeTurn(turns[0]!.id)).toEqual({ status: 'offline' });
    expect(fake.requests).toHaveLength(0);
    expect(calls.entries).toHaveLength(0);
    expect((await turnRow(turns[0]!.id)).empathy_score).toBeNull();
    expect(await t.db.selectFrom('turn_judgements').select('id').where('turn_id', '=', turns[0]!.id).execute()).toEqual([]);
  });

  it('an unusable answer is a failed judging: logged, stored as an error, the earlier scores kept', async () => {
    const { turns } = await seedSession(t.db, 'aad-judge-4', [{ user: 'q', answer: WARM }]);
    const { judge, calls } = judgeWith();
    await judge.judgeTurn(turns[0]!.id);
    // A later rubric version is judged badly: the turn keeps its scores from the earlier one.
    await t.db.updateTable('turn_judgements').set({ rubric_version: 'older' }).where('turn_id', '=', turns[0]!.id).execute();
    fake.enqueue({ text: '{"professionalism": {"score": 9, "rationale": "x"}, "empathy": {"score": 1, "rationale": "x"}, "clarity": {"score": 1, "rationale": "x"}}' });
    const outcome = await judge.judgeTurn(turns[0]!.id);
    expect(outcome).toEqual({ status: 'failed', error: expect.stringMatching(/^invalid_output: professionalism\.score/) });
    const rows = await t.db.selectFrom('turn_judgements').select(['rubric_version', 'status', 'error']).where('turn_id', '=', turns[0]!.id).orderBy('rubric_version').execute();
    expect(rows).toEqual([
      { rubric_version: 'era-judge-2026-12-02', status: 'error', error: expect.stringMatching(/invalid_output/) },
      { rubric_version: 'older', status: 'ok', error: null },
    ]);
    expect((await turnRow(turns[0]!.id)).empathy_score).toBe(5);
    expect(calls.entries.at(-1)).toMatchObject({ purpose: 'judging', status: 'ok', metadata: { valid: false } });
  });

  it('an API failure is stored as a failed judging with the request id; it never rejects', async () => {
    const { turns } = await seedSession(t.db, 'aad-judge-5', [{ user: 'q', answer: WARM }]);
    const { judge, calls } = judgeWith();
    fake.enqueue({ status: 500 });
    const outcome = await judge.judgeTurn(turns[0]!.id);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringMatching(/500/) });
    const row = await t.db.selectFrom('turn_judgements').selectAll().where('turn_id', '=', turns[0]!.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'error', request_id: expect.stringMatching(/^req_fake_/), professionalism_score: null });
    expect(calls.entries[0]).toMatchObject({ purpose: 'judging', status: 'error', io: { output: null } });
    // A later success under the same key replaces the error.
    expect((await judge.judgeTurn(turns[0]!.id)).status).toBe('judged');
    expect((await t.db.selectFrom('turn_judgements').select('status').where('turn_id', '=', turns[0]!.id).execute())).toEqual([{ status: 'ok' }]);
  });

  it('a missing turn rejects with a not-found error', async () => {
    const { judge } = judgeWith();
    await expect(judge.judgeTurn('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/turn not found/);
  });

  describe('the queue', () => {
    it('runs at most `concurrency` calls at once, judges every queued turn once, and drains', async () => {
      const { turns } = await seedSession(t.db, 'aad-queue-1', Array.from({ length: 6 }, (_, i) => ({ user: `q${i}`, answer: WARM })));
      const { judge } = judgeWith();
      const { logger } = capturingLogger();
      let active = 0;
      let peak = 0;
      const counting = { ...judge, judgeTurn: async (id: string, o?: { signal?: AbortSignal }) => {
        active += 1;
        peak = Math.max(peak, active);
        try {
          return await judge.judgeTurn(id, o);
        } finally {
          active -= 1;
        }
      } };
      const queue = createJudgeQueue({ judge: counting, logger, concurrency: 2 });
      for (const turn of turns) queue.enqueue({ turnId: turn.id });
      queue.enqueue({ turnId: turns[0]!.id }); // already queued: ignored
      await queue.drain();
      expect(peak).toBe(2);
      expect(fake.messageRequests()).toHaveLength(6);
      const scored = await t.db.selectFrom('tuning_conversation_turns').select('id').where('session_id', '=', turns[0]!.session_id).where('clarity_score', 'is not', null).execute();
      expect(scored).toHaveLength(6);
    });

    it('logs a crash with the turn\'s ids and never throws into the caller', async () => {
      const { judge } = judgeWith();
      const { logger, lines } = capturingLogger();
      const queue = createJudgeQueue({ judge, logger, concurrency: 1 });
      expect(() => { queue.enqueue({ turnId: '00000000-0000-4000-8000-000000000001', sessionId: 's-1', activityId: 'act-9' }); }).not.toThrow();
      await queue.drain();
      const crash = lines.find((l) => l.msg.startsWith('judging crashed'));
      expect(crash).toMatchObject({ turnId: '00000000-0000-4000-8000-000000000001', sessionId: 's-1', activityId: 'act-9' });
    });

    it('offline: enqueue does nothing', async () => {
      const { judge } = judgeWith(false);
      const { logger } = capturingLogger();
      const queue = createJudgeQueue({ judge, logger, concurrency: 1 });
      queue.enqueue({ turnId: '00000000-0000-4000-8000-000000000002' });
      expect(queue.size()).toBe(0);
    });

    it('stop: takes no more work, drops what had not started, aborts a call past the deadline', async () => {
      const { turns } = await seedSession(t.db, 'aad-queue-2', [{ user: 'a', answer: WARM }, { user: 'b', answer: WARM }, { user: 'c', answer: WARM }]);
      const { judge } = judgeWith();
      const { logger, lines } = capturingLogger();
      const queue = createJudgeQueue({ judge, logger, concurrency: 1 });
      fake.enqueue({ delayMs: 5000 });
      for (const turn of turns) queue.enqueue({ turnId: turn.id });
      await new Promise((r) => setTimeout(r, 100));
      await queue.stop(50);
      expect(queue.size()).toBe(0);
      queue.enqueue({ turnId: turns[0]!.id });
      expect(queue.size()).toBe(0);
      expect(lines.some((l) => l.msg.startsWith('judge queue stopping') && l.dropped === 2)).toBe(true);
      expect(lines.some((l) => l.msg.startsWith('judging stopped at shutdown'))).toBe(true);
      const scored = await t.db.selectFrom('turn_judgements').select('id').where('turn_id', 'in', turns.map((x) => x.id)).execute();
      expect(scored).toEqual([]);
    });

    it('enqueueUnjudged picks up turns without a successful judging under the current rubric and model', async () => {
      const since = new Date();
      const { turns } = await seedSession(t.db, 'aad-queue-3', [{ user: 'a', answer: WARM }, { user: 'b', answer: WARM }]);
      const { judge } = judgeWith();
      await judge.judgeTurn(turns[0]!.id);
      const { logger } = capturingLogger();
      const queue = createJudgeQueue({ judge, logger, concurrency: 1 });
      const queued = await queue.enqueueUnjudged(t.db, since);
      expect(queued).toBe(1);
      await queue.drain();
      expect((await turnRow(turns[1]!.id)).clarity_score).not.toBeNull();
    });
  });
});
