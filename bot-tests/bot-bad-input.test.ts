/** Bad input: each gets a clear message, loses nothing, and crashes nothing. */
import { answerRequests, ALEX, cardOf, cardTexts, createHarness, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

describe.each(testDbKinds)('bad input on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true, env: { TESTER_ALLOWLIST: `${MEG.email}, someone-else@northwind.example` } });
  });
  afterAll(async () => {
    await h.close();
  });
  const turns = async () => h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('turn_number').execute();
  const textOf = (sent: Array<{ text?: string }>) => sent.map((a) => a.text ?? '').join('\n');

  it.each([
    ['an empty message', ''],
    ['a whitespace-only message', '   \n\t  '],
    ['a message of only NUL bytes', '\u0000\u0000'],
  ])('answers %s with a hint and stores nothing', async (_what, text) => {
    const sent = await h.say(text);
    expect(textOf(sent)).toMatch(/That message was empty/);
    expect(await turns()).toHaveLength(0);
    expect(answerRequests(h)).toHaveLength(0);
  });

  it('stores a 30,000-character message whole', async () => {
    const long = `${'Our attendance question, in great detail. '.repeat(800).slice(0, 29997)}END`;
    expect(long.length).toBe(30000);
    const sent = await h.say(long);
    expect(sent.filter((a) => cardOf(a))).toHaveLength(2);
    const [turn] = await turns();
    expect(turn!.user_message.length).toBe(30000);
    expect(turn!.user_message === long).toBe(true);
    expect(JSON.stringify(answerRequests(h).at(-1)!.body)).toContain(long.slice(-200));
  });

  it('refuses a message over the limit with its size, and stores nothing', async () => {
    const before = (await turns()).length;
    const sent = await h.say('x'.repeat(40001));
    expect(textOf(sent)).toMatch(/Your message is 40,001 characters; ERA takes up to 40,000\. Nothing was stored/);
    expect(await turns()).toHaveLength(before);
  });

  it('removes NUL bytes and replaces lone surrogates, says so on the card, and stores the rest', async () => {
    const sent = await h.say('Shift\u0000 swap for \uD800 Sam?\u0000');
    const reply = cardTexts(cardOf(sent.filter((a) => cardOf(a)).at(-1)));
    expect(reply).toContain('Note: I removed 2 NUL characters and replaced 1 broken character with � that the database cannot store.');
    const last = (await turns()).at(-1)!;
    expect(last.user_message).toBe('Shift swap for \uFFFD Sam?');
  });

  it('answers a card action it cannot read with 400 and an error body, and stores nothing', async () => {
    const notes = async () => (await h.t.db.selectFrom('tuning_improvements').select('id').execute()).length;
    const before = await notes();
    const missing = await h.invoke('adaptiveCard/action', undefined);
    expect(missing.response).toEqual({ status: 400, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'Missing value property' } } });
    const submit = await h.invoke('adaptiveCard/action', { action: { type: 'Action.Submit', verb: 'tb.note.good', data: {} } });
    expect(submit.response).toEqual({ status: 400, body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'NotSupported', message: "The action 'Action.Submit' is not supported." } } });
    expect(await notes()).toBe(before);
  });

  it('refuses a tester who is not on the allowlist, politely, and stores nothing', async () => {
    const sessionsBefore = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').execute();
    const stateBefore = await h.t.db.selectFrom('bot_state').select('key').execute();
    const sent = await h.say('Hi, can I try ERA?', { user: ALEX });
    expect(textOf(sent)).toMatch(/open to invited prompt testers only/);
    expect(textOf(sent)).toMatch(/nothing you send here is stored/);
    expect(await h.t.db.selectFrom('prompt_tuning_sessions').select('id').execute()).toHaveLength(sessionsBefore.length);
    expect(await h.t.db.selectFrom('bot_state').select('key').execute()).toHaveLength(stateBefore.length);
    const invoke = await h.invoke('adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'tb.note.good', data: {} } }, { user: ALEX });
    expect((invoke.response?.body as { value: string }).value).toMatch(/invited prompt testers only/);
  });
});
