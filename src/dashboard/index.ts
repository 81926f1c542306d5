/**
 * The dashboard: a Teams personal tab (React + Fluent UI, bundled by esbuild) and its JSON API on the
 * bot's own server. src/app.ts creates it and registers it on the server; the bot's `/dashboard`
 * command asks it for a sign-in link.
 */
import type { Kysely } from 'kysely';
import type restify from 'restify';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import { createDashboardAuth, type DashboardAuth, type DashboardAuthOptions } from './auth';
import type { OptionalPageId } from './contract';
import { registerDashboardApi } from './api/routes';
import type { JobRunnerAccess } from './api/jobs';
import type { GenerationAccess } from './api/training';
import { DASHBOARD_BUILD_DIR } from './build';
import { registerDashboardStatic } from './static';

export { buildDashboard, DASHBOARD_BUILD_DIR } from './build';
export { CONTENT_SECURITY_POLICY, FRAME_ANCESTORS } from './static';
export type { GenerationAccess } from './api/training';
export type { JobRunnerAccess } from './api/jobs';
export { createDashboardAuth, type DashboardAuth, type Principal } from './auth';
export { dashboardCommand, type DashboardCommandReply } from './command';

export interface DashboardDeps {
  db: Kysely<Database>;
  logger: Logger;
  auth: DashboardAuthOptions;
  generation: Omit<GenerationAccess, 'run'>;
  jobs: JobRunnerAccess;
  /** Optional pages to offer (none yet: Compare and Best practices join with the tuning loop and spec 002). */
  optionalPages?: readonly OptionalPageId[];
  /** Where the built bundle is (tests may build elsewhere). */
  buildDir?: string;
}

export interface Dashboard {
  auth: DashboardAuth;
  /** Adds /dashboard/* and /api/dashboard/* to the server. */
  register(server: restify.Server): void;
}

/** Builds the dashboard's server side. */
export function createDashboard(deps: DashboardDeps): Dashboard {
  const auth = createDashboardAuth(deps.auth);
  const logger = deps.logger.child({ component: 'dashboard' });
  return {
    auth,
    register: (server) => {
      registerDashboardStatic(server, { buildDir: deps.buildDir ?? DASHBOARD_BUILD_DIR, auth, logger });
      registerDashboardApi(server, {
        db: deps.db, logger, auth, generation: { ...deps.generation, run: (id) => { deps.jobs.run(id); } }, jobs: deps.jobs, optionalPages: deps.optionalPages,
      });
    },
  };
}
