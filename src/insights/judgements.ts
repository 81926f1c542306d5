/**
 * Judgements: each judging of a turn (turn_judgements) and the spec's score columns on the turn, which
 * hold the latest successful one. Written together, in one transaction, so they never disagree.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database, JudgementRationale, TurnJudgement } from '../../db';

type Db = Kysely<Database>;

/** The three 1-5 scores. */
export interface JudgeScores {
  professionalism: number;
  empathy: number;
  clarity: number;
}

/** One judging's outcome as stored. */
export interface JudgementInput {
  turnId: string;
  rubricVersion: string;
  judgeModel: string;
  /** Null: the judging failed (error says why); the turn's scores are left as they were. */
  scores: JudgeScores | null;
  rationale?: JudgementRationale;
  error?: string | null;
  requestId?: string | null;
  batchId?: string | null;
  customId?: string | null;
}

/**
 * Stores a judging: upserted on (turn, rubric version, model), so judging again replaces the row rather
 * than adding one; a success also sets the turn's score columns. A failure never overwrites an earlier
 * success under the same key.
 */
export async function storeJudgement(db: Db, input: JudgementInput): Promise<void> {
  await db.transaction().execute((trx) => writeJudgement(trx, input));
}

/** storeJudgement inside the caller's transaction (a batch result and its request mark commit together). */
export async function writeJudgement(trx: Transaction<Database>, input: JudgementInput): Promise<void> {
  const ok = input.scores !== null;
  const values = {
    turn_id: input.turnId,
    rubric_version: input.rubricVersion,
    judge_model: input.judgeModel,
    status: ok ? ('ok' as const) : ('error' as const),
    professionalism_score: input.scores?.professionalism ?? null,
    empathy_score: input.scores?.empathy ?? null,
    clarity_score: input.scores?.clarity ?? null,
    rationale: input.rationale ?? {},
    error: input.error ?? null,
    request_id: input.requestId ?? null,
    batch_id: input.batchId ?? null,
    custom_id: input.customId ?? null,
    judged_at: new Date(),
  };
  await trx
    .insertInto('turn_judgements')
    .values(values)
    .onConflict((oc) => {
      const update = oc.columns(['turn_id', 'rubric_version', 'judge_model']).doUpdateSet({
        status: values.status,
        professionalism_score: values.professionalism_score,
        empathy_score: values.empathy_score,
        clarity_score: values.clarity_score,
        rationale: values.rationale,
        error: values.error,
        request_id: values.request_id,
        batch_id: values.batch_id,
        custom_id: values.custom_id,
        judged_at: values.judged_at,
      });
      return ok ? update : update.where('turn_judgements.status', '<>', 'ok');
    })
    .execute();
  if (input.scores) {
    await trx
      .updateTable('tuning_conversation_turns')
      .set({
        professionalism_score: input.scores.professionalism,
        empathy_score: input.scores.empathy,
        clarity_score: input.scores.clarity,
      })
      .where('id', '=', input.turnId)
      .execute();
  }
}

/** The latest judgement of each turn (any rubric or model), by turn id. */
export async function latestJudgements(db: Db, turnIds: readonly string[]): Promise<Map<string, TurnJudgement>> {
  if (turnIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('turn_judgements')
    .selectAll()
    .where('turn_id', 'in', [...turnIds])
    .orderBy('turn_id')
    .orderBy(sql`status = 'ok'`, 'desc')
    .orderBy('judged_at', 'desc')
    .execute();
  const out = new Map<string, TurnJudgement>();
  for (const row of rows) if (!out.has(row.turn_id)) out.set(row.turn_id, row);
  return out;
}
