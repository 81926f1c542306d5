/** Streaming into a Teams 1:1 chat: informative update, throttled cumulative updates, final; Stop; no streaming elsewhere. */
import type { Activity, TurnContext } from 'botbuilder';
import { TeamsStream } from '../src/bot/streaming';
import { answerRequests, cardOf, cardTexts, createHarness, type Harness } from './helpers/bot-harness';

const streamType = (a: Partial<Activity>) => (a.channelData as { streamType?: string } | undefined)?.streamType;

describe('TeamsStream throttling', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends at most one update per interval, always the latest cumulative text', async () => {
    // Fake timers drive both the throttle's setTimeout and its clock (Date.now).
    const start = Date.now();
    const sent: Array<{ at: number; activity: Partial<Activity> }> = [];
    const context = {
      activity: { channelId: 'msteams', conversation: { conversationType: 'personal' } },
      sendActivity: async (activity: Partial<Activity>) => {
        sent.push({ at: Date.now() - start, activity });
        return { id: `a${sent.length}` };
      },
    } as unknown as TurnContext;
    const stream = new TeamsStream(context, 1500);
    await stream.informative('Searching the policies…');
    let elapsed = 0;
    for (const [t, text] of [[100, 'A'], [200, 'AB'], [900, 'ABC'], [1600, 'ABCD'], [1700, 'ABCDE'], [2500, 'ABCDEF']] as const) {
      await jest.advanceTimersByTimeAsync(t - elapsed);
      elapsed = t;
      stream.update(text);
    }
    await jest.advanceTimersByTimeAsync(5000);
    const final = await stream.final({ text: 'ABCDEFG' });
    const updates = sent.filter((s) => streamType(s.activity) === 'streaming');
    // Deltas over 2.5 s at a 1.5 s interval: an update at 1.5 s (the latest text then) and one at 3 s.
    expect(updates.map((u) => u.activity.text)).toEqual(['ABC', 'ABCDEF']);
    expect(updates.map((u) => u.at)).toEqual([1500, 3000]);
    expect(updates.every((u) => u.activity.type === 'typing')).toBe(true);
    expect(updates.map((u) => (u.activity.entities?.[0] as unknown as { streamSequence: number }).streamSequence)).toEqual([2, 3]);
    expect(updates.every((u) => (u.activity.entities?.[0] as unknown as { streamId: string }).streamId === 'a1')).toBe(true);
    expect(final).toBe('a4');
    expect(sent.at(-1)!.activity).toMatchObject({ type: 'message', text: 'ABCDEFG', channelData: { streamType: 'final', streamId: 'a1' } });
  });
});

describe('streamed answers (PGlite, Claude through the loopback fake)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite', { claude: true, env: { STREAM_UPDATE_INTERVAL_MS: '1000' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('streams informative, then cumulative updates, then the final message with the card', async () => {
    const answer = 'First, check the schedule. Then call the employee twice and document both attempts. Finally, record the no-call/no-show.';
    h.fake!.enqueue({ text: answer, chunks: answer.match(/.{1,20}/g)!, chunkDelayMs: 300 });
    const sent = await h.say('She never showed up or called.');
    const informative = sent.filter((a) => streamType(a) === 'informative');
    const updates = sent.filter((a) => streamType(a) === 'streaming');
    const finals = sent.filter((a) => streamType(a) === 'final');
    expect(informative).toHaveLength(1);
    expect(informative[0]!.type).toBe('typing');
    expect(updates.length).toBeGreaterThanOrEqual(1);
    for (const u of updates) expect(answer.startsWith(u.text!)).toBe(true);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toBe(answer);
    expect(cardOf(finals[0])).toBeDefined();
    expect(sent.indexOf(informative[0]!)).toBeLessThan(sent.indexOf(finals[0]!));
    const body = answerRequests(h).at(-1)!.body as { stream?: boolean };
    expect(body.stream).toBe(true);
  });

  it('ends the stream as cancelled when the tester presses Stop (403), and stores what arrived', async () => {
    const answer = 'Step one is to stay calm. Step two is to document everything. Step three is to call ER right away.';
    h.fake!.enqueue({ text: answer, chunks: answer.match(/.{1,10}/g)!, chunkDelayMs: 250 });
    const original = h.adapter.sendActivities.bind(h.adapter);
    h.adapter.sendActivities = async (context: TurnContext, activities: Partial<Activity>[]) => {
      if (activities.some((a) => streamType(a) === 'streaming')) {
        throw Object.assign(new Error('ContentStreamNotAllowed'), { statusCode: 403 });
      }
      return original(context, activities);
    };
    let sent: Partial<Activity>[];
    try {
      sent = await h.say('A trainer harassed a coworker, what do I do?');
    } finally {
      h.adapter.sendActivities = original;
    }
    expect(sent.filter((a) => streamType(a) === 'final')).toHaveLength(0);
    expect(sent.map((a) => a.text ?? '').join(' ')).not.toMatch(/went wrong|couldn't answer/);
    const card = sent.find((a) => cardOf(a));
    expect(cardTexts(cardOf(card))).toContain('You stopped this answer; what arrived is stored and can take notes.');
    const turn = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().orderBy('turn_number', 'desc').executeTakeFirstOrThrow();
    expect(turn.metadata).toMatchObject({ cancelled: true, stop_reason: 'cancelled_by_tester' });
    expect(answer.startsWith(turn.era_response)).toBe(true);
    expect(turn.era_response.length).toBeLessThan(answer.length);
  });

  it('does not stream in a group chat: one final message', async () => {
    const sent = await h.say('Group question about breaks', { conversation: { id: '19:group', conversationType: 'groupChat', isGroup: true } });
    expect(sent.filter((a) => streamType(a) !== undefined)).toHaveLength(0);
    const replies = sent.filter((a) => cardOf(a));
    expect(replies.at(-1)!.text).toBe('ERA says: I understand "Group question about breaks". Here is what to do.');
    expect(sent.some((a) => a.type === 'typing')).toBe(true);
  });

  it('does not stream to a local client (the Agents Playground) and offers it no file consent', async () => {
    const sent = await h.say('Local client question', { extra: { serviceUrl: 'http://127.0.0.1:56150' } });
    expect(sent.filter((a) => streamType(a) !== undefined)).toHaveLength(0);
    expect(sent.filter((a) => cardOf(a)).at(-1)!.text).toBe('ERA says: I understand "Local client question". Here is what to do.');
    const exported = await h.say('/export', { extra: { serviceUrl: 'http://127.0.0.1:56150' } });
    expect(exported.flatMap((a) => a.attachments ?? []).map((a) => a.contentType)).toEqual(['application/vnd.microsoft.card.adaptive']);
  });

  it('ends the stream with the error as its final message when Claude fails, and stores nothing', async () => {
    const before = (await h.t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length;
    h.fake!.enqueue({ status: 500 }, { status: 500 });
    const sent = await h.say('She was a no-call/no-show today and never called.');
    const finals = sent.filter((a) => streamType(a) === 'final');
    expect(finals).toHaveLength(1);
    expect(finals[0]!.text).toMatch(/Claude had an error and ERA couldn't answer\. Your message was not stored/);
    expect(sent.filter((a) => a.type === 'message' && streamType(a) === undefined)).toHaveLength(0);
    expect((await h.t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length).toBe(before);
  });
});
