/**
 * GET /exports/insights/<token>: the tuning loop's files from Teams, behind the same signed, expiring
 * links as the session CSV. The token's subject names the file: `patch:<suggestion id>` (the suggestion's
 * .patch), `bundle:<session id>:<md|json>` (the LLM-ready bundle) or `comparison:<replay id>,…` (the
 * comparison card's full view: every metric and every turn's old and new answer, as text); its tester is
 * the requester, and a link only ever reads that tester's own suggestion, session or replays.
 */
import type { ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import { checkDownloadLink, sendPlainText } from '../tuning/download-link';
import { buildBundle, type BundleFormat } from './bundle';
import { compareReplays } from './compare';
import { comparisonText } from './compare-text';
import { InsightsError } from './errors';
import { suggestionPatchFile } from './suggest';
import { testerSuggestion } from './teams-loop';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** The signed subject of a suggestion's .patch. */
export const patchSubject = (suggestionId: string): string => `patch:${suggestionId}`;
/** The signed subject of a session's bundle. */
export const bundleSubject = (sessionId: string, format: BundleFormat): string => `bundle:${sessionId}:${format === 'json' ? 'json' : 'md'}`;

/** The signed subject of the full view of a comparison of replays (at most ten, as /replay starts). */
export const comparisonSubject = (replayIds: readonly string[]): string => `comparison:${replayIds.join(',')}`;

type Subject =
  | { kind: 'patch'; suggestionId: string }
  | { kind: 'bundle'; sessionId: string; format: BundleFormat }
  | { kind: 'comparison'; replayIds: string[] };

function parseSubject(subject: string): Subject | null {
  const patch = new RegExp(`^patch:(${UUID})$`).exec(subject);
  if (patch?.[1]) return { kind: 'patch', suggestionId: patch[1] };
  const bundle = new RegExp(`^bundle:(${UUID}):(md|json)$`).exec(subject);
  if (bundle?.[1]) return { kind: 'bundle', sessionId: bundle[1], format: bundle[2] === 'json' ? 'json' : 'markdown' };
  const comparison = new RegExp(`^comparison:(${UUID}(?:,${UUID}){0,9})$`).exec(subject);
  if (comparison?.[1]) return { kind: 'comparison', replayIds: comparison[1].split(',') };
  return null;
}


function sendFile(res: ServerResponse, file: { fileName: string; contentType: string; text: string; inline?: boolean }): void {
  res.writeHead(200, {
    'Content-Type': file.contentType,
    'Content-Disposition': `${file.inline ? 'inline' : 'attachment'}; filename="${file.fileName}"`,
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
    const claims = checkDownloadLink(req.params?.token, deps.secret, res, 'This download link has expired. Ask the bot again (/suggest or /export bundle) for a new one.\n');
    if (!claims) return;
    const subject = parseSubject(claims.sessionId);
    if (!subject) { sendPlainText(res, 403, 'This download link is not valid.\n'); return; }
    try {
      if (subject.kind === 'patch') {
        const s = await testerSuggestion(deps.db, subject.suggestionId, claims.testerId);
        const file = suggestionPatchFile(s);
        sendFile(res, { ...file, contentType: 'text/x-diff; charset=utf-8' });
        return;
      }
      if (subject.kind === 'comparison') {
        // Every replay must be one the requester started; anything else reads as gone.
        const owners = await deps.db.selectFrom('prompt_replays').select(['id', 'requested_by']).where('id', 'in', subject.replayIds).execute();
        if (owners.length !== new Set(subject.replayIds).size || owners.some((o) => o.requested_by !== claims.testerId)) { sendPlainText(res, 404, 'Those replays are gone.\n'); return; }
        const text = comparisonText(await compareReplays(deps.db, subject.replayIds), { turns: true, judgeOffline: deps.judgeMode === 'offline' });
        sendFile(res, { fileName: `comparison-${subject.replayIds[0]?.slice(0, 8) ?? ''}.txt`, contentType: 'text/plain; charset=utf-8', text: `${text}\n`, inline: true });
        return;
      }
      const owner = await deps.db.selectFrom('prompt_tuning_sessions').select('tester_id').where('id', '=', subject.sessionId).executeTakeFirst();
      if (owner?.tester_id !== claims.testerId) { sendPlainText(res, 404, 'That session is gone.\n'); return; }
      sendFile(res, await buildBundle(deps.db, subject.sessionId, { format: subject.format, promptPath: deps.promptPath, judgeMode: deps.judgeMode }));
    } catch (err) {
      if (err instanceof InsightsError) { sendPlainText(res, 404, `${err.userMessage}\n`); return; }
      deps.logger.error({ err, subject: subject.kind }, 'insights download failed');
      if (!res.headersSent) sendPlainText(res, 503, 'The file is unavailable right now. Please try again in a minute.\n');
      else res.destroy();
    }
  };
}
