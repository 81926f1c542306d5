/** Every command, with and without the slash, in any case, with a leading @mention in a group chat. */
import { verifyExportToken } from '../src/tuning';
import { actionData, ALEX, BOT, cardOf, cardTexts, createHarness, executeValue, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { parseCommand, parseExportArgument, parsePromptsArgument } from '../src/bot/commands';

const SECRET = 'test-secret-that-is-long-enough-0123456789';

describe('command parsing', () => {
  it.each([
    ['/help', { kind: 'command', name: 'help', arg: null }],
    ['HELP', { kind: 'command', name: 'help', arg: null }],
    ['  /Export 1a2b3c4d ', { kind: 'command', name: 'export', arg: '1a2b3c4d' }],
    ['stats 1a2b3c4d', { kind: 'command', name: 'stats', arg: '1a2b3c4d' }],
    ['/export not-an-id!', { kind: 'bad-argument', name: 'export', arg: 'not-an-id!' }],
    ['/frobnicate', { kind: 'unknown', word: '/frobnicate' }],
    ['End of shift procedures?', null],
    ['new hire paperwork', null],
    ['help me with PTO', null],
    ['export controls policy', null],
    ['/export anonymize', { kind: 'command', name: 'export', arg: 'anonymize' }],
    ['export anonymise', { kind: 'command', name: 'export', arg: 'anonymise' }],
    ['/export 1a2b3c4d  anonymize   strip', { kind: 'command', name: 'export', arg: '1a2b3c4d anonymize strip' }],
    ['/export anonymize everything', { kind: 'bad-argument', name: 'export', arg: 'anonymize everything' }],
    ['export anonymized data please', null],
    ['/prompts review 0.7 anonymize', { kind: 'command', name: 'prompts', arg: 'review 0.7 anonymize' }],
    ['/prompts anonymize strip', { kind: 'command', name: 'prompts', arg: 'anonymize strip' }],
  ])('%s', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it.each([
    [null, { session: null, anonymize: null }],
    ['1a2b3c4d', { session: '1a2b3c4d', anonymize: null }],
    ['anonymize', { session: null, anonymize: 'pseudonymize' }],
    ['anonymise', { session: null, anonymize: 'pseudonymize' }],
    ['1a2b3c4d anonymize strip', { session: '1a2b3c4d', anonymize: 'strip' }],
    ['ANONYMIZE=Pseudonymise', { session: null, anonymize: 'pseudonymize' }],
  ])('/export argument %s', (arg, expected) => {
    expect(parseExportArgument(arg)).toEqual(expected);
  });

  it.each([
    [null, { mode: 'retraining', value: undefined, anonymize: null }],
    ['review 0.7', { mode: 'review', value: '0.7', anonymize: null }],
    ['retraining 30 anonymize', { mode: 'retraining', value: '30', anonymize: 'pseudonymize' }],
    ['anonymize strip', { mode: 'retraining', value: undefined, anonymize: 'strip' }],
  ])('/prompts argument %s', (arg, expected) => {
    expect(parsePromptsArgument(arg)).toEqual(expected);
  });
});

describe.each(testDbKinds)('commands on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(async () => {
    await h.close();
  });
  const textOf = (sent: Array<{ text?: string }>) => sent.map((a) => a.text ?? '').join('\n');
  const allTexts = (sent: Parameters<typeof cardOf>[0][]) => sent.flatMap((a) => cardTexts(cardOf(a)));

  it('/help lists the commands and stores nothing', async () => {
    const sent = await h.say('/help');
    const texts = allTexts(sent);
    for (const c of ['/help', '/new', '/end', '/export [session] [anonymize [strip]]', '/sessions', '/stats [session]', '/prompt']) {
      expect(texts.some((t) => t.startsWith(`${c}:`))).toBe(true);
    }
    expect(await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().execute()).toHaveLength(0);
  });

  it('/sessions and /export before any session say so', async () => {
    expect(textOf(await h.say('sessions'))).toMatch(/no tuning sessions yet/);
    expect(textOf(await h.say('/export'))).toMatch(/no tuning sessions yet/);
    // The failed command left no dialog behind to swallow the next message.
    expect(textOf(await h.say('sessions'))).toMatch(/no tuning sessions yet/);
  });

  it('/export of a session with no turns says there is nothing to export', async () => {
    await h.say('/new');
    expect(textOf(await h.say('/export'))).toMatch(/has no turns yet, so there is nothing to export/);
  });

  it('/export gives a signed link to this tester\'s session CSV', async () => {
    const first = await h.say('My employee no-call/no-showed twice.');
    const card = cardOf(first.find((a) => cardOf(a)));
    await h.invoke('adaptiveCard/action', executeValue('tb.note.save', { ...actionData(card, 'tb.note.save'), category: 'tone', note: 'Warmer opening' }));
    const sent = await h.say('/EXPORT');
    const exportCard = cardOf(sent.find((a) => cardOf(a)));
    const texts = cardTexts(exportCard);
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').selectAll().where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).executeTakeFirstOrThrow();
    expect(texts[0]).toBe(`CSV export of session ${session.id.slice(0, 8)}`);
    expect(texts[1]).toMatch(/^1 turn\(s\), 1 note\(s\)/);
    const url = (exportCard!.actions as Array<{ url: string }>)[0]!.url;
    expect(url).toMatch(/^http:\/\/bot\.test\/exports\/[\w-]+\.[\w-]+$/);
    const claims = verifyExportToken(url.split('/exports/')[1]!, SECRET);
    expect(claims.sessionId).toBe(session.id);
    expect(claims.testerId).toBe(MEG.account.aadObjectId);
    expect(claims.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60 * 1000);
    expect(claims.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
    // A Teams 1:1 chat also gets the file-consent card.
    const consent = sent.flatMap((a) => a.attachments ?? []).find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.consent');
    expect(consent?.name).toMatch(/^tuning-session-[0-9a-f]{8}-\d{8}\.csv$/);
    expect((consent?.content as { sizeInBytes: number }).sizeInBytes).toBeGreaterThan(100);
  });

  it("refuses to export another tester's session, a missing one, or a malformed id", async () => {
    const megSession = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).executeTakeFirstOrThrow();
    expect(textOf(await h.say(`/export ${megSession.id}`, { user: ALEX }))).toMatch(/couldn't find a session ".*" among yours/);
    expect(textOf(await h.say(`/stats ${megSession.id.slice(0, 8)}`, { user: ALEX }))).toMatch(/couldn't find a session/);
    expect(textOf(await h.say('/export 00000000-0000-4000-8000-000000000000'))).toMatch(/couldn't find a session/);
    expect(textOf(await h.say('/export ../../etc/passwd'))).toMatch(/doesn't look like a session id/);
  });

  it('/stats shows the spec statistics and notes per category', async () => {
    const texts = allTexts(await h.say('/stats'));
    expect(texts).toContain('Turns: 1');
    expect(texts).toContain('Notes: 1');
    expect(texts).toContain('tone: 1');
    expect(texts).toContain('Status: open');
    expect(texts.find((t) => t.startsWith('Avg processing time:'))).toMatch(/^Avg processing time: \d[\d,]* ms$/);
  });

  it('/prompt shows the prompt path and version', async () => {
    const text = textOf(await h.say('prompt'));
    expect(text).toContain('examples/era/MASTER_PROMPT.md');
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').select('master_prompt_version').where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).executeTakeFirstOrThrow();
    expect(text).toContain(`**Version:** ${session.master_prompt_version}`);
  });

  it('/new closes the open session and opens another', async () => {
    const before = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).executeTakeFirstOrThrow();
    const texts = allTexts(await h.say('/new'));
    expect(texts).toContain(`Session ${before.id.slice(0, 8)} was closed.`);
    const closed = await h.t.db.selectFrom('prompt_tuning_sessions').select('session_end').where('id', '=', before.id).executeTakeFirstOrThrow();
    expect(closed.session_end).toBeInstanceOf(Date);
    const open = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', MEG.account.aadObjectId!).where('session_end', 'is', null).execute();
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(before.id);
  });

  it('/end closes the session with a summary, and says so when none is open', async () => {
    await h.say('A question in the new session');
    const texts = allTexts(await h.say('/end'));
    expect(texts[0]).toMatch(/^Session [0-9a-f]{8} ended$/);
    expect(texts).toContain('Turns: 1');
    expect(texts).toContain('Status: ended');
    expect(textOf(await h.say('/end'))).toMatch(/No session is open/);
    // /export with no argument falls back to the latest session
    expect(cardTexts(cardOf((await h.say('/export')).find((a) => cardOf(a))))[0]).toMatch(/^CSV export of session/);
  });

  it('/sessions lists the last ten with counts', async () => {
    for (let i = 0; i < 10; i += 1) await h.say('/new');
    const texts = allTexts(await h.say('/sessions'));
    expect(texts[0]).toBe('Your last 10 session(s)');
    expect(texts.filter((t) => /^\*\*[0-9a-f]{8}\*\* · (open|ended) · /.test(t))).toHaveLength(10);
    expect(texts.filter((t) => /· open ·/.test(t))).toHaveLength(1);
  });

  it('answers an unknown slash command with the list', async () => {
    expect(textOf(await h.say('/frobnicate'))).toMatch(/I don't know the command \/frobnicate\. `\/help`/);
  });

  it('understands a command after an @mention in a group chat', async () => {
    const sent = await h.say('<at>Tuning Bot</at> /sessions', {
      user: ALEX,
      conversation: { id: '19:group-chat', conversationType: 'groupChat', isGroup: true },
      extra: { entities: [{ type: 'mention', mentioned: BOT, text: '<at>Tuning Bot</at>' }] },
    });
    expect(textOf(sent)).toMatch(/no tuning sessions yet/);
  });
});
