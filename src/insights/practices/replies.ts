/**
 * The replies the analysis reads: every stored ERA turn of a tester's session (replays' own sessions and
 * replies the tester stopped are left out), with its model (the turn's metadata), its topic (the
 * prompt-capture row's correction, else its prediction; `other` — greetings, thanks, off-topic — is left
 * out), its judge scores and programmatic metrics, and its notes counted as positive (Looks good, thumbs
 * up) or improvement (any other note, thumbs down included).
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../db';
import type { ScoredReplyInput } from './analysis';
import { replyFeatures } from './features';

type Db = Kysely<Database>;

interface Row {
  turn_id: string;
  session_id: string;
  model: string | null;
  category: string;
  user_message: string;
  era_response: string;
  has_policy_citation: boolean | null;
  appropriate_action_suggested: boolean | null;
  structure_complete: boolean | null;
  professionalism_score: number | null;
  empathy_score: number | null;
  clarity_score: number | null;
  positive: number | string;
  improvement: number | string;
}

/** Every reply the analysis considers, in turn-id order. */
export async function loadReplies(db: Db): Promise<ScoredReplyInput[]> {
  const rows = await sql<Row>`
    WITH notes AS (
      SELECT turn_id,
        count(*) FILTER (WHERE metadata->>'source' = 'looks_good' OR (metadata->>'source' = 'feedback_loop' AND metadata->>'reaction' = 'like')) AS positive,
        count(*) FILTER (WHERE NOT (coalesce(metadata->>'source', '') = 'looks_good' OR (coalesce(metadata->>'source', '') = 'feedback_loop' AND coalesce(metadata->>'reaction', '') = 'like'))) AS improvement
      FROM tuning_improvements GROUP BY turn_id
    )
    SELECT t.id AS turn_id, t.session_id, t.metadata->>'model' AS model,
      coalesce(l.corrected_intent, l.predicted_intent, 'other') AS category,
      t.user_message, t.era_response, t.has_policy_citation, t.appropriate_action_suggested, t.structure_complete,
      t.professionalism_score, t.empathy_score, t.clarity_score,
      coalesce(n.positive, 0) AS positive, coalesce(n.improvement, 0) AS improvement
    FROM tuning_conversation_turns t
    LEFT JOIN nlu_prompt_logs l ON l.turn_id = t.id
    LEFT JOIN notes n ON n.turn_id = t.id
    WHERE NOT EXISTS (SELECT 1 FROM prompt_replays r WHERE r.replay_session_id = t.session_id)
      AND coalesce(t.metadata->>'cancelled', 'false') <> 'true'
      AND coalesce(l.corrected_intent, l.predicted_intent, 'other') <> 'other'
    ORDER BY t.id`.execute(db);
  return rows.rows.map((r) => ({
    turnId: r.turn_id,
    sessionId: r.session_id,
    model: (r.model ?? 'unknown').slice(0, 100),
    category: r.category.slice(0, 100),
    userMessage: r.user_message,
    reply: r.era_response,
    judge:
      r.professionalism_score !== null && r.empathy_score !== null && r.clarity_score !== null
        ? { professionalism: r.professionalism_score, empathy: r.empathy_score, clarity: r.clarity_score }
        : null,
    metrics: [r.has_policy_citation, r.appropriate_action_suggested, r.structure_complete],
    positiveNotes: Number(r.positive),
    improvementNotes: Number(r.improvement),
    features: replyFeatures({ reply: r.era_response, hasPolicyCitation: r.has_policy_citation, appropriateActionSuggested: r.appropriate_action_suggested }),
  }));
}
