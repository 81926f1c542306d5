/**
 * The tuning loop as a tester reaches it from chat: every request names the tester, and a session,
 * suggestion or replay that is not theirs is reported exactly like a missing one. The bot calls these;
 * they call the loop's services (suggest, candidate, replay store) and never touch Teams.
 */
import { isAbsolute, relative, resolve, dirname } from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { Database, JsonObject, PromptReplay, PromptSuggestion } from '../../db';
import { type CandidateSpec, resolveCandidate } from './candidate';
import { CandidateError, InsightsNotFoundError, InsightsRefusal } from './errors';
import { cancelReplay, createReplays, getReplay, retryReplay } from './replay-store';
import { getSuggestion } from './suggest';

type Db = Kysely<Database>;

/** At most this many sessions in one /replay. */
export const MAX_REPLAY_SESSIONS = 10;

/** The tester's suggestion (id or prefix). @throws InsightsNotFoundError, also for another tester's */
export async function testerSuggestion(db: Db, ref: unknown, testerId: string): Promise<PromptSuggestion> {
  const id = typeof ref === 'string' ? ref.trim() : '';
  let s: PromptSuggestion;
  try {
    s = await getSuggestion(db, id);
  } catch (err) {
    if (err instanceof InsightsNotFoundError) throw new InsightsNotFoundError('suggestion', id || String(ref).slice(0, 60));
    throw err;
  }
  const owner = await db.selectFrom('prompt_tuning_sessions').select('tester_id').where('id', '=', s.session_id).executeTakeFirst();
  if (owner?.tester_id !== testerId) throw new InsightsNotFoundError('suggestion', id);
  return s;
}

/** The tester's replay (id or prefix). @throws InsightsNotFoundError, also for another tester's */
export async function testerReplay(db: Db, ref: unknown, testerId: string): Promise<PromptReplay> {
  const id = typeof ref === 'string' ? ref.trim() : '';
  let r: PromptReplay;
  try {
    r = await getReplay(db, id);
  } catch (err) {
    if (err instanceof InsightsNotFoundError) throw new InsightsNotFoundError('replay', id || String(ref).slice(0, 60));
    throw err;
  }
  if (r.requested_by !== testerId) throw new InsightsNotFoundError('replay', id);
  return r;
}

/** The latest suggestion of the session with edits to replay. @throws InsightsRefusal when there is none */
export async function lastReplayableSuggestion(db: Db, sessionId: string): Promise<PromptSuggestion> {
  const s = await db.selectFrom('prompt_suggestions').selectAll().where('session_id', '=', sessionId).where('status', '=', 'ready')
    .where('mode', '=', 'claude').where(sql<boolean>`jsonb_array_length(edits->'items') > 0`).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (!s) {
    throw new InsightsRefusal(`Session ${sessionId.slice(0, 8)} has no suggestion with edits to replay. Send /suggest ${sessionId.slice(0, 8)} first, or name a version: a git ref (e.g. HEAD~1) or file:path.`);
  }
  return s;
}

/**
 * A candidate named in chat: `suggestion` (the session's last), `suggestion:<id>`, `file:<path>` (inside
 * the prompt's folder, a .md file), or a git ref. A file outside the prompt's folder is refused: a
 * tester must not have the bot read (and send to Claude) any file on its machine.
 */
export function candidateSpecOf(word: string, promptPath: string): CandidateSpec | 'last-suggestion' {
  const w = word.trim();
  if (/^suggestion$/i.test(w)) return 'last-suggestion';
  const m = /^(suggestion|file|ref):(.+)$/i.exec(w);
  if (!m) return { kind: 'git_ref', ref: w };
  const value = (m[2] ?? '').trim();
  const kind = (m[1] ?? '').toLowerCase();
  if (kind === 'suggestion') return { kind: 'suggestion', id: value };
  if (kind === 'ref') return { kind: 'git_ref', ref: value };
  const folder = dirname(resolve(promptPath));
  const path = resolve(folder, value);
  const rel = relative(folder, path);
  if (rel.startsWith('..') || isAbsolute(rel) || !path.toLowerCase().endsWith('.md')) {
    throw new CandidateError(`"${value.slice(0, 80)}" is not a candidate I can read: give a .md file in the prompt's folder (${folder.split('/').slice(-2).join('/')}), e.g. file:MASTER_PROMPT.next.md.`);
  }
  return { kind: 'file', path };
}

export interface StartReplaysInput {
  testerId: string;
  /** The tester's sessions to replay (already resolved as theirs). */
  sessionIds: readonly string[];
  candidate: CandidateSpec | 'last-suggestion';
  promptPath: string;
  /** Stored with each replay (the bot's card address). */
  metadata?: JsonObject;
}

/**
 * Creates the tester's replays. Refused (InsightsStateError) when one of the sessions is already being
 * replayed with the same candidate text (a double click); a bad candidate is a CandidateError.
 */
export async function startTesterReplays(db: Db, input: StartReplaysInput): Promise<PromptReplay[]> {
  if (input.sessionIds.length === 0) throw new InsightsRefusal('Name at least one of your sessions to replay.');
  if (input.sessionIds.length > MAX_REPLAY_SESSIONS) throw new InsightsRefusal(`At most ${MAX_REPLAY_SESSIONS} sessions in one replay from Teams; use npm run tune -- replay for more.`);
  const first = input.sessionIds[0] ?? '';
  const spec: CandidateSpec = input.candidate === 'last-suggestion' ? { kind: 'suggestion', id: (await lastReplayableSuggestion(db, first)).id } : input.candidate;
  if (spec.kind === 'suggestion') await testerSuggestion(db, spec.id, input.testerId);
  const candidate = await resolveCandidate(db, input.promptPath, spec);
  return createReplays(db, { sourceSessionIds: input.sessionIds, candidate, requestedBy: input.testerId, exclusive: true, metadata: input.metadata });
}

/** Records where a replay's progress card is (metadata.notify), so any runner can update it. */
export async function setReplayNotify(db: Db, replayId: string, notify: JsonObject): Promise<PromptReplay> {
  return db.updateTable('prompt_replays').set({ metadata: sql`metadata || jsonb_build_object('notify', ${JSON.stringify(notify)}::jsonb)`, updated_at: new Date() })
    .where('id', '=', replayId).returningAll().executeTakeFirstOrThrow();
}

/** Cancels the tester's replay. @throws InsightsStateError when it has already ended (a stale card) */
export async function cancelTesterReplay(db: Db, replayId: unknown, testerId: string): Promise<PromptReplay> {
  const r = await testerReplay(db, replayId, testerId);
  return cancelReplay(db, r.id, testerId);
}

/** Makes the tester's failed replay runnable again. @throws InsightsStateError when it is not failed */
export async function retryTesterReplay(db: Db, replayId: unknown, testerId: string): Promise<PromptReplay> {
  const r = await testerReplay(db, replayId, testerId);
  return retryReplay(db, r.id);
}
