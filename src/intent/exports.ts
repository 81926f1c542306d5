/**
 * The two prompt-capture exports (spec/004):
 * - retraining: every human-corrected prompt, plus uncorrected predictions confident enough to trust
 *   (> 0.85), as records for JSONL — the labelled data a classifier is retrained on;
 * - review: uncorrected low-confidence predictions (< 0.7) with `corrected_intent` and `notes` left
 *   empty for a reviewer to fill in.
 * `testerId` unset exports everyone's rows (admins); set, only that tester's (testers see only their own).
 */
import { type Kysely, sql } from 'kysely';
import type { Database, IntentSource } from '../../db';
import { InvalidExportOptionError } from './errors';

type Db = Kysely<Database>;

/** One line of the retraining JSONL. */
export interface RetrainingRecord {
  text: string;
  /** The corrected topic when a human corrected it, else the predicted one. */
  label: string;
  /** 1 for a human correction (the label is certain), else the prediction's confidence. */
  confidence: number;
  /** Who made the original prediction. */
  source: IntentSource;
  corrected: boolean;
}

export interface RetrainingExportOptions {
  /** The window: predictions made in the last `days` days. */
  days: number;
  /** Uncorrected predictions are included above this confidence (default 0.85). */
  highConfidence?: number;
  testerId?: string;
  /** Rows per query (default 500). */
  pageSize?: number;
}

/** One entry of the review JSON, with the fields a reviewer fills in. */
export interface ReviewRecord {
  id: string;
  text: string;
  predicted_intent: string;
  confidence: number;
  source: IntentSource;
  /** ISO 8601, UTC. */
  created_at: string;
  corrected_intent: null;
  notes: null;
}

export interface ReviewExportOptions {
  /** Uncorrected predictions below this confidence are listed (default 0.7). */
  confidenceThreshold?: number;
  /** Only the last `days` days; all time when unset. */
  days?: number;
  testerId?: string;
}

export const DEFAULT_HIGH_CONFIDENCE = 0.85;
export const DEFAULT_REVIEW_THRESHOLD = 0.7;
const MAX_DAYS = 3650;
const DAY_MS = 86_400_000;

function checkDays(days: number): void {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new InvalidExportOptionError(`days must be a whole number from 1 to ${MAX_DAYS}, not ${String(days)}`);
  }
}

function checkUnit(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new InvalidExportOptionError(`${name} must be between 0 and 1, not ${String(value)}`);
}

const since = (days: number): Date => new Date(Date.now() - days * DAY_MS);

/**
 * The retraining records, oldest first, read page by page (keyset on created_at, id: PGlite cannot
 * hold a cursor open).
 * @throws InvalidExportOptionError at once for a bad window or threshold.
 */
export function retrainingExport(db: Db, options: RetrainingExportOptions): AsyncIterable<RetrainingRecord> {
  const highConfidence = options.highConfidence ?? DEFAULT_HIGH_CONFIDENCE;
  checkDays(options.days);
  checkUnit('highConfidence', highConfidence);
  const pageSize = options.pageSize ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new InvalidExportOptionError(`pageSize must be a positive whole number, not ${pageSize}`);
  const cutoff = since(options.days);

  async function* records(): AsyncGenerator<RetrainingRecord> {
    // created_at has microseconds and a JS Date only milliseconds: the page key travels as text.
    let after: { ts: string; id: string } | null = null;
    for (;;) {
      let query = db
        .selectFrom('nlu_prompt_logs')
        .select(['id', 'prompt', 'predicted_intent', 'corrected_intent', 'confidence', 'source'])
        .select(sql<string>`to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US')`.as('page_ts'))
        .where('created_at', '>=', cutoff)
        .where((eb) => eb.or([eb('corrected_intent', 'is not', null), eb('confidence', '>', highConfidence)]));
      if (options.testerId !== undefined) query = query.where('user_id', '=', options.testerId);
      if (after) query = query.where(sql<boolean>`(created_at, id) > (${after.ts}::timestamp, ${after.id}::uuid)`);
      const rows = await query.orderBy('created_at').orderBy('id').limit(pageSize).execute();
      for (const row of rows) {
        const corrected = row.corrected_intent !== null;
        yield {
          text: row.prompt,
          label: row.corrected_intent ?? row.predicted_intent,
          confidence: corrected ? 1 : row.confidence,
          source: row.source,
          corrected,
        };
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < pageSize) return;
      after = { ts: last.page_ts, id: last.id };
    }
  }

  return { [Symbol.asyncIterator]: () => records() };
}

/**
 * The predictions waiting for review: uncorrected, below the threshold; least confident first.
 * @throws InvalidExportOptionError for a bad window or threshold.
 */
export async function reviewExport(db: Db, options: ReviewExportOptions = {}): Promise<ReviewRecord[]> {
  const threshold = options.confidenceThreshold ?? DEFAULT_REVIEW_THRESHOLD;
  checkUnit('confidenceThreshold', threshold);
  if (options.days !== undefined) checkDays(options.days);
  let query = db
    .selectFrom('nlu_prompt_logs')
    .select(['id', 'prompt', 'predicted_intent', 'confidence', 'source', 'created_at'])
    .where('corrected_intent', 'is', null)
    .where('confidence', '<', threshold);
  if (options.days !== undefined) query = query.where('created_at', '>=', since(options.days));
  if (options.testerId !== undefined) query = query.where('user_id', '=', options.testerId);
  const rows = await query.orderBy('confidence').orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => ({
    id: row.id,
    text: row.prompt,
    predicted_intent: row.predicted_intent,
    confidence: row.confidence,
    source: row.source,
    created_at: row.created_at.toISOString(),
    corrected_intent: null,
    notes: null,
  }));
}
