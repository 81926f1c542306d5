/**
 * The prompt-capture log (nlu_prompt_logs) on each database kind: its schema, predictions, outcomes,
 * corrections, the never-failing capture service, and its migration going down and up.
 */
import { sql } from 'kysely';
import { appliedMigrations, migrateDown, migrateToLatest } from '../db';
import {
  correctIntent,
  createPromptCapture,
  findPredictionForTurn,
  type IntentPrediction,
  InvalidIntentError,
  logPrediction,
  PredictionNotFoundError,
  recordOutcome,
} from '../src/intent';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { capturingLogger } from './helpers/capturing-logger';


const RULE: IntentPrediction = { intent: 'leave', confidence: 0.9, source: 'rule', ruleName: 'leave.pto' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDbKinds)('prompt capture log on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function sessionWithTurns(tester: string, turns = 1) {
    const session = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: tester }).returning('id').executeTakeFirstOrThrow();
    const ids: string[] = [];
    for (let n = 1; n <= turns; n += 1) {
      const turn = await t.db
        .insertInto('tuning_conversation_turns')
        .values({ session_id: session.id, turn_number: n, user_message: `q${n}`, era_response: `a${n}` })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(turn.id);
    }
    return { sessionId: session.id, turnIds: ids };
  }

  async function predicted(tester: string, prediction: IntentPrediction = RULE) {
    const { sessionId, turnIds } = await sessionWithTurns(tester);
    const turnId = turnIds[0]!;
    const row = await logPrediction(t.db, { testerId: tester, sessionId, turnId, messageIndex: 1, prompt: 'Can she use PTO?', prediction });
    return { sessionId, turnId, row };
  }

  test('has the named indexes (partial ones included), constraints, trigger and comments', async () => {
    const rows = await sql<{ indexname: string; indexdef: string }>`
      select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename in ('llm_calls', 'nlu_prompt_logs')`.execute(t.db);
    const defs = new Map(rows.rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.get('idx_llm_calls_created')).toMatch(/\(created_at DESC\)/);
    expect(defs.get('idx_llm_calls_purpose_created')).toMatch(/\(purpose, created_at\)/);
    for (const name of ['idx_llm_calls_session', 'idx_llm_calls_turn', 'idx_llm_calls_model', 'idx_nlu_prompt_logs_created', 'idx_nlu_prompt_logs_confidence']) {
      expect(defs.get(name)).toBeDefined();
    }
    expect(defs.get('idx_nlu_prompt_logs_user_created')).toMatch(/\(user_id, created_at DESC\)/);
    expect(defs.get('idx_nlu_prompt_logs_corrected')).toMatch(/WHERE \(corrected_intent IS NOT NULL\)/);
    expect(defs.get('uq_nlu_prompt_logs_turn')).toMatch(/UNIQUE INDEX .* WHERE \(turn_id IS NOT NULL\)/);

    const comment = await sql<{ c: string }>`select obj_description('nlu_prompt_logs'::regclass, 'pg_class') as c`.execute(t.db);
    expect(comment.rows[0]?.c).toMatch(/^Prompt capture/);
    const callsComment = await sql<{ c: string }>`select obj_description('llm_calls'::regclass, 'pg_class') as c`.execute(t.db);
    expect(callsComment.rows[0]?.c).toMatch(/One row per model call/);

    await expect(sql`insert into nlu_prompt_logs (user_id, prompt, predicted_intent, confidence, source) values ('u', 'p', 'pay', 1.2, 'rule')`.execute(t.db)).rejects.toThrow(
      /chk_nlu_prompt_logs_confidence/,
    );
    await expect(sql`insert into nlu_prompt_logs (user_id, prompt, predicted_intent, confidence, source) values ('u', 'p', 'pay', 0.5, 'guess')`.execute(t.db)).rejects.toThrow(
      /chk_nlu_prompt_logs_source/,
    );
    await expect(
      sql`insert into nlu_prompt_logs (user_id, prompt, predicted_intent, confidence, source, corrected_intent) values ('u', 'p', 'pay', 0.5, 'rule', 'leave')`.execute(t.db),
    ).rejects.toThrow(/chk_nlu_prompt_logs_correction_complete/);
  });

  test('stores a prediction with its ids; a second one for the turn keeps the first', async () => {
    const { sessionId, turnId, row } = await predicted('aad-log');
    expect(row).toMatchObject({
      user_id: 'aad-log',
      conversation_id: sessionId,
      turn_id: turnId,
      message_index: 1,
      prompt: 'Can she use PTO?',
      predicted_intent: 'leave',
      confidence: 0.9,
      source: 'rule',
      rule_name: 'leave.pto',
      was_successful: null,
      corrected_intent: null,
      metadata: {},
    });
    const again = await logPrediction(t.db, {
      testerId: 'aad-log',
      sessionId,
      turnId,
      messageIndex: 1,
      prompt: 'Can she use PTO?',
      prediction: { intent: 'other', confidence: 0.3, source: 'fallback' },
    });
    expect(again.id).toBe(row.id);
    expect(again.predicted_intent).toBe('leave');
    const count = await t.db.selectFrom('nlu_prompt_logs').select((eb) => eb.fn.countAll<string>().as('n')).where('turn_id', '=', turnId).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    expect((await findPredictionForTurn(t.db, turnId))?.id).toBe(row.id);
    expect(await findPredictionForTurn(t.db, '00000000-0000-4000-8000-000000000000')).toBeNull();
    expect(await findPredictionForTurn(t.db, 'not-a-uuid')).toBeNull();
  });

  test('a failed workflow is stored without a turn, as unsuccessful with its error', async () => {
    const { sessionId } = await sessionWithTurns('aad-failed', 0);
    const input = { testerId: 'aad-failed', sessionId, turnId: null, messageIndex: null, prompt: 'q', prediction: RULE, executionError: 'overloaded', workflowType: 'era:claude' };
    const a = await logPrediction(t.db, input);
    const b = await logPrediction(t.db, input);
    // Rows without a turn are not deduplicated: each failed attempt is its own message.
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({ turn_id: null, was_successful: false, execution_error: 'overloaded', workflow_type: 'era:claude' });
  });

  test('records the outcome; the latest signal wins and updated_at moves', async () => {
    const { turnId, row } = await predicted('aad-outcome');
    await sleep(15);
    expect(await recordOutcome(t.db, turnId, true, 'era:claude')).toBe(true);
    const liked = await findPredictionForTurn(t.db, turnId);
    expect(liked).toMatchObject({ was_successful: true, workflow_type: 'era:claude' });
    expect(liked!.updated_at.getTime()).toBeGreaterThan(row.updated_at.getTime());

    expect(await recordOutcome(t.db, turnId, false)).toBe(true);
    // No workflow type given: the stored one stays.
    expect(await findPredictionForTurn(t.db, turnId)).toMatchObject({ was_successful: false, workflow_type: 'era:claude' });

    expect(await recordOutcome(t.db, '00000000-0000-4000-8000-000000000000', true)).toBe(false);
    expect(await recordOutcome(t.db, 'garbage', true)).toBe(false);
  });

  test('stores a correction with who and when; validates the topic and the owner', async () => {
    const { turnId } = await predicted('aad-correct');
    const before = Date.now();
    const corrected = await correctIntent(t.db, { turnId, correctedIntent: 'Accommodation', correctedBy: 'lead@northwind.example', notes: '  about pregnancy  ' });
    expect(corrected).toMatchObject({ corrected_intent: 'accommodation', corrected_by: 'lead@northwind.example', notes: 'about pregnancy', predicted_intent: 'leave' });
    expect(corrected.corrected_at!.getTime()).toBeGreaterThanOrEqual(before - 60_000);

    // The tester may correct their own; a later correction replaces the earlier one.
    const own = await correctIntent(t.db, { turnId, correctedIntent: 'leave', correctedBy: 'aad-correct', onlyForTester: 'aad-correct' });
    expect(own).toMatchObject({ corrected_intent: 'leave', corrected_by: 'aad-correct', notes: null });

    await expect(correctIntent(t.db, { turnId, correctedIntent: 'payroll', correctedBy: 'x' })).rejects.toThrow(InvalidIntentError);
    await expect(correctIntent(t.db, { turnId, correctedIntent: 'pay', correctedBy: 'aad-other', onlyForTester: 'aad-other' })).rejects.toThrow(PredictionNotFoundError);
    await expect(correctIntent(t.db, { turnId: '00000000-0000-4000-8000-000000000000', correctedIntent: 'pay', correctedBy: 'x' })).rejects.toThrow(PredictionNotFoundError);
    await expect(correctIntent(t.db, { turnId: 'nope', correctedIntent: 'pay', correctedBy: 'x' })).rejects.toThrow(PredictionNotFoundError);
    expect(await findPredictionForTurn(t.db, turnId)).toMatchObject({ corrected_intent: 'leave' });
  });

  test('goes with its session: deleting the session deletes its predictions', async () => {
    const { sessionId, turnId } = await predicted('aad-cascade');
    await t.db.deleteFrom('prompt_tuning_sessions').where('id', '=', sessionId).execute();
    expect(await findPredictionForTurn(t.db, turnId)).toBeNull();
  });

  test('the capture service: topics, fallback without a classifier, the topic a card shows, corrections', async () => {
    const { logger } = capturingLogger();
    const capture = createPromptCapture({ db: t.db, logger });
    expect(capture.topics).toHaveLength(11);
    expect(capture.topics[0]).toEqual({ id: 'attendance', label: 'Attendance' });
    expect(await capture.classify('anything at all', { sessionId: null, testerId: 'aad-svc' })).toEqual({ intent: 'other', confidence: 0.3, source: 'fallback' });

    const { sessionId, turnIds } = await sessionWithTurns('aad-svc', 2);
    await capture.logPrediction({ testerId: 'aad-svc', sessionId, turnId: turnIds[0]!, messageIndex: 1, prompt: 'q', prediction: RULE });
    expect(await capture.topicOf(turnIds[0]!)).toEqual({ id: 'leave', label: 'Leave & time off', confidence: 0.9, source: 'rule', corrected: false });
    expect(await capture.topicOf(turnIds[1]!)).toBeNull();

    await capture.recordOutcome(turnIds[0]!, false, 'era:claude');
    expect(await findPredictionForTurn(t.db, turnIds[0]!)).toMatchObject({ was_successful: false, workflow_type: 'era:claude' });

    await capture.correct(turnIds[0]!, 'pay', 'aad-svc', { onlyForTester: 'aad-svc', notes: 'about final pay' });
    expect(await capture.topicOf(turnIds[0]!)).toEqual({ id: 'pay', label: 'Pay & hours', confidence: 0.9, source: 'rule', corrected: true });
    // Correction errors reach the tester: they are the tester's own action.
    await expect(capture.correct(turnIds[0]!, 'nonsense', 'aad-svc')).rejects.toThrow(InvalidIntentError);
    await expect(capture.correct(turnIds[0]!, 'pay', 'aad-intruder', { onlyForTester: 'aad-intruder' })).rejects.toThrow(PredictionNotFoundError);
  });

  test('logPrediction rejects a prediction that is not a topic, a source and a confidence in 0..1', async () => {
    const base = { testerId: 'aad-bad', sessionId: null, turnId: null, messageIndex: null, prompt: 'q' };
    await expect(logPrediction(t.db, { ...base, prediction: { intent: 'payroll', confidence: 0.9, source: 'rule' } })).rejects.toThrow(TypeError);
    await expect(logPrediction(t.db, { ...base, prediction: { intent: 'pay', confidence: 0.9, source: 'oracle' } })).rejects.toThrow(TypeError);
    await expect(logPrediction(t.db, { ...base, prediction: { intent: 'pay', confidence: Number.NaN, source: 'rule' } })).rejects.toThrow(TypeError);
  });

  test('the capture service never fails the turn: a broken table is logged and the turn carries on', async () => {
    const { logger, lines } = capturingLogger();
    const capture = createPromptCapture({ db: t.db, logger });
    const { sessionId, turnIds } = await sessionWithTurns('aad-capture', 2);
    const input = { testerId: 'aad-capture', sessionId, turnId: turnIds[0]!, messageIndex: 1, prompt: 'q', prediction: RULE };

    await capture.logPrediction(input);
    await capture.recordOutcome(turnIds[0]!, true);
    expect(await findPredictionForTurn(t.db, turnIds[0]!)).toMatchObject({ was_successful: true });

    await sql`alter table nlu_prompt_logs rename to nlu_prompt_logs_broken`.execute(t.db);
    try {
      await expect(capture.logPrediction({ ...input, turnId: turnIds[1]!, messageIndex: 2 })).resolves.toBeUndefined();
      await expect(capture.recordOutcome(turnIds[0]!, false)).resolves.toBeUndefined();
      await expect(capture.topicOf(turnIds[0]!)).resolves.toBeNull();
      // An invalid prediction through the service is logged too, never thrown.
      await expect(capture.logPrediction({ ...input, prediction: { intent: 'nope', confidence: 2, source: 'rule' } })).resolves.toBeUndefined();
    } finally {
      await sql`alter table nlu_prompt_logs_broken rename to nlu_prompt_logs`.execute(t.db);
    }
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatchObject({ turnId: turnIds[1], sessionId, testerId: 'aad-capture', component: 'prompt-capture' });
    expect(errors[1]).toMatchObject({ turnId: turnIds[0], wasSuccessful: false });
    expect(errors[2]).toMatchObject({ turnId: turnIds[0] });
    // Nothing was written while broken: the second turn has no prediction, the first keeps its outcome.
    expect(await findPredictionForTurn(t.db, turnIds[1]!)).toBeNull();
    expect(await findPredictionForTurn(t.db, turnIds[0]!)).toMatchObject({ was_successful: true });
  });
});

describe.each(testDbKinds)('llm_calls and nlu_prompt_logs migration on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  test('goes down with the others and comes back up', async () => {
    const applied = await appliedMigrations(t.db);
    expect(applied).toContain('20261124090100_llm_calls_and_prompt_capture');
    const tables = async () =>
      (
        await sql<{ table_name: string }>`select table_name from information_schema.tables
          where table_schema = current_schema() and table_name in ('llm_calls', 'nlu_prompt_logs') order by table_name`.execute(t.db)
      ).rows.map((r) => r.table_name);
    expect(await tables()).toEqual(['llm_calls', 'nlu_prompt_logs']);
    await migrateDown(t.db, 'all');
    expect(await tables()).toEqual([]);
    await migrateToLatest(t.db);
    expect(await tables()).toEqual(['llm_calls', 'nlu_prompt_logs']);
  });

  test("the topic model's source: stored as model, and back to fallback when its migration goes down", async () => {
    const session = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'aad-model' }).returning('id').executeTakeFirstOrThrow();
    const row = await logPrediction(t.db, {
      testerId: 'aad-model',
      sessionId: session.id,
      turnId: null,
      messageIndex: null,
      prompt: "My trainer's dad passed away; how many of the days off are paid?",
      prediction: { intent: 'leave', confidence: 0.5, source: 'model' },
    });
    expect(row).toMatchObject({ source: 'model', predicted_intent: 'leave', confidence: 0.5 });
    expect(await migrateDown(t.db, 1)).toEqual(['Down 20261205090000_intent_source_model']);
    const down = await t.db.selectFrom('nlu_prompt_logs').select('source').where('id', '=', row.id).executeTakeFirstOrThrow();
    expect(down.source).toBe('fallback');
    await expect(sql`insert into nlu_prompt_logs (user_id, prompt, predicted_intent, confidence, source) values ('u', 'p', 'pay', 0.5, 'model')`.execute(t.db)).rejects.toThrow(/chk_nlu_prompt_logs_source/);
    await migrateToLatest(t.db);
    await sql`insert into nlu_prompt_logs (user_id, prompt, predicted_intent, confidence, source) values ('u', 'p', 'pay', 0.5, 'model')`.execute(t.db);
  });
});
