/** GET /api/dashboard/sessions and /sessions/:id. A tester sees their own sessions; an admin everyone's. */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import { topicsForTurns } from '../../intent';
import { listSessionOverview, sessionFacets, sessionOverview, sessionTurnsWithNotes, type SessionOverviewRow } from '../../tuning';
import type { Principal } from '../auth';
import { type SessionDetailResponse, type SessionRow, type SessionsResponse, sessionsQuery } from '../contract';
import { ApiError, parseWith } from './http';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function rowOf(r: SessionOverviewRow): SessionRow {
  const s = r.session;
  return {
    id: s.id,
    start: s.session_start.toISOString(),
    end: iso(s.session_end),
    testerId: s.tester_id,
    testerName: s.tester_name,
    promptVersion: s.master_prompt_version,
    branch: s.branch_name,
    turns: r.turns,
    notes: r.notes,
    notesByCategory: r.notesByCategory,
    avgSimilarity: r.avgSimilarity,
    avgProcessingMs: r.avgProcessingMs,
    scores: r.scores,
  };
}

const nextDay = (day: string): Date => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);

/** One page of sessions for this caller. A tester filter from a non-admin is ignored: they see only theirs. */
export async function listSessions(db: Kysely<Database>, who: Principal, query: unknown): Promise<SessionsResponse> {
  const q = parseWith(sessionsQuery, query);
  const own = who.admin ? undefined : [who.testerId];
  const testerIds = own ?? (q.tester.length ? q.tester : undefined);
  const filter = { testerIds, versions: q.version, from: q.from ? new Date(`${q.from}T00:00:00Z`) : undefined, to: q.to ? nextDay(q.to) : undefined };
  const [{ rows, total }, facets] = await Promise.all([listSessionOverview(db, filter, q.sort, q.page, q.pageSize), sessionFacets(db, { testerIds: own })]);
  return { rows: rows.map(rowOf), total, page: q.page, pageSize: q.pageSize, facets: { testers: who.admin ? facets.testers : [], versions: facets.versions } };
}

/**
 * One session with its turns. Another tester's session is answered exactly like a missing one (404),
 * so a tester cannot even learn that it exists.
 */
export async function getSession(db: Kysely<Database>, who: Principal, sessionId: string): Promise<SessionDetailResponse> {
  const row = await sessionOverview(db, sessionId);
  if (!row || (!who.admin && row.session.tester_id !== who.testerId)) throw new ApiError(404, 'No such session, or it is not yours.');
  const turns = await sessionTurnsWithNotes(db, row.session.id);
  const topics = await topicsForTurns(db, turns.map((t) => t.turn.id));
  return {
    session: rowOf(row),
    turns: turns.map(({ turn, notes }) => ({
      id: turn.id,
      number: turn.turn_number,
      at: turn.timestamp.toISOString(),
      userMessage: turn.user_message,
      eraResponse: turn.era_response,
      processingMs: turn.processing_time_ms,
      avgSimilarity: turn.avg_similarity,
      confidence: turn.confidence_score,
      template: turn.template_used,
      sources: (turn.search_results?.results ?? []).map((r) => ({ chunkId: r.chunk_id, title: r.document_title, similarity: r.similarity, text: r.chunk_text })),
      notes: notes.map((n) => ({
        id: n.id,
        text: n.improvement_note,
        category: n.category,
        at: n.timestamp.toISOString(),
        source: typeof n.metadata?.source === 'string' ? n.metadata.source : null,
      })),
      topic: topics.get(turn.id) ?? null,
      scores: turn.professionalism_score === null && turn.empathy_score === null && turn.clarity_score === null
        ? null
        : { professionalism: turn.professionalism_score, empathy: turn.empathy_score, clarity: turn.clarity_score },
    })),
  };
}
