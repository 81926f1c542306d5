/** The tuning chat: sessions open on first contact, every answer becomes a turn, replies are cards. */
import { answerRequests, ALEX, cardOf, cardTexts, createHarness, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

describe.each(testDbKinds)('tuning chat on %s (Claude through the loopback fake)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('opens a session with a welcome card, then answers as a card and stores the turn', async () => {
    const sent = await h.say("My employee didn't show up for her shift and didn't call. What now?");
    const cards = sent.filter((a) => cardOf(a));
    expect(cards).toHaveLength(2);
    const welcome = cardTexts(cardOf(cards[0]));
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().where('tester_id', '=', MEG.account.aadObjectId!).executeTakeFirstOrThrow();
    expect(welcome[0]).toBe(`Tuning session ${session.id.slice(0, 8)} started`);
    expect(welcome).toContain(`Prompt version: ${session.master_prompt_version}`);
    expect(welcome.some((t) => t.startsWith('/export'))).toBe(true);
    expect(session.tester_name).toBe('Meg Tester');
    expect(session.tester_email).toBe(MEG.email);
    expect(session.master_prompt_version).toMatch(/^([0-9a-f]{7}(\+dirty)?|sha256:[0-9a-f]{12})$/);
    expect(session.metadata).toMatchObject({ conversation_id: `a:personal-${MEG.account.id}`, channel_id: 'msteams', conversation_type: 'personal' });
    expect(session.total_turns).toBe(1);

    const reply = cards[1]!;
    // A Teams 1:1 chat streams: the reply is the final message of the stream started by the informative update.
    const informative = sent.find((a) => a.type === 'typing' && (a.channelData as { streamType?: string } | undefined)?.streamType === 'informative');
    expect(informative).toBeDefined();
    expect(reply.channelData).toEqual({ feedbackLoopEnabled: true, streamType: 'final', streamId: informative!.id });
    const texts = cardTexts(cardOf(reply));
    expect(texts[0]).toBe('ERA · turn 1');
    // The answer is the message text (Teams renders citations and the AI label on it); the card carries the tuning controls.
    expect(reply.text).toBe(`ERA says: I understand "My employee didn't show up for her shift and didn't call. What now?". Here is what to do.`);
    expect(reply.entities).toEqual([
      expect.objectContaining({ type: 'https://schema.org/Message', additionalType: ['AIGeneratedContent'] }),
      { type: 'streaminfo', streamType: 'final', streamId: informative!.id },
    ]);
    expect(texts).not.toContain('OFFLINE MODE');

    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', session.id).executeTakeFirstOrThrow();
    expect(turn.turn_number).toBe(1);
    expect(turn.user_message).toBe("My employee didn't show up for her shift and didn't call. What now?");
    expect(turn.era_response).toBe(reply.text);
    expect(turn.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(turn.metadata).toMatchObject({
      model: 'claude-sonnet-5-5',
      offline: false,
      stop_reason: 'end_turn',
      reply_activity_id: reply.id,
      user_activity_id: expect.stringMatching(/^act-/),
      conversation_id: `a:personal-${MEG.account.id}`,
    });
    const usage = (turn.metadata as { usage: Record<string, number> }).usage;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
  });

  it('sends the prompt file as the system prompt and the earlier turns as history', async () => {
    h.fake!.reset();
    h.fake!.reply(() => 'Second answer.');
    const sent = await h.say('I called her once today.');
    expect(sent.filter((a) => cardOf(a))).toHaveLength(1); // no second welcome
    const body = answerRequests(h).at(-1)!.body as { system: Array<{ text: string }>; messages: Array<{ role: string; content: unknown }> };
    expect(JSON.stringify(body.system)).toContain('ERA');
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(body.messages[0])).toContain("didn't show up");
    expect(JSON.stringify(body.messages[2])).toContain('I called her once today.');
    const turns = await h.t.db.selectFrom('tuning_conversation_turns as t').innerJoin('prompt_tuning_sessions as s', 's.id', 't.session_id')
      .select(['t.turn_number', 't.era_response']).where('s.tester_id', '=', MEG.account.aadObjectId!).orderBy('t.turn_number').execute();
    expect(turns.map((t) => t.turn_number)).toEqual([1, 2]);
    expect(turns[1]!.era_response).toBe('Second answer.');
  });

  it('numbers concurrent messages 1..n without duplicates', async () => {
    h.fake!.reset();
    h.fake!.reply(() => 'ok');
    await h.say('/new');
    await Promise.all(Array.from({ length: 6 }, (_, i) => h.say(`question ${i}`)));
    const open = await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).executeTakeFirstOrThrow();
    const numbers = await h.t.db.selectFrom('tuning_conversation_turns').select('turn_number').where('session_id', '=', open.id).orderBy('turn_number').execute();
    expect(numbers.map((n) => n.turn_number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(open.total_turns).toBe(6);
  });

  it('keeps each tester in their own session', async () => {
    await h.say('Hello from Alex', { user: ALEX });
    const sessions = await h.t.db.selectFrom('prompt_tuning_sessions').select(['tester_id']).where('session_end', 'is', null).execute();
    expect(sessions.map((s) => s.tester_id).sort()).toEqual([ALEX.account.aadObjectId, MEG.account.aadObjectId].sort());
  });

  it('tells the tester when Claude fails after retries, stores nothing, and keeps running', async () => {
    h.fake!.reset();
    h.fake!.enqueue({ status: 500 }, { status: 500 });
    const before = await h.t.db.selectFrom('tuning_conversation_turns').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const sent = await h.say('Can I fire someone for a no-call/no-show?');
    expect(sent.map((a) => a.text).filter(Boolean).join(' ')).toMatch(/Claude had an error and ERA couldn't answer\. Your message was not stored/);
    const after = await h.t.db.selectFrom('tuning_conversation_turns').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(answerRequests(h)).toHaveLength(2); // the SDK's own retry happened first

    const next = await h.say('Trying again about the attendance policy');
    expect(next.find((a) => cardOf(a))?.text).toBe('Fake answer to: Trying again about the attendance policy');
  });

  it('waits out a 429 with retry-after and answers', async () => {
    h.fake!.reset();
    h.fake!.enqueue({ status: 429, retryAfter: 0 });
    const sent = await h.say('What is the attendance policy?');
    expect(sent.find((a) => cardOf(a))?.text).toBe('Fake answer to: What is the attendance policy?');
    expect(answerRequests(h)).toHaveLength(2);
  });

  it('waits out a 529 overloaded and answers', async () => {
    h.fake!.reset();
    h.fake!.enqueue({ status: 529, retryAfter: 0 });
    const sent = await h.say('What about PTO?');
    expect(sent.find((a) => cardOf(a))?.text).toBe('Fake answer to: What about PTO?');
    expect(answerRequests(h)).toHaveLength(2);
  });
});

describe.each(testDbKinds)('offline mode on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { claude: false });
  });
  afterAll(async () => {
    await h.close();
  });

  it('labels every answer as offline, in the card and in the text, and stores the turn', async () => {
    const sent = await h.say('How do I handle a shift swap request?');
    const welcome = cardTexts(cardOf(sent.find((a) => cardOf(a))));
    expect(welcome.join('\n')).toMatch(/OFFLINE MODE: no ANTHROPIC_API_KEY is set/);
    const replyActivity = sent.filter((a) => cardOf(a))[1]!;
    expect(cardTexts(cardOf(replyActivity))).toContain('OFFLINE MODE');
    expect(replyActivity.text).toMatch(/^⚠️ Offline mode/);
    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().executeTakeFirstOrThrow();
    expect(turn.metadata).toMatchObject({ model: 'offline', offline: true });
    expect(turn.era_response).toMatch(/Offline mode/i);
  });
});

describe.each(testDbKinds)('roster lookup on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { realDirectory: true });
  });
  afterAll(async () => {
    await h.close();
  });

  it('logs a failed TeamsInfo.getMember and opens the session without an email', async () => {
    // TestAdapter has no connector client, so the real TeamsInfo.getMember call fails.
    const sent = await h.say('Hello');
    expect(sent.filter((a) => cardOf(a))).toHaveLength(2);
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().executeTakeFirstOrThrow();
    expect(session.tester_email).toBeNull();
    expect(session.tester_name).toBe('Meg Tester');
    expect(h.logs.some((l) => l.msg === 'TeamsInfo.getMember failed; continuing without email')).toBe(true);
    await h.say('Second message');
    // cached: one failed lookup per tester, not one per message
    expect(h.logs.filter((l) => l.msg === 'TeamsInfo.getMember failed; continuing without email')).toHaveLength(1);
  });
});
