/**
 * Prompt capture as the bot uses it: prediction, storage, outcome, the topic a card shows, and
 * corrections. The writes around a turn are wrapped so that logging never blocks or breaks the
 * workflow (spec/004): a failed write is logged with the turn's ids and the tester's turn carries on.
 * A correction is the tester's own action, so its errors do reach them.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, IntentSource } from '../../db';
import type { Logger } from '../logger';
import type { ClassifyContext, IntentClassifier, IntentPrediction } from './classifier';
import { FALLBACK_CONFIDENCE } from './classifier';
import { correctIntent, findPredictionForTurn, type LogPredictionInput, logPrediction, recordOutcome } from './prompt-log';
import { INTENT_TOPICS, intentLabel, OTHER_INTENT } from './topics';

/** A turn's topic as a card shows it: the correction when there is one, else the prediction. */
export interface TurnTopic {
  id: string;
  label: string;
  /** The prediction's confidence (a correction does not change it). */
  confidence: number;
  source: IntentSource;
  corrected: boolean;
}

export interface PromptCapture {
  /** Every topic, in display order (for a correction picker). */
  readonly topics: Array<{ id: string; label: string }>;
  /** Predicts a message's topic. Never rejects (without a classifier: the fallback). */
  classify(text: string, ctx: ClassifyContext): Promise<IntentPrediction>;
  /**
   * Stores a message's prediction. Never rejects: a failure is logged and the turn carries on. With `trx`
   * it is written in that transaction (the turn's), behind a savepoint so a failure does not abort it.
   */
  logPrediction(input: LogPredictionInput, trx?: Transaction<Database>): Promise<void>;
  /** Stores a turn's outcome (latest signal wins). Never rejects, like logPrediction. */
  recordOutcome(turnId: string, wasSuccessful: boolean, workflowType?: string): Promise<void>;
  /** The turn's topic, or null when none was captured. Never rejects (null on a database error). */
  topicOf(turnId: string): Promise<TurnTopic | null>;
  /**
   * Stores a correction. `onlyForTester` limits it to that tester's predictions (omit it for admins).
   * @throws InvalidIntentError, PredictionNotFoundError (shown to the tester), or a database error.
   */
  correct(turnId: string, correctedIntent: string, correctedBy: string, options?: { notes?: string; onlyForTester?: string }): Promise<void>;
}

export interface PromptCaptureDeps {
  db: Kysely<Database>;
  logger: Logger;
  /** Absent: every message gets the fallback prediction. */
  classifier?: IntentClassifier;
}

/** Creates the prompt-capture service. */
export function createPromptCapture(deps: PromptCaptureDeps): PromptCapture {
  const logger = deps.logger.child({ component: 'prompt-capture' });
  return {
    topics: INTENT_TOPICS.map((t) => ({ id: t.id, label: t.label })),

    async classify(text, ctx) {
      if (deps.classifier) return deps.classifier.classify(text, ctx);
      return { intent: OTHER_INTENT, confidence: FALLBACK_CONFIDENCE, source: 'fallback' };
    },

    async logPrediction(input, trx) {
      try {
        if (trx) await logWithin(trx, input);
        else await logPrediction(deps.db, input);
      } catch (err) {
        logger.error(
          { err, sessionId: input.sessionId, turnId: input.turnId, testerId: input.testerId, intent: input.prediction.intent },
          'intent prediction could not be stored; the turn carries on',
        );
      }
    },

    async recordOutcome(turnId, wasSuccessful, workflowType) {
      try {
        const updated = await recordOutcome(deps.db, turnId, wasSuccessful, workflowType);
        // Expected for turns stored before capture was on, or whose prediction could not be stored.
        if (!updated) logger.debug({ turnId }, 'no intent prediction for this turn; outcome not recorded');
      } catch (err) {
        logger.error({ err, turnId, wasSuccessful }, 'intent outcome could not be stored; the turn carries on');
      }
    },

    async topicOf(turnId) {
      try {
        const row = await findPredictionForTurn(deps.db, turnId);
        if (!row) return null;
        const id = row.corrected_intent ?? row.predicted_intent;
        return { id, label: intentLabel(id), confidence: row.confidence, source: row.source, corrected: row.corrected_intent !== null };
      } catch (err) {
        logger.error({ err, turnId }, 'intent topic could not be read; the card shows none');
        return null;
      }
    },

    async correct(turnId, correctedIntent, correctedBy, options = {}) {
      await correctIntent(deps.db, { turnId, correctedIntent, correctedBy, notes: options.notes, onlyForTester: options.onlyForTester });
    },
  };
}

/** Writes the prediction inside the caller's transaction; a failure rolls back to the savepoint only. */
async function logWithin(trx: Transaction<Database>, input: LogPredictionInput): Promise<void> {
  await sql`SAVEPOINT prompt_capture`.execute(trx);
  try {
    await logPrediction(trx, input);
  } catch (err) {
    await sql`ROLLBACK TO SAVEPOINT prompt_capture`.execute(trx);
    throw err;
  }
  await sql`RELEASE SAVEPOINT prompt_capture`.execute(trx);
}
