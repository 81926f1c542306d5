/**
 * Teams features on the wire (issue 9): the real server, activities POSTed to /api/messages, and the
 * JSON bodies the bot sends captured by a loopback Bot Connector. What is asserted here is what Teams
 * receives: the AI label and citations, the feedback loop flag, the streaming sequence, invoke
 * response bodies, updates in place; and that a redelivered activity is handled once, that the HTTP
 * response does not wait for Claude, and that thumbs without a reply id get a clear message.
 */
import { actionData, executeValue } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';
import { type FakeTextStep, lastUserText } from './helpers/fake-anthropic';
import type { ConnectorRequest } from './helpers/fake-connector';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ALEX, repliesTo, startWire, type Wire } from './helpers/wire-harness';

type Entity = Record<string, unknown>;
const entitiesOf = (r: ConnectorRequest | undefined) => ((r?.body?.entities as Entity[] | undefined) ?? []);
const streamInfo = (r: ConnectorRequest | undefined) => entitiesOf(r).find((e) => e.type === 'streaminfo');
const aiEntity = (r: ConnectorRequest | undefined) => entitiesOf(r).find((e) => e.type === 'https://schema.org/Message');
const isAnswer = (r: ConnectorRequest) => r.body?.type === 'message' && aiEntity(r) !== undefined;

/** The next answer (not the topic classifier's call, which uses another model) streams slowly. */
function slowAnswer(wire: Wire, step: FakeTextStep): void {
  let used = false;
  wire.fake!.reply((body) => {
    if (!used && body.model === wire.config.anthropic.model) {
      used = true;
      return step;
    }
    return `ERA says: about "${lastUserText(body).slice(0, 60)}", follow the attendance policy [1].`;
  });
}

async function turnCount(wire: Wire): Promise<number> {
  return (await wire.t.db.selectFrom('tuning_conversation_turns').select('id').execute()).length;
}

describe.each(testDbKinds)('Teams on the wire (%s)', (kind) => {
  describe('answers', () => {
    let wire: Wire;
    beforeAll(async () => {
      wire = await startWire(kind, { knowledge: true });
    }, 180_000);
    afterAll(async () => {
      await wire.close();
    });

    it('streams a 1:1 answer: informative, cumulative text, then the final message with the AI label, citations and the feedback loop', async () => {
      // Slow chunks, so at least one streamed update goes out between the informative one and the final.
      const answer = 'Call the employee the same day and document it [1]. Repeated absences follow the attendance steps [2].';
      slowAnswer(wire, { text: answer, chunks: answer.match(/.{1,20}/g)!, chunkDelayMs: 400 });
      const msg = wire.message('What do I do about a no-call/no-show?');
      const res = await wire.post(msg);
      expect(res.status).toBe(200);
      await wire.connector.waitFor((rs) => rs.some(isAnswer));
      const sent = repliesTo(wire, msg.id as string);
      const stream = sent.filter((r) => streamInfo(r) !== undefined);
      const [informative, ...rest] = stream;
      const final = rest.at(-1)!;
      const updates = rest.slice(0, -1);

      expect(informative!.body).toMatchObject({ type: 'typing', text: 'Searching the policies…', channelData: { streamType: 'informative', streamSequence: 1 } });
      expect(streamInfo(informative)).toEqual({ type: 'streaminfo', streamType: 'informative', streamSequence: 1 });
      const streamId = informative!.id!;

      expect(updates.length).toBeGreaterThan(0);
      let previous = '';
      updates.forEach((u, i) => {
        expect(u.body).toMatchObject({ type: 'typing', channelData: { streamType: 'streaming', streamId, streamSequence: i + 2 } });
        expect(streamInfo(u)).toEqual({ type: 'streaminfo', streamType: 'streaming', streamSequence: i + 2, streamId });
        const text = u.body!.text as string;
        expect(text.startsWith(previous)).toBe(true);
        previous = text;
      });

      expect(final.body).toMatchObject({ type: 'message', channelData: { streamType: 'final', streamId, feedbackLoopEnabled: true } });
      expect(streamInfo(final)).toEqual({ type: 'streaminfo', streamType: 'final', streamId });
      const text = final.body!.text as string;
      expect(text.startsWith(previous)).toBe(true);
      const ai = aiEntity(final)!;
      expect(ai).toMatchObject({ type: 'https://schema.org/Message', '@type': 'Message', '@context': 'https://schema.org', additionalType: ['AIGeneratedContent'] });
      const markers = [...new Set([...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))].sort();
      const positions = (ai.citation as Array<{ position: number; '@type': string; appearance: Record<string, unknown> }>).map((c) => c.position).sort();
      expect(markers).toEqual([1, 2]);
      expect(positions).toEqual(markers);
      for (const c of ai.citation as Array<{ '@type': string; appearance: Record<string, unknown> }>) {
        expect(c['@type']).toBe('Claim');
        expect(c.appearance).toMatchObject({ '@type': 'DigitalDocument', name: expect.any(String), abstract: expect.any(String) });
      }
      expect((final.body!.attachments as Array<{ contentType: string }>).map((a) => a.contentType)).toContain('application/vnd.microsoft.card.adaptive');
    });

    it('ends the stream when Teams answers an update with 403 (the tester pressed Stop), and sends the stored part as a new message', async () => {
      const answer = 'First you call the employee [1]. Then you write it down. Then you check the attendance policy for the next steps [2].';
      slowAnswer(wire, { text: answer, chunks: answer.match(/.{1,10}/g)!, chunkDelayMs: 300 });
      const msg = wire.message('What if they do not answer the phone?');
      wire.connector.answerNext((r) => r.body?.type === 'typing' && (r.body.channelData as { streamType?: string } | undefined)?.streamType === 'streaming', {
        status: 403,
        body: { error: { code: 'ContentStreamNotAllowed', message: 'The user stopped the stream' } },
      });
      await wire.post(msg);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      await wire.idle();
      const all = wire.connector.requests.filter((r) => r.path.endsWith(`/activities/${msg.id as string}`));
      const stopped = all.findIndex((r) => r.status === 403);
      expect(stopped).toBeGreaterThan(0);
      const after = all.slice(stopped + 1);
      expect(after.filter((r) => r.body?.type === 'typing')).toHaveLength(0);
      expect(after.filter(isAnswer)).toHaveLength(1);
      expect(streamInfo(after.find(isAnswer))).toBeUndefined();
      const turn = await wire.t.db.selectFrom('tuning_conversation_turns').select('metadata').where('user_message', '=', 'What if they do not answer the phone?').executeTakeFirstOrThrow();
      expect(turn.metadata).toMatchObject({ cancelled: true });
    });

    it('sends a group-chat answer as one message (typing first), with the AI label and the feedback loop', async () => {
      const msg = wire.message('How many sick days do I get?', { group: true });
      expect((await wire.post(msg)).status).toBe(200);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      const sent = repliesTo(wire, msg.id as string);
      expect(sent.map((r) => r.body?.type)).toEqual(['typing', 'message']);
      expect(streamInfo(sent[1])).toBeUndefined();
      expect(sent[1]!.body).toMatchObject({ channelData: { feedbackLoopEnabled: true } });
      expect(aiEntity(sent[1])).toMatchObject({ '@type': 'Message', '@context': 'https://schema.org', additionalType: ['AIGeneratedContent'] });
    });

    it("shows Claude's topic as Claude's on the card Teams receives, when no rule decides", async () => {
      wire.fake!.reply((body) =>
        body.model === wire.config.intentModel ? '{"intent":"conduct","confidence":0.82}' : `ERA says: about "${lastUserText(body).slice(0, 60)}", see the conduct policy [1].`,
      );
      const msg = wire.message('One of my trainers wants to teach yoga at a rival studio on weekends. Is that allowed?', { group: true });
      expect((await wire.post(msg)).status).toBe(200);
      const topicLine = (r: ConnectorRequest) => /Topic: \*\*[^"]*/.exec(JSON.stringify(r.body ?? {}))?.[0];
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some((r) => topicLine(r) !== undefined));
      expect(repliesTo(wire, msg.id as string).map(topicLine).filter((l) => l !== undefined)).toEqual(['Topic: **Conduct** · Claude · confidence 0.82']);
    });

    it('answers an Action.Execute with the card in the HTTP response, and updates the card in place for a group chat', async () => {
      const msg = wire.message('Can I swap shifts with a colleague?', { group: true });
      await wire.post(msg);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      const answer = repliesTo(wire, msg.id as string).find(isAnswer)!;
      const card = (answer.body!.attachments as Array<{ content: unknown }>)[0]!.content;
      const before = wire.connector.requests.length;
      const res = await wire.post(wire.invoke('adaptiveCard/action', executeValue('tb.note.good', actionData(card, 'tb.note.good')), { replyToId: answer.id!, group: true }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: { type: 'AdaptiveCard' } });
      const put = wire.connector.requests.slice(before).find((r) => r.method === 'PUT');
      expect(put?.path).toBe(`/v3/conversations/${encodeURIComponent('19:group-chat@thread.v2')}/activities/${answer.id!}`);
      expect(put?.body).toMatchObject({ type: 'message', channelData: { feedbackLoopEnabled: true } });
      expect(aiEntity(put)).toMatchObject({ '@type': 'Message', additionalType: ['AIGeneratedContent'] });
    });

    it('acknowledges a message while Claude is still answering, then delivers the answer exactly once', async () => {
      const gate = wire.holdClaude();
      const msg = wire.message('Is overtime paid at time and a half?', { group: true });
      const res = await wire.post(msg);
      expect(res.status).toBe(200);
      // The response came back; the answer is still being written.
      await wire.connector.waitFor(() => gate.held() > 0);
      expect(repliesTo(wire, msg.id as string).some(isAnswer)).toBe(false);
      gate.release();
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      await wire.idle();
      expect(repliesTo(wire, msg.id as string).filter(isAnswer)).toHaveLength(1);
    });

    it('handles a redelivered message once: one turn, one answer, whether redelivered after or during the first', async () => {
      const turnsBefore = await turnCount(wire);
      const msg = wire.message('What is the dress code?', { group: true });
      const gate = wire.holdClaude();
      const first = await wire.post(msg);
      // Redelivered while the first is still answering, then after it finished.
      const during = await Promise.all([wire.post(msg), wire.post(msg)]);
      gate.release();
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      await wire.idle();
      const after = await wire.post(msg);
      await wire.idle();
      expect([first, ...during, after].map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(await turnCount(wire)).toBe(turnsBefore + 1);
      expect(repliesTo(wire, msg.id as string).filter(isAnswer)).toHaveLength(1);
      expect(repliesTo(wire, msg.id as string).filter((r) => r.body?.type === 'typing')).toHaveLength(1);
    });

    it('gives a redelivered invoke the first response and stores its note once', async () => {
      const msg = wire.message('Who approves my leave?', { group: true });
      await wire.post(msg);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      const answer = repliesTo(wire, msg.id as string).find(isAnswer)!;
      const thumbs = wire.invoke('message/submitAction', { actionName: 'feedback', actionValue: { reaction: 'dislike', feedback: JSON.stringify({ feedbackText: 'Too vague' }) } }, { replyToId: answer.id!, group: true });
      const first = await wire.post(thumbs);
      const again = await wire.post(thumbs);
      expect(first.status).toBe(200);
      expect(again).toEqual(first);
      const notes = await wire.t.db.selectFrom('tuning_improvements').select('improvement_note').where('improvement_note', 'like', '%Too vague%').execute();
      expect(notes).toHaveLength(1);
    });

    it('retries a reply the connector throttles (429 with Retry-After) and delivers it once', async () => {
      const msg = wire.message('Can I work from home on Fridays?', { group: true });
      wire.connector.answerNext((r) => r.method === 'POST' && r.body?.type === 'message', { status: 429, headers: { 'Retry-After': '1' } });
      await wire.post(msg);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some(isAnswer));
      await wire.idle();
      const posts = wire.connector.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/activities/${msg.id as string}`) && r.body?.type === 'message');
      expect(posts.map((r) => r.status)).toEqual([429, 200]);
    });

    it('answers thumbs feedback without a reply id with a message that names no card, logs a warning and stores nothing', async () => {
      const notesBefore = (await wire.t.db.selectFrom('tuning_improvements').select('id').execute()).length;
      const thumbs = wire.invoke('message/submitAction', { actionName: 'feedback', actionValue: { reaction: 'like', feedback: '' } });
      const res = await wire.post(thumbs);
      expect(res.status).toBe(200);
      await wire.connector.waitFor(() => repliesTo(wire, thumbs.id as string).length > 0);
      const told = repliesTo(wire, thumbs.id as string).map((r) => r.body?.text as string);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/couldn't tell which answer/i);
      expect(told[0]).not.toMatch(/card/i);
      expect((await wire.t.db.selectFrom('tuning_improvements').select('id').execute()).length).toBe(notesBefore);
      const entries = wire.logs.filter((l) => l.activityId === thumbs.id);
      expect(entries.some((l) => l.level === 40)).toBe(true);
      expect(entries.some((l) => (l.level as number) >= 50)).toBe(false);
    });
  });
  describe('file consent (FILE_CONSENT=always on the loopback connector)', () => {
    let wire: Wire;
    let upload: { url: string; puts: Array<{ range: string | undefined; body: Buffer }>; close: () => Promise<void> };
    beforeAll(async () => {
      wire = await startWire(kind, { env: { FILE_CONSENT: 'always' }, uploads: { allowInsecureUrl: true } });
      // A stand-in for the OneDrive upload session Teams hands over on accept.
      const puts: Array<{ range: string | undefined; body: Buffer }> = [];
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          puts.push({ range: req.headers['content-range'], body: Buffer.concat(chunks) });
          res.writeHead(201, { 'Content-Type': 'application/json' });
          res.end('{"id":"file-1"}');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
      upload = {
        url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/upload/session-1`,
        puts,
        close: () => new Promise<void>((resolve) => { server.close(() => { resolve(); }); }),
      };
    }, 180_000);
    afterAll(async () => {
      await upload.close();
      await wire.close();
    });

    /** Sends /export and returns the consent attachment and the signed link the bot put on the wire. */
    async function exportOnTheWire(): Promise<{ consent: Record<string, unknown>; link: string }> {
      const msg = wire.message('/export');
      await wire.post(msg);
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).length >= 2);
      await wire.idle();
      const sent = repliesTo(wire, msg.id as string);
      const attachments = sent.flatMap((r) => (r.body?.attachments as Array<Record<string, unknown>> | undefined) ?? []);
      const consent = attachments.find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.consent');
      const link = /https?:\/\/[^"\s]+\/exports\/[A-Za-z0-9._~-]+/.exec(JSON.stringify(attachments))?.[0];
      expect(consent).toBeDefined();
      expect(link).toBeDefined();
      return { consent: consent!, link: link! };
    }

    it('sends the consent card with the exact file size; accepting answers the invoke, uploads the file and sends the file card', async () => {
      const first = wire.message('My employee keeps coming in late, what should I do?');
      await wire.post(first);
      await wire.connector.waitFor(() => repliesTo(wire, first.id as string).some(isAnswer));
      await wire.idle();

      const { consent, link } = await exportOnTheWire();
      const content = consent.content as { sizeInBytes: number; acceptContext: { sessionId: string; fileName: string }; declineContext: unknown; description: string };
      const session = await wire.t.db.selectFrom('prompt_tuning_sessions').select('id').executeTakeFirstOrThrow();
      expect(content.acceptContext).toMatchObject({ sessionId: session.id, fileName: consent.name });
      expect(content.declineContext).toEqual(content.acceptContext);
      expect(content.description).toMatch(/1 turns?, 0 notes/);
      // The link serves the same bytes the card announces.
      // (PUBLIC_BASE_URL is the public name; the test fetches the same path from the server it runs.)
      const viaLink = Buffer.from(await (await fetch(`${wire.base}${new URL(link).pathname}`)).arrayBuffer());
      expect(viaLink.length).toBe(content.sizeInBytes);

      const accept = wire.invoke('fileConsent/invoke', {
        type: 'fileUpload', action: 'accept', context: content.acceptContext,
        uploadInfo: { uploadUrl: upload.url, contentUrl: 'https://onedrive.test/Apps/file.csv', name: consent.name, uniqueId: 'unique-1', fileType: 'csv' },
      });
      const res = await wire.post(accept);
      expect(res.status).toBe(200);
      await wire.connector.waitFor(() => repliesTo(wire, accept.id as string).length > 0);
      expect(upload.puts).toHaveLength(1);
      expect(upload.puts[0]!.body.equals(viaLink)).toBe(true);
      expect(upload.puts[0]!.range).toBe(`bytes 0-${String(viaLink.length - 1)}/${String(viaLink.length)}`);
      const info = repliesTo(wire, accept.id as string).flatMap((r) => (r.body?.attachments as Array<Record<string, unknown>> | undefined) ?? []);
      expect(info).toEqual([
        { contentType: 'application/vnd.microsoft.teams.card.file.info', contentUrl: 'https://onedrive.test/Apps/file.csv', name: consent.name, content: { uniqueId: 'unique-1', fileType: 'csv' } },
      ]);
    });

    it('declining answers the invoke and says the link still works; nothing is uploaded', async () => {
      const { consent } = await exportOnTheWire();
      const before = upload.puts.length;
      const decline = wire.invoke('fileConsent/invoke', { type: 'fileUpload', action: 'decline', context: (consent.content as { declineContext: unknown }).declineContext });
      const res = await wire.post(decline);
      expect(res.status).toBe(200);
      await wire.connector.waitFor(() => repliesTo(wire, decline.id as string).length > 0);
      expect(repliesTo(wire, decline.id as string).map((r) => r.body?.text)).toEqual([expect.stringMatching(/download link above still works/)]);
      expect(upload.puts.length).toBe(before);
    });

    it("another tester accepting a card with Meg's session id gets a clear message, and nothing is uploaded", async () => {
      const { consent } = await exportOnTheWire();
      const before = upload.puts.length;
      const forged = wire.invoke('fileConsent/invoke', {
        type: 'fileUpload', action: 'accept', context: (consent.content as { acceptContext: unknown }).acceptContext,
        uploadInfo: { uploadUrl: upload.url, contentUrl: 'https://onedrive.test/x.csv', name: 'x.csv', uniqueId: 'u-x', fileType: 'csv' },
      }, { user: ALEX });
      const res = await wire.post(forged);
      expect(res.status).toBe(200);
      await wire.connector.waitFor(() => repliesTo(wire, forged.id as string).length > 0);
      const told = repliesTo(wire, forged.id as string).map((r) => r.body?.text as string);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/couldn't be uploaded/i);
      expect(upload.puts.length).toBe(before);
    });
  });
  describe('the topic on the card, offline', () => {
    let wire: Wire;
    beforeAll(async () => {
      wire = await startWire(kind, { knowledge: true, offline: true });
    }, 180_000);
    afterAll(async () => {
      await wire.close();
    });

    it("shows the offline topic model's guess as such on the card Teams receives, and stores it as source model", async () => {
      // A weak rule (pay, on "paid") fires; the topic model files the message under leave and wins, offline.
      const msg = wire.message("My trainer's dad passed away and she needs the week off for the funeral. How many of those days are paid?", { group: true });
      expect((await wire.post(msg)).status).toBe(200);
      const topicLine = (r: ConnectorRequest) => /Topic: \*\*[^"]*/.exec(JSON.stringify(r.body ?? {}))?.[0];
      await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some((r) => topicLine(r) !== undefined));
      const lines = repliesTo(wire, msg.id as string).map(topicLine).filter((l): l is string => l !== undefined);
      expect(lines).toEqual(['Topic: **Leave & time off** · topic model (offline) · confidence 0.50']);
      const logged = await wire.t.db.selectFrom('nlu_prompt_logs').select(['predicted_intent', 'source', 'confidence', 'rule_name']).executeTakeFirstOrThrow();
      expect(logged).toEqual({ predicted_intent: 'leave', source: 'model', confidence: 0.5, rule_name: null });
    });

    it('answers a short follow-up from what it follows: the sources Teams receives are the no-call/no-show rules, not harassment', async () => {
      const sourcesOf = (msgId: string) =>
        repliesTo(wire, msgId)
          .map((r) => /\[1\] [^"]*/.exec(JSON.stringify(r.body ?? {}))?.[0])
          .find((l): l is string => l !== undefined);
      const first = wire.message("My employee didn't show up for her shift today and didn't call. What should I do?", { group: true, user: ALEX });
      expect((await wire.post(first)).status).toBe(200);
      await wire.connector.waitFor(() => sourcesOf(first.id as string) !== undefined);
      const followUp = wire.message('What if they do not answer the phone?', { group: true, user: ALEX });
      expect((await wire.post(followUp)).status).toBe(200);
      await wire.connector.waitFor(() => sourcesOf(followUp.id as string) !== undefined);
      expect(sourcesOf(followUp.id as string)).toMatch(/^\[1\] Attendance and No-Call\/No-Show Policy — 5\. No-call\/no-show › 5\.2 First no-call\/no-show/);
      // The topic's evidence reads the follow-up the same way: attendance, not the harassment passage it finds alone.
      const topicLine = repliesTo(wire, followUp.id as string).map((r) => /Topic: \*\*[^"]*/.exec(JSON.stringify(r.body ?? {}))?.[0]).find((l) => l !== undefined);
      expect(topicLine).toMatch(/^Topic: \*\*Attendance\*\* · topic model \(offline\) · confidence 0\.\d\d$/);
    });
  });
});
