/** Tuning sessions: open, close, find, list. Repositories take `db` (or a transaction) first. */
import { type Kysely, sql } from 'kysely';
import type { Database, JsonObject, Session } from '../../db';
import { AmbiguousSessionError, NoSessionError, SessionNotFoundError } from './errors';
import type { Tester } from './types';

type Db = Kysely<Database>;

export interface PromptStamp {
  version: string;
  branch: string | null;
}

export interface OpenedSession {
  session: Session;
  /** False when the tester already had an open session (it is returned instead). */
  created: boolean;
}

/** The tester's open session, if any. */
export async function findOpenSession(db: Db, testerId: string): Promise<Session | undefined> {
  return db
    .selectFrom('prompt_tuning_sessions')
    .selectAll()
    .where('tester_id', '=', testerId)
    .where('session_end', 'is', null)
    .executeTakeFirst();
}

/**
 * Returns the tester's open session, opening one if there is none. The partial unique index
 * (one open session per tester) decides races: of two concurrent first messages one inserts,
 * the other finds that row.
 */
export async function ensureOpenSession(db: Db, tester: Tester, prompt: PromptStamp, metadata: JsonObject): Promise<OpenedSession> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const inserted = await db
      .insertInto('prompt_tuning_sessions')
      .values({
        tester_id: tester.id,
        tester_name: tester.name,
        tester_email: tester.email,
        master_prompt_version: prompt.version,
        ...(prompt.branch ? { branch_name: prompt.branch } : {}),
        metadata,
      })
      .onConflict((oc) => oc.column('tester_id').where('session_end', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { session: inserted, created: true };
    const open = await findOpenSession(db, tester.id);
    if (open) return { session: open, created: false };
    // The open session was closed between the two statements: try again.
  }
  throw new Error(`could not open a session for tester ${tester.id}`);
}

/** Closes the tester's open session. Returns it, or undefined when none was open. */
export async function closeOpenSession(db: Db, testerId: string): Promise<Session | undefined> {
  return db
    .updateTable('prompt_tuning_sessions')
    .set({ session_end: sql<Date>`now()` })
    .where('tester_id', '=', testerId)
    .where('session_end', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/** Closes the open session (if any) and opens another, atomically. */
export async function restartSession(
  db: Db,
  tester: Tester,
  prompt: PromptStamp,
  metadata: JsonObject,
): Promise<{ closed: Session | undefined; opened: Session }> {
  return db.transaction().execute(async (trx) => {
    const closed = await closeOpenSession(trx, tester.id);
    const { session } = await ensureOpenSession(trx, tester, prompt, metadata);
    return { closed, opened: session };
  });
}

/** The tester's most recent sessions, newest first. */
export async function listSessions(db: Db, testerId: string, limit = 10): Promise<Session[]> {
  return db
    .selectFrom('prompt_tuning_sessions')
    .selectAll()
    .where('tester_id', '=', testerId)
    .orderBy('session_start', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

const SESSION_REF = /^[0-9a-f-]{4,36}$/i;

/**
 * The tester's session named by `ref` (a full id or its first characters, as `/sessions` shows
 * them), or with no ref the open session, else the latest. Another tester's session is reported
 * exactly like a missing one, so ids cannot be probed.
 */
export async function resolveTesterSession(db: Db, testerId: string, ref?: string): Promise<Session> {
  const wanted = ref?.trim();
  if (!wanted) {
    const latest = await db
      .selectFrom('prompt_tuning_sessions')
      .selectAll()
      .where('tester_id', '=', testerId)
      .orderBy(sql`session_end is null`, 'desc')
      .orderBy('session_start', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!latest) throw new NoSessionError();
    return latest;
  }
  if (!SESSION_REF.test(wanted)) throw new SessionNotFoundError(wanted.slice(0, 60));
  const matches = await db
    .selectFrom('prompt_tuning_sessions')
    .selectAll()
    .where('tester_id', '=', testerId)
    .where(sql`id::text`, 'like', `${wanted.toLowerCase()}%`)
    .limit(2)
    .execute();
  const [match, another] = matches;
  if (!match) throw new SessionNotFoundError(wanted);
  if (another) throw new AmbiguousSessionError(wanted);
  return match;
}

/** The short id testers see: the first eight characters. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
