import {
  type ExportPageInfo,
  neutraliseCell,
  openSessionCsvStream,
  sessionCsvByteLength,
  sessionCsvStream,
  sessionExportRows,
} from '../src/tuning/export-csv';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import {
  BOM,
  bulkEraResponse,
  bulkUserMessage,
  countingDb,
  failingDb,
  insertBulkTurns,
  insertNote,
  insertSession,
  insertTurn,
  parseCsv,
  parseExport,
  readAll,
} from './helpers/export-fixtures';

describe('neutraliseCell', () => {
  it.each(['=1+1', '+SUM(A1:A9)', '-2+3', '@cmd', '\tfoo', '\rbar', '＝1+1', '＋1', '－1', '＠SUM(A1)'])(
    'prefixes %j with a single quote',
    (value) => {
      expect(neutraliseCell(value)).toBe(`'${value}`);
    },
  );

  it.each(['', 'a=b', 'plain text', ' =1+1', "'=already quoted", '1-2', '\n=x', 'é=', '😀=1'])('leaves %j alone', (value) => {
    expect(neutraliseCell(value)).toBe(value);
  });
});

describe.each(testDbKinds)('session CSV export on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  const csvOf = (sessionId: string, pageSize?: number) => readAll(sessionCsvStream(t.db, sessionId, { pageSize }));

  it('writes the BOM and the header, then one row per note and an empty-note row for a turn without notes', async () => {
    const s = await insertSession(t.db, 'aad-basic');
    const turn1 = await insertTurn(t.db, s.id, 1, "My employee didn't show up", "Got it — that's definitely a no-call/no-show.");
    // Inserted out of order: the export orders by turn number and note time, not insertion.
    const turn3 = await insertTurn(t.db, s.id, 3, 'Thanks', 'You are welcome.');
    await insertTurn(t.db, s.id, 2, 'I called once today', 'Thanks for the context.');
    await insertNote(t.db, turn1, 'Too formal, needs more empathy', 'tone', '2025-10-24 10:01:30.250');
    await insertNote(t.db, turn1, 'Should ask clarifying questions first', 'content', '2025-10-24 10:01:15');
    await insertNote(t.db, turn3, 'Good response, no changes needed', null, '2025-10-24 10:02:45.5');

    const text = await csvOf(s.id);
    expect(text.startsWith(`${BOM}turn_number,user_message,era_response,improvement_note,category,timestamp\r\n`)).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseExport(text)).toEqual([
      ['1', "My employee didn't show up", "Got it — that's definitely a no-call/no-show.", 'Should ask clarifying questions first', 'content', '2025-10-24T10:01:15.000Z'],
      ['1', "My employee didn't show up", "Got it — that's definitely a no-call/no-show.", 'Too formal, needs more empathy', 'tone', '2025-10-24T10:01:30.250Z'],
      ['2', 'I called once today', 'Thanks for the context.', '', '', ''],
      ['3', 'Thanks', 'You are welcome.', 'Good response, no changes needed', '', '2025-10-24T10:02:45.500Z'],
    ]);
    // Quoted only where needed: the row with a comma in a note is the only quoted field here.
    expect(text).toContain('\r\n1,My employee didn\'t show up,Got it — that\'s definitely a no-call/no-show.,"Too formal, needs more empathy",tone,2025-10-24T10:01:30.250Z\r\n');
    expect(text).toContain('\r\n2,I called once today,Thanks for the context.,,,\r\n');
  });

  it('orders notes stamped at the same instant by their id, so exports are repeatable', async () => {
    const s = await insertSession(t.db, 'aad-ties');
    const turn = await insertTurn(t.db, s.id, 1, 'q', 'a');
    const ids = [];
    for (const note of ['first', 'second', 'third', 'fourth']) ids.push(await insertNote(t.db, turn, note, null, '2025-10-24 10:00:00'));
    const byId = new Map(ids.map((id, k) => [id, ['first', 'second', 'third', 'fourth'][k]]));
    const expected = [...ids].sort().map((id) => byId.get(id));
    const rows = parseExport(await csvOf(s.id));
    expect(rows.map((r) => r[3])).toEqual(expected);
    expect(await csvOf(s.id)).toBe(await csvOf(s.id));
  });

  it('quotes commas, double quotes and embedded LF, CRLF and CR, and keeps unicode intact', async () => {
    const s = await insertSession(t.db, 'aad-special');
    const message = 'He said "call me", then left,\nno note.\r\nSecond line\rthird';
    const reply = 'Emoji 😀👍🏽, CJK 漢字テスト, Arabic مرحبا بالعالم, Hebrew שלום, combining é';
    const turn = await insertTurn(t.db, s.id, 1, message, reply);
    await insertNote(t.db, turn, '"Quoted" note\nwith a line break', 'clarity', '2025-10-24 10:05:00');

    const text = await csvOf(s.id);
    expect(parseExport(text)).toEqual([['1', message, reply, '"Quoted" note\nwith a line break', 'clarity', '2025-10-24T10:05:00.000Z']]);
    expect(text).toContain('"He said ""call me"", then left,\nno note.\r\nSecond line\rthird"');
    expect(text).toContain(`"${reply}"`);
    expect(Buffer.from(text, 'utf8').includes(Buffer.from('漢字テスト', 'utf8'))).toBe(true);
  });

  it('quotes a cell whose only special character is a bare LF, CR or CRLF', async () => {
    const s = await insertSession(t.db, 'aad-newlines');
    const turn = await insertTurn(t.db, s.id, 1, 'first line\nsecond line', 'cr\ronly');
    await insertNote(t.db, turn, 'crlf\r\nonly', 'tone', '2025-10-24 10:05:00');
    const text = await csvOf(s.id);
    expect(text).toContain('\r\n1,"first line\nsecond line","cr\ronly","crlf\r\nonly",tone,2025-10-24T10:05:00.000Z\r\n');
    expect(parseExport(text)).toEqual([['1', 'first line\nsecond line', 'cr\ronly', 'crlf\r\nonly', 'tone', '2025-10-24T10:05:00.000Z']]);
  });

  it('neutralises formula injection in every text column, and only at the start of a cell', async () => {
    const s = await insertSession(t.db, 'aad-formula');
    const turn1 = await insertTurn(t.db, s.id, 1, '=HYPERLINK("http://evil.example","click")', '+SUM(A1:A9)');
    await insertNote(t.db, turn1, '-2+3', '@cmd', '2025-10-24 10:00:01');
    await insertNote(t.db, turn1, '\tcmd|\'/c calc\'!A1', '\rx', '2025-10-24 10:00:02');
    const turn2 = await insertTurn(t.db, s.id, 2, 'a = b is fine', 'totals: =SUM(A1) in the middle');
    await insertNote(t.db, turn2, 'x-1 and y+2 @ noon', 'tone', '2025-10-24 10:00:03');

    const rows = parseExport(await csvOf(s.id));
    expect(rows).toEqual([
      ['1', '\'=HYPERLINK("http://evil.example","click")', "'+SUM(A1:A9)", "'-2+3", "'@cmd", '2025-10-24T10:00:01.000Z'],
      ['1', '\'=HYPERLINK("http://evil.example","click")', "'+SUM(A1:A9)", "'\tcmd|'/c calc'!A1", "'\rx", '2025-10-24T10:00:02.000Z'],
      ['2', 'a = b is fine', 'totals: =SUM(A1) in the middle', 'x-1 and y+2 @ noon', 'tone', '2025-10-24T10:00:03.000Z'],
    ]);
  });

  it('exports only the header for a session without turns, or one that does not exist', async () => {
    const s = await insertSession(t.db, 'aad-empty');
    const header = `${BOM}turn_number,user_message,era_response,improvement_note,category,timestamp\r\n`;
    expect(await csvOf(s.id)).toBe(header);
    expect(await csvOf('00000000-0000-4000-8000-000000000000')).toBe(header);
    expect(await readAll(await openSessionCsvStream(t.db, s.id))).toBe(header);
  });

  it('does not mix in another session\'s turns', async () => {
    const a = await insertSession(t.db, 'aad-iso-a');
    const b = await insertSession(t.db, 'aad-iso-b');
    await insertTurn(t.db, a.id, 1, 'from a', 'reply a');
    const bTurn = await insertTurn(t.db, b.id, 1, 'from b', 'reply b');
    await insertNote(t.db, bTurn, 'note on b', null, '2025-10-24 10:00:00');
    expect(parseExport(await csvOf(a.id))).toEqual([['1', 'from a', 'reply a', '', '', '']]);
  });

  it('counts the exact bytes of the CSV, BOM and multi-byte characters included', async () => {
    const s = await insertSession(t.db, 'aad-bytes');
    await insertTurn(t.db, s.id, 1, 'Emoji 😀 and 漢字', 'Ünïcödé');
    const text = await csvOf(s.id);
    expect(await sessionCsvByteLength(t.db, s.id)).toBe(Buffer.byteLength(text, 'utf8'));
    expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(text.length);
  });

  describe('a 10,000-turn session', () => {
    const turns = 10_000;
    let sessionId: string;
    // Notes on turns at a page boundary (700 | 701 with 700-turn pages) and at both ends.
    const noted = [1, 1, 700, 701, 10_000];
    const expectedRows = turns + noted.length - new Set(noted).size;
    beforeAll(async () => {
      const s = await insertSession(t.db, 'aad-big');
      sessionId = s.id;
      await insertBulkTurns(t.db, s.id, turns, { chunk: 1000 });
      const ids = await t.db.selectFrom('tuning_conversation_turns').select(['id', 'turn_number'])
        .where('session_id', '=', s.id).where('turn_number', 'in', noted).execute();
      const idOf = new Map(ids.map((r) => [r.turn_number, r.id]));
      for (const [k, n] of noted.entries()) await insertNote(t.db, idOf.get(n) as string, `note ${k} on ${n}`, null, `2025-10-24 11:00:0${k}`);
    });

    it('reads it page by page and writes every row in order', async () => {
      const pages: ExportPageInfo[] = [];
      const text = await readAll(sessionCsvStream(t.db, sessionId, { pageSize: 700, onPage: (p) => pages.push(p) }));
      const rows = parseExport(text);
      expect(rows).toHaveLength(expectedRows);
      expect(rows[0]).toEqual(['1', bulkUserMessage(1), bulkEraResponse(1), 'note 0 on 1', '', '2025-10-24T11:00:00.000Z']);
      expect(rows[1]?.[3]).toBe('note 1 on 1');
      expect(rows[rows.length - 1]).toEqual(['10000', bulkUserMessage(10_000), bulkEraResponse(10_000), 'note 4 on 10000', '', '2025-10-24T11:00:04.000Z']);
      const numbers = [...new Set(rows.map((r) => Number(r[0])))];
      expect(numbers).toEqual(Array.from({ length: turns }, (_, k) => k + 1));
      expect(rows.filter((r) => r[0] === '700' || r[0] === '701').map((r) => r[3])).toEqual(['note 2 on 700', 'note 3 on 701']);

      // 14 full pages of 700 and one of 200; a short last page ends it without an extra query.
      expect(pages).toHaveLength(15);
      expect(pages.map((p) => p.turns)).toEqual([...Array<number>(14).fill(700), 200]);
      expect(pages[0]).toEqual({ page: 1, afterTurn: null, turns: 700, rows: 701 });
      expect(pages[1]).toEqual({ page: 2, afterTurn: 700, turns: 700, rows: 700 });
      expect(pages[14]?.afterTurn).toBe(9800);
    });

    it('asks the database for an extra, empty page only when the last page is exactly full', async () => {
      const pages: ExportPageInfo[] = [];
      let rows = 0;
      for await (const row of sessionExportRows(t.db, sessionId, { pageSize: 1000, onPage: (p) => pages.push(p) })) {
        expect(typeof row.turn_number).toBe('number');
        rows += 1;
      }
      expect(rows).toBe(expectedRows);
      expect(pages).toHaveLength(11);
      expect(pages[10]).toEqual({ page: 11, afterTurn: 10_000, turns: 0, rows: 0 });
    });

    it('reads no further than the consumer: a reader that stops early stops the queries', async () => {
      const counted = countingDb(t.db);
      const stream = sessionCsvStream(counted.db, sessionId, { pageSize: 100 });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      await iterator.return?.();
      expect(stream.destroyed).toBe(true);
      // 100 pages in all. What is read ahead is bounded by the stream buffers (16 records in, 16 KiB
      // out, one page in hand: about 5 pages here), not by the session's size.
      expect(counted.queries()).toBeGreaterThanOrEqual(1);
      expect(counted.queries()).toBeLessThan(25);
    });

    it('gives the same CSV whatever the page size', async () => {
      const small = await csvOf(sessionId, 37);
      const large = await csvOf(sessionId, 10_000);
      expect(small).toBe(large);
      expect(parseCsv(small.slice(1))).toHaveLength(1 + expectedRows);
    });
  });

  describe('database errors', () => {
    let sessionId: string;
    beforeAll(async () => {
      const s = await insertSession(t.db, 'aad-errors');
      sessionId = s.id;
      await insertBulkTurns(t.db, s.id, 50);
    });

    it('surfaces an error on a later page as the stream\'s error', async () => {
      const failing = failingDb(t.db, 3);
      await expect(readAll(sessionCsvStream(failing.db, sessionId, { pageSize: 10 }))).rejects.toThrow('simulated database failure on query 3');
    });

    it('rejects openSessionCsvStream when the first page fails, before any byte exists', async () => {
      const failing = failingDb(t.db, 1);
      await expect(openSessionCsvStream(failing.db, sessionId)).rejects.toThrow('simulated database failure on query 1');
    });

    it('rejects a page size outside 1..10,000', async () => {
      await expect(readAll(sessionCsvStream(t.db, sessionId, { pageSize: 0 }))).rejects.toThrow(RangeError);
      await expect(openSessionCsvStream(t.db, sessionId, { pageSize: 10_001 })).rejects.toThrow(RangeError);
      await expect(sessionCsvByteLength(t.db, sessionId, { pageSize: 1.5 })).rejects.toThrow(RangeError);
    });
  });
});
