/**
 * GET /exports/insights/<token>: the tuning loop's files from Teams, behind the same signed, expiring
 * links as the session CSV. The token's subject names the file: `patch:<suggestion id>` (the suggestion's
 * .patch) or `bundle:<session id>:<md|json>` (the LLM-ready bundle); its tester is the requester, and a
 * link only ever reads that tester's own suggestion or session.
 */
import type { ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import { ExportLinkError, verifyExportToken } from '../tuning/export-links';
import { buildBundle, type BundleFormat } from './bundle';
import { InsightsError } from './errors';
import { suggestionPatchFile } from './suggest';
import { testerSuggestion } from './teams-loop';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The signed subject of a suggestion's .patch. */
export const patchSubject = (suggestionId: string): string => `patch:${suggestionId}`;
/** The signed subject of a session's bundle. */
export const bundleSubject = (sessionId: string, format: BundleFormat): string => `bundle:${sessionId}:${format === 'json' ? 'json' : 'md'}`;

type Subject = { kind: 'patch'; suggestionId: string } | { kind: 'bundle'; sessionId: string; format: BundleFormat };

function parseSubject(subject: string): Subject | null {
  const patch = new RegExp(`^patch:(${UUID})$`).exec(subject);
  if (patch?.[1]) return { kind: 'patch', suggestionId: patch[1] };
  const bundle = new RegExp(`^bundle:(${UUID}):(md|json)$`).exec(subject);
  if (bundle?.[1]) return { kind: 'bundle', sessionId: bundle[1], format: bundle[2] === 'json' ? 'json' : 'markdown' };
  return null;
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function sendFile(res: ServerResponse, file: { fileName: string; contentType: string; text: string }): void {
  res.writeHead(200, {
    'Content-Type': file.contentType,
    'Content-Disposition': `attachment; filename="${file.fileName}"`,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(file.text),
  });
  res.end(file.text);
}

export interface InsightsDownloadDeps {
  db: Kysely<Database>;
  secret: string;
  logger: Logger;
  promptPath: string;
  judgeMode: 'claude' | 'offline';
}

/** The handler; every outcome is answered here and the promise never rejects. */
export function createInsightsDownloadHandler(deps: InsightsDownloadDeps) {
  return async (req: { params?: { token?: unknown } }, res: ServerResponse): Promise<void> => {
    let claims;
    try {
      const token = req.params?.token;
      claims = verifyExportToken(typeof token === 'string' ? token : '', deps.secret);
    } catch (err) {
      if (err instanceof ExportLinkError && err.reason === 'expired') { sendText(res, 410, 'This download link has expired. Ask the bot again (/suggest or /export bundle) for a new one.\n'); return; }
      sendText(res, 403, 'This download link is not valid.\n'); return;
    }
    const subject = parseSubject(claims.sessionId);
    if (!subject) { sendText(res, 403, 'This download link is not valid.\n'); return; }
    try {
      if (subject.kind === 'patch') {
        const s = await testerSuggestion(deps.db, subject.suggestionId, claims.testerId);
        const file = suggestionPatchFile(s);
        sendFile(res, { ...file, contentType: 'text/x-diff; charset=utf-8' });
        return;
      }
      const owner = await deps.db.selectFrom('prompt_tuning_sessions').select('tester_id').where('id', '=', subject.sessionId).executeTakeFirst();
      if (owner?.tester_id !== claims.testerId) { sendText(res, 404, 'That session is gone.\n'); return; }
      sendFile(res, await buildBundle(deps.db, subject.sessionId, { format: subject.format, promptPath: deps.promptPath, judgeMode: deps.judgeMode }));
    } catch (err) {
      if (err instanceof InsightsError) { sendText(res, 404, `${err.userMessage}\n`); return; }
      deps.logger.error({ err, subject: subject.kind }, 'insights download failed');
      if (!res.headersSent) sendText(res, 503, 'The file is unavailable right now. Please try again in a minute.\n');
      else res.destroy();
    }
  };
}
