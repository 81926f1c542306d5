/**
 * The session CSV export: the spec's export query, read a page of turns at a time, written by
 * csv-stringify with the cells a spreadsheet would run as formulas neutralised.
 *
 * Paging is by keyset (`turn_number > last`), not a cursor: PGlite's dialect cannot stream, and a
 * cursor would hold a Postgres connection (or PGlite's only session) for as long as a slow client
 * takes to download. Each page is one short query; between pages nothing is held.
 *
 * The pages are separate statements, so the export is not a snapshot: a turn appended while a
 * download runs is included if its page has not been read yet, and a note added to a turn that is
 * already written is not. Turns are only ever appended, so no turn is skipped or repeated.
 */
import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';

type Db = Kysely<Database>;

/** The CSV header, in column order. */
export const EXPORT_COLUMNS = ['turn_number', 'user_message', 'era_response', 'improvement_note', 'category', 'timestamp'] as const;

/** One row of the spec's export query: a turn with one of its notes, or with none (note cells null). */
export interface SessionExportRow {
  turn_number: number;
  user_message: string;
  era_response: string;
  improvement_note: string | null;
  category: string | null;
  /** The note's timestamp (UTC); null when the turn has no note. */
  timestamp: Date | null;
}

/** What one page read: for progress, metrics and tests. */
export interface ExportPageInfo {
  /** 1-based page number. */
  page: number;
  /** The page started after this turn number (null for the first page). */
  afterTurn: number | null;
  /** Turns on this page (at most pageSize). */
  turns: number;
  /** Rows on this page: one per note, one for a turn without notes. */
  rows: number;
}

export interface SessionExportOptions {
  /** Turns per query. Default 500; between 1 and 10,000. */
  pageSize?: number;
  /** Called after each page is read, before its rows are yielded. */
  onPage?: (info: ExportPageInfo) => void;
  /**
   * Applied to every text cell (message, reply, note, category) before neutralisation: anonymisation and
   * redaction (src/privacy). Absent: the text as stored.
   */
  text?: (value: string) => string;
}

export const DEFAULT_EXPORT_PAGE_SIZE = 500;
const MAX_EXPORT_PAGE_SIZE = 10_000;

/**
 * Cells starting with these are read as formulas by Excel, LibreOffice Calc or Google Sheets
 * (OWASP "CSV Injection"). The full-width forms are there because Apple Numbers normalises them
 * to their ASCII counterparts before deciding.
 */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20']);

/**
 * Neutralises a text cell against formula injection: a value starting with `=`, `+`, `-`, `@`, tab
 * or carriage return (or a full-width `＝ ＋ － ＠`) gets a leading single quote, which spreadsheets
 * take as "this is text". Anything else, the empty string included, is returned unchanged.
 */
export function neutraliseCell(value: string): string {
  return value.length > 0 && FORMULA_TRIGGERS.has(value[0] as string) ? `'${value}` : value;
}

function checkPageSize(pageSize: number): number {
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_EXPORT_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer from 1 to ${MAX_EXPORT_PAGE_SIZE}, got ${pageSize}`);
  }
  return pageSize;
}

/** One page: up to `pageSize` turns after `afterTurn`, joined with their notes in one query. */
async function readPage(db: Db, sessionId: string, afterTurn: number | null, pageSize: number): Promise<SessionExportRow[]> {
  const turns = db
    .selectFrom('tuning_conversation_turns')
    .select(['id', 'turn_number', 'user_message', 'era_response'])
    .where('session_id', '=', sessionId)
    .$if(afterTurn !== null, (qb) => qb.where('turn_number', '>', afterTurn as number))
    .orderBy('turn_number')
    .limit(pageSize)
    .as('t');
  return db
    .selectFrom(turns)
    .leftJoin('tuning_improvements as i', 'i.turn_id', 't.id')
    .select(['t.turn_number', 't.user_message', 't.era_response', 'i.improvement_note', 'i.category', 'i.timestamp'])
    // The spec's order; the note id breaks ties between notes stamped in the same microsecond,
    // so two exports of the same data are byte-identical.
    .orderBy('t.turn_number')
    .orderBy('i.timestamp')
    .orderBy('i.id')
    .execute();
}

/**
 * The rows of the spec's export query for a session, in its order (turn, then note time, then note
 * id), read `pageSize` turns at a time. Only one page is in memory; the next page is read when the
 * consumer asks for the row after the last one. A session that does not exist yields nothing.
 */
export async function* sessionExportRows(
  db: Db,
  sessionId: string,
  options: SessionExportOptions = {},
): AsyncGenerator<SessionExportRow, void, undefined> {
  const pageSize = checkPageSize(options.pageSize ?? DEFAULT_EXPORT_PAGE_SIZE);
  let afterTurn: number | null = null;
  for (let page = 1; ; page += 1) {
    const rows = await readPage(db, sessionId, afterTurn, pageSize);
    let turns = 0;
    let lastTurn: number | null = null;
    for (const row of rows) {
      if (row.turn_number !== lastTurn) {
        turns += 1;
        lastTurn = row.turn_number;
      }
    }
    options.onPage?.({ page, afterTurn, turns, rows: rows.length });
    yield* rows;
    // A short page is the last one: saves the empty query that would otherwise end the export.
    if (turns < pageSize || lastTurn === null) return;
    afterTurn = lastTurn;
  }
}

type CsvRecord = [number, string, string, string, string, string];

function toRecord(row: SessionExportRow, text: (value: string) => string): CsvRecord {
  return [
    row.turn_number,
    neutraliseCell(text(row.user_message)),
    neutraliseCell(text(row.era_response)),
    neutraliseCell(text(row.improvement_note ?? '')),
    neutraliseCell(text(row.category ?? '')),
    row.timestamp ? row.timestamp.toISOString() : '',
  ];
}

const asStored = (value: string): string => value;

async function* toRecords(rows: AsyncIterable<SessionExportRow>, text: (value: string) => string): AsyncGenerator<CsvRecord, void, undefined> {
  for await (const row of rows) yield toRecord(row, text);
}

/**
 * CSV text from rows. UTF-8 with a BOM (without it Excel reads the file as the local code page and
 * mangles anything outside ASCII), CRLF between records as RFC 4180 has it, fields quoted only when
 * they hold a comma, a quote, CR or LF.
 */
function csvFromRows(rows: AsyncIterable<SessionExportRow>, text: (value: string) => string = asStored): Readable {
  const stringifier = stringify({
    header: true,
    columns: [...EXPORT_COLUMNS],
    bom: true,
    record_delimiter: 'windows',
    // With a custom record_delimiter csv-stringify only quotes fields holding that exact sequence;
    // a bare LF or CR inside a message would then split the record. This restores the quoting.
    quote_record_delimiter: true,
  });
  // pipeline (not .pipe) so a database error destroys the stringifier with that error: the consumer
  // sees it as the stream's 'error'. Consumers listen on the returned stream, so the callback has
  // nothing left to do; it is required only so pipeline does not throw.
  return pipeline(Readable.from(toRecords(rows, text)), stringifier, () => undefined);
}

/**
 * The session's CSV as a byte stream, read page by page as the consumer pulls (backpressure reaches
 * the database: a slow reader means no new page is queried). A database error is emitted as the
 * stream's 'error'. Nothing is queried until the stream is read.
 */
export function sessionCsvStream(db: Db, sessionId: string, options: SessionExportOptions = {}): Readable {
  return csvFromRows(sessionExportRows(db, sessionId, options), options.text);
}

/**
 * Like {@link sessionCsvStream}, but reads the first page before returning, so a database that is
 * down rejects here, while a caller (the download route) can still answer with a status code, rather
 * than failing a response that has already started.
 */
export async function openSessionCsvStream(db: Db, sessionId: string, options: SessionExportOptions = {}): Promise<Readable> {
  const rows = sessionExportRows(db, sessionId, options);
  const first = await rows.next();
  async function* replay(): AsyncGenerator<SessionExportRow, void, undefined> {
    if (first.done) return;
    yield first.value;
    yield* rows;
  }
  return csvFromRows(replay(), options.text);
}

/** Bytes in a chunk of a byte stream (csv-stringify may hand out strings or Buffers). */
function chunkBytes(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  throw new TypeError(`unexpected chunk type in the CSV stream: ${typeof chunk}`);
}

/**
 * The exact size in bytes of the session's CSV as it is now (BOM included), computed by producing
 * it and counting: for the file-consent card's sizeInBytes. Notes added before the upload change
 * the size; the upload measures its own file, so this figure is only what the card displays.
 */
export async function sessionCsvByteLength(db: Db, sessionId: string, options: SessionExportOptions = {}): Promise<number> {
  let bytes = 0;
  for await (const chunk of sessionCsvStream(db, sessionId, options)) bytes += chunkBytes(chunk);
  return bytes;
}

/**
 * The file name of a session's export: `tuning-session-<first 8 of id>-<YYYYMMDD>.csv`, the date
 * being the session's start (UTC) so that every export of a session has the same name; an anonymised
 * export ends `-anonymized.csv`, so it is never taken for (or overwritten by) the one as stored.
 */
export function exportFileName(sessionId: string, sessionStart: Date, anonymize: 'strip' | 'pseudonymize' | null = null): string {
  const day = sessionStart.toISOString().slice(0, 10).replace(/-/g, '');
  const prefix = sessionId.slice(0, 8).replace(/[^0-9A-Za-z-]/g, '_');
  return `tuning-session-${prefix}-${day}${anonymize ? '-anonymized' : ''}.csv`;
}
