/**
 * GET /api/generations/latest?purpose=P[&sessionId=…][&testerId=…] — spec 003's cached read: the most
 * recent stored output of a model-call purpose, so a client can show it without asking the model again.
 *
 *   200 {"success": true, "data": {"purpose", "callId", "model", "promptVersion", "sessionId", "turnId",
 *        "output": {"text", "structured"?}, "cached": true, "cachedAt": ISO 8601}}
 *   400 a missing or unknown purpose, a malformed id      404 nothing stored yet
 *   401 without valid credentials (see api-auth.ts)       503 the database cannot be reached
 * Admin principals (local mode, API keys) may narrow by session or tester; a tester principal (Teams
 * SSO, later) is always held to their own calls. The configured redaction (REDACT_PII) applies.
 */
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { type Database, LLM_CALL_PURPOSES, type LlmCallPurpose } from '../../db';
import { latestCallOutput, type LatestOutputScope } from '../llm';
import type { Logger } from '../logger';
import type { Anonymizer } from '../privacy';
import { type ApiAuth, sendJson, sendUnauthorized } from './api-auth';

export const GENERATIONS_LATEST_PATH = '/api/generations/latest';

const PURPOSES: readonly LlmCallPurpose[] = LLM_CALL_PURPOSES;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The part of a request the handler reads (restify's Request satisfies it). */
export interface GenerationsLatestRequest {
  headers: IncomingHttpHeaders;
  url?: string;
}

export interface GenerationsLatestDeps {
  db: Kysely<Database>;
  auth: ApiAuth;
  /** Redaction of the configured kinds (no anonymisation: the read returns no identities). */
  privacy: Anonymizer;
  logger: Logger;
}

function bad(res: ServerResponse, error: string): void {
  sendJson(res, 400, { success: false, error });
}

/** Creates the handler. Every outcome is answered; the promise never rejects. */
export function createGenerationsLatestHandler(deps: GenerationsLatestDeps) {
  const logger = deps.logger.child({ component: 'api', route: GENERATIONS_LATEST_PATH });
  return async function generationsLatest(req: GenerationsLatestRequest, res: ServerResponse): Promise<void> {
    const principal = deps.auth.authenticate(req);
    if (!principal) {
      logger.warn({ event: 'api_unauthorized' }, 'API request without valid credentials');
      sendUnauthorized(res);
      return;
    }
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const purpose = query.get('purpose');
    if (!purpose) { bad(res, `purpose is required: one of ${PURPOSES.join(', ')}`); return; }
    if (!(PURPOSES as readonly string[]).includes(purpose)) { bad(res, `unknown purpose; use one of ${PURPOSES.join(', ')}`); return; }
    const scope: LatestOutputScope = {};
    const sessionId = query.get('sessionId');
    if (sessionId !== null) {
      if (!UUID.test(sessionId)) { bad(res, 'sessionId must be a session id (uuid)'); return; }
      scope.sessionId = sessionId;
    }
    const testerId = query.get('testerId');
    if (testerId !== null) {
      if (testerId.trim() === '' || testerId.length > 256) { bad(res, 'testerId must be a tester id'); return; }
      scope.testerId = testerId;
    }
    if (principal.kind === 'tester' && !principal.admin) scope.testerId = principal.testerId;

    try {
      const latest = await latestCallOutput(deps.db, purpose as LlmCallPurpose, scope);
      if (!latest) {
        sendJson(res, 404, { success: false, error: `No stored output for purpose ${purpose} yet` });
        return;
      }
      sendJson(res, 200, {
        success: true,
        data: {
          purpose: latest.purpose,
          callId: latest.callId,
          model: latest.model,
          promptVersion: latest.promptVersion,
          sessionId: latest.sessionId,
          turnId: latest.turnId,
          output: deps.privacy.json(latest.output),
          cached: true,
          cachedAt: latest.createdAt.toISOString(),
        },
      });
    } catch (err) {
      logger.error({ err, purpose }, 'cached generation read failed');
      sendJson(res, 503, { success: false, error: 'Unavailable right now; try again in a minute' });
    }
  };
}
