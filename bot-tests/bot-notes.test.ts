/** Notes on replies: Improve and Looks good through Action.Execute, Teams' thumbs feedback, and every bad submit. */
import type { Activity } from 'botbuilder';
import { actionData, ALEX, cardOf, cardTexts, createHarness, executeValue, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

type InvokeBody = { statusCode: number; type: string; value: unknown };

describe.each(testDbKinds)('notes on %s', (kind) => {
  let h: Harness;
  let reply: Partial<Activity>;
  let turnId: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    const sent = await h.say('An employee was late three times this month. What do I do?');
    reply = sent.filter((a) => cardOf(a))[1]!;
    turnId = String(actionData(cardOf(reply), 'tb.note.save').turnId);
  });
  afterAll(async () => {
    await h.close();
  });

  const notesOf = (id: string) => h.t.db.selectFrom('tuning_improvements').selectAll().where('turn_id', '=', id).orderBy('timestamp').orderBy('id').execute();

  async function execute(verb: string, data: Record<string, unknown>, user = MEG) {
    const { response } = await h.invoke('adaptiveCard/action', executeValue(verb, data), { user, replyToId: reply.id });
    expect(response?.status).toBe(200);
    return response!.body as InvokeBody;
  }

  it('saves a note with its category and shows it on the card, which keeps its buttons', async () => {
    const data = actionData(cardOf(reply), 'tb.note.save');
    const body = await execute('tb.note.save', { ...data, category: 'content', note: 'Should ask clarifying questions first' });
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    const texts = cardTexts(body.value);
    expect(texts).toContain('Notes on this reply (1)');
    expect(texts).toContain('• **Content** Should ask clarifying questions first');
    expect(texts).toContain('Note saved. Add another with Improve.');
    // A fresh nonce, so another note can be added from the updated card.
    expect(actionData(body.value, 'tb.note.save').submissionId).not.toBe(data.submissionId);
    const notes = await notesOf(turnId);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ improvement_note: 'Should ask clarifying questions first', category: 'content' });
    expect(notes[0]!.metadata).toMatchObject({ source: 'card', tester_id: MEG.account.aadObjectId, submission_id: data.submissionId });
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').select('total_improvements').where('tester_id', '=', MEG.account.aadObjectId!).executeTakeFirstOrThrow();
    expect(session.total_improvements).toBe(1);
  });

  it('stores a double-clicked note once', async () => {
    const data = { ...actionData(cardOf(reply), 'tb.note.save'), submissionId: 'double-click-nonce', category: 'tone', note: 'Too formal, needs more empathy' };
    const [a, b] = await Promise.all([execute('tb.note.save', data), execute('tb.note.save', data)]);
    const statuses = [cardTexts(a.value), cardTexts(b.value)].map((t) => t.find((x) => /saved/i.test(x)));
    expect(statuses.sort()).toEqual(['Already saved — that click was counted once.', 'Note saved. Add another with Improve.']);
    const notes = await notesOf(turnId);
    expect(notes.filter((n) => n.improvement_note === 'Too formal, needs more empathy')).toHaveLength(1);
  });

  it('stores Looks good as the spec\'s note with no category', async () => {
    const sent = await h.say('Can I change her schedule without notice?');
    const card = cardOf(sent.find((a) => cardOf(a)));
    const data = actionData(card, 'tb.note.good');
    const body = await execute('tb.note.good', data);
    expect(cardTexts(body.value)).toContain('Marked as good. Thanks!');
    const notes = await notesOf(String(data.turnId));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ improvement_note: 'Good response, no changes needed', category: null });
    expect(notes[0]!.metadata).toMatchObject({ source: 'looks_good' });
    await execute('tb.note.good', data); // double click
    expect(await notesOf(String(data.turnId))).toHaveLength(1);
  });

  it.each([
    ['an unknown category', { category: 'vibes', note: 'x' }, /"vibes" is not a category I know/],
    ['an empty note', { category: 'tone', note: '   ' }, /The note is empty/],
    ['a note over 4,000 characters', { category: 'tone', note: 'a'.repeat(4001) }, /The note is 4,001 characters; the limit is 4,000/],
    ['a note that is not text', { category: 'tone', note: 42 }, /Write a note before saving/],
  ])('refuses %s, keeps the typed text in the form, and stores nothing', async (_what, input, message) => {
    const before = (await notesOf(turnId)).length;
    const body = await execute('tb.note.save', { ...actionData(cardOf(reply), 'tb.note.save'), ...input });
    expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardTexts(body.value).find((t) => t.startsWith('Not saved:'))).toMatch(message);
    if (typeof input.note === 'string') {
      expect(JSON.stringify(body.value)).toContain(JSON.stringify(input.note).slice(1, 200));
    }
    expect(await notesOf(turnId)).toHaveLength(before);
  });

  it.each([
    ['a missing turn id', {}],
    ['a malformed turn id', { turnId: "'; drop table tuning_improvements; --" }],
    ['an unknown turn id', { turnId: '00000000-0000-4000-8000-000000000000' }],
  ])('answers a forged or stale card with %s with a message and stores nothing', async (_what, data) => {
    const before = await h.t.db.selectFrom('tuning_improvements').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const body = await execute('tb.note.save', { ...data, category: 'tone', note: 'forged' });
    expect(body.type).toBe('application/vnd.microsoft.activity.message');
    expect(body.value).toMatch(/doesn't belong to a reply I can find in your sessions, so nothing was saved/);
    const after = await h.t.db.selectFrom('tuning_improvements').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it("refuses a note on another tester's reply", async () => {
    const body = await execute('tb.note.save', { turnId, submissionId: 'alex-1', category: 'tone', note: 'not mine' }, ALEX);
    expect(body.value).toMatch(/nothing was saved/);
    expect((await notesOf(turnId)).some((n) => n.improvement_note === 'not mine')).toBe(false);
  });

  it('answers an unknown verb with a message', async () => {
    const body = await execute('tb.delete.everything', { turnId });
    expect(body.value).toMatch(/isn't one I know/);
  });

  it('accepts the same action sent as a message (Action.Submit) and updates the card in place', async () => {
    h.adapter.updates.length = 0;
    const data = actionData(cardOf(reply), 'tb.note.save');
    await h.send({ type: 'message', replyToId: reply.id, value: { verb: 'tb.note.save', ...data, submissionId: 'submit-path', category: 'structure', note: 'Use numbered steps' } });
    expect(h.adapter.updates).toHaveLength(1);
    expect(h.adapter.updates[0]!.id).toBe(reply.id);
    expect(cardTexts(cardOf(h.adapter.updates[0]))).toContain('• **Structure** Use numbered steps');
  });

  describe("Teams' feedback loop", () => {
    it('stores a thumbs down with its text as a note with its source, and refreshes the card', async () => {
      h.adapter.updates.length = 0;
      const { response } = await h.invoke(
        'message/submitAction',
        { actionName: 'feedback', actionValue: { reaction: 'dislike', feedback: JSON.stringify({ feedbackText: 'Cite the policy section' }) } },
        { replyToId: reply.id },
      );
      expect(response).toEqual({ status: 200, body: {} });
      const note = (await notesOf(turnId)).find((n) => n.metadata?.source === 'feedback_loop');
      expect(note).toMatchObject({ improvement_note: 'Thumbs down: Cite the policy section', category: null });
      expect(note!.metadata).toMatchObject({ reaction: 'dislike', tester_id: MEG.account.aadObjectId });
      expect(h.adapter.updates.map((u) => u.id)).toEqual([reply.id]);
    });

    it('stores a thumbs up without text', async () => {
      await h.invoke('message/submitAction', { actionName: 'feedback', actionValue: { reaction: 'like', feedback: '' } }, { replyToId: reply.id });
      expect((await notesOf(turnId)).some((n) => n.improvement_note === 'Thumbs up' && n.metadata?.reaction === 'like')).toBe(true);
    });

    it('rejects a malformed submission with 400 and stores nothing', async () => {
      const before = (await notesOf(turnId)).length;
      const { response } = await h.invoke('message/submitAction', { actionName: 'feedback', actionValue: { reaction: 'meh' } }, { replyToId: reply.id });
      expect(response?.status).toBe(400);
      expect(await notesOf(turnId)).toHaveLength(before);
    });

    it('tells the tester when the reply is not one of theirs', async () => {
      const before = (await notesOf(turnId)).length;
      const { response, sent } = await h.invoke('message/submitAction', { actionName: 'feedback', actionValue: { reaction: 'like' } }, { replyToId: reply.id, user: ALEX });
      expect(response?.status).toBe(200);
      expect(sent.map((a) => a.text).join(' ')).toMatch(/nothing was saved/);
      expect(await notesOf(turnId)).toHaveLength(before);
    });
  });
});
