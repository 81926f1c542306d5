/**
 * The migrations, by name. Listed statically (not read from the folder) so that the same list runs
 * under ts-node, swc, jest and a compiled build alike. Names are timestamps: order is by name.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as m20261123090000 from './20261123090000_prompt_tuning_tables';
import * as m20261123090100 from './20261123090100_teams_ties_and_bot_state';

export const migrations: Record<string, Migration> = {
  '20261123090000_prompt_tuning_tables': m20261123090000,
  '20261123090100_teams_ties_and_bot_state': m20261123090100,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
