/**
 * Spec 004's anonymisation from Teams: `/export … anonymize` and `/prompts … anonymize`. What Teams
 * receives (the export card, the signed link, the file-consent card's context) and the files behind them
 * (the download through the bot's own HTTP server, the OneDrive upload to a loopback stand-in, the
 * prompt export) are searched for the tester's id, name and e-mail; the same exports without anonymize
 * hold them, so each search can fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity, Attachment } from 'botbuilder';
import { pseudonymFor } from '../src/privacy';
import { listen } from '../src/server';
import { verifyExportToken } from '../src/tuning';
import { ALEX, cardOf, cardTexts, createHarness, type Harness, MEG } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

/** The harness's EXPORT_SIGNING_SECRET; with no ANONYMIZE_SECRET it is also the pseudonym key. */
const SECRET = 'test-secret-that-is-long-enough-0123456789';
const MEG_ID = MEG.account.aadObjectId ?? '';
const MEG_NAME = MEG.account.name;
const CONSENT = 'application/vnd.microsoft.teams.card.file.consent';

/** What only Meg's own identity could put in a file. */
function tracesOfMeg(text: string): string[] {
  return [MEG_ID, MEG_NAME, 'Meg', MEG.email, '201-7788'].filter((needle) => text.toLowerCase().includes(needle.toLowerCase()));
}

/** A stand-in for a OneDrive upload session: records the bodies PUT to it. */
async function startUploadServer() {
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end('{"id":"item-1"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${String(port)}/upload/session?sig=1`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => { resolve(); })),
  };
}

describe.each(testDbKinds)('anonymised exports from Teams on %s', (kind) => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await createHarness(kind, { env: { ADMIN_ALLOWLIST: ALEX.email }, insecureUploads: true });
    base = `http://127.0.0.1:${String(await listen(h.app.server, 0, '127.0.0.1'))}`;
    await h.say(`${MEG_NAME} here (${MEG.email}, +1 555 201-7788): my employee didn't show up today`);
    await h.say('Alex asks about a harassment complaint', { user: ALEX });
  }, 120_000);
  afterAll(async () => {
    h.app.server.close();
    await h.close();
  });

  const exportCardIn = (sent: Partial<Activity>[]) => {
    const card = cardOf(sent.find((a) => cardOf(a)));
    if (!card) throw new Error(`no export card in ${JSON.stringify(sent)}`);
    const url = (card.actions as { url: string }[])[0]?.url ?? '';
    return { texts: cardTexts(card), url, token: url.split('/exports/')[1] ?? '' };
  };
  const consentIn = (sent: Partial<Activity>[]): Attachment | undefined => sent.flatMap((a) => a.attachments ?? []).find((a) => a.contentType === CONSENT);
  const download = async (url: string) => {
    const res = await fetch(url.replace('http://bot.test', base));
    return { status: res.status, disposition: res.headers.get('content-disposition') ?? '', body: await res.text() };
  };

  it('/export anonymize: the card says so, the link is signed with the mode, and the CSV holds no tester id, name, e-mail or phone', async () => {
    const sent = await h.say('/export anonymize');
    const card = exportCardIn(sent);
    expect(card.texts).toContain('Anonymised: tester ids, names and e-mails replaced by pseudonyms; e-mail addresses and phone numbers redacted.');
    const claims = verifyExportToken(card.token, SECRET);
    expect(claims.anonymize).toBe('pseudonymize');
    expect(claims.testerId).toBe(MEG_ID);

    const got = await download(card.url);
    expect(got.status).toBe(200);
    expect(got.disposition).toMatch(/filename="tuning-session-[0-9a-f]{8}-\d{8}-anonymized\.csv"/);
    expect(got.body).toContain("my employee didn't show up today");
    expect(tracesOfMeg(got.body)).toEqual([]);
    expect(got.body).toContain(pseudonymFor(MEG_ID, SECRET));

    // The file-consent card offers the same anonymised file: its context carries the mode, its size is the file's.
    const consent = consentIn(sent);
    const content = consent?.content as { description: string; sizeInBytes: number; acceptContext: Record<string, unknown>; declineContext: Record<string, unknown> };
    expect(consent?.name).toMatch(/^tuning-session-[0-9a-f]{8}-\d{8}-anonymized\.csv$/);
    expect(content.description).toMatch(/, anonymised$/);
    expect(content.acceptContext).toEqual({ sessionId: claims.sessionId, fileName: consent?.name, anonymize: 'pseudonymize' });
    expect(content.sizeInBytes).toBe(Buffer.byteLength(got.body, 'utf8') + 3); // fetch's text() drops the BOM
  });

  it('/export without anonymize: the same session as stored, tester and all (what the searches above would find)', async () => {
    const sent = await h.say('/export');
    const card = exportCardIn(sent);
    expect(card.texts.some((t) => t.startsWith('Anonymised'))).toBe(false);
    expect(verifyExportToken(card.token, SECRET).anonymize).toBeUndefined();
    const got = await download(card.url);
    expect(got.disposition).not.toMatch(/anonymized/);
    expect(tracesOfMeg(got.body)).toEqual(expect.arrayContaining([MEG_NAME, MEG.email, '201-7788']));
    expect((consentIn(sent)?.content as { acceptContext: Record<string, unknown> }).acceptContext.anonymize).toBeUndefined();
  });

  it('/export <session> anonymize strip: [tester] instead of a pseudonym', async () => {
    const session = await h.t.db.selectFrom('prompt_tuning_sessions').select('id').where('tester_id', '=', MEG_ID).executeTakeFirstOrThrow();
    const card = exportCardIn(await h.say(`/export ${session.id.slice(0, 8)} anonymize strip`));
    expect(card.texts).toContain('Anonymised: tester ids, names and e-mails removed; e-mail addresses and phone numbers redacted.');
    expect(verifyExportToken(card.token, SECRET)).toMatchObject({ sessionId: session.id, anonymize: 'strip' });
    const got = await download(card.url);
    expect(tracesOfMeg(got.body)).toEqual([]);
    expect(got.body).toContain('[tester] here ([tester], [phone])');
    expect(got.body).not.toContain('tester-');
  });

  it('accepting the anonymised file-consent card uploads the anonymised file to OneDrive', async () => {
    const consent = consentIn(await h.say('/export anonymise'));
    const upload = await startUploadServer();
    try {
      const { response, sent } = await h.invoke('fileConsent/invoke', {
        type: 'fileUpload', action: 'accept', context: (consent?.content as { acceptContext: unknown }).acceptContext,
        uploadInfo: { uploadUrl: upload.url, contentUrl: 'https://onedrive.test/file.csv', name: consent?.name, uniqueId: 'u-1', fileType: 'csv' },
      });
      expect(response?.status).toBe(200);
      expect(sent.flatMap((a) => a.attachments ?? []).map((a) => a.contentType)).toEqual(['application/vnd.microsoft.teams.card.file.info']);
      expect(upload.bodies).toHaveLength(1);
      const file = upload.bodies[0]?.toString('utf8') ?? '';
      expect(file).toContain("my employee didn't show up today");
      expect(tracesOfMeg(file)).toEqual([]);
      expect(file).toContain(pseudonymFor(MEG_ID, SECRET));
      expect(upload.bodies[0]?.length).toBe((consent?.content as { sizeInBytes: number }).sizeInBytes);

      // The context round-trips through the client: without a known mode the file goes as stored (the tester's own).
      await h.invoke('fileConsent/invoke', {
        type: 'fileUpload', action: 'accept', context: { ...(consent?.content as { acceptContext: object }).acceptContext, anonymize: 'nope' },
        uploadInfo: { uploadUrl: upload.url, contentUrl: 'https://onedrive.test/file.csv', name: consent?.name, uniqueId: 'u-2', fileType: 'csv' },
      });
      expect(tracesOfMeg(upload.bodies[1]?.toString('utf8') ?? '')).toContain(MEG.email);
    } finally {
      await upload.close();
    }
  });

  it('refuses an unknown anonymize mode with the expected form, and stores nothing', async () => {
    const before = await h.t.db.selectFrom('tuning_conversation_turns').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const sent = await h.say('/export anonymize everything');
    expect(sent.map((a) => a.text ?? '').join(' ')).toMatch(/\/export \[session\] \[anonymize \[strip\]\]/);
    expect(cardOf(sent.find((a) => cardOf(a)))).toBeUndefined();
    const after = await h.t.db.selectFrom('tuning_conversation_turns').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it("/prompts review … anonymize (an admin's every-tester export): the texts without any tester's name, e-mail or phone", async () => {
    const sent = await h.say('/prompts review 1 anonymize', { user: ALEX });
    const text = sent.map((a) => a.text ?? '').join('\n');
    expect(text).toMatch(/for every tester \(you are an admin\), anonymised \(testers as pseudonyms/);
    const link = /\((http:\/\/bot\.test\/exports\/prompts\/[^)]+)\)/.exec(text)?.[1] ?? '';
    expect(verifyExportToken(link.split('/exports/prompts/')[1] ?? '', SECRET).anonymize).toBe('pseudonymize');
    const got = await download(link);
    expect(got.status).toBe(200);
    expect(got.disposition).toMatch(/prompts-review-\d{8}-anonymized\.json/);
    const rows = JSON.parse(got.body) as { text: string }[];
    const texts = rows.map((r) => r.text);
    const meg = pseudonymFor(MEG_ID, SECRET);
    expect(texts).toContain(`${meg} here (${meg}, [phone]): my employee didn't show up today`);
    expect(texts.some((t) => t.includes(pseudonymFor(ALEX.account.aadObjectId ?? '', SECRET)))).toBe(true);
    expect(tracesOfMeg(got.body)).toEqual([]);
    expect(got.body).not.toContain('Alex');

    const plain = await download(/\((http:\/\/bot\.test\/exports\/prompts\/[^)]+)\)/.exec((await h.say('/prompts review 1', { user: ALEX })).map((a) => a.text ?? '').join('\n'))?.[1] ?? '');
    expect(tracesOfMeg(plain.body)).toEqual(expect.arrayContaining([MEG_NAME, MEG.email]));
  });
});
