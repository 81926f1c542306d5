/**
 * Spec 004's anonymisation in every export that can carry a tester: the session CSV (signed link with an
 * anonymize mode, and npm run export:session), export:prompts and the generation exports of a promoted
 * session. Each anonymised output is searched for the tester's id, name and e-mail; REDACT_PII alone
 * redacts without anonymising; without either the export is unchanged.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { runExportSession } from '../src/cli/export-session';
import { promoteSession } from '../src/generation';
import { noopCallLog } from '../src/llm';
import { createLogger } from '../src/logger';
import { pseudonymFor } from '../src/privacy';
import { createExportToken, sessionCsvStream } from '../src/tuning';
import { createExportDownloadHandler } from '../src/tuning/export-http';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { insertNote, insertTurn, readAll } from './helpers/export-fixtures';

const SECRET = 'anonymize-test-secret-long-enough-0123456789';
const MEG = { id: '7f1c2d3e-aaaa-4bbb-8ccc-0123456789ab', email: 'meg.okafor@northwind.example', name: 'Meg Okafor' };
const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
const NEEDLES = [MEG.id, MEG.email, MEG.name, 'Meg', 'Okafor', 'meg.okafor'];

function expectNoTester(text: string): void {
  for (const needle of NEEDLES) expect({ needle, found: text.includes(needle) }).toEqual({ needle, found: false });
}

describe.each(testDbKinds)('anonymised exports on %s', (kind) => {
  let t: TestDatabase;
  let sessionId: string;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'anon-'));
    const s = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: MEG.id, tester_email: MEG.email, tester_name: MEG.name, session_start: '2026-11-20 10:00:00' }).returning('id').executeTakeFirstOrThrow();
    sessionId = s.id;
    const t1 = await insertTurn(t.db, s.id, 1, `Hi, Meg Okafor here (${MEG.email}). My employee Jordan (jordan@example.com) missed a shift.`, 'Thanks Meg. Under policy 4.2.1, document it on 2026-11-23.');
    await insertNote(t.db, t1, `Call me on 555-123-4567 — Meg`, 'tone', '2026-11-20 10:01:00.000');
    const t2 = await insertTurn(t.db, s.id, 2, `id ${MEG.id} asks: what next?`, 'Next, talk to HR.');
    await insertNote(t.db, t2, 'Good', null, '2026-11-20 10:02:00.000');
    await t.db.insertInto('nlu_prompt_logs').values({ user_id: MEG.id, conversation_id: s.id, turn_id: t1, prompt: `Meg Okafor (${MEG.email}) asks about a no-show`, predicted_intent: 'attendance', confidence: 0.95, source: 'rule' }).execute();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.dispose();
  });

  describe('the session CSV download link', () => {
    let server: Server;
    let base: string;
    beforeAll(async () => {
      const handler = createExportDownloadHandler({ db: t.db, secret: SECRET, logger: quiet(), copyOut: t.copyOut, privacy: { redact: [], anonymizeSecret: SECRET } });
      server = createServer((req, res) => void handler({ params: { token: (req.url ?? '').replace('/exports/', '') } }, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(() => {
      server.close();
    });
    const get = async (anonymize?: 'strip' | 'pseudonymize') => {
      const { token } = createExportToken({ sessionId, testerId: MEG.id, ...(anonymize ? { anonymize } : {}) }, SECRET, 15);
      const res = await fetch(`${base}/exports/${token}`);
      expect(res.status).toBe(200);
      return Buffer.from(await res.arrayBuffer()).toString('utf8');
    };

    test('a pseudonymized link: no tester id, name or e-mail anywhere; other e-mails and phones redacted; policy numbers and dates kept', async () => {
      const csv = await get('pseudonymize');
      expectNoTester(csv);
      expect(csv).toContain(pseudonymFor(MEG.id, SECRET));
      expect(csv).not.toContain('jordan@example.com');
      expect(csv).toContain('[email]');
      expect(csv).toContain('[phone]');
      expect(csv).toContain('policy 4.2.1');
      expect(csv).toContain('2026-11-23');
      expect(csv.startsWith('\uFEFFturn_number,user_message')).toBe(true);
    });

    test('a stripped link: [tester] instead', async () => {
      const csv = await get('strip');
      expectNoTester(csv);
      expect(csv).toContain('[tester]');
    });

    test('a plain link gives the session as stored, byte for byte', async () => {
      expect(await get()).toBe(await readAll(sessionCsvStream(t.db, sessionId)));
    });
  });

  test('npm run export:session --anonymize: no tester; REDACT_PII alone redacts but keeps the tester', async () => {
    const out = path.join(dir, 'session.csv');
    await runExportSession(t.db, { session: sessionId.slice(0, 8), out, anonymize: 'pseudonymize' }, { redact: [], anonymizeSecret: SECRET });
    expectNoTester(readFileSync(out, 'utf8'));
    await runExportSession(t.db, { session: sessionId, out, anonymize: null }, { redact: ['emails'] });
    const redacted = readFileSync(out, 'utf8');
    expect(redacted).not.toContain(MEG.email);
    expect(redacted).toContain('Meg Okafor');
    expect(redacted).toContain('555-123-4567');
    await expect(runExportSession(t.db, { session: 'not-an-id!', anonymize: null }, { redact: [] })).rejects.toThrow(/is not a session id/);
    await expect(runExportSession(t.db, { session: 'ffffffff', anonymize: null }, { redact: [] })).rejects.toThrow('No session ffffffff.');
  });

  if (kind === 'postgres') {
    const run = (args: string[]) =>
      promisify(execFile)('node', ['-r', '@swc-node/register', ...args], { env: { ...process.env, DATABASE_URL: t.url ?? '', ANONYMIZE_SECRET: SECRET } });

    test('npm run export:prompts --anonymize (retraining and review): no tester', async () => {
      const out = path.join(dir, 'prompts.jsonl');
      await run(['src/cli/export-prompts.ts', '--mode', 'retraining', '--days', '3650', '--out', out, '--anonymize']);
      const text = readFileSync(out, 'utf8');
      expect(text).toContain('asks about a no-show');
      expectNoTester(text);
      const plain = path.join(dir, 'prompts-plain.jsonl');
      await run(['src/cli/export-prompts.ts', '--mode', 'retraining', '--days', '3650', '--out', plain]);
      expect(readFileSync(plain, 'utf8')).toContain(MEG.email);
    }, 60_000);

    test('npm run gen -- export finetune --anonymize of a promoted session: no tester', async () => {
      const promoted = await promoteSession({ db: t.db, client: null, model: 'm', callLog: noopCallLog, logger: quiet() }, sessionId, { promotedBy: MEG.id });
      // Approved, as a reviewer would leave it, so the fine-tuning export takes it.
      await t.db.updateTable('training_conversations').set({ generation_status: 'approved' }).where('id', '=', promoted.conversationUuid).execute();
      // (gen export conversation refuses a promoted conversation until it is annotated, so only the
      // fine-tuning export carries one here; both use the same anonymizer.)
      const plain = path.join(dir, 'finetune-plain.jsonl');
      await run(['src/cli/gen.ts', 'export', 'finetune', '--format', 'openai', '--out', plain]);
      expect(readFileSync(plain, 'utf8')).toContain(MEG.email);
      const ft = path.join(dir, 'finetune.jsonl');
      await run(['src/cli/gen.ts', 'export', 'finetune', '--format', 'openai', '--out', ft, '--anonymize']);
      const lines = readFileSync(ft, 'utf8');
      expect(lines.split('\n').filter(Boolean).length).toBeGreaterThan(0);
      expectNoTester(lines);
    }, 60_000);
  }
});
