/**
 * The session CSV on Postgres through `COPY (the spec's export query) TO STDOUT WITH (FORMAT csv)`:
 * the server writes the CSV, this process only adds the BOM and turns the record ends into CRLF while
 * the bytes pass through, so time and memory stay close to `psql \copy` of the same query.
 *
 * The output is byte-identical to the csv-stringify path (export-csv.ts), which PGlite keeps using:
 * - cells that spreadsheets would run as formulas get their `'` in SQL (the same characters);
 * - empty text goes out as NULL, because COPY quotes an empty string ("") where csv-stringify writes
 *   nothing, and a NULL is written as nothing;
 * - the note timestamp is formatted in SQL as JavaScript's toISOString() does (milliseconds, truncated,
 *   `Z`);
 * - COPY quotes a field holding a comma, a quote, CR or LF, doubling quotes, as csv-stringify does, and
 *   ends records with LF, which the transform below makes CRLF outside quoted fields only.
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Readable } from 'node:stream';
import { UUID_PATTERN } from './types';

/** SQL text of the spec's characters that make a spreadsheet evaluate a cell (see neutraliseCell). */
const TRIGGERS = ['=', '+', '-', '@', "E'\\t'", "E'\\r'", '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'].map((c) => (c.startsWith("E'") ? c : `'${c}'`)).join(', ');

/** A text cell as neutraliseCell leaves it, NULL when empty. */
function cell(expr: string): string {
  return `NULLIF(CASE WHEN left(${expr}, 1) IN (${TRIGGERS}) THEN '''' || ${expr} ELSE ${expr} END, '')`;
}

/**
 * The COPY statement for SESSION_ID (a uuid, checked: COPY takes no parameters, so it is written into
 * the statement).
 * @throws RangeError when SESSION_ID is not a uuid.
 */
export function sessionCsvCopyStatement(sessionId: string): string {
  if (!UUID_PATTERN.test(sessionId)) throw new RangeError('session id must be a uuid');
  // The turn's cells are made once per turn (OFFSET 0 keeps the subquery from being flattened into
  // the join, where they would be made again for every note); the turns come in order, so the sort
  // by note time is an incremental one within each turn.
  return `COPY (
  SELECT t.turn_number,
         t.user_message,
         t.era_response,
         ${cell("COALESCE(i.improvement_note, '')")} AS improvement_note,
         ${cell("COALESCE(i.category, '')")} AS category,
         to_char(i.timestamp, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "timestamp"
  FROM (
    SELECT id, turn_number, ${cell('user_message')} AS user_message, ${cell('era_response')} AS era_response
    FROM tuning_conversation_turns
    WHERE session_id = '${sessionId.toLowerCase()}'::uuid
    ORDER BY turn_number
    OFFSET 0
  ) t
  LEFT JOIN tuning_improvements i ON i.turn_id = t.id
  ORDER BY t.turn_number, i.timestamp, i.id
) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from('\uFEFF', 'utf8');
/** Bytes gathered before they are passed on. */
const OUT_BYTES = 1 << 20;

/**
 * Prefixes the BOM and turns each record-ending LF (one outside a quoted field) into CRLF. Quote state
 * carries across chunks; a doubled quote inside a field toggles twice, which is right.
 *
 * Input is gathered to about 1 MiB and goes out as one buffer, written in one pass (each record's
 * bytes copied once, CR put before its LF): the COPY stream hands over ~64 KiB pieces, and turning each
 * into its own response write, through a concatenation of a slice per record, cost this process about
 * a fifth more CPU per export (user and kernel time).
 */
export class CsvRecordEnds extends Transform {
  private inQuotes = false;
  private started = false;
  /** Chunks waiting, each with the offsets of its record-ending LFs. */
  private pending: Array<{ chunk: Buffer; ends: number[] }> = [];
  /** Their size once written: bytes plus one CR per record end. */
  private pendingBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const ends: number[] = [];
    let pos = 0;
    let nextQuote = chunk.indexOf(QUOTE, 0);
    let nextLf = chunk.indexOf(LF, 0);
    for (;;) {
      if (this.inQuotes) {
        if (nextQuote < 0) break;
        this.inQuotes = false;
        pos = nextQuote + 1;
        nextQuote = chunk.indexOf(QUOTE, pos);
        if (nextLf >= 0 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
        continue;
      }
      if (nextLf >= 0 && (nextQuote < 0 || nextLf < nextQuote)) {
        ends.push(nextLf);
        pos = nextLf + 1;
        nextLf = chunk.indexOf(LF, pos);
        continue;
      }
      if (nextQuote < 0) break;
      this.inQuotes = true;
      pos = nextQuote + 1;
      nextQuote = chunk.indexOf(QUOTE, pos);
    }
    this.pending.push({ chunk, ends });
    this.pendingBytes += chunk.length + ends.length;
    if (this.pendingBytes >= OUT_BYTES) this.pushPending();
    callback();
  }

  private pushPending(): void {
    const bom = this.started ? 0 : BOM.length;
    this.started = true;
    const out = Buffer.allocUnsafe(bom + this.pendingBytes);
    if (bom) BOM.copy(out, 0);
    let to = bom;
    for (const { chunk, ends } of this.pending) {
      let from = 0;
      for (const lf of ends) {
        to += chunk.copy(out, to, from, lf);
        out[to++] = CR;
        out[to++] = LF;
        from = lf + 1;
      }
      if (from < chunk.length) to += chunk.copy(out, to, from);
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.push(out);
  }

  override _flush(callback: TransformCallback): void {
    // A session with no turns still gets the BOM and the header (COPY always sends the header).
    if (this.pendingBytes > 0 || !this.started) this.pushPending();
    callback();
  }
}

/** Runs a COPY statement and streams its bytes (DatabaseHandle.copyOut). */
export type CopyOut = (statement: string) => Promise<Readable>;

/**
 * The session's CSV through COPY: rejects while no byte has been sent (no connection free, the COPY
 * refused), so the caller can still answer with a status code.
 */
export async function openSessionCsvCopy(copyOut: CopyOut, sessionId: string): Promise<Readable> {
  const raw = await copyOut(sessionCsvCopyStatement(sessionId));
  const csv = new CsvRecordEnds({ highWaterMark: 1 << 20 });
  // A database error mid-way reaches the reader as the CSV stream's error; a reader that goes away
  // destroys the COPY stream, which drops its connection.
  raw.once('error', (err) => csv.destroy(err));
  csv.once('close', () => {
    if (!raw.destroyed) raw.destroy();
  });
  return raw.pipe(csv);
}
