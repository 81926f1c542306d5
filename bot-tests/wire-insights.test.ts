/**
 * The tuning loop's cards as Teams receives them (issue 9: no Teams feature counts as done on
 * TestAdapter alone). The real server, activities POSTed to /api/messages, and the JSON bodies the bot
 * sends to a loopback Bot Connector: the /suggest card with its Replay verb and its signed .patch link,
 * the invoke response to "Replay with this suggestion", and the first card of /replay (the direct reply
 * to the tester's message) with its Cancel verb, then the same card updated in place to its end.
 * bot-insights.test.ts covers the same flows' logic through TestAdapter.
 */
import { actionData, cardTexts, executeValue } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import type { ConnectorRequest } from './helpers/fake-connector';
import { ACKNOWLEDGE_RULE, eraReply } from './helpers/fake-insights';
import { repliesTo, startWire, type Wire } from './helpers/wire-harness';

const SLOW = 240_000;

function adaptiveCardOf(r: ConnectorRequest | undefined): Record<string, unknown> | undefined {
  const atts = (r?.body?.attachments as Array<{ contentType: string; content: Record<string, unknown> }> | undefined) ?? [];
  return atts.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

type CardTest = RegExp | ((card: Record<string, unknown>) => boolean);

/** The card of the first activity the bot sent in reply to ACTIVITY_ID that passes WHICH (a test of its first text, or of the card). */
function cardIn(wire: Wire, activityId: string, which: CardTest): { card: Record<string, unknown>; id: string } | undefined {
  for (const r of repliesTo(wire, activityId)) {
    const card = adaptiveCardOf(r);
    if (card && (which instanceof RegExp ? which.test(cardTexts(card)[0] ?? '') : which(card))) return { card, id: r.id! };
  }
  return undefined;
}

/** The answer card: the one with the note buttons (a first message also gets the welcome card). */
const isAnswerCard = (card: Record<string, unknown>) => JSON.stringify(card).includes('"verb":"tb.note.save"');

describe.each(testDbKinds)('the tuning loop on the wire (%s)', (kind) => {
  let wire: Wire;
  beforeAll(async () => {
    wire = await startWire(kind, { knowledge: true });
    wire.fake!.reply((body) => eraReply(body));
  }, SLOW);
  afterAll(async () => {
    await wire.close();
  });

  /** Sends TEXT and waits until the bot has answered it (its card on the wire) and gone idle. */
  async function say(text: string, which: CardTest): Promise<{ card: Record<string, unknown>; id: string }> {
    const msg = wire.message(text);
    const res = await wire.post(msg);
    expect(res.status).toBe(200);
    await wire.connector.waitFor(() => cardIn(wire, msg.id as string, which) !== undefined, 60_000);
    await wire.idle();
    return cardIn(wire, msg.id as string, which)!;
  }

  async function click(verb: string, data: Record<string, unknown>, replyToId?: string): Promise<{ type: string; value: unknown }> {
    const res = await wire.post(wire.invoke('adaptiveCard/action', executeValue(verb, data), replyToId ? { replyToId } : {}));
    expect(res.status).toBe(200);
    return res.body as { type: string; value: unknown };
  }

  it('/suggest sends its card with the Replay verb and a working .patch link; Replay answers the invoke with one replay', async () => {
    const questions = [
      'One of my trainers did not show up for her 6am shift and did not call. Second time this month.',
      'Should I give her a written warning?',
    ];
    const replies: Array<{ card: Record<string, unknown>; id: string }> = [];
    for (const q of questions) replies.push(await say(q, isAnswerCard));
    for (const [i, note] of ['Too matter-of-fact: acknowledge how stressful this is first', 'Sounds robotic'].entries()) {
      const r = replies[i]!;
      const body = await click('tb.note.save', { ...actionData(r.card, 'tb.note.save'), category: 'tone', note }, r.id);
      expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
    }

    const { card } = await say('/suggest', /^Suggested prompt edits$/);
    const texts = cardTexts(card);
    expect(texts.find((t) => t.startsWith('**Edit 1** answers N1 (tone), N2 (tone)'))).toBeDefined();
    const actions = card.actions as Array<{ type: string; title: string; url?: string; verb?: string; data?: Record<string, unknown> }>;
    expect(actions.map((a) => [a.type, a.title])).toEqual([['Action.Execute', 'Replay with this suggestion'], ['Action.OpenUrl', 'Download .patch']]);
    expect(actions[0]!.verb).toBe('tb.insights.replay');
    const patch = await fetch(`${wire.base}${new URL(actions[1]!.url!).pathname}`);
    expect(patch.status).toBe(200);
    expect(await patch.text()).toContain(`+${ACKNOWLEDGE_RULE}`);

    // The click's answer is the invoke response body Teams shows in place of the card.
    const body = await click('tb.insights.replay', actions[0]!.data!);
    expect(body.type).toBe('application/vnd.microsoft.activity.message');
    expect(body.value).toMatch(/^Replay [0-9a-f]{8} started: session [0-9a-f]{8} with suggestion [0-9a-f]{8}\./);
    await wire.app.insights.replays.idle();
    await wire.idle();
    expect(await wire.t.db.selectFrom('prompt_replays').select('id').execute()).toHaveLength(1);
  }, SLOW);

  it('/replay sends its first card as the reply, with Cancel; the same card is then updated in place to its end', async () => {
    const before = await wire.t.db.selectFrom('prompt_replays').select('id').execute();
    const { card, id } = await say('/replay HEAD', /^Replaying session [0-9a-f]{8}$/);
    expect(cardTexts(card)).toEqual(expect.arrayContaining(['Status: queued', 'Turns replayed: 0 / 2']));
    const { replayId } = actionData(card, 'tb.insights.replay.cancel') as { replayId: string };
    expect(before.map((r) => r.id)).not.toContain(replayId);
    await wire.app.insights.replays.idle();
    await wire.idle();
    await wire.connector.waitFor((rs) => rs.some((r) => r.method === 'PUT' && r.path.endsWith(`/activities/${encodeURIComponent(id)}`) && cardTexts(adaptiveCardOf(r)).includes('Status: completed')), 60_000);
    const last = wire.connector.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/activities/${encodeURIComponent(id)}`)).at(-1);
    expect(cardTexts(adaptiveCardOf(last))).toEqual(expect.arrayContaining(['Status: completed', 'Turns replayed: 2 / 2']));
    const stored = await wire.t.db.selectFrom('prompt_replays').select(['status', 'done_turns']).where('id', '=', replayId).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'completed', done_turns: 2 });
  }, SLOW);
});
