/**
 * /generate from Teams: the confirmation card, Start, the job running in the background with its
 * progress card updated in place through the connector, the summary, /jobs and /job. Claude is the
 * loopback fake answering each generation request with a valid annotated conversation.
 */
import path from 'node:path';
import type { Activity } from 'botbuilder';
import { importPlan } from '../src/generation';
import { actionData, cardOf, cardTexts, createHarness, executeValue, type Harness } from './helpers/bot-harness';
import { type FakeConnector, startFakeConnector } from './helpers/fake-connector';
import { testDbKinds } from './helpers/db';
import { generationReply } from './helpers/generated-answer';

const EXAMPLES = path.resolve('examples/financial-planning');

describe.each(testDbKinds)('/generate on %s', (kind) => {
  let h: Harness;
  let connector: FakeConnector;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
    connector = await startFakeConnector();
    await importPlan(h.t.db, path.join(EXAMPLES, 'plan.json'));
    h.fake!.reply((body) => generationReply(body) ?? 'not a generation request');
  });
  afterAll(async () => {
    await h.app.jobRunner.idle();
    await connector.close();
    await h.close();
  });

  it('confirms, starts, updates the progress card in place, and ends with three generated conversations', async () => {
    const confirm = await h.say('/generate 11-13');
    const card = cardOf(confirm.find((a) => cardOf(a)));
    const texts = cardTexts(card);
    expect(texts[0]).toBe('Generate 3 conversation(s)?');
    expect(texts).toContain('Conversations: 3');
    expect(texts.find((t) => t.startsWith('Estimated cost:'))).toMatch(/about \$\d+\.\d\d/);

    const start = await h.send({
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: executeValue('tb.job.start', actionData(card, 'tb.job.start')),
      replyToId: 'confirm-card-1',
      serviceUrl: connector.serviceUrl,
    } as Partial<Activity>);
    const response = start.find((a) => a.type === 'invokeResponse')!.value as { body: { type: string; value: unknown } };
    expect(response.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardTexts(response.body.value)[0]).toMatch(/^Generation job [0-9a-f]{8}$/);

    await h.app.jobRunner.idle();
    const rows = await h.t.db.selectFrom('training_conversations').select(['conversation_number', 'generation_status', 'generation_method']).where('conversation_number', 'in', [11, 12, 13]).orderBy('conversation_number').execute();
    expect(rows).toEqual([11, 12, 13].map((n) => ({ conversation_number: n, generation_status: 'generated', generation_method: 'claude_api' })));
    const turns = await h.t.db.selectFrom('training_turns as t').innerJoin('training_conversations as c', 'c.id', 't.conversation_id').select('c.conversation_number').where('c.conversation_number', 'in', [11, 12, 13]).execute();
    expect(turns.length).toBe(3 + 4 + 4);

    const updates = connector.activities.filter((a) => Array.isArray(a.attachments) && cardTexts((a.attachments as Array<{ content: unknown }>)[0]?.content)[0]?.startsWith('Generation job'));
    expect(updates.length).toBeGreaterThanOrEqual(1);
    const last = cardTexts((updates.at(-1)!.attachments as Array<{ content: unknown }>)[0]!.content);
    expect(last).toContain('Status: completed');
    expect(last).toContain('Done / failed / total: 3 / 0 / 3');
    expect(last.find((t) => t.startsWith('['))).toMatch(/100%$/);
    const summary = connector.activities.find((a) => typeof a.text === 'string' && /Generation job [0-9a-f]{8} finished: 3 generated/.test(a.text as string));
    expect(summary).toBeDefined();

    // Generated is not ready for training: that takes approval.
    const readiness = async (n: number) =>
      (await h.t.db.selectFrom('quality_metrics as q').innerJoin('training_conversations as c', 'c.id', 'q.conversation_id').select(['q.ready_for_training', 'q.all_required_fields_complete']).where('c.conversation_number', '=', n).executeTakeFirstOrThrow());
    expect(await readiness(11)).toEqual({ ready_for_training: false, all_required_fields_complete: true });
    expect((await h.say('/approve 11')).map((a) => a.text).join(' ')).toMatch(/generated → \*\*approved\*\*/);
    expect((await readiness(11)).ready_for_training).toBe(true);

    const calls = await h.t.db.selectFrom('llm_calls').selectAll().where('purpose', '=', 'generation').execute();
    expect(calls).toHaveLength(3);

    const jobs = (await h.say('/jobs')).map((a) => a.text ?? '').join('\n');
    expect(jobs).toMatch(/batch · completed · 3\/3 done, 0 failed/);
    const id = /\*\*([0-9a-f]{8})\*\*/.exec(jobs)![1]!;
    expect(cardTexts(cardOf((await h.say(`/job ${id}`)).find((a) => cardOf(a))))).toContain('Status: completed');
  });

  it('"Start as a batch" sends the job through the Message Batches API at half the estimated cost', async () => {
    h.fake!.reset();
    h.fake!.reply((body) => generationReply(body) ?? 'not a generation request');
    const confirm = await h.say('/generate 14-15');
    const card = cardOf(confirm.find((a) => cardOf(a)));
    const texts = cardTexts(card);
    const full = Number(/about \$(\d+\.\d\d)/.exec(texts.find((t) => t.startsWith('Estimated cost:'))!)![1]);
    const half = Number(/about \$(\d+\.\d\d), within 24 h/.exec(texts.find((t) => t.startsWith('As a batch:'))!)![1]);
    expect(half).toBeCloseTo(full / 2, 2);
    const actions = (card as { actions: Array<{ title: string; data: Record<string, unknown> }> }).actions;
    expect(actions.map((a) => [a.title, a.data.mode])).toEqual([['Start', 'direct'], ['Start as a batch (half price)', 'batch']]);

    const start = await h.send({
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: executeValue('tb.job.start', actions[1]!.data),
      replyToId: 'confirm-card-2',
      serviceUrl: connector.serviceUrl,
    } as Partial<Activity>);
    const response = start.find((a) => a.type === 'invokeResponse')!.value as { body: { value: unknown } };
    expect(cardTexts(response.body.value).find((t) => t.startsWith('Current:'))).toMatch(/Message Batches/);
    await h.app.jobRunner.idle();

    expect(h.fake!.messageRequests()).toHaveLength(0);
    expect(h.fake!.batchCreateRequests()).toHaveLength(1);
    const rows = await h.t.db.selectFrom('training_conversations').select(['generation_status', 'generation_method']).where('conversation_number', 'in', [14, 15]).execute();
    expect(rows).toEqual([{ generation_status: 'generated', generation_method: 'claude_batch_api' }, { generation_status: 'generated', generation_method: 'claude_batch_api' }]);
    const jobRow = await h.t.db.selectFrom('generation_jobs').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(jobRow).toMatchObject({ status: 'completed', batch_id: null, completed_conversations: 2 });
    const summary = connector.activities.find((a) => typeof a.text === 'string' && a.text.startsWith(`Generation job ${jobRow.id.slice(0, 8)} finished: 2 generated`));
    expect(summary).toBeDefined();
  });

  it('refuses what cannot be generated, with the reason', async () => {
    const say = async (m: string) => (await h.say(m)).map((a) => a.text ?? '').join('\n');
    // 12 was generated by the job above.
    expect(await say('/generate 12')).toMatch(/Nothing to generate for "12"/);
    expect(await say('/generate 13-11')).toMatch(/is backwards/);
    expect(await say('/generate')).toMatch(/Say what to generate/);
    expect(await say('/generate colour=red')).toMatch(/unknown filter "colour"/);
    expect(await say('/job zzzz')).toMatch(/Give the job id/);
  });
});
