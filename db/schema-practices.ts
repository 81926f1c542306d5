/** Best practices (spec 002). Mirrors migration 20261203100000; additions to the spec's columns are marked. */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Jsonb, JsonbWithDefault, JsonObject, NullableTimestamp, NullableTimestampWithDefault, TimestampWithDefault } from './schema-types';

/** DECIMAL(5,2) NOT NULL: both drivers read it as a string; written as a number or a string. */
export type Decimal = ColumnType<string, string | number, string | number>;

export type PracticeStatus = 'active' | 'archived';
export type PracticeAuthor = 'claude' | 'offline';

export interface BestPracticesTable {
  id: Generated<string>;
  title: string;
  description: string;
  /** The topic (policy area) of the managers' questions. */
  category: string;
  model: string;
  effectiveness_score: Decimal;
  sample_count: number;
  example_prompt: string;
  key_insights: Jsonb<string[]>;
  tags: Jsonb<string[]>;
  created_at: NullableTimestampWithDefault;
  updated_at: NullableTimestampWithDefault;
  /** Addition: sha256 of model, category and the sorted pattern features. */
  practice_key: string;
  /** Addition. */
  status: Generated<PracticeStatus>;
  /** Addition: set exactly when archived. */
  archived_at: NullableTimestamp;
  /** Addition: the analysis that last confirmed the practice. */
  last_analyzed_at: TimestampWithDefault;
  /** Addition: who wrote the text (offline: a deterministic extraction). */
  generated_by: PracticeAuthor;
  /** Addition: features, statistics, the write-up's basis. */
  metadata: JsonbWithDefault<JsonObject>;
}

export interface ModelPerformanceStatsTable {
  id: Generated<string>;
  model: string;
  total_practices: number;
  avg_effectiveness: Decimal;
  last_updated: NullableTimestampWithDefault;
}

export interface PracticeSourceSessionsTable {
  id: Generated<string>;
  best_practice_id: string;
  /** prompt_tuning_sessions.id as text. */
  session_id: string;
  contribution_score: Decimal;
  created_at: NullableTimestampWithDefault;
}

/** The tables of this part of the schema; db/schema.ts composes them into `Database`. */
export interface PracticeTables {
  best_practices: BestPracticesTable;
  model_performance_stats: ModelPerformanceStatsTable;
  practice_source_sessions: PracticeSourceSessionsTable;
}

export type BestPractice = Selectable<BestPracticesTable>;
export type NewBestPractice = Insertable<BestPracticesTable>;
export type ModelPerformanceStats = Selectable<ModelPerformanceStatsTable>;
export type PracticeSourceSession = Selectable<PracticeSourceSessionsTable>;
