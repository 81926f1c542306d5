/**
 * Grounded answers (issue 3): retrieval from the sample knowledge base, numbered passages to Claude,
 * citations and the AI label on the reply, sources and topic on the card, the turn's RAG columns,
 * the canned no-match answer, offline extractive answers, the call log and prompt capture.
 */
import { sql } from 'kysely';
import { NO_MATCH_TEMPLATE, NO_MATCH_TEXT } from '../src/tuning';
import { retrainingExport } from '../src/intent';
import { answerRequests, actionData, ALEX, cardOf, cardTexts, createHarness, executeValue, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

type AiEntity = { type: string; additionalType: string[]; citation?: Array<{ position: number; appearance: { name: string; abstract: string } }> };
const aiEntity = (a: { entities?: unknown[] }) => (a.entities ?? []).find((e) => (e as AiEntity).type === 'https://schema.org/Message') as AiEntity | undefined;
const lastReply = (sent: Array<{ attachments?: unknown[] }>) => sent.filter((a) => cardOf(a as never)).at(-1) as (typeof sent)[number] & { text?: string; entities?: unknown[] };

describe.each(testDbKinds)('grounded answers on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true, knowledge: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers a no-call/no-show question from the attendance policy, cited, with sources and topic', async () => {
    h.fake!.reply(() => 'Treat it as a no-call/no-show and document your attempts to reach her [1]. A first occurrence means a final written warning [1, 2].');
    const sent = await h.say("One of my trainers didn't show up for her shift this morning and never called. What do I do?");
    const reply = lastReply(sent);
    expect(reply.text).toBe('Treat it as a no-call/no-show and document your attempts to reach her [1]. A first occurrence means a final written warning [1][2].');

    // Claude got the numbered passages, the attendance policy first.
    const body = answerRequests(h).at(-1)!.body as { messages: Array<{ role: string; content: Array<{ text: string }> | string }> };
    const last = body.messages.at(-1)!.content as Array<{ text: string }>;
    expect(last[0]!.text).toMatch(/^Policy passages for this question/);
    expect(last[0]!.text).toMatch(/\[1\] Attendance and No-Call\/No-Show Policy/);
    expect(last[1]!.text).toMatch(/never called/);

    const entity = aiEntity(reply)!;
    expect(entity.additionalType).toEqual(['AIGeneratedContent']);
    expect(entity.citation!.map((c) => c.position)).toEqual([1, 2]);
    expect(entity.citation![0]!.appearance.name).toBe('Attendance and No-Call/No-Show Policy');
    expect(entity.citation![0]!.appearance.abstract.length).toBeLessThanOrEqual(160);

    const texts = cardTexts(cardOf(reply as never));
    expect(texts).toContain('Sources');
    expect(texts.find((t) => t.startsWith('[1] Attendance and No-Call/No-Show Policy'))).toMatch(/similarity 0\.\d\d$/);
    expect(texts.find((t) => t.startsWith('Topic:'))).toMatch(/^Topic: \*\*Attendance/);

    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('timestamp', 'desc').executeTakeFirstOrThrow();
    const results = turn.search_results!.results;
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results[0]).toEqual({ chunk_id: expect.any(String), document_title: 'Attendance and No-Call/No-Show Policy', chunk_text: expect.any(String), similarity: expect.any(Number) });
    expect(turn.total_chunks).toBe(results.length);
    expect(turn.avg_similarity).toBeCloseTo(results.reduce((s, r) => s + r.similarity, 0) / results.length, 6);
    expect(turn.confidence_score).toBeGreaterThan(0.3);
    expect(turn.confidence_score).toBeLessThanOrEqual(1);
    expect(turn.template_used).toBeNull();
    expect(turn.metadata).toMatchObject({ cited: [1, 2] });

    const call = await h.t.db.selectFrom('llm_calls').selectAll().where('turn_id', '=', turn.id).executeTakeFirstOrThrow();
    expect(call).toMatchObject({ purpose: 'answer', status: 'ok', model: 'claude-sonnet-5-5', session_id: turn.session_id, tester_id: MEG.account.aadObjectId });
    expect(call.input_tokens).toBeGreaterThan(0);
    expect(Number(call.cost_usd)).toBeGreaterThan(0);

    const captured = await h.t.db.selectFrom('nlu_prompt_logs').selectAll().where('turn_id', '=', turn.id).executeTakeFirstOrThrow();
    expect(captured).toMatchObject({ predicted_intent: 'attendance', source: 'rule', user_id: MEG.account.aadObjectId, conversation_id: turn.session_id, message_index: turn.turn_number });
  });

  it('uses the canned answer, without Claude, when no passage matches', async () => {
    const before = h.fake!.messageRequests().length;
    const sent = await h.say('What is the airspeed velocity of an unladen swallow?');
    expect(lastReply(sent).text).toBe(NO_MATCH_TEXT);
    // No answer call: at most the small intent-classification call went to Claude.
    const calls = h.fake!.messageRequests().slice(before);
    expect(calls.filter((r) => (r.body as { model?: string }).model === 'claude-sonnet-5-5')).toHaveLength(0);
    expect(calls.every((r) => (r.body as { model?: string }).model === 'claude-haiku-5-5')).toBe(true);
    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('timestamp', 'desc').executeTakeFirstOrThrow();
    expect(turn).toMatchObject({ template_used: NO_MATCH_TEMPLATE, total_chunks: 0, avg_similarity: null, confidence_score: 0 });
    expect(cardTexts(cardOf(lastReply(sent) as never)).join('\n')).toMatch(/Canned answer \(no_policy_match\)/);
  });

  it('lets the tester correct the topic, and the correction reaches the retraining export', async () => {
    const sent = await h.say('Can I let an employee take vacation days she has not accrued yet?');
    const card = cardOf(lastReply(sent) as never);
    const turnId = String(actionData(card, 'tb.note.save').turnId);
    const bad = await h.invoke('adaptiveCard/action', executeValue('tb.topic.correct', { ...actionData(card, 'tb.topic.correct'), intent: 'astrology' }));
    expect(cardTexts((bad.response!.body as { value: unknown }).value).find((t) => t.startsWith('Not saved:'))).toBeDefined();
    const forged = await h.invoke('adaptiveCard/action', executeValue('tb.topic.correct', { turnId, intent: 'pay' }), { user: ALEX });
    expect((forged.response!.body as { value: string }).value).toMatch(/nothing was saved/);

    const ok = await h.invoke('adaptiveCard/action', executeValue('tb.topic.correct', { ...actionData(card, 'tb.topic.correct'), intent: 'leave' }));
    const texts = cardTexts((ok.response!.body as { value: unknown }).value);
    expect(texts.find((t) => t.startsWith('Topic:'))).toMatch(/^Topic: \*\*[^*]*(Leave|leave)[^*]*\*\* \(corrected by a tester\)$/);
    const row = await h.t.db.selectFrom('nlu_prompt_logs').selectAll().where('turn_id', '=', turnId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ corrected_intent: 'leave', corrected_by: MEG.account.aadObjectId });
    expect(row.corrected_at).toBeInstanceOf(Date);

    const exported = [];
    for await (const r of retrainingExport(h.t.db, { days: 30 })) exported.push(r);
    expect(exported).toContainEqual({ text: 'Can I let an employee take vacation days she has not accrued yet?', label: 'leave', confidence: 1, source: row.source, corrected: true });
  });

  it('records the outcome from Looks good and from an improvement note', async () => {
    const sent = await h.say('How many days notice does an employee need to give for a shift swap?');
    const card = cardOf(lastReply(sent) as never);
    const turnId = String(actionData(card, 'tb.note.save').turnId);
    await h.invoke('adaptiveCard/action', executeValue('tb.note.good', actionData(card, 'tb.note.good')));
    expect((await h.t.db.selectFrom('nlu_prompt_logs').select('was_successful').where('turn_id', '=', turnId).executeTakeFirstOrThrow()).was_successful).toBe(true);
    await h.invoke('adaptiveCard/action', executeValue('tb.note.save', { ...actionData(card, 'tb.note.save'), submissionId: 'outcome-2', category: 'content', note: 'Missing the 48-hour rule' }));
    expect((await h.t.db.selectFrom('nlu_prompt_logs').select('was_successful').where('turn_id', '=', turnId).executeTakeFirstOrThrow()).was_successful).toBe(false);
  });

  it('completes the turn when the call log cannot be written', async () => {
    await sql`ALTER TABLE llm_calls RENAME TO llm_calls_broken`.execute(h.t.db);
    try {
      h.fake!.reply(() => 'Report the injury within 24 hours [1].');
      const sent = await h.say('A member slipped on the wet floor by the pool and hurt her wrist. What do I do?');
      expect(lastReply(sent).text).toBe('Report the injury within 24 hours [1].');
      const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('timestamp', 'desc').executeTakeFirstOrThrow();
      expect(turn.era_response).toBe('Report the injury within 24 hours [1].');
      expect(h.logs.some((l) => (l.level as number) >= 50 && JSON.stringify(l).includes('llm_calls'))).toBe(true);
    } finally {
      await sql`ALTER TABLE llm_calls_broken RENAME TO llm_calls`.execute(h.t.db);
    }
  });
});

describe.each(testDbKinds)('offline grounded answers on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { knowledge: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers extractively from the top passages, cited and labelled offline', async () => {
    const sent = await h.say("My employee didn't show up and didn't call. What should I do?");
    const reply = lastReply(sent);
    expect(reply.text).toMatch(/^⚠️ Offline mode/);
    // The best section under its own heading, then its whole sentences, each cited.
    expect(reply.text).toMatch(/\n#### Attendance and No-Call\/No-Show Policy — 5\.\d [^\n]+\n\n[^\n]+\. \[1\]\n/);
    expect(aiEntity(reply)!.citation!.length).toBeGreaterThanOrEqual(1);
    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().executeTakeFirstOrThrow();
    expect(turn.metadata).toMatchObject({ offline: true });
    expect(turn.total_chunks).toBeGreaterThan(0);
    // Offline answers are not Claude calls: nothing in the call log.
    expect(await h.t.db.selectFrom('llm_calls').selectAll().execute()).toHaveLength(0);
  });
});
