/**
 * The migrations, by name. Listed statically (not read from the folder) so that the same list runs
 * under ts-node, swc, jest and a compiled build alike. Names are timestamps: order is by name.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m20261123090000 from './20261123090000_prompt_tuning_tables';
import * as m20261123090100 from './20261123090100_teams_ties_and_bot_state';
import * as m20261124090000 from './20261124090000_knowledge_base';
import * as m20261124090100 from './20261124090100_llm_calls_and_prompt_capture';
import * as m20261125090000 from './20261125090000_training_data';
import * as m20261202110000 from './20261202110000_knowledge_version';
import * as m20261202120000 from './20261202120000_tuning_insights';
import * as m20261202130000 from './20261202130000_llm_call_io';
import * as m20261202130100 from './20261202130100_statement_level_session_counts';
import * as m20261202130200 from './20261202130200_retention_archive';
import * as m20261203090000 from './20261203090000_handled_activities';
import * as m20261203100000 from './20261203100000_best_practices';
import * as m20261203110000 from './20261203110000_retention_archive_insights';
import * as m20261204090000 from './20261204090000_knowledge_chunk_questions';
import * as m20261205090000 from './20261205090000_intent_source_model';

export const migrations: Record<string, Migration> = {
  '20261123090000_prompt_tuning_tables': m20261123090000,
  '20261123090100_teams_ties_and_bot_state': m20261123090100,
  '20261124090000_knowledge_base': m20261124090000,
  '20261124090100_llm_calls_and_prompt_capture': m20261124090100,
  '20261125090000_training_data': m20261125090000,
  '20261202110000_knowledge_version': m20261202110000,
  '20261202120000_tuning_insights': m20261202120000,
  '20261202130000_llm_call_io': m20261202130000,
  '20261202130100_statement_level_session_counts': m20261202130100,
  '20261202130200_retention_archive': m20261202130200,
  '20261203090000_handled_activities': m20261203090000,
  '20261203100000_best_practices': m20261203100000,
  '20261203110000_retention_archive_insights': m20261203110000,
  '20261204090000_knowledge_chunk_questions': m20261204090000,
  '20261205090000_intent_source_model': m20261205090000,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
