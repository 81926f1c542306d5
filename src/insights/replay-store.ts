/**
 * Replays as rows: created with their own session (no tester: it never is, nor blocks, a tester's open
 * session), claimed by one runner at a time under a lease, their turns stored under unique turn numbers
 * (a turn is never stored twice), cancelled, listed.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JsonObject, NewTurn, PromptReplay, ReplayMode } from '../../db';
import type { Candidate } from './candidate';
import { InsightsNotFoundError, InsightsRefusal, InsightsStateError } from './errors';

type Db = Kysely<Database>;

export const REPLAY_LEASE_MS = 10 * 60_000;
export const UNFINISHED = ['queued', 'running', 'scoring'] as const;

export interface CreateReplaysInput {
  sourceSessionIds: readonly string[];
  candidate: Candidate;
  requestedBy: string | null;
  mode?: ReplayMode;
  /**
   * Refuse (InsightsStateError) when a source session is already being replayed with the same candidate
   * text: the sessions are locked first, so two clicks at once make one replay.
   */
  exclusive?: boolean;
  /** Stored in the replay's metadata (the bot's card address). */
  metadata?: JsonObject;
}

/** Creates one replay (and its session) per source session; several share a group id. */
export async function createReplays(db: Db, input: CreateReplaysInput): Promise<PromptReplay[]> {
  if (input.sourceSessionIds.length === 0) throw new InsightsRefusal('No session to replay: none matched.');
  const groupId = input.sourceSessionIds.length > 1 ? randomUUID() : null;
  return db.transaction().execute(async (trx) => {
    if (input.exclusive) {
      await trx.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', [...input.sourceSessionIds]).orderBy('id').forUpdate().execute();
      const running = await trx.selectFrom('prompt_replays').select(['id', 'source_session_id'])
        .where('source_session_id', 'in', [...input.sourceSessionIds]).where('candidate_sha256', '=', input.candidate.sha256)
        .where('status', 'in', [...UNFINISHED]).executeTakeFirst();
      if (running) {
        throw new InsightsStateError(`Session ${running.source_session_id.slice(0, 8)} is already being replayed with this prompt (replay ${running.id.slice(0, 8)}): its progress card shows how far it is.`);
      }
    }
    const out: PromptReplay[] = [];
    for (const sourceId of input.sourceSessionIds) {
      const source = await trx.selectFrom('prompt_tuning_sessions').select(['id', 'master_prompt_version', 'metadata']).where('id', '=', sourceId).executeTakeFirst();
      if (!source) throw new InsightsNotFoundError('session', sourceId);
      const count = await trx.selectFrom('tuning_conversation_turns').select(sql<number>`count(*)::int`.as('n')).where('session_id', '=', sourceId).executeTakeFirstOrThrow();
      if (count.n === 0) throw new InsightsRefusal(`Session ${sourceId.slice(0, 8)} has no turns, so there is nothing to replay.`);
      const id = randomUUID();
      const c = input.candidate;
      const session = await trx.insertInto('prompt_tuning_sessions').values({
        tester_id: null, tester_name: null, tester_email: null, master_prompt_version: c.version, branch_name: 'replay',
        metadata: { kind: 'replay', replay_id: id, source_session_id: sourceId, candidate_kind: c.kind, candidate_ref: c.ref, requested_by: input.requestedBy },
      }).returning('id').executeTakeFirstOrThrow();
      out.push(await trx.insertInto('prompt_replays').values({
        id, requested_by: input.requestedBy, group_id: groupId, source_session_id: sourceId, replay_session_id: session.id,
        candidate_kind: c.kind, candidate_ref: c.ref, candidate_version: c.version, candidate_sha256: c.sha256, candidate_prompt: c.text,
        suggestion_id: c.suggestionId, base_version: source.master_prompt_version, mode: input.mode ?? 'direct', total_turns: count.n,
        metadata: { ...(input.metadata ?? {}), ...(c.refCommit ? { ref_commit: c.refCommit } : {}) },
      }).returningAll().executeTakeFirstOrThrow());
    }
    return out;
  });
}

/** A replay by id or unambiguous prefix. @throws InsightsNotFoundError */
export async function getReplay(db: Db, ref: string): Promise<PromptReplay> {
  const rows = /^[0-9a-f-]{4,36}$/i.test(ref) ? await db.selectFrom('prompt_replays').selectAll().where(sql`id::text`, 'like', `${ref.toLowerCase()}%`).limit(2).execute() : [];
  const [only] = rows;
  if (rows.length !== 1 || !only) throw new InsightsNotFoundError('replay', ref);
  return only;
}

/**
 * Claims a replay for WORKER: queued becomes running; a replay held by another live runner is not
 * claimed (null). Finished replays are returned unchanged with `claimed: false`.
 */
export async function claimReplay(db: Db, replayId: string, worker: string): Promise<{ replay: PromptReplay; claimed: boolean } | null> {
  const claimed = await db.updateTable('prompt_replays')
    .set({
      status: sql`case when status = 'queued' then 'running' else status end`,
      claimed_by: worker,
      lease_expires_at: new Date(Date.now() + REPLAY_LEASE_MS),
      started_at: sql`coalesce(started_at, now())`,
      updated_at: new Date(),
    })
    .where('id', '=', replayId)
    .where('status', 'in', [...UNFINISHED])
    .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('claimed_by', '=', worker), eb('lease_expires_at', '<', new Date())]))
    .returningAll().executeTakeFirst();
  if (claimed) return { replay: claimed, claimed: true };
  const row = await db.selectFrom('prompt_replays').selectAll().where('id', '=', replayId).executeTakeFirst();
  if (!row) throw new InsightsNotFoundError('replay', replayId);
  return (UNFINISHED as readonly string[]).includes(row.status) ? null : { replay: row, claimed: false };
}

/** Lets another runner take the replay at once (a stopped runner, a shutdown). */
export async function releaseReplay(db: Db, replayId: string, worker: string): Promise<void> {
  await db.updateTable('prompt_replays').set({ claimed_by: null, lease_expires_at: null, updated_at: new Date() })
    .where('id', '=', replayId).where('claimed_by', '=', worker).execute();
}

/** Ends a replay in a final state, closing its session. */
export async function finishReplay(db: Db | Transaction<Database>, replay: PromptReplay, status: 'completed' | 'failed' | 'cancelled', error: string | null = null): Promise<PromptReplay> {
  const row = await db.updateTable('prompt_replays')
    .set({ status, error, completed_at: new Date(), claimed_by: null, lease_expires_at: null, updated_at: new Date() })
    .where('id', '=', replay.id).returningAll().executeTakeFirstOrThrow();
  if (replay.replay_session_id) {
    await db.updateTable('prompt_tuning_sessions').set({ session_end: sql`coalesce(session_end, now())` }).where('id', '=', replay.replay_session_id).execute();
  }
  return row;
}

/** Cancels an unfinished replay (its runner stops before its next turn). @throws InsightsStateError when it has ended */
export async function cancelReplay(db: Db, replayId: string, by: string | null): Promise<PromptReplay> {
  const replay = await getReplay(db, replayId);
  if (!(UNFINISHED as readonly string[]).includes(replay.status)) throw new InsightsStateError(`Replay ${replay.id.slice(0, 8)} has already ended (${replay.status}).`);
  return finishReplay(db, replay, 'cancelled', `cancelled${by ? ` by ${by}` : ''}`);
}

/** Makes a failed replay runnable again; the turns it stored are kept and not replayed again. */
export async function retryReplay(db: Db, replayId: string): Promise<PromptReplay> {
  const replay = await getReplay(db, replayId);
  if (replay.status !== 'failed') throw new InsightsStateError(`Replay ${replay.id.slice(0, 8)} is ${replay.status}; only a failed replay is retried.`);
  return db.updateTable('prompt_replays').set({ status: 'queued', error: null, completed_at: null, updated_at: new Date() })
    .where('id', '=', replay.id).returningAll().executeTakeFirstOrThrow();
}

/**
 * Stores replayed turn `turn.turn_number` and advances done_turns, if the replay is still this worker's and
 * running. False when it is not (cancelled, taken over) or the turn was already stored.
 */
export async function storeReplayTurn(trx: Transaction<Database>, replayId: string, worker: string | null, turn: NewTurn): Promise<boolean> {
  let check = trx.selectFrom('prompt_replays').select('id').where('id', '=', replayId).where('status', '=', 'running');
  if (worker) check = check.where('claimed_by', '=', worker);
  const live = await check.forUpdate().executeTakeFirst();
  if (!live) return false;
  const inserted = await trx.insertInto('tuning_conversation_turns').values(turn)
    .onConflict((oc) => oc.columns(['session_id', 'turn_number']).doNothing()).returning('id').executeTakeFirst();
  if (!inserted) return false;
  await trx.updateTable('prompt_replays')
    .set({ done_turns: sql`greatest(done_turns, ${turn.turn_number}::int)`, updated_at: new Date(), ...(worker ? { lease_expires_at: new Date(Date.now() + REPLAY_LEASE_MS) } : {}) })
    .where('id', '=', replayId).execute();
  return true;
}

/**
 * Sessions with at least one improvement note (not Looks good, not a thumbs up) that started at or after
 * SINCE, oldest first; replay sessions are not among them.
 */
export async function sessionsWithNotesSince(db: Db, since: Date): Promise<string[]> {
  const rows = await db.selectFrom('prompt_tuning_sessions as s')
    .select('s.id')
    .where('s.session_start', '>=', since)
    .where(sql<boolean>`coalesce(s.metadata->>'kind', '') <> 'replay'`)
    .where((eb) => eb.exists(
      eb.selectFrom('tuning_improvements as i').innerJoin('tuning_conversation_turns as t', 't.id', 'i.turn_id').select(sql`1`.as('one'))
        .whereRef('t.session_id', '=', 's.id')
        .where(sql<boolean>`coalesce(i.metadata->>'source', '') <> 'looks_good'`)
        .where(sql<boolean>`not (coalesce(i.metadata->>'source', '') = 'feedback_loop' and coalesce(i.metadata->>'reaction', '') = 'like')`)))
    .orderBy('s.session_start').execute();
  return rows.map((r) => r.id);
}

/** Unfinished replays whose runner is gone (no claim, or its lease expired), oldest first. */
export async function orphanedReplays(db: Db): Promise<PromptReplay[]> {
  return db.selectFrom('prompt_replays').selectAll().where('status', 'in', [...UNFINISHED])
    .where((eb) => eb.or([eb('claimed_by', 'is', null), eb('lease_expires_at', '<', new Date())]))
    .orderBy('created_at').execute();
}
