/**
 * The COPY export path (Postgres): byte-identical to the csv-stringify path on every awkward value, the
 * record-end transform across any chunk split, and the download route using it, falling back to paging
 * when COPY cannot start, and giving its connection back when a download is cut off.
 */
import { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createLogger } from '../src/logger';
import { createExportToken, sessionCsvStream } from '../src/tuning';
import { CsvRecordEnds, openSessionCsvCopy, sessionCsvCopyStatement } from '../src/tuning/export-copy';
import { createExportDownloadHandler } from '../src/tuning/export-http';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { insertNote, insertSession, insertTurn, parseExport, readAll } from './helpers/export-fixtures';

const SECRET = 'copy-export-secret-long-enough-0123456789';
const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));

const AWKWARD = [
  'plain', 'has, comma', 'has "quote"', '"', '""', 'line\nbreak', 'cr\ronly', 'crlf\r\nboth', 'ends with newline\n',
  '=SUM(A1)', '+1 555', '-minus', '@at', '\tTab lead', '\rCR lead', '\uFF1Dfullwidth', '\uFF0B', '\uFF0D', '\uFF20x',
  'emoji 😀 and ü', ' leading space', 'trailing space ', '\\.', '\\', 'comma at end,', 'line\u2028separator', 'nbsp\u00a0here',
  '', 'x'.repeat(20_000), "'already quoted", '😀=first is emoji',
];

async function awkwardSession(t: TestDatabase, tester = 'aad-copy'): Promise<string> {
  const s = await insertSession(t.db, tester);
  for (const [i, text] of AWKWARD.entries()) {
    const turn = await insertTurn(t.db, s.id, i + 1, text, AWKWARD[(i + 7) % AWKWARD.length] ?? '');
    if (i % 4 === 3) continue; // some turns without notes
    await insertNote(t.db, turn, text, i % 3 === 0 ? null : AWKWARD[(i + 3) % AWKWARD.length] ?? '', `2026-11-23 10:${String(i % 60).padStart(2, '0')}:15.${i % 2 ? '123999' : '999999'}`);
    if (i % 5 === 0) await insertNote(t.db, turn, `second note ${i}`, 'tone', '2026-11-23 10:01:15.000001');
  }
  return s.id;
}

describe('CRLF record ends', () => {
  test('LF ending a record becomes CRLF; LF inside quotes stays; the BOM comes first; any chunk split gives the same bytes', async () => {
    const input = 'a,b\n"x\ny","q""\n"\nlast,"\n"\n';
    const expected = '\uFEFFa,b\r\n"x\ny","q""\n"\r\nlast,"\n"\r\n';
    const bytes = Buffer.from(input);
    for (let cut = 0; cut <= bytes.length; cut += 1) {
      for (const size of [1, 2, 3]) {
        const chunks: Buffer[] = [bytes.subarray(0, cut)];
        for (let i = cut; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const out = await readAll(Readable.from(chunks.filter((c) => c.length > 0)).pipe(new CsvRecordEnds()));
        expect(out).toBe(expected);
      }
    }
    expect(await readAll(Readable.from([]).pipe(new CsvRecordEnds()))).toBe('\uFEFF');
  });

  test('several MiB in 64 KiB pieces (output gathered and written a MiB at a time) come out whole and in order', async () => {
    const records = Array.from({ length: 40_000 }, (_, i) => `${String(i)},"note ${String(i)}\nwith ""quotes"" and, commas",plain ${String(i)}`);
    const bytes = Buffer.from(records.join('\n') + '\n');
    expect(bytes.length).toBeGreaterThan(2 * (1 << 20));
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
    const out = await readAll(Readable.from(chunks).pipe(new CsvRecordEnds()));
    expect(out).toBe(`\uFEFF${records.join('\r\n')}\r\n`);
  });

  test('the statement takes only a uuid', () => {
    expect(() => sessionCsvCopyStatement("x'; DROP TABLE y; --")).toThrow(RangeError);
  });
});

// The COPY path exists on Postgres only; without DATABASE_URL (PGlite alone) this suite is the transform's tests.
const copyKinds = testDbKinds.filter((k) => k === 'postgres');
if (copyKinds.length > 0) describe.each(copyKinds)('COPY export on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });
  const copyOut = () => {
    if (!t.copyOut) throw new Error('a Postgres handle has copyOut');
    return t.copyOut;
  };

  test('gives exactly the bytes of the csv-stringify path on every awkward value', async () => {
    const id = await awkwardSession(t);
    const paged = await readAll(sessionCsvStream(t.db, id));
    const copied = await readAll(await openSessionCsvCopy(copyOut(), id));
    expect(copied.length).toBeGreaterThan(20_000);
    expect(copied).toBe(paged);
    // And it is the CSV the spec asks for, read back strictly.
    expect(parseExport(copied).length).toBeGreaterThan(AWKWARD.length);
  });

  test('a session without turns: the BOM and the header, as the paged path', async () => {
    const s = await insertSession(t.db, 'aad-empty');
    expect(await readAll(await openSessionCsvCopy(copyOut(), s.id))).toBe(await readAll(sessionCsvStream(t.db, s.id)));
  });

  describe('the download route', () => {
    let server: import('node:http').Server;
    let base: string;
    let sessionId: string;
    let copies = 0;
    let failCopy = false;
    beforeAll(async () => {
      const { createServer } = await import('node:http');
      sessionId = await awkwardSession(t, 'aad-route');
      const handler = createExportDownloadHandler({
        db: t.db, secret: SECRET, logger: quiet(),
        copyOut: async (statement) => {
          copies += 1;
          if (failCopy) throw new Error('timeout exceeded when trying to connect');
          return copyOut()(statement);
        },
      });
      server = createServer((req, res) => void handler({ params: { token: (req.url ?? '').replace('/exports/', '') } }, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    });
    afterAll(() => {
      server.close();
    });
    const link = () => `${base}/exports/${createExportToken({ sessionId, testerId: 'aad-route' }, SECRET, 15).token}`;

    test('serves the COPY bytes, and the paged bytes when COPY cannot start', async () => {
      const expected = await readAll(sessionCsvStream(t.db, sessionId));
      copies = 0;
      const fast = await fetch(link());
      expect(fast.status).toBe(200);
      expect(Buffer.from(await fast.arrayBuffer()).toString('utf8')).toBe(expected);
      expect(copies).toBe(1);
      failCopy = true;
      const slow = await fetch(link());
      failCopy = false;
      expect(slow.status).toBe(200);
      expect(Buffer.from(await slow.arrayBuffer()).toString('utf8')).toBe(expected);
    });

    test('downloads cut off mid-way give their connections back', async () => {
      for (let i = 0; i < 5; i += 1) {
        const controller = new AbortController();
        const res = await fetch(link(), { signal: controller.signal });
        const reader = res.body?.getReader();
        await reader?.read();
        controller.abort();
        await reader?.cancel().catch(() => undefined);
      }
      // With two COPY connections, leaked ones would make these fall back or hang; they complete by COPY.
      copies = 0;
      const ok = await fetch(link());
      await pipeline(Readable.fromWeb(ok.body as import('node:stream/web').ReadableStream<Uint8Array>), new Writable({ write: (_c, _e, cb) => { cb(); } }));
      const stats = await t.db.selectFrom('prompt_tuning_sessions').select('id').limit(1).execute();
      expect(stats).toHaveLength(1);
      expect(copies).toBe(1);
    });
  });
});
