import restify from 'restify';
import { createLogger } from '../src/logger';
import {
  createExportDownloadHandler,
  EXPORT_ROUTE_MAX_PARAM_LENGTH,
  EXPORT_ROUTE_PATH,
  type ExportDownloadDeps,
} from '../src/tuning/export-http';
import { createExportToken } from '../src/tuning/export-links';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import {
  BOM,
  bulkEraResponse,
  bulkUserMessage,
  countingDb,
  failingDb,
  HEADER,
  insertBulkTurns,
  insertNote,
  insertSession,
  insertTurn,
  parseExport,
} from './helpers/export-fixtures';

const secret = 'http-test-secret-0123456789-abcdefghijk';
const HEADER_LINE = `${BOM}${HEADER.join(',')}\r\n`;

type LogLine = { level: number; event?: string; msg: string; sessionId?: string; reason?: string; err?: { message?: string } };

interface Harness {
  baseUrl: string;
  logs: LogLine[];
  /** Every log line as written, to check that no token ever reaches the log. */
  raw: string[];
  close(): Promise<void>;
}

/** A real restify server on a loopback port serving GET /exports/:token. */
async function startServer(deps: Omit<ExportDownloadDeps, 'logger' | 'secret'>): Promise<Harness> {
  const logs: LogLine[] = [];
  const raw: string[] = [];
  const logger = createLogger('debug', {
    write(line: string) {
      raw.push(line);
      logs.push(JSON.parse(line) as LogLine);
    },
  });
  const server = restify.createServer({ name: 'export-test', maxParamLength: EXPORT_ROUTE_MAX_PARAM_LENGTH });
  server.get(EXPORT_ROUTE_PATH, createExportDownloadHandler({ ...deps, secret, logger }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    logs,
    raw,
    close: () => new Promise<void>((resolve) => server.close(() => { resolve(); })),
  };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each(testDbKinds)('export download over HTTP on %s', (kind) => {
  let t: TestDatabase;
  let h: Harness;
  let sessionId: string;
  const tester = 'aad-http-tester';
  const link = (claims: { sessionId: string; testerId: string }, ttl = 15, at = Date.now()) =>
    `${h.baseUrl}/exports/${createExportToken(claims, secret, ttl, at).token}`;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    h = await startServer({ db: t.db });
    const s = await insertSession(t.db, tester, '2025-10-24 23:59:59');
    sessionId = s.id;
    const turn1 = await insertTurn(t.db, s.id, 1, 'My employee, "Sam", didn\'t show up', 'Got it —\r\nfirst question: 😀');
    await insertTurn(t.db, s.id, 2, '=1+1', 'Arabic مرحبا, CJK 漢字');
    await insertNote(t.db, turn1, 'Too formal', 'tone', '2025-10-24 10:01:30');
    await insertNote(t.db, turn1, 'Ask first\nthen answer', 'content', '2025-10-24 10:01:15.5');
  });
  afterAll(async () => {
    await h.close();
    await t.dispose();
  });

  it('streams the CSV with download headers', async () => {
    const url = link({ sessionId, testerId: tester });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="tuning-session-${sessionId.slice(0, 8)}-20251024.csv"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = Buffer.from(await res.arrayBuffer()).toString('utf8');
    expect(text.startsWith(HEADER_LINE)).toBe(true);
    const rows = parseExport(text);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual(['1', 'My employee, "Sam", didn\'t show up', 'Got it —\r\nfirst question: 😀', 'Ask first\nthen answer', 'content', '2025-10-24T10:01:15.500Z']);
    expect(rows[1]).toEqual(['1', 'My employee, "Sam", didn\'t show up', 'Got it —\r\nfirst question: 😀', 'Too formal', 'tone', '2025-10-24T10:01:30.000Z']);
    expect(rows[2]).toEqual(['2', "'=1+1", 'Arabic مرحبا, CJK 漢字', '', '', '']);
    await waitFor(() => h.logs.some((l) => l.event === 'export_finished' && l.sessionId === sessionId), 'the finished log');
    const token = url.split('/').pop() as string;
    expect(h.raw.some((line) => line.includes(token))).toBe(false);
  });

  async function expectPlainError(url: string, status: number, text: RegExp): Promise<void> {
    const res = await fetch(url);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-disposition')).toBeNull();
    const body = await res.text();
    expect(body).toMatch(text);
    expect(body.length).toBeLessThan(200);
    expect(body).not.toMatch(/\bat \S+:\d+|Error|simulated|select/i);
  }

  it('answers 410 to an expired link', async () => {
    await expectPlainError(link({ sessionId, testerId: tester }, 15, Date.now() - 16 * 60_000), 410, /expired/);
    expect(h.logs.some((l) => l.event === 'export_link_rejected' && l.reason === 'expired')).toBe(true);
  });

  it('answers 403 to a malformed, forged or oversized link', async () => {
    await expectPlainError(`${h.baseUrl}/exports/not-a-token`, 403, /not valid/);
    const forged = createExportToken({ sessionId, testerId: tester }, 'some-other-secret-0123456789-abcdefghij', 15).token;
    await expectPlainError(`${h.baseUrl}/exports/${forged}`, 403, /not valid/);
    const good = createExportToken({ sessionId, testerId: tester }, secret, 15).token;
    await expectPlainError(`${h.baseUrl}/exports/${good.slice(0, -2)}`, 403, /not valid/);
    await expectPlainError(`${h.baseUrl}/exports/${good}.${good}`, 403, /not valid/);
    await expectPlainError(`${h.baseUrl}/exports/${'A'.repeat(3000)}.${good.split('.')[1]}`, 403, /not valid/);
  });

  it('answers 404 when the session does not exist or is not the tester\'s', async () => {
    await expectPlainError(link({ sessionId: '00000000-0000-4000-8000-000000000000', testerId: tester }), 404, /not found/);
    await expectPlainError(link({ sessionId, testerId: 'aad-someone-else' }), 404, /not found/);
    await expectPlainError(link({ sessionId: 'not-a-uuid', testerId: tester }), 404, /not found/);
    const unowned = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: null }).returning('id').executeTakeFirstOrThrow();
    await expectPlainError(link({ sessionId: unowned.id, testerId: tester }), 404, /not found/);
    expect(h.logs.filter((l) => l.event === 'export_not_found').length).toBeGreaterThanOrEqual(4);
  });

  it('answers 503 when the database fails before the first byte', async () => {
    for (const failFrom of [1, 2]) {
      // 1: the session lookup fails; 2: the first page of turns fails.
      const failing = failingDb(t.db, failFrom);
      const server = await startServer({ db: failing.db });
      try {
        const token = createExportToken({ sessionId, testerId: tester }, secret, 15).token;
        await expectPlainError(`${server.baseUrl}/exports/${token}`, 503, /unavailable/);
        const logged = server.logs.find((l) => l.event === 'export_db_error');
        expect(logged?.err?.message).toBe(`simulated database failure on query ${failFrom}`);
      } finally {
        await server.close();
      }
    }
  });

  it('cuts the response off when the database fails mid-download', async () => {
    const s = await insertSession(t.db, 'aad-http-midway');
    await insertBulkTurns(t.db, s.id, 100);
    // Query 1 is the session, 2 and 3 are pages of 10 turns; page 3 (query 4) fails.
    const failing = failingDb(t.db, 4);
    const server = await startServer({ db: failing.db, pageSize: 10 });
    try {
      const token = createExportToken({ sessionId: s.id, testerId: 'aad-http-midway' }, secret, 15).token;
      const res = await fetch(`${server.baseUrl}/exports/${token}`);
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
      await waitFor(() => server.logs.some((l) => l.event === 'export_stream_error'), 'the stream error log');
      const logged = server.logs.find((l) => l.event === 'export_stream_error');
      expect(logged?.err?.message).toBe('simulated database failure on query 4');
      expect(logged?.sessionId).toBe(s.id);
    } finally {
      await server.close();
    }
  });

  describe('large sessions', () => {
    it('streams a 10,000-turn session: the first bytes arrive, then every row', async () => {
      const s = await insertSession(t.db, 'aad-http-big');
      await insertBulkTurns(t.db, s.id, 10_000);
      const res = await fetch(link({ sessionId: s.id, testerId: 'aad-http-big' }));
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const chunks: Buffer[] = [];
      const first = await reader.read();
      expect(first.done).toBe(false);
      chunks.push(Buffer.from(first.value as Uint8Array));
      expect(Buffer.concat(chunks).toString('utf8').startsWith(HEADER_LINE.slice(0, chunks[0]?.length ?? 0))).toBe(true);
      for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(Buffer.from(next.value));
      expect(chunks.length).toBeGreaterThan(1);
      const rows = parseExport(Buffer.concat(chunks).toString('utf8'));
      expect(rows).toHaveLength(10_000);
      expect(rows[0]).toEqual(['1', bulkUserMessage(1), bulkEraResponse(1), '', '', '']);
      expect(rows[9_999]).toEqual(['10000', bulkUserMessage(10_000), bulkEraResponse(10_000), '', '', '']);
    });

    it('stops querying when the client goes away', async () => {
      const s = await insertSession(t.db, 'aad-http-abort');
      // 800 turns of 50 kB: 40 MB of CSV, far more than the socket buffers on both sides hold.
      await insertBulkTurns(t.db, s.id, 800, { chunk: 100, response: (n) => `${'x'.repeat(50_000)} ${n}` });
      const counted = countingDb(t.db);
      const server = await startServer({ db: counted.db, pageSize: 10 });
      try {
        const controller = new AbortController();
        const token = createExportToken({ sessionId: s.id, testerId: 'aad-http-abort' }, secret, 15).token;
        const res = await fetch(`${server.baseUrl}/exports/${token}`, { signal: controller.signal });
        expect(res.status).toBe(200);
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        expect((await reader.read()).done).toBe(false);
        controller.abort();
        await waitFor(() => server.logs.some((l) => l.event === 'export_aborted'), 'the aborted log');
        // 1 session query + 80 pages if it had run to the end.
        expect(counted.queries()).toBeLessThan(60);
        expect(server.logs.some((l) => l.event === 'export_stream_error' || l.event === 'export_finished')).toBe(false);
      } finally {
        await server.close();
      }
    });
  });
});
