/**
 * The tuning loop through the bot (issue 10's Teams wiring), on both databases with the loopback Claude
 * answering as ERA, judge and suggester, and a loopback connector receiving the proactive updates:
 * the reply card's score line (pending, then scored in place), /stats averages, /suggest with its signed
 * .patch, Replay with this suggestion (one replay for a double click) with its progress card updated in
 * place and the comparison card, Cancel (also on a stale card), Retry, /replay with a git ref or file,
 * /export bundle; and every bad input: another tester's session, suggestion and replay, no notes, an
 * unknown ref, a file outside the prompt's folder, two versions, a session without a suggestion.
 */
import type { Activity } from 'botbuilder';
import { comparisonSubject } from '../src/insights';
import { listen } from '../src/server';
import { createExportToken } from '../src/tuning';
import { actionData, ALEX, cardOf, cardTexts, createHarness, executeValue, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { type FakeConnector, startFakeConnector } from './helpers/fake-connector';
import { ACKNOWLEDGE_RULE, ACKNOWLEDGEMENT, eraReply } from './helpers/fake-insights';

const SLOW = 240_000;

type Wire = Record<string, unknown>;

/** The card of an activity the connector received (a proactive send or update). */
function wireCard(a: Wire): unknown {
  const atts = a.attachments as Array<{ contentType: string; content: unknown }> | undefined;
  return atts?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive')?.content;
}

function invokeBody(response: { status: number; body: unknown } | undefined): { type: string; value: unknown } {
  expect(response?.status).toBe(200);
  return response!.body as { type: string; value: unknown };
}

function messageOf(response: { status: number; body: unknown } | undefined): string {
  const body = invokeBody(response);
  expect(body.type).toBe('application/vnd.microsoft.activity.message');
  return body.value as string;
}

function cardOfResponse(response: { status: number; body: unknown } | undefined): unknown {
  const body = invokeBody(response);
  expect(body.type).toBe('application/vnd.microsoft.card.adaptive');
  return body.value;
}

describe.each(testDbKinds)('the tuning loop in Teams (%s)', (kind) => {
  let h: Harness;
  let connector: FakeConnector;
  let base: string;
  const onConnector = (): { serviceUrl: string } => ({ serviceUrl: connector.serviceUrl });
  const say = (text: string, user = undefined as typeof ALEX | undefined) => h.say(text, { extra: onConnector(), ...(user ? { user } : {}) });
  const click = (verb: string, data: Record<string, unknown>, o: { user?: typeof ALEX; replyToId?: string } = {}) =>
    h.send({ type: 'invoke', name: 'adaptiveCard/action', value: executeValue(verb, data), ...(o.replyToId ? { replyToId: o.replyToId } : {}), ...onConnector() }, o.user).then((sent) => ({
      response: sent.find((a) => a.type === 'invokeResponse')?.value as { status: number; body: unknown } | undefined,
      sent: sent.filter((a) => a.type !== 'invokeResponse'),
    }));
  const get = async (url: string) => {
    const res = await fetch(`${base}${new URL(url).pathname}`);
    return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), text: await res.text() };
  };
  const sessionOf = async (testerId: string) =>
    h.t.db.selectFrom('prompt_tuning_sessions').selectAll().where('tester_id', '=', testerId).where('session_end', 'is', null).executeTakeFirstOrThrow();

  beforeAll(async () => {
    h = await createHarness(kind, { claude: true, knowledge: true });
    h.fake!.reply((body) => eraReply(body));
    connector = await startFakeConnector();
    base = `http://127.0.0.1:${await listen(h.app.server, 0, '127.0.0.1')}`;
  }, SLOW);
  afterAll(async () => {
    await h.app.insights.replays.idle();
    await new Promise<void>((resolve) => h.app.server.close(() => { resolve(); }));
    await connector.close();
    await h.close();
  });

  let replies: Array<Partial<Activity>> = [];

  it('scores each reply: the programmatic metrics at once, the judge scores in place once judged', async () => {
    const questions = [
      'One of my trainers did not show up for her 6am shift and did not call. Second time this month.',
      'Should I give her a written warning?',
      'What should the warning say?',
    ];
    replies = [];
    for (const q of questions) {
      const sent = await say(q);
      const reply = sent.filter((a) => cardOf(a)).at(-1)!;
      replies.push(reply);
      const line = cardTexts(cardOf(reply)).find((t) => t.startsWith('Scores: '));
      expect(line).toBe('Scores: Citation ✓ · Action ✓ · Structure ✓ · judge scores pending');
    }
    await h.app.insights.judgeQueue.drain();
    const session = await sessionOf('aad-meg-0001');
    const turns = await h.t.db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', session.id).orderBy('turn_number').execute();
    expect(turns.map((t) => [t.has_policy_citation, t.appropriate_action_suggested, t.structure_complete, t.empathy_score])).toEqual([[true, true, true, 3], [true, true, true, 3], [true, true, true, 3]]);
    // Each reply was updated in place (its own activity id) with the judge's scores.
    for (const t of turns) {
      const replyId = t.metadata?.reply_activity_id;
      expect(typeof replyId).toBe('string');
      const update = connector.activities.filter((a) => a.id === replyId).at(-1);
      expect(update).toBeDefined();
      expect(update!.text).toBe(t.era_response);
      expect(cardTexts(wireCard(update!))).toContain(`Scores: Citation ✓ · Action ✓ · Structure ✓ · Professionalism ${t.professionalism_score} · Empathy 3 · Clarity ${t.clarity_score}`);
    }
    const judged = await h.t.db.selectFrom('llm_calls').select(['purpose', 'model']).where('purpose', '=', 'judging').execute();
    expect(judged).toHaveLength(3);
    expect(judged[0]!.model).toBe(h.config.judge.model);
  }, SLOW);

  it('/stats shows the score averages', async () => {
    const sent = await say('/stats');
    const texts = cardTexts(cardOf(sent.find((a) => cardOf(a))));
    expect(texts).toContain('Reply scores (averages)');
    expect(texts).toContain('Cites a policy: 100% (3 turns)');
    expect(texts).toContain('Empathy (1-5): 3.00 (3 turns)');
  }, SLOW);

  let suggestionCardJson: unknown;

  it('/suggest proposes an edit answering the notes, with a signed .patch that only its tester can read', async () => {
    const note = async (i: number, verb: string, extra: Record<string, unknown>) => {
      const reply = replies[i]!;
      const { response } = await click(verb, { ...actionData(cardOf(reply), verb), ...extra }, { replyToId: reply.id });
      expect(response?.status).toBe(200);
    };
    await note(0, 'tb.note.save', { category: 'tone', note: 'Too matter-of-fact: acknowledge how stressful this is first' });
    await note(1, 'tb.note.good', {});
    await note(2, 'tb.note.save', { category: 'tone', note: 'Sounds robotic' });

    const sent = await say('/suggest');
    suggestionCardJson = cardOf(sent.find((a) => cardOf(a)));
    const texts = cardTexts(suggestionCardJson);
    expect(texts[0]).toBe('Suggested prompt edits');
    expect(texts.find((t) => t.startsWith('**Edit 1** answers N1 (tone), N3 (tone)'))).toBeDefined();
    const actions = (suggestionCardJson as { actions: Array<{ title: string; url?: string; verb?: string }> }).actions;
    expect(actions.map((a) => a.title)).toEqual(['Replay with this suggestion', 'Download .patch']);
    const patch = await get(actions[1]!.url!);
    expect(patch.status).toBe(200);
    expect(patch.disposition).toMatch(/^attachment; filename="suggestion-[0-9a-f]{8}\.patch"$/);
    expect(patch.text.startsWith('# Suggested by Tuning Bot')).toBe(true);
    expect(patch.text).toContain(`+${ACKNOWLEDGE_RULE}`);
    const forged = await get(`${actions[1]!.url!.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(403);
  }, SLOW);

  it('Replay with this suggestion: one replay for a double click, its card updated in place, then the comparison', async () => {
    const data = actionData(suggestionCardJson, 'tb.insights.replay');
    const [a, b] = await Promise.all([click('tb.insights.replay', data), click('tb.insights.replay', data)]);
    const texts = [messageOf(a.response), messageOf(b.response)].sort();
    expect(texts[0]).toMatch(/^Replay [0-9a-f]{8} started: session [0-9a-f]{8} with suggestion [0-9a-f]{8}\./);
    expect(texts[1]).toMatch(/^Session [0-9a-f]{8} is already being replayed with this prompt \(replay [0-9a-f]{8}\): its progress card shows how far it is\.$/);
    const replays = await h.t.db.selectFrom('prompt_replays').selectAll().execute();
    expect(replays).toHaveLength(1);
    const progress = [...a.sent, ...b.sent].filter((x) => cardOf(x));
    expect(progress).toHaveLength(1);
    expect(cardTexts(cardOf(progress[0]))[0]).toBe(`Replaying session ${replays[0]!.source_session_id.slice(0, 8)}`);
    const cardId = progress[0]!.id!;

    await h.app.insights.replays.idle();
    const updates = connector.activities.filter((x) => x.id === cardId);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    const last = cardTexts(wireCard(updates.at(-1)!));
    expect(last).toEqual(expect.arrayContaining(['Status: completed', 'Turns replayed: 3 / 3']));
    expect((wireCard(updates.at(-1)!) as { actions?: unknown[] }).actions ?? []).toHaveLength(0);
    const comparison = connector.activities.find((x) => cardTexts(wireCard(x))[0] === 'Replay: old prompt vs new');
    expect(comparison).toBeDefined();
    const ctexts = cardTexts(wireCard(comparison!));
    expect(ctexts).toEqual(expect.arrayContaining(['Empathy (1-5)', '3.00', '4.00', '+1.00', '3 / 3']));
    expect(ctexts.filter((t) => t.startsWith(ACKNOWLEDGEMENT))).toHaveLength(3);

    // Full view: every turn's old and new answer, unclipped, for the tester who replayed; nobody else.
    const fullView = ((wireCard(comparison!) as { actions?: Array<{ type: string; title: string; url?: string }> }).actions ?? []).find((x) => x.title === 'Full view');
    expect(fullView?.type).toBe('Action.OpenUrl');
    const full = await get(fullView!.url!);
    expect(full.status).toBe(200);
    expect(full.type).toMatch(/^text\/plain/);
    expect(full.disposition).toMatch(/^inline; filename="comparison-[0-9a-f]{8}\.txt"$/);
    expect(full.text).toContain(replays[0]!.candidate_version);
    expect(full.text.match(/^\[old\]$/gm)).toHaveLength(3);
    expect(full.text.match(/^\[new\]$/gm)).toHaveLength(3);
    expect(full.text.split('\n').filter((l) => l.startsWith(ACKNOWLEDGEMENT))).toHaveLength(3);
    const secret = 'test-secret-that-is-long-enough-0123456789';
    const other = createExportToken({ sessionId: comparisonSubject([replays[0]!.id]), testerId: 'someone-else' }, secret, 15);
    expect((await get(`${base}/exports/insights/${other.token}`)).status).toBe(404);
    expect((await get(`${fullView!.url!.slice(0, -4)}AAAA`)).status).toBe(403);

    // A stale card: Cancel on the finished replay shows it as it is and why nothing was done.
    const stale = await click('tb.insights.replay.cancel', { replayId: replays[0]!.id }, { replyToId: cardId });
    const staleTexts = cardTexts(cardOfResponse(stale.response));
    expect(staleTexts).toContain('Status: completed');
    expect(staleTexts).toContain(`Replay ${replays[0]!.id.slice(0, 8)} has already ended (completed).`);
  }, SLOW);

  it('/replay with a git ref; Cancel stops a running replay; a failed one is retried to the end', async () => {
    // Cancel: the replay's first ERA call waits, and Cancel lands meanwhile.
    h.fake!.enqueue({ delayMs: 2000 }, { delayMs: 2000 }, { delayMs: 2000 });
    const sent = await say('/replay HEAD');
    const card = cardOf(sent.find((a) => cardOf(a)));
    expect(cardTexts(card)).toEqual(expect.arrayContaining(['Status: queued', 'Turns replayed: 0 / 3']));
    const { replayId } = actionData(card, 'tb.insights.replay.cancel') as { replayId: string };
    const cancel = await click('tb.insights.replay.cancel', { replayId });
    expect(cardTexts(cardOfResponse(cancel.response))).toEqual(expect.arrayContaining(['Status: cancelled', 'Cancelled: nothing more is replayed.']));
    await h.app.insights.replays.idle();
    const cancelled = await h.t.db.selectFrom('prompt_replays').selectAll().where('id', '=', replayId).executeTakeFirstOrThrow();
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.done_turns).toBeLessThan(3);

    // Failure: Claude unavailable on the first replayed turn (both attempts), then Retry.
    const before = connector.activities.length;
    h.fake!.enqueue({ status: 529 }, { status: 529 });
    const again = await say('/replay ref:HEAD');
    const retryCard = cardOf(again.find((a) => cardOf(a)));
    const { replayId: failingId } = actionData(retryCard, 'tb.insights.replay.cancel') as { replayId: string };
    await h.app.insights.replays.idle();
    const failedCard = connector.activities.slice(before).filter((x) => x.id === again.find((a) => cardOf(a))!.id).at(-1)!;
    expect(cardTexts(wireCard(failedCard))).toContain('Status: failed');
    const retryData = actionData(wireCard(failedCard), 'tb.insights.replay.retry');
    expect(retryData).toEqual({ replayId: failingId });
    const retried = await click('tb.insights.replay.retry', retryData);
    expect(cardTexts(cardOfResponse(retried.response))).toContain('Status: queued');
    await h.app.insights.replays.idle();
    const done = await h.t.db.selectFrom('prompt_replays').selectAll().where('id', '=', failingId).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ status: 'completed', done_turns: 3, candidate_kind: 'git_ref' });
    // Retry again on the now-completed card: refused with the reason.
    const twice = await click('tb.insights.replay.retry', retryData);
    expect(messageOf(twice.response)).toBe(`Replay ${failingId.slice(0, 8)} is completed; only a failed replay is retried.`);
  }, SLOW);

  it('/export bundle gives a signed link to the Markdown or JSON bundle', async () => {
    const md = cardOf((await say('/export bundle')).find((a) => cardOf(a)));
    expect(cardTexts(md)[0]).toMatch(/^LLM-ready bundle of session [0-9a-f]{8}$/);
    const url = (md as { actions: Array<{ url: string; title: string }> }).actions[0]!;
    expect(url.title).toBe('Download bundle');
    const file = await get(url.url);
    expect(file.status).toBe(200);
    expect(file.disposition).toMatch(/filename="session-[0-9a-f]{8}-bundle\.md"/);
    expect(file.text).toContain('## Turn 3');
    expect(file.text).toContain('Sounds robotic');
    const session = await sessionOf('aad-meg-0001');
    const json = cardOf((await say(`/export bundle ${session.id.slice(0, 8)} json`)).find((a) => cardOf(a)));
    const jfile = await get((json as { actions: Array<{ url: string }> }).actions[0]!.url);
    expect(jfile.type).toMatch(/^application\/json/);
    expect((JSON.parse(jfile.text) as { turns: unknown[] }).turns).toHaveLength(3);
  }, SLOW);

  it('refuses what is not the tester\'s, and bad versions, each with a clear message', async () => {
    const meg = await sessionOf('aad-meg-0001');
    const short = meg.id.slice(0, 8);
    const replay = await h.t.db.selectFrom('prompt_replays').select('id').where('source_session_id', '=', meg.id).executeTakeFirstOrThrow();
    const suggestion = await h.t.db.selectFrom('prompt_suggestions').select('id').where('session_id', '=', meg.id).executeTakeFirstOrThrow();
    const textOf = (sent: Array<Partial<Activity>>) => sent.map((a) => a.text).filter(Boolean).join('\n');

    // Alex, another tester: Meg's session, suggestion and replay are not found.
    const notYours = `I couldn't find a session "${short}" among yours. Send \`/sessions\` to see your sessions and their ids.`;
    expect(textOf(await say(`/suggest ${short}`, ALEX))).toBe(notYours);
    expect(textOf(await say(`/replay ${short} HEAD`, ALEX))).toBe(notYours);
    expect(textOf(await say(`/export bundle ${short}`, ALEX))).toBe(notYours);
    expect(messageOf((await click('tb.insights.replay', { suggestionId: suggestion.id, sessionId: meg.id }, { user: ALEX })).response)).toBe(`I couldn't find a suggestion "${suggestion.id}".`);
    expect(messageOf((await click('tb.insights.replay.cancel', { replayId: replay.id }, { user: ALEX })).response)).toBe(`I couldn't find a replay "${replay.id}".`);
    expect(messageOf((await click('tb.insights.replay', { suggestionId: 42 })).response)).toBe('I couldn\'t find a suggestion "42".');

    // Bad versions.
    expect(textOf(await say('/replay nosuchbranch'))).toBe('There is no commit "nosuchbranch" in the prompt\'s repository.');
    expect(textOf(await say('/replay file:../../../etc/passwd'))).toMatch(/^"\.\.\/\.\.\/\.\.\/etc\/passwd" is not a candidate I can read: give a \.md file in the prompt's folder/);
    expect(textOf(await say('/replay HEAD~1 main'))).toMatch(/^Give one version to replay with, not "HEAD~1" and "main"\./);

    // A new session: no notes to suggest from, no suggestion to replay.
    await say('/new');
    await say('Can I change a shift at short notice?');
    await h.app.insights.judgeQueue.drain();
    const fresh = (await sessionOf('aad-meg-0001')).id.slice(0, 8);
    expect(textOf(await say('/suggest'))).toBe(`Session ${fresh} has no improvement notes (only Looks good or none), so there is nothing to change. Add notes with Improve first.`);
    expect(textOf(await say('/replay'))).toBe(`Session ${fresh} has no suggestion with edits to replay. Send /suggest ${fresh} first, or name a version: a git ref (e.g. HEAD~1) or file:path.`);
    expect(await h.t.db.selectFrom('prompt_replays').select('id').where('source_session_id', '=', (await sessionOf('aad-meg-0001')).id).execute()).toEqual([]);
  }, SLOW);
});

describe.each(testDbKinds)('the tuning loop offline (%s)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { knowledge: true });
  }, SLOW);
  afterAll(async () => {
    await h.close();
  });

  it('labels the missing judge on the card and in /stats, and /suggest gives the labelled digest', async () => {
    const sent = await h.say('An employee keeps arriving late. What can I do?');
    const reply = sent.filter((a) => cardOf(a)).at(-1)!;
    expect(cardTexts(cardOf(reply)).find((t) => t.startsWith('Scores: '))).toMatch(/ · judge offline$/);
    const { response } = await h.invoke('adaptiveCard/action', executeValue('tb.note.save', { ...actionData(cardOf(reply), 'tb.note.save'), category: 'tone', note: 'Too curt' }), { replyToId: reply.id });
    expect(response?.status).toBe(200);
    const stats = cardTexts(cardOf((await h.say('/stats')).find((a) => cardOf(a))));
    expect(stats).toContain('Empathy (1-5): judge offline');
    const suggestion = cardTexts(cardOf((await h.say('/suggest')).find((a) => cardOf(a))));
    expect(suggestion[0]).toBe('Notes digest (offline)');
    expect(suggestion).toContain('Offline mode: no prompt edits were proposed. These are the notes, grouped by category and turn.');
    expect(await h.t.db.selectFrom('llm_calls').select('id').execute()).toEqual([]);
  }, SLOW);
});
