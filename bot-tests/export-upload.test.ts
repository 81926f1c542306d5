import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sessionCsvStream } from '../src/tuning/export-csv';
import { ExportUploadError, UPLOAD_FRAGMENT_UNIT, uploadSessionCsv } from '../src/tuning/export-upload';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { failingDb, insertBulkTurns, insertNote, insertSession, insertTurn, readAll } from './helpers/export-fixtures';

interface RecordedPut {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in for a OneDrive upload session: records each request, answers with `reply(n)`. */
async function startUploadServer(reply: (index: number, req: RecordedPut) => { status: number; body?: string; headers?: Record<string, string> }) {
  const requests: RecordedPut[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      const answer = reply(requests.length - 1, recorded);
      res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/upload/session-abc?sig=1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => { resolve(); })),
  };
}

describe.each(testDbKinds)('file-consent upload on %s', (kind) => {
  let t: TestDatabase;
  let spool: string;
  let sessionId: string;
  let expectedCsv: Buffer;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    const s = await insertSession(t.db, 'aad-upload');
    sessionId = s.id;
    const turn = await insertTurn(t.db, s.id, 1, 'Question with "quotes", commas and 😀', '=SUM(A1)');
    await insertNote(t.db, turn, 'Too formal', 'tone', '2025-10-24 10:01:30');
    await insertTurn(t.db, s.id, 2, 'Second', 'Reply');
    expectedCsv = Buffer.from(await readAll(sessionCsvStream(t.db, s.id)), 'utf8');
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    spool = await mkdtemp(path.join(tmpdir(), 'upload-test-'));
  });
  afterEach(async () => {
    // Every case, failures included, must leave the spool directory empty.
    expect(await readdir(spool)).toEqual([]);
    await rm(spool, { recursive: true, force: true });
  });

  it('PUTs the whole CSV with Content-Length and Content-Range', async () => {
    const server = await startUploadServer(() => ({ status: 201, body: '{"id":"item-1"}' }));
    try {
      const result = await uploadSessionCsv(t.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool });
      const n = expectedCsv.length;
      expect(result).toEqual({ sizeInBytes: n, requests: 1, status: 201 });
      expect(server.requests).toHaveLength(1);
      const put = server.requests[0] as RecordedPut;
      expect(put.method).toBe('PUT');
      expect(put.url).toBe('/upload/session-abc?sig=1');
      expect(put.headers['content-length']).toBe(String(n));
      expect(put.headers['content-range']).toBe(`bytes 0-${n - 1}/${n}`);
      expect(put.headers['transfer-encoding']).toBeUndefined();
      expect(put.body.equals(expectedCsv)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('spools to a file only its owner can read, through the given fetch', async () => {
    const server = await startUploadServer(() => ({ status: 200 }));
    const modes: number[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const [dir] = await readdir(spool);
      modes.push((await stat(path.join(spool, dir as string, 'session.csv'))).mode & 0o777);
      return fetch(input, init);
    };
    try {
      const result = await uploadSessionCsv(t.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool, fetchImpl });
      expect(result.status).toBe(200);
      expect(modes).toEqual([0o600]);
    } finally {
      await server.close();
    }
  });

  it('sends a CSV larger than a fragment in 320 KiB-aligned pieces', async () => {
    const s = await insertSession(t.db, 'aad-upload-big');
    await insertBulkTurns(t.db, s.id, 5, { response: (n) => `${'y'.repeat(150_000)} ${n}` });
    const csv = Buffer.from(await readAll(sessionCsvStream(t.db, s.id)), 'utf8');
    const n = csv.length;
    expect(n).toBeGreaterThan(2 * UPLOAD_FRAGMENT_UNIT);
    const server = await startUploadServer((i) => (i < 2 ? { status: 202, body: '{"nextExpectedRanges":[]}' } : { status: 201 }));
    try {
      const result = await uploadSessionCsv(t.db, s.id, server.url, { allowInsecureUrl: true, tmpDir: spool, fragmentBytes: UPLOAD_FRAGMENT_UNIT });
      expect(result).toEqual({ sizeInBytes: n, requests: 3, status: 201 });
      const u = UPLOAD_FRAGMENT_UNIT;
      expect(server.requests.map((r) => r.headers['content-range'])).toEqual([
        `bytes 0-${u - 1}/${n}`,
        `bytes ${u}-${2 * u - 1}/${n}`,
        `bytes ${2 * u}-${n - 1}/${n}`,
      ]);
      expect(server.requests.map((r) => r.headers['content-length'])).toEqual([String(u), String(u), String(n - 2 * u)]);
      expect(Buffer.concat(server.requests.map((r) => r.body)).equals(csv)).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('throws ExportUploadError with the status and the start of the body on a non-2xx answer', async () => {
    const server = await startUploadServer(() => ({ status: 403, body: '{"error":{"code":"accessDenied"}}' }));
    try {
      const upload = uploadSessionCsv(t.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool });
      await expect(upload).rejects.toThrow(ExportUploadError);
      await expect(upload).rejects.toMatchObject({ status: 403, responseBody: '{"error":{"code":"accessDenied"}}' });
      await expect(upload).rejects.toHaveProperty('userMessage', expect.stringContaining('OneDrive'));
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('stops at the first failed fragment', async () => {
    const s = await insertSession(t.db, 'aad-upload-stop');
    await insertBulkTurns(t.db, s.id, 3, { response: (n) => `${'z'.repeat(200_000)} ${n}` });
    const server = await startUploadServer((i) => (i === 0 ? { status: 202 } : { status: 500, body: 'oops' }));
    try {
      await expect(uploadSessionCsv(t.db, s.id, server.url, { allowInsecureUrl: true, tmpDir: spool, fragmentBytes: UPLOAD_FRAGMENT_UNIT }))
        .rejects.toMatchObject({ name: 'ExportUploadError', status: 500, responseBody: 'oops' });
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('does not follow a redirect away from the upload URL', async () => {
    const server = await startUploadServer(() => ({ status: 307, headers: { Location: 'http://127.0.0.1:1/elsewhere' } }));
    try {
      await expect(uploadSessionCsv(t.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool })).rejects.toThrow(ExportUploadError);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('throws ExportUploadError when nothing listens', async () => {
    const server = await startUploadServer(() => ({ status: 201 }));
    await server.close();
    await expect(uploadSessionCsv(t.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool })).rejects.toThrow(ExportUploadError);
  });

  it('refuses http:// unless allowed, and anything that is not a URL, before touching the database', async () => {
    const server = await startUploadServer(() => ({ status: 201 }));
    const failing = failingDb(t.db, 1);
    try {
      await expect(uploadSessionCsv(failing.db, sessionId, server.url, { tmpDir: spool })).rejects.toThrow('refusing to upload to a http: URL');
      await expect(uploadSessionCsv(failing.db, sessionId, 'not a url', { tmpDir: spool })).rejects.toThrow(ExportUploadError);
      await expect(uploadSessionCsv(failing.db, sessionId, 'file:///etc/passwd', { allowInsecureUrl: true, tmpDir: spool })).rejects.toThrow(ExportUploadError);
      expect(failing.queries()).toBe(0);
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('lets a database error through, uploads nothing and removes the spool file', async () => {
    const server = await startUploadServer(() => ({ status: 201 }));
    try {
      const failing = failingDb(t.db, 1);
      await expect(uploadSessionCsv(failing.db, sessionId, server.url, { allowInsecureUrl: true, tmpDir: spool })).rejects.toThrow('simulated database failure');
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('rejects a fragment size that OneDrive would refuse', async () => {
    for (const fragmentBytes of [0, 1000, UPLOAD_FRAGMENT_UNIT + 1, 200 * UPLOAD_FRAGMENT_UNIT]) {
      await expect(uploadSessionCsv(t.db, sessionId, 'https://example.invalid/u', { tmpDir: spool, fragmentBytes })).rejects.toThrow(RangeError);
    }
  });
});
