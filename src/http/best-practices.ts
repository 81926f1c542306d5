/**
 * GET /api/best-practices — spec 002's endpoint: the active practices, most effective first, as JSON.
 *
 *   ?model=M &category=C &minEffectiveness=0-100 &status=active|archived|all &page=1.. &pageSize=1-100
 *   200 {"success": true, "data": {"items": [practice…], "page", "pageSize", "total", "totalPages"},
 *        "stats": [{model, totalPractices, avgEffectiveness, lastUpdated}]}
 * GET /api/best-practices/{id} — one practice with the sessions it came from and their contribution:
 *   200 {"success": true, "data": {…practice, "sources": [{sessionId, contributionScore}]}}   404 unknown
 * 400 a bad or unknown parameter (named)     401 without valid credentials (api-auth.ts)     503 no database
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { getPractice, listPractices, MAX_PAGE_SIZE, modelStats, type PracticeFilter } from '../insights';
import type { Logger } from '../logger';
import { type ApiAuth, sendJson, sendUnauthorized } from './api-auth';

export const BEST_PRACTICES_PATH = '/api/best-practices';
export const BEST_PRACTICE_PATH = '/api/best-practices/:id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KNOWN = new Set(['model', 'category', 'minEffectiveness', 'status', 'page', 'pageSize']);

export interface BestPracticesRequest {
  headers: IncomingHttpHeaders;
  url?: string;
}

export interface BestPracticesDeps {
  db: Kysely<Database>;
  auth: ApiAuth;
  logger: Logger;
}

/** The filter a query string asks for, or what is wrong with it. */
export function parsePracticeQuery(query: URLSearchParams): { filter: PracticeFilter } | { error: string } {
  const unknown = [...query.keys()].filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) return { error: `unknown parameter ${unknown.map((k) => `"${k.slice(0, 40)}"`).join(', ')}; use ${[...KNOWN].join(', ')}` };
  const filter: PracticeFilter = {};
  for (const name of ['model', 'category'] as const) {
    const v = query.get(name);
    if (v === null) continue;
    if (v.trim() === '' || v.length > 100) return { error: `${name} must be 1-100 characters` };
    filter[name] = v.trim();
  }
  const min = query.get('minEffectiveness');
  if (min !== null) {
    const n = Number(min);
    if (min.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) return { error: 'minEffectiveness must be a number from 0 to 100' };
    filter.minEffectiveness = n;
  }
  const status = query.get('status');
  if (status !== null) {
    if (status !== 'active' && status !== 'archived' && status !== 'all') return { error: 'status must be active, archived or all' };
    filter.status = status;
  }
  for (const [name, max] of [['page', 1_000_000], ['pageSize', MAX_PAGE_SIZE]] as const) {
    const v = query.get(name);
    if (v === null) continue;
    if (!/^\d{1,7}$/.test(v) || Number(v) < 1 || Number(v) > max) return { error: `${name} must be a whole number from 1 to ${max}` };
    filter[name] = Number(v);
  }
  return { filter };
}

/** Creates the two handlers (list, one). Every outcome is answered; the promises never reject. */
export function createBestPracticesHandlers(deps: BestPracticesDeps) {
  const logger = deps.logger.child({ component: 'api', route: BEST_PRACTICES_PATH });
  const authenticated = (req: BestPracticesRequest, res: ServerResponse): boolean => {
    if (deps.auth.authenticate(req)) return true;
    logger.warn({ event: 'api_unauthorized' }, 'API request without valid credentials');
    sendUnauthorized(res);
    return false;
  };
  const unavailable = (res: ServerResponse, err: unknown): void => {
    logger.error({ err }, 'best-practices read failed');
    sendJson(res, 503, { success: false, error: 'Unavailable right now; try again in a minute' });
  };
  return {
    async list(req: BestPracticesRequest, res: ServerResponse): Promise<void> {
      if (!authenticated(req, res)) return;
      const parsed = parsePracticeQuery(new URL(req.url ?? '/', 'http://localhost').searchParams);
      if ('error' in parsed) { sendJson(res, 400, { success: false, error: parsed.error }); return; }
      try {
        const [page, stats] = await Promise.all([listPractices(deps.db, parsed.filter), modelStats(deps.db)]);
        sendJson(res, 200, { success: true, data: { ...page, totalPages: Math.ceil(page.total / page.pageSize) }, stats });
      } catch (err) {
        unavailable(res, err);
      }
    },
    async one(req: BestPracticesRequest, res: ServerResponse): Promise<void> {
      if (!authenticated(req, res)) return;
      const id = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname.split('/').pop() ?? '');
      if (!UUID.test(id)) { sendJson(res, 400, { success: false, error: 'the practice id must be a uuid' }); return; }
      try {
        const practice = await getPractice(deps.db, id.toLowerCase());
        if (!practice) { sendJson(res, 404, { success: false, error: 'No such practice' }); return; }
        sendJson(res, 200, { success: true, data: practice });
      } catch (err) {
        unavailable(res, err);
      }
    },
  };
}
