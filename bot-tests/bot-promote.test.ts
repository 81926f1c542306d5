/** /promote in Teams: a tuning session becomes a training conversation (offline: kept and flagged). */
import { actionData, ALEX, cardOf, createHarness, executeValue, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

describe.each(testDbKinds)('/promote on %s', (kind) => {
  let h: Harness;
  const text = async (msg: string, user = MEG) => (await h.say(msg, { user })).map((a) => a.text ?? '').join('\n');
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h.close();
  });

  it("promotes the tester's session, flagged for review when Claude cannot rewrite", async () => {
    const sent = await h.say('My employee was late three times this week.');
    await h.say('Should I write her up?');
    const card = cardOf(sent.filter((a) => cardOf(a)).at(-1));
    await h.invoke('adaptiveCard/action', executeValue('tb.note.save', { ...actionData(card, 'tb.note.save'), category: 'content', note: 'Ask about the reasons first' }));
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', MEG.account.aadObjectId!).executeTakeFirstOrThrow();

    expect(await text(`/promote ${session.id.slice(0, 8)}`, ALEX)).toMatch(/couldn't find a session/);
    const out = await text('/promote');
    const short = session.id.slice(0, 8);
    expect(out).toContain(`Session ${short} is training conversation **`);
    expect(out).toMatch(new RegExp(`\\*\\*\\d+ · tuning_${short}\\*\\* \\(2 turn\\(s\\), status generated\\)`));
    expect(out).toMatch(/flagged for review/);
    const conv = await h.t.db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', `tuning_${session.id.slice(0, 8)}`).executeTakeFirstOrThrow();
    expect(conv.generation_status).toBe('generated');
    const turns = await h.t.db.selectFrom('training_turns').select(['user_input', 'target_response']).where('conversation_id', '=', conv.id).orderBy('turn_number').execute();
    expect(turns.map((t) => t.user_input)).toEqual(['My employee was late three times this week.', 'Should I write her up?']);
  });
});
