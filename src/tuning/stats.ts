/** Session statistics: the spec's query for one session, plus notes per category. */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db';

export interface SessionStats {
  id: string;
  sessionStart: Date;
  sessionEnd: Date | null;
  branchName: string | null;
  masterPromptVersion: string | null;
  totalTurns: number;
  totalImprovements: number;
  durationMinutes: number;
  avgRagSimilarity: number | null;
  avgProcessingTimeMs: number | null;
  /** Notes per category; uncategorised notes (Looks good among them) under 'none'. */
  notesByCategory: Record<string, number>;
  turnsWithNotes: number;
}

/** Statistics of one session (the caller has checked it is the tester's). */
export async function sessionStats(db: Kysely<Database>, sessionId: string): Promise<SessionStats> {
  const row = await sql<{
    id: string;
    session_start: Date;
    session_end: Date | null;
    branch_name: string | null;
    master_prompt_version: string | null;
    total_turns: number | null;
    total_improvements: number | null;
    duration_minutes: number;
    avg_rag_similarity: number | null;
    avg_processing_time_ms: number | null;
  }>`
    SELECT
      s.id, s.session_start, s.session_end, s.branch_name, s.master_prompt_version,
      s.total_turns, s.total_improvements,
      (EXTRACT(EPOCH FROM (COALESCE(s.session_end, NOW()) - s.session_start)) / 60)::float8 AS duration_minutes,
      AVG(t.avg_similarity)::float8 AS avg_rag_similarity,
      AVG(t.processing_time_ms)::float8 AS avg_processing_time_ms
    FROM prompt_tuning_sessions s
    LEFT JOIN tuning_conversation_turns t ON t.session_id = s.id
    WHERE s.id = ${sessionId}
    GROUP BY s.id`.execute(db);
  const s = row.rows[0];
  if (!s) throw new Error(`session ${sessionId} vanished`);
  const categories = await sql<{ category: string; n: number; turns: number }>`
    SELECT COALESCE(i.category, 'none') AS category, COUNT(*)::int AS n, COUNT(DISTINCT i.turn_id)::int AS turns
    FROM tuning_improvements i
    JOIN tuning_conversation_turns t ON t.id = i.turn_id
    WHERE t.session_id = ${sessionId}
    GROUP BY COALESCE(i.category, 'none')
    ORDER BY 1`.execute(db);
  const withNotes = await sql<{ n: number }>`
    SELECT COUNT(DISTINCT i.turn_id)::int AS n FROM tuning_improvements i
    JOIN tuning_conversation_turns t ON t.id = i.turn_id WHERE t.session_id = ${sessionId}`.execute(db);
  return {
    id: s.id,
    sessionStart: s.session_start,
    sessionEnd: s.session_end,
    branchName: s.branch_name,
    masterPromptVersion: s.master_prompt_version,
    totalTurns: s.total_turns ?? 0,
    totalImprovements: s.total_improvements ?? 0,
    durationMinutes: Math.max(0, s.duration_minutes),
    avgRagSimilarity: s.avg_rag_similarity,
    avgProcessingTimeMs: s.avg_processing_time_ms,
    notesByCategory: Object.fromEntries(categories.rows.map((c) => [c.category, c.n])),
    turnsWithNotes: withNotes.rows[0]?.n ?? 0,
  };
}
