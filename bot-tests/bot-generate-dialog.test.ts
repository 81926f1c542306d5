/**
 * `/generate` as a multi-step dialog, driven step by step on both databases: the question when no
 * argument is given (asked again after a bad answer), the confirmation card, a typed answer or the card's
 * Cancel, a tester who abandons it halfway (a question for ERA, another command, "cancel"), and a bot
 * restarted between steps (a new app on the same database continues the dialog). Also: a one-step
 * command and a question for ERA write no dialog state.
 */
import path from 'node:path';
import { importPlan } from '../src/generation';
import { ALEX, actionData, cardOf, cardTexts, createHarness, executeValue, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { generationReply } from './helpers/generated-answer';

const EXAMPLES = path.resolve('examples/financial-planning');

describe.each(testDbKinds)('the /generate dialog on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
    await importPlan(h.t.db, path.join(EXAMPLES, 'plan.json'));
    h.fake!.reply((body) => generationReply(body) ?? 'ERA says: here is what the policy says.');
  });
  afterAll(async () => {
    await h.app.jobRunner.idle();
    await h.close();
  });

  const textOf = (sent: Array<{ text?: string }>) => sent.map((a) => a.text ?? '').join('\n');
  const confirmCard = (sent: Parameters<typeof cardOf>[0][]) => cardOf(sent.find((a) => cardTexts(cardOf(a))[0]?.startsWith('Generate ')));
  const stateRows = async () => (await h.t.db.selectFrom('bot_state').select(['key', 'data', 'updated_at']).execute());
  /** The dialogs waiting in the stored state (all testers). */
  const waiting = async () => (await stateRows()).flatMap((r) => ((r.data as { dialogState?: { dialogStack?: Array<{ id: string }> } }).dialogState?.dialogStack ?? []).map((d) => d.id));
  const turns = async () => (await h.t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length;

  it('a one-step command and a question for ERA write no dialog state', async () => {
    const before = await stateRows();
    await h.say('/help', { user: ALEX });
    await h.say('/jobs', { user: ALEX });
    await h.say('What is the PTO policy?', { user: ALEX });
    expect(await stateRows()).toEqual(before);
  });

  it('asks what to generate, asks again after a bad answer, then confirms and waits', async () => {
    const asked = textOf(await h.say('/generate'));
    expect(asked).toMatch(/Say what to generate/);
    expect(await waiting()).toEqual(['generate']);

    const again = textOf(await h.say('13-11'));
    expect(again).toMatch(/13-11 is backwards.*What should I generate\?/s);
    const alsoBad = textOf(await h.say('colour=red'));
    expect(alsoBad).toMatch(/unknown filter "colour".*What should I generate\?/s);
    expect(await waiting()).toEqual(['generate']);

    const card = confirmCard(await h.say('11-12'));
    expect(cardTexts(card)[0]).toBe('Generate 2 conversation(s)?');
    expect(await waiting()).toEqual(['generate']);
  });

  it('a restarted bot continues the waiting dialog: "cancel" ends it and starts nothing', async () => {
    await h.restart();
    const jobsBefore = (await h.t.db.selectFrom('generation_jobs').select('id').execute()).length;
    expect(textOf(await h.say('cancel'))).toBe('Cancelled: nothing was generated.');
    expect(await waiting()).toEqual([]);
    expect((await h.t.db.selectFrom('generation_jobs').select('id').execute()).length).toBe(jobsBefore);
    // The dialog is gone: the next message is a question for ERA.
    const before = await turns();
    await h.say('And what about shift swaps?');
    expect(await turns()).toBe(before + 1);
  });

  it('/generate N skips the question; a typed "start" runs the job from the dialog', async () => {
    const card = confirmCard(await h.say('/generate 14'));
    expect(cardTexts(card)[0]).toBe('Generate 1 conversation(s)?');
    const started = await h.say('start');
    const progress = cardTexts(cardOf(started.find((a) => cardTexts(cardOf(a))[0]?.startsWith('Generation job'))));
    expect(progress[0]).toMatch(/^Generation job [0-9a-f]{8}$/);
    expect(await waiting()).toEqual([]);
    await h.app.jobRunner.idle();
    const row = await h.t.db.selectFrom('training_conversations').select('generation_status').where('conversation_number', '=', 14).executeTakeFirstOrThrow();
    expect(row.generation_status).toBe('generated');
  });

  it('abandoned for a question to ERA: the dialog ends and ERA answers the question', async () => {
    confirmCard(await h.say('/generate 15'));
    expect(await waiting()).toEqual(['generate']);
    const before = await turns();
    const sent = await h.say('My employee missed two shifts, what now?');
    expect(await turns()).toBe(before + 1);
    expect(sent.some((a) => typeof a.text === 'string' && a.text.startsWith('ERA says'))).toBe(true);
    expect(await waiting()).toEqual([]);
  });

  it('abandoned at the question for another command: the dialog ends and the command runs', async () => {
    await h.say('/generate');
    expect(await waiting()).toEqual(['generate']);
    expect(textOf(await h.say('/jobs'))).toMatch(/\*\*Generation jobs\*\*/);
    expect(await waiting()).toEqual([]);
    // And at the question, free text that is no answer goes to ERA.
    await h.say('/generate');
    const before = await turns();
    await h.say('Is a doctor note required after three sick days?');
    expect(await turns()).toBe(before + 1);
    expect(await waiting()).toEqual([]);
  });

  it("the card's Cancel ends the waiting dialog and replaces the card", async () => {
    const card = confirmCard(await h.say('/generate 16-17'));
    const { response } = await h.invoke('adaptiveCard/action', executeValue('tb.generate.cancel', actionData(card, 'tb.generate.cancel')), { replyToId: 'confirm-x' });
    const body = response?.body as { type: string; value: unknown };
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardTexts(body.value)[0]).toBe('Generation cancelled');
    expect(await waiting()).toEqual([]);
    const rows = await h.t.db.selectFrom('training_conversations').select('generation_status').where('conversation_number', 'in', [16, 17]).execute();
    expect(rows.map((r) => r.generation_status)).toEqual(['planned', 'planned']);
  });

  it("the card's Start ends the waiting dialog too", async () => {
    const card = confirmCard(await h.say('/generate 18'));
    expect(await waiting()).toEqual(['generate']);
    const { response } = await h.invoke('adaptiveCard/action', executeValue('tb.job.start', actionData(card, 'tb.job.start')), { replyToId: 'confirm-y' });
    expect(cardTexts((response?.body as { value: unknown }).value)[0]).toMatch(/^Generation job [0-9a-f]{8}$/);
    expect(await waiting()).toEqual([]);
    await h.app.jobRunner.idle();
  });
});
