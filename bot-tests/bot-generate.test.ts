/**
 * /generate from Teams: the confirmation card, Start, the job running in the background with its
 * progress card updated in place through the connector, the summary, /jobs and /job. Claude is the
 * loopback fake answering each generation request with a valid annotated conversation.
 */
import path from 'node:path';
import type { Activity } from 'botbuilder';
import Anthropic from '@anthropic-ai/sdk';
import { JobCardUpdater } from '../src/bot/job-cards';
import { cancelJob, createJob, generateConversation, importPlan, JobRunner, noCardNotify, pauseJob, recordJobNotify, resumeJob } from '../src/generation';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { actionData, cardOf, cardTexts, createHarness, executeValue, type Harness } from './helpers/bot-harness';
import { type FakeConnector, startFakeConnector } from './helpers/fake-connector';
import { testDbKinds } from './helpers/db';
import { generationReply } from './helpers/generated-answer';

const EXAMPLES = path.resolve('examples/financial-planning');
const CREATOR = '00000000-0000-4000-8000-000000000003';

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
    });
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
    const summary = connector.activities.find((a) => typeof a.text === 'string' && /Generation job [0-9a-f]{8} finished: 3 generated/.test(a.text));
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
    expect(actions.map((a) => [a.title, a.data.mode])).toEqual([['Start', 'direct'], ['Start as a batch (half price)', 'batch'], ['Cancel', undefined]]);

    const start = await h.send({
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: executeValue('tb.job.start', actions[1]!.data),
      replyToId: 'confirm-card-2',
      serviceUrl: connector.serviceUrl,
    });
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
    expect((await h.say('/jobs')).map((a) => a.text ?? '').join('\n')).toContain(`**${jobRow.id.slice(0, 8)}** · batch (Message Batches) · completed · 2/2 done`);
  });

  it('a double click on Start starts one job; forged or stale job buttons get a clear message and change nothing', async () => {
    h.fake!.reset();
    // Slow answers: the job is still running when the second click lands.
    h.fake!.reply((body) => {
      const step = generationReply(body);
      return step && 'text' in step ? { ...step, delayMs: 500 } : 'not a generation request';
    });
    const jobCount = async () => (await h.t.db.selectFrom('generation_jobs').select('id').execute()).length;
    const card = cardOf((await h.say('/generate 22-23')).find((a) => cardOf(a)));
    const click = (verb: string, data: Record<string, unknown>) =>
      h.send({ type: 'invoke', name: 'adaptiveCard/action', value: executeValue(verb, data), replyToId: 'confirm-card-4', serviceUrl: connector.serviceUrl });
    const body = (acts: Partial<Activity>[]) => (acts.find((a) => a.type === 'invokeResponse')!.value as { body: { type: string; value: unknown } }).body;
    const before = await jobCount();
    const [first, second] = await Promise.all([click('tb.job.start', actionData(card, 'tb.job.start')), click('tb.job.start', actionData(card, 'tb.job.start'))]);
    await h.app.jobRunner.idle();
    const titles = [body(first), body(second)].map((b) => cardTexts(b.value)[0]);
    expect(titles[0]).toMatch(/^Generation job [0-9a-f]{8}$/);
    expect(titles[1]).toBe(titles[0]);
    const followers = [first, second].filter((r) => cardTexts(body(r).value).includes('This job is already running; this card follows it.'));
    expect(followers).toHaveLength(1);
    expect(await jobCount()).toBe(before + 1);
    const rows = await h.t.db.selectFrom('training_conversations').select('generation_status').where('conversation_number', 'in', [22, 23]).execute();
    expect(rows.map((r) => r.generation_status)).toEqual(['generated', 'generated']);

    // A second Start after the job finished (a stale card) finds nothing planned and starts nothing.
    const late = body(await click('tb.job.start', actionData(card, 'tb.job.start')));
    expect(late.type).toBe('application/vnd.microsoft.activity.message');
    expect(String(late.value)).toBe('Nothing on that card is left to generate: its conversations are past planned (see /plan). Send /generate again for a fresh card.');

    const forged = body(await click('tb.job.start', { type: 'batch', ids: "1; DROP TABLE generation_jobs; --", mode: 'batch' }));
    expect(String(forged.value)).toBe("That card's data isn't one I made: send /generate again for a fresh card.");
    const noIds = body(await click('tb.job.start', { type: 'batch' }));
    expect(String(noIds.value)).toBe("That card's data isn't one I made: send /generate again for a fresh card.");
    const finished = (await h.t.db.selectFrom('generation_jobs').select('id').where('status', '=', 'completed').limit(1).executeTakeFirstOrThrow()).id;
    const resumed = body(await click('tb.job.resume', { jobId: finished }));
    expect(String(resumed.value)).toMatch(/^That didn't work: job .* is completed; only a paused, queued or interrupted job can resume\.$/);
    expect(String(body(await click('tb.job.pause', { jobId: 'not-a-job' })).value)).toBe('That job no longer exists.');
    expect(await jobCount()).toBe(before + 1);
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

  // Stops the app's runner: later tests cannot start jobs through it.
  it('a bot stopped mid-job releases the conversation in flight; the next bot carries on and updates the same card', async () => {
    h.fake!.reset();
    // Slow answers, so the stop lands while the first conversation is in flight.
    h.fake!.reply((body) => {
      const step = generationReply(body);
      return step && 'text' in step ? { ...step, delayMs: 1500 } : 'not a generation request';
    });
    const confirm = await h.say('/generate 18-19');
    const card = cardOf(confirm.find((a) => cardOf(a)));
    await h.send({
      type: 'invoke', name: 'adaptiveCard/action', value: executeValue('tb.job.start', actionData(card, 'tb.job.start')),
      replyToId: 'confirm-card-3', serviceUrl: connector.serviceUrl,
    });
    while (h.fake!.messageRequests().length === 0) await new Promise((r) => setTimeout(r, 20));
    await h.app.jobRunner.stop();

    const jobRow = await h.t.db.selectFrom('generation_jobs').selectAll().orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(jobRow.status).toBe('in_progress');
    const items = await h.t.db.selectFrom('generation_job_items').select(['status', 'attempts']).where('job_id', '=', jobRow.id).orderBy('position').execute();
    expect(items).toEqual([{ status: 'pending', attempts: 0 }, { status: 'pending', attempts: 0 }]);
    const before = await h.t.db.selectFrom('training_conversations').select('generation_status').where('conversation_number', 'in', [18, 19]).execute();
    expect(before.map((r) => r.generation_status)).toEqual(['planned', 'planned']);
    expect(connector.activities.some((a) => typeof a.text === 'string' && a.text.startsWith(`Generation job ${jobRow.id.slice(0, 8)} was interrupted`))).toBe(true);
    // A stopped runner starts nothing new.
    h.app.jobRunner.start(jobRow.id, { ref: {}, activityId: null, title: 'x' });
    expect(h.app.jobRunner.isRunning(jobRow.id)).toBe(false);

    // The next process: a new runner finds the job and its card.
    const updated: Array<{ activityId: string; texts: string[] }> = [];
    const sent: string[] = [];
    const logger = createLogger('silent');
    const pricing = loadPricing();
    const client = new Anthropic({ apiKey: 'test', baseURL: h.fake!.baseURL, maxRetries: 0 });
    const next = new JobRunner({
      db: h.t.db, logger,
      generate: async (id, ctx) => generateConversation({ db: h.t.db, client, model: 'claude-opus-5-5', callLog: createCallLog({ db: h.t.db, logger, pricing }), logger, pricing }, id, ctx),
    });
    next.subscribe(new JobCardUpdater({
      updateCard: async (_ref, activityId, c) => void updated.push({ activityId, texts: cardTexts(c) }),
      send: async (_ref, text) => void sent.push(text),
    }, logger, 0));
    expect(await next.resumeInterrupted()).toEqual([jobRow.id]);
    await next.idle();
    const after = await h.t.db.selectFrom('training_conversations').select('generation_status').where('conversation_number', 'in', [18, 19]).execute();
    expect(after.map((r) => r.generation_status)).toEqual(['generated', 'generated']);
    expect(updated.at(-1)).toEqual({ activityId: 'confirm-card-3', texts: expect.arrayContaining(['Status: completed', 'Done / failed / total: 2 / 0 / 2']) });
    expect(sent).toEqual([expect.stringMatching(new RegExp(`^Generation job ${jobRow.id.slice(0, 8)} finished: 2 generated`))]);
    // Finished jobs, paused jobs and jobs without a card (the CLI's) are not picked up.
    const open = await h.t.db.selectFrom('training_conversations').select('id').where('conversation_number', 'in', [20, 21]).orderBy('conversation_number').execute();
    const cliJob = await createJob(h.t.db, { type: 'single', conversationIds: [open[0]!.id], createdBy: CREATOR });
    const pausedJob = await createJob(h.t.db, { type: 'single', conversationIds: [open[1]!.id], createdBy: CREATOR });
    await recordJobNotify(h.t.db, pausedJob.id, { ref: { conversation: { id: 'c1' } }, activityId: 'card-x', title: 't' });
    await pauseJob(h.t.db, pausedJob.id);
    expect(await next.resumeInterrupted()).toEqual([]);
    await resumeJob(h.t.db, pausedJob.id);
    await cancelJob(h.t.db, pausedJob.id);
    await cancelJob(h.t.db, cliJob.id);
    // A job started on the dashboard (no card) is carried on too, and tells no chat anything.
    const [dash] = await h.t.db.selectFrom('training_conversations').select('id').where('conversation_number', '=', 24).execute();
    const dashJob = await createJob(h.t.db, { type: 'single', conversationIds: [dash!.id], createdBy: CREATOR });
    expect(await recordJobNotify(h.t.db, dashJob.id, noCardNotify('Generation job dash'))).toEqual({ ref: null, activityId: null, title: 'Generation job dash' });
    const [updatesBefore, sentBefore] = [updated.length, sent.length];
    expect(await next.resumeInterrupted()).toEqual([dashJob.id]);
    await next.idle();
    expect((await h.t.db.selectFrom('generation_jobs').select('status').where('id', '=', dashJob.id).executeTakeFirstOrThrow()).status).toBe('completed');
    expect([updated.length, sent.length]).toEqual([updatesBefore, sentBefore]);
  });


});
