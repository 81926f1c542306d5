/** Archive tables (LIKE … INCLUDING ALL) and task leases. Mirrors migrations 20261202130200 and 20261203110000. */
import type { Selectable } from 'kysely';
import type { LlmCallIoTable } from './schema-call-io';
import type { PromptReplaysTable, PromptSuggestionsTable, PromptVersionComparisonsTable, TurnJudgementsTable } from './schema-insights';
import type { LlmCallsTable, NluPromptLogsTable } from './schema-llm';
import type { PromptTuningSessionsTable, TuningConversationTurnsTable, TuningImprovementsTable } from './schema';
import type { TimestampWithDefault } from './schema-types';

/** A lease on a scheduled task: whoever holds an unexpired row runs it. */
export interface TaskLeasesTable {
  name: string;
  holder: string;
  acquired_at: TimestampWithDefault;
  expires_at: Date | string;
}

/** The tables of this part of the schema; db/schema.ts composes them into `Database`. */
export interface RetentionTables {
  /** The source's columns plus when the session was archived. */
  prompt_tuning_sessions_archive: PromptTuningSessionsTable & { archived_at: TimestampWithDefault };
  tuning_conversation_turns_archive: TuningConversationTurnsTable;
  tuning_improvements_archive: TuningImprovementsTable;
  llm_calls_archive: LlmCallsTable;
  llm_call_io_archive: LlmCallIoTable;
  nlu_prompt_logs_archive: NluPromptLogsTable;
  turn_judgements_archive: TurnJudgementsTable;
  prompt_suggestions_archive: PromptSuggestionsTable;
  prompt_replays_archive: PromptReplaysTable;
  prompt_version_comparisons_archive: PromptVersionComparisonsTable;
  task_leases: TaskLeasesTable;
}

export type TaskLease = Selectable<TaskLeasesTable>;
