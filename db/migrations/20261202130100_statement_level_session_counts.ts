/**
 * The spec's session counters (total_turns, total_improvements) kept by statement-level triggers.
 *
 * The spec's row-level triggers recount the whole session after every inserted row, so inserting N
 * notes into one session costs N recounts of a growing session: 100,000 notes did not finish in 25
 * minutes. These triggers keep the spec's names and results (the counters equal COUNT(*) after every
 * insert, as before) but run once per INSERT statement, recounting each session the statement touched
 * once, from the statement's transition table: a multi-row INSERT (restore, imports, fixtures) recounts
 * each session once, and a single-row insert behaves as the spec's trigger did.
 *
 * Exact under concurrency too, which the spec's version was not: it counted with the statement's
 * snapshot, so two transactions inserting into one session at once could each write a count missing the
 * other's rows. Here the affected sessions are locked first (in id order, so two statements cannot
 * deadlock on each other's sessions), and the count that follows, a new statement in a VOLATILE
 * function under READ COMMITTED, sees every insert committed by a transaction it waited for.
 *
 * As in the spec, only INSERT recounts (deletes cascade from a whole session).
 * Frozen in time: never import application code here.
 */
import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TRIGGER IF EXISTS trigger_update_turn_count ON tuning_conversation_turns;
DROP TRIGGER IF EXISTS trigger_update_improvement_count ON tuning_improvements;

CREATE OR REPLACE FUNCTION update_session_metrics()
RETURNS TRIGGER AS $$
BEGIN
  PERFORM 1
  FROM prompt_tuning_sessions
  WHERE id IN (SELECT session_id FROM new_turns)
  ORDER BY id
  FOR UPDATE;

  UPDATE prompt_tuning_sessions s
  SET total_turns = c.n,
      updated_at = NOW()
  FROM (
    SELECT t.session_id, COUNT(*) AS n
    FROM tuning_conversation_turns t
    WHERE t.session_id IN (SELECT session_id FROM new_turns)
    GROUP BY t.session_id
  ) c
  WHERE s.id = c.session_id;

  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_turn_count
  AFTER INSERT ON tuning_conversation_turns
  REFERENCING NEW TABLE AS new_turns
  FOR EACH STATEMENT
  EXECUTE FUNCTION update_session_metrics();

CREATE OR REPLACE FUNCTION update_improvement_count()
RETURNS TRIGGER AS $$
BEGIN
  PERFORM 1
  FROM prompt_tuning_sessions
  WHERE id IN (SELECT t.session_id FROM new_improvements n JOIN tuning_conversation_turns t ON t.id = n.turn_id)
  ORDER BY id
  FOR UPDATE;

  UPDATE prompt_tuning_sessions s
  SET total_improvements = c.n,
      updated_at = NOW()
  FROM (
    SELECT t.session_id, COUNT(*) AS n
    FROM tuning_improvements i
    JOIN tuning_conversation_turns t ON i.turn_id = t.id
    WHERE t.session_id IN (SELECT t2.session_id FROM new_improvements n JOIN tuning_conversation_turns t2 ON t2.id = n.turn_id)
    GROUP BY t.session_id
  ) c
  WHERE s.id = c.session_id;

  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_improvement_count
  AFTER INSERT ON tuning_improvements
  REFERENCING NEW TABLE AS new_improvements
  FOR EACH STATEMENT
  EXECUTE FUNCTION update_improvement_count();

COMMENT ON FUNCTION update_session_metrics() IS
  'Recounts total_turns once per INSERT statement for each session it touched (statement-level, transition table new_turns)';
COMMENT ON FUNCTION update_improvement_count() IS
  'Recounts total_improvements once per INSERT statement for each session it touched (statement-level, transition table new_improvements)';
`.execute(db);
}

/** Back to the spec's row-level triggers and functions, as migration 20261123090000 created them. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
DROP TRIGGER IF EXISTS trigger_update_turn_count ON tuning_conversation_turns;
DROP TRIGGER IF EXISTS trigger_update_improvement_count ON tuning_improvements;

CREATE OR REPLACE FUNCTION update_session_metrics()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE prompt_tuning_sessions
  SET total_turns = (
    SELECT COUNT(*)
    FROM tuning_conversation_turns
    WHERE session_id = NEW.session_id
  ),
  updated_at = NOW()
  WHERE id = NEW.session_id;

  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_turn_count
  AFTER INSERT ON tuning_conversation_turns
  FOR EACH ROW
  EXECUTE FUNCTION update_session_metrics();

CREATE OR REPLACE FUNCTION update_improvement_count()
RETURNS TRIGGER AS $$
BEGIN
  UPDATE prompt_tuning_sessions
  SET total_improvements = (
    SELECT COUNT(*)
    FROM tuning_improvements i
    JOIN tuning_conversation_turns t ON i.turn_id = t.id
    WHERE t.session_id = (
      SELECT session_id
      FROM tuning_conversation_turns
      WHERE id = NEW.turn_id
    )
  ),
  updated_at = NOW()
  WHERE id = (
    SELECT session_id
    FROM tuning_conversation_turns
    WHERE id = NEW.turn_id
  );

  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER trigger_update_improvement_count
  AFTER INSERT ON tuning_improvements
  FOR EACH ROW
  EXECUTE FUNCTION update_improvement_count();

COMMENT ON FUNCTION update_session_metrics() IS NULL;
COMMENT ON FUNCTION update_improvement_count() IS NULL;
`.execute(db);
}
