/**
 * The tuning loop: judgements, suggestions, replays, their Message Batches, and spec 000's
 * prompt_version_comparisons. Mirrors migration 20261202120000 (the six metric columns it adds to
 * tuning_conversation_turns are in db/schema.ts, on that table's interface).
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { JsonbWithDefault, JsonObject, NullableTimestamp, NullableTimestampWithDefault, TimestampWithDefault } from './schema-types';

/** chk_turn_judgements_status. */
export type JudgementStatus = 'ok' | 'error';

/** The judge's one-line reasons, per score. */
export interface JudgementRationale {
  professionalism?: string;
  empathy?: string;
  clarity?: string;
  [key: string]: string | undefined;
}

export interface TurnJudgementsTable {
  id: Generated<string>;
  turn_id: string;
  rubric_version: string;
  judge_model: string;
  status: JudgementStatus;
  professionalism_score: number | null;
  empathy_score: number | null;
  clarity_score: number | null;
  rationale: JsonbWithDefault<JudgementRationale>;
  error: string | null;
  request_id: string | null;
  batch_id: string | null;
  custom_id: string | null;
  judged_at: TimestampWithDefault;
}

/** chk_prompt_suggestions_status / _mode. */
export type SuggestionStatus = 'pending' | 'ready' | 'failed';
export type SuggestionMode = 'claude' | 'offline_digest';

/** One proposed edit: `find` occurs exactly once in the base prompt and becomes `replace`. */
export interface StoredEdit {
  find: string;
  replace: string;
  /** The notes (tuning_improvements ids) this edit answers. */
  note_ids: string[];
  rationale: string;
}

/** An edit that could not be applied, and why. */
export interface RefusedEdit {
  edit: StoredEdit;
  reason: string;
}

export interface PromptSuggestionsTable {
  id: Generated<string>;
  session_id: string;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
  requested_by: string | null;
  status: Generated<SuggestionStatus>;
  mode: SuggestionMode;
  prompt_path: string;
  base_version: string;
  base_sha256: string;
  model: string | null;
  summary: string | null;
  /** Stored as an object: a JS array parameter would reach pg as a Postgres array literal. */
  edits: JsonbWithDefault<{ items: StoredEdit[] }>;
  refused: JsonbWithDefault<{ items: RefusedEdit[] }>;
  patch: string | null;
  digest: string | null;
  error: string | null;
  request_id: string | null;
  lease_expires_at: NullableTimestamp;
  metadata: JsonbWithDefault<JsonObject>;
}

export type CandidateKind = 'git_ref' | 'file' | 'suggestion';
export type ReplayMode = 'direct' | 'batch';
export type ReplayStatus = 'queued' | 'running' | 'scoring' | 'completed' | 'failed' | 'cancelled';

export interface PromptReplaysTable {
  id: Generated<string>;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
  requested_by: string | null;
  /** The replays started together (one run over many sessions). */
  group_id: string | null;
  source_session_id: string;
  replay_session_id: string | null;
  candidate_kind: CandidateKind;
  candidate_ref: string;
  candidate_version: string;
  candidate_sha256: string;
  /** The prompt text replayed, kept so a resumed replay uses exactly the same text. */
  candidate_prompt: string;
  suggestion_id: string | null;
  /** The source session's master_prompt_version: version A of the comparison. */
  base_version: string | null;
  mode: Generated<ReplayMode>;
  status: Generated<ReplayStatus>;
  total_turns: number;
  done_turns: Generated<number>;
  claimed_by: string | null;
  lease_expires_at: NullableTimestamp;
  error: string | null;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  metadata: JsonbWithDefault<JsonObject>;
}

export type InsightBatchPurpose = 'judging' | 'replay';
export type InsightBatchStatus = 'submitting' | 'in_progress' | 'ended' | 'collected' | 'failed';
export type InsightBatchRequestStatus = 'pending' | 'stored' | 'errored';

export interface InsightBatchesTable {
  id: Generated<string>;
  purpose: InsightBatchPurpose;
  /** Anthropic's id; null while the create call is in flight (or its answer was lost). */
  batch_id: string | null;
  status: InsightBatchStatus;
  request_count: number;
  submit_started_at: TimestampWithDefault;
  submit_expires_at: ColumnType<Date, Date | string, Date | string>;
  created_at: TimestampWithDefault;
  ended_at: NullableTimestamp;
  collected_at: NullableTimestamp;
  error: string | null;
  metadata: JsonbWithDefault<JsonObject>;
}

export interface InsightBatchRequestsTable {
  batch_row_id: string;
  custom_id: string;
  turn_id: string | null;
  replay_id: string | null;
  turn_number: number | null;
  payload: JsonbWithDefault<JsonObject>;
  status: Generated<InsightBatchRequestStatus>;
  error: string | null;
}

export interface PromptVersionComparisonsTable {
  id: Generated<string>;
  version_a: string;
  version_b: string;
  metric_name: string;
  version_a_score: number | null;
  version_b_score: number | null;
  comparison_date: NullableTimestampWithDefault;
  /** Addition: the replay behind the row. */
  replay_id: string | null;
  /** Addition: the session whose turns are version A's. */
  source_session_id: string | null;
  /** Addition: the replay's session, version B's turns. */
  replay_session_id: string | null;
  /** Addition: turns with a value behind each score. */
  version_a_turns: number | null;
  version_b_turns: number | null;
}

/** The tables of this part of the schema; db/schema.ts composes them into `Database`. */
export interface InsightsTables {
  turn_judgements: TurnJudgementsTable;
  prompt_suggestions: PromptSuggestionsTable;
  prompt_replays: PromptReplaysTable;
  insight_batches: InsightBatchesTable;
  insight_batch_requests: InsightBatchRequestsTable;
  prompt_version_comparisons: PromptVersionComparisonsTable;
}

export type TurnJudgement = Selectable<TurnJudgementsTable>;
export type NewTurnJudgement = Insertable<TurnJudgementsTable>;
export type PromptSuggestion = Selectable<PromptSuggestionsTable>;
export type NewPromptSuggestion = Insertable<PromptSuggestionsTable>;
export type PromptReplay = Selectable<PromptReplaysTable>;
export type NewPromptReplay = Insertable<PromptReplaysTable>;
export type PromptReplayUpdate = Updateable<PromptReplaysTable>;
export type InsightBatch = Selectable<InsightBatchesTable>;
export type InsightBatchRequest = Selectable<InsightBatchRequestsTable>;
export type PromptVersionComparison = Selectable<PromptVersionComparisonsTable>;
export type NewPromptVersionComparison = Insertable<PromptVersionComparisonsTable>;
