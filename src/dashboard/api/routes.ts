/**
 * The dashboard's JSON API on the bot's restify server, under /api/dashboard. Every route signs the
 * caller in first (401 with a generic body otherwise); training data, quality and jobs are for admins
 * (403 for testers). Lists are paged (page, pageSize 25/50/100), sorted and filtered by query string.
 */
import type { Kysely } from 'kysely';
import type restify from 'restify';
import type { Database } from '../../../db';
import { bulkQualityAction, qualityDashboard } from '../../generation';
import { exportConversation, qualityReport } from './exports';
import type { Logger } from '../../logger';
import type { DashboardAuth, Principal } from '../auth';
import { bulkRequest, type MeResponse, type OptionalPageId, pagesFor } from '../contract';
import { jobAction, listJobViews, type JobRunnerAccess } from './jobs';
import { ApiError, FileAnswer, parseWith, queryOf, sendError, sendFile, sendJson } from './http';
import { getSession, listSessions } from './sessions';
import { listReplays, replayComparison, versionsComparison } from './compare';
import { listPracticesFor } from './practices';
import { conversationNumber, estimate, generate, getConversation, listMatrix, reviewConversation, type GenerationAccess } from './training';

export interface DashboardApiDeps {
  db: Kysely<Database>;
  logger: Logger;
  auth: DashboardAuth;
  generation: GenerationAccess;
  jobs: JobRunnerAccess;
  /** Optional pages turned on (Compare, Best practices: when their data and pages land). */
  optionalPages?: readonly OptionalPageId[];
}

type Handler = (req: restify.Request, who: Principal) => Promise<unknown>;

function param(req: restify.Request, name: string): string {
  const v = (req.params as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
}

/** Registers every /api/dashboard route. */
export function registerDashboardApi(server: restify.Server, deps: DashboardApiDeps): void {
  const { db, logger, auth } = deps;
  // The one place an API request is signed in: auth.authenticate (src/dashboard/auth). Unifying it with
  // the data branch's API-key auth (src/http, createApiAuth) changes that function, not the routes.
  const guarded = (adminOnly: boolean, handler: Handler) => async (req: restify.Request, res: restify.Response): Promise<void> => {
    try {
      const outcome = await auth.authenticate(req);
      if (!outcome.ok) {
        logger.info({ path: req.path(), status: outcome.status, reason: outcome.reason }, 'dashboard request refused');
        sendJson(res, outcome.status, { error: outcome.status === 401 ? 'Sign in to use the dashboard.' : 'You are not on the list of testers for this bot.' });
        return;
      }
      if (adminOnly && !outcome.principal.admin) throw new ApiError(403, 'This page is for admins (ADMIN_ALLOWLIST).');
      const answer = await handler(req, outcome.principal);
      if (answer instanceof FileAnswer) sendFile(res, answer);
      else sendJson(res, 200, answer);
    } catch (err) {
      sendError(res, err, logger, { path: req.path(), method: req.method });
    }
  };
  const get = (path: string, adminOnly: boolean, h: Handler) => server.get(path, guarded(adminOnly, h));
  const post = (path: string, adminOnly: boolean, h: Handler) => server.post(path, guarded(adminOnly, h));

  get('/api/dashboard/me', false, (_req, who): Promise<MeResponse> => Promise.resolve({
    testerId: who.testerId, name: who.name, admin: who.admin, via: who.via, pages: pagesFor(who.admin, deps.optionalPages),
    claude: { online: deps.generation.online, model: deps.generation.model },
  }));
  get('/api/dashboard/sessions', false, (req, who) => listSessions(db, who, queryOf(req)));
  get('/api/dashboard/sessions/:id', false, (req, who) => getSession(db, who, param(req, 'id')));
  const page = (id: OptionalPageId) => {
    // A page the server does not offer answers like an unknown API.
    if (!(deps.optionalPages ?? []).includes(id)) throw new ApiError(404, 'No such dashboard API.');
  };
  get('/api/dashboard/compare/replays', false, (req, who) => { page('compare'); return listReplays(db, who, queryOf(req)); });
  get('/api/dashboard/compare/replays/:id', false, (req, who) => { page('compare'); return replayComparison(db, who, param(req, 'id'), queryOf(req)); });
  get('/api/dashboard/compare/versions', false, (req, who) => { page('compare'); return versionsComparison(db, who, queryOf(req)); });
  get('/api/dashboard/practices', false, (req, who) => { page('practices'); return listPracticesFor(db, who, queryOf(req)); });
  get('/api/dashboard/training/conversations', true, (req) => listMatrix(db, queryOf(req)));
  get('/api/dashboard/training/conversations/:number', true, (req) => getConversation(db, conversationNumber(param(req, 'number'))));
  post('/api/dashboard/training/conversations/:number/review', true, async (req, who) => {
    const number = conversationNumber(param(req, 'number'));
    const moved = await reviewConversation(db, who, number, req.body);
    logger.info({ testerId: who.testerId, conversation: number, ...moved }, 'training conversation reviewed on the dashboard');
    return moved;
  });
  get('/api/dashboard/training/conversations/:number/export', true, (req) => exportConversation(db, conversationNumber(param(req, 'number'))));
  post('/api/dashboard/training/estimate', true, (req) => estimate(db, deps.generation, req.body));
  post('/api/dashboard/training/generate', true, async (req, who) => {
    const started = await generate(db, deps.generation, who, req.body);
    logger.info({ jobId: started.jobId, testerId: who.testerId, existing: started.existing }, 'generation job started from the dashboard');
    return started;
  });
  get('/api/dashboard/quality/report.csv', true, () => qualityReport(db));
  get('/api/dashboard/quality', true, () => qualityDashboard(db));
  post('/api/dashboard/quality/bulk', true, async (req, who) => {
    const { action } = parseWith(bulkRequest, req.body);
    return { changed: await bulkQualityAction(db, action, who.email ?? who.name ?? who.testerId) };
  });
  get('/api/dashboard/jobs', true, () => listJobViews(db, deps.jobs));
  post('/api/dashboard/jobs/:id/:action', true, (req, who) => jobAction(db, deps.jobs, who, param(req, 'id'), param(req, 'action')));
  // Anything else under the API: signed-in callers learn it does not exist, others get 401 like everywhere.
  const missing: Handler = () => Promise.reject(new ApiError(404, 'No such dashboard API.'));
  get('/api/dashboard/*', false, missing);
  post('/api/dashboard/*', false, missing);
}
