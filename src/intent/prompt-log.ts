/**
 * The prompt-capture repository (nlu_prompt_logs): a message's predicted intent, the workflow's
 * outcome, and a human's correction. Plain functions taking `db` first; they throw on database errors.
 * The bot goes through createPromptCapture (capture.ts) for the writes that must never break a turn.
 */
import type { Kysely } from 'kysely';
import type { Database, IntentSource, JsonObject, NluPromptLog } from '../../db';
import { UUID_PATTERN } from '../tuning';
import { PredictionNotFoundError } from './errors';
import { isIntentId, parseIntentId } from './topics';

type Db = Kysely<Database>;

/**
 * A prediction as callers hold it. Typed loosely so a caller's own prediction type fits (the
 * classifier's IntentPrediction does); checked when stored.
 */
export interface PredictionInput {
  intent: string;
  confidence: number;
  source: string;
  ruleName?: string | null;
}

const SOURCES: readonly IntentSource[] = ['rule', 'classifier', 'model', 'fallback'];
const isSource = (s: string): s is IntentSource => (SOURCES as readonly string[]).includes(s);

export interface LogPredictionInput {
  /** The tester's AAD object id. */
  testerId: string;
  /** The tuning session. */
  sessionId: string | null;
  /** The stored turn; null when the answer failed and no turn was stored. */
  turnId: string | null;
  /** The turn number. */
  messageIndex: number | null;
  prompt: string;
  prediction: PredictionInput;
  /** Set when the workflow already failed (ERA could not answer): stored as was_successful = false. */
  executionError?: string | null;
  workflowType?: string | null;
  metadata?: JsonObject;
}

/**
 * Stores a prediction. A turn has at most one (uq_nlu_prompt_logs_turn): logging it again keeps the
 * first and returns it, so a retried write is harmless.
 * @throws TypeError for a prediction that is not a topic, a known source and a confidence in 0..1
 *   (a caller's bug), or a database error.
 */
export async function logPrediction(db: Db, input: LogPredictionInput): Promise<NluPromptLog> {
  const { intent, confidence, source } = input.prediction;
  if (!isIntentId(intent) || !isSource(source) || !(confidence >= 0 && confidence <= 1)) {
    throw new TypeError(`not a valid prediction: ${JSON.stringify(input.prediction)}`);
  }
  const failed = input.executionError !== undefined && input.executionError !== null;
  const inserted = await db
    .insertInto('nlu_prompt_logs')
    .values({
      user_id: input.testerId,
      conversation_id: input.sessionId,
      message_index: input.messageIndex,
      turn_id: input.turnId,
      prompt: input.prompt,
      predicted_intent: intent,
      confidence,
      source,
      rule_name: input.prediction.ruleName ?? null,
      was_successful: failed ? false : null,
      workflow_type: input.workflowType ?? null,
      execution_error: failed ? input.executionError : null,
      metadata: input.metadata ?? {},
    })
    .onConflict((oc) => oc.column('turn_id').where('turn_id', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  // Only a turn id can conflict, so there is one to look up.
  const existing = input.turnId ? await findPredictionForTurn(db, input.turnId) : null;
  if (!existing) throw new Error(`prediction for turn ${String(input.turnId)} conflicted but cannot be found`);
  return existing;
}

/**
 * Records how the turn went: true for Looks good or a thumbs up, false for an improvement note or a
 * thumbs down. Each signal overwrites the last, so the latest wins. Returns false when the turn has no
 * prediction (nothing to update).
 */
export async function recordOutcome(db: Db, turnId: string, wasSuccessful: boolean, workflowType?: string): Promise<boolean> {
  if (!UUID_PATTERN.test(turnId)) return false;
  const result = await db
    .updateTable('nlu_prompt_logs')
    .set((eb) => ({
      was_successful: wasSuccessful,
      workflow_type: workflowType === undefined ? eb.ref('workflow_type') : workflowType,
    }))
    .where('turn_id', '=', turnId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface CorrectIntentInput {
  turnId: string;
  /** A topic id or label; validated. */
  correctedIntent: unknown;
  /** Who corrected it (AAD object id or email). */
  correctedBy: string;
  notes?: string | null;
  /** Set for a tester (not an admin): only their own predictions can be corrected. */
  onlyForTester?: string;
}

/**
 * Stores a human's correction of a turn's predicted topic, with who and when. A later correction
 * replaces an earlier one.
 * @throws InvalidIntentError for an unknown topic; PredictionNotFoundError when the turn has no
 *   prediction (or, with onlyForTester, not one of that tester's).
 */
export async function correctIntent(db: Db, input: CorrectIntentInput): Promise<NluPromptLog> {
  const intent = parseIntentId(input.correctedIntent);
  // A turn id from a card is untrusted: a malformed one would be a uuid syntax error in Postgres.
  if (!UUID_PATTERN.test(input.turnId)) throw new PredictionNotFoundError(input.turnId);
  let query = db
    .updateTable('nlu_prompt_logs')
    .set({
      corrected_intent: intent,
      corrected_by: input.correctedBy,
      corrected_at: new Date(),
      notes: input.notes?.trim() ? input.notes.trim() : null,
    })
    .where('turn_id', '=', input.turnId);
  if (input.onlyForTester !== undefined) query = query.where('user_id', '=', input.onlyForTester);
  const row = await query.returningAll().executeTakeFirst();
  if (!row) throw new PredictionNotFoundError(input.turnId);
  return row;
}

/** The prediction stored for a turn, or null. */
export async function findPredictionForTurn(db: Db, turnId: string): Promise<NluPromptLog | null> {
  if (!UUID_PATTERN.test(turnId)) return null;
  const row = await db.selectFrom('nlu_prompt_logs').selectAll().where('turn_id', '=', turnId).executeTakeFirst();
  return row ?? null;
}
