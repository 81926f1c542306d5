/**
 * Shared by the export suites: a strict RFC 4180 parser (to read our CSV back without trusting the
 * library that wrote it) and helpers that insert sessions, turns and notes directly with Kysely.
 */
import {
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Database, Session } from '../../db';

type Db = Kysely<Database>;

export const BOM = '\uFEFF';
export const HEADER = ['turn_number', 'user_message', 'era_response', 'improvement_note', 'category', 'timestamp'];

/**
 * Parses RFC 4180 CSV strictly: records end in CRLF; a field is either quoted (any text, `""` for a
 * quote) or unquoted (no quote, comma, CR or LF). Anything else throws, so a field that should have
 * been quoted and was not, or a stray CR or LF between records, fails the test instead of being
 * silently accepted as most lenient parsers would. The text must not carry the BOM.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  if (text.length === 0) return records;
  let i = 0;
  let record: string[] = [];
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        const c = text[i] as string;
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        field += c;
        i += 1;
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`quote inside an unquoted field at ${i}`);
        field += text.charAt(i);
        i += 1;
      }
    }
    record.push(field);
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      records.push(record);
      record = [];
      if (i >= text.length) return records;
      continue;
    }
    if (i >= text.length) throw new Error('the last record does not end with CRLF');
    throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i} (only a comma or CRLF may follow a field)`);
  }
}

/** Strips and checks the BOM, parses, and checks the header and that every record has six fields. */
export function parseExport(text: string): string[][] {
  if (!text.startsWith(BOM)) throw new Error('the export does not start with a UTF-8 BOM');
  const records = parseCsv(text.slice(BOM.length));
  const [header, ...rows] = records;
  expect(header).toEqual(HEADER);
  for (const row of rows) expect(row).toHaveLength(HEADER.length);
  return rows;
}

export async function insertSession(db: Db, testerId: string, sessionStart = '2025-10-24 10:00:00'): Promise<Session> {
  return db
    .insertInto('prompt_tuning_sessions')
    .values({ tester_id: testerId, master_prompt_version: 'abc1234', session_start: sessionStart })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Inserts one turn and returns its id. */
export async function insertTurn(db: Db, sessionId: string, turnNumber: number, userMessage: string, eraResponse: string): Promise<string> {
  const row = await db
    .insertInto('tuning_conversation_turns')
    .values({ session_id: sessionId, turn_number: turnNumber, user_message: userMessage, era_response: eraResponse })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Inserts a note with an explicit UTC timestamp ('YYYY-MM-DD HH:MM:SS.mmm'). */
export async function insertNote(db: Db, turnId: string, note: string, category: string | null, timestamp: string): Promise<string> {
  const row = await db
    .insertInto('tuning_improvements')
    .values({ turn_id: turnId, improvement_note: note, category, timestamp })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The user message and reply the bulk helper writes for turn n. */
export const bulkUserMessage = (n: number): string => `question ${n}`;
export const bulkEraResponse = (n: number): string => `answer ${n}, with a comma`;

/**
 * Inserts turns 1..count in multi-row inserts of `chunk` turns. `response` makes turn n's reply
 * (default {@link bulkEraResponse}). The session's counting trigger is statement-level, so each
 * statement recounts the session once and total_turns is exact afterwards.
 */
export async function insertBulkTurns(
  db: Db,
  sessionId: string,
  count: number,
  options: { chunk?: number; response?: (n: number) => string } = {},
): Promise<void> {
  const chunk = options.chunk ?? 1000;
  const response = options.response ?? bulkEraResponse;
  await db.transaction().execute(async (trx) => {
    for (let start = 1; start <= count; start += chunk) {
      const values = [];
      for (let n = start; n < start + chunk && n <= count; n += 1) {
        values.push({ session_id: sessionId, turn_number: n, user_message: bulkUserMessage(n), era_response: response(n) });
      }
      await trx.insertInto('tuning_conversation_turns').values(values).execute();
    }
  });
}

/** Reads a byte stream to the end and decodes it as UTF-8 in one go (chunks may split a character). */
export async function readAll(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A database that fails: every query from the `failFrom`-th on (1-based) throws, as a dropped
 * connection would. `queries()` counts the queries attempted.
 */
export function failingDb(db: Db, failFrom: number): { db: Db; queries: () => number } {
  let count = 0;
  const plugin: KyselyPlugin = {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      count += 1;
      if (count >= failFrom) throw new Error(`simulated database failure on query ${count}`);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), queries: () => count };
}

/** A database that counts the queries made through it. */
export function countingDb(db: Db): { db: Db; queries: () => number } {
  return failingDb(db, Number.POSITIVE_INFINITY);
}
