/**
 * GET /exports/prompts/<token>: the prompt-capture exports from Teams (`/prompts`), behind the same
 * signed, expiring links as the session CSV. The token's subject names the export and its parameter
 * (`prompts:retraining:30`, `prompts:review:0.7`); its tester is the requester's id, or `*` when an
 * admin asked (every tester's rows). A tester's link only ever reads that tester's rows.
 *
 * Spec 004's privacy: REDACT_PII applies to every message text; a link made with an anonymize mode
 * (`/prompts … anonymize`, signed into the token) also scrubs every known tester's id, e-mail and name
 * from the texts. The records carry no tester field, so the texts are all there is to anonymise.
 */
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import { checkDownloadLink, type ExportPrivacy, exportTextFilter, sendPlainText } from '../tuning';
import { retrainingExport, reviewExport } from './exports';

export type PromptExportMode = 'retraining' | 'review';
export const ALL_TESTERS = '*';

/** The signed subject of a prompt export. */
export function promptExportSubject(mode: PromptExportMode, parameter: number): string {
  return `prompts:${mode}:${parameter}`;
}

function parseSubject(subject: string): { mode: PromptExportMode; parameter: number } | null {
  const m = /^prompts:(retraining|review):(\d+(?:\.\d+)?)$/.exec(subject);
  if (!m) return null;
  return { mode: m[1] as PromptExportMode, parameter: Number(m[2]) };
}


/** The handler; every outcome is answered here and the promise never rejects. */
export function createPromptExportHandler(deps: { db: Kysely<Database>; secret: string; logger: Logger; privacy?: ExportPrivacy }) {
  return async (req: { params?: { token?: unknown } }, res: ServerResponse): Promise<void> => {
    const claims = checkDownloadLink(req.params?.token, deps.secret, res, 'This download link has expired. Send /prompts to the bot for a new one.\n');
    if (!claims) return;
    const spec = parseSubject(claims.sessionId);
    if (!spec) { sendPlainText(res, 403, 'This download link is not valid.\n'); return; }
    const testerId = claims.testerId === ALL_TESTERS ? undefined : claims.testerId;
    const day = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}${claims.anonymize ? '-anonymized' : ''}`;
    try {
      const filter = await exportTextFilter(deps.db, deps.privacy ?? { redact: [], anonymizeSecret: deps.secret }, claims.anonymize ?? null);
      const text = filter ?? ((value: string) => value);
      if (spec.mode === 'review') {
        const rows = await reviewExport(deps.db, { confidenceThreshold: spec.parameter, testerId });
        const body = `${JSON.stringify(rows.map((r) => ({ ...r, text: text(r.text) })), null, 2)}\n`;
        res.writeHead(200, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Disposition': `attachment; filename="prompts-review-${day}.json"`,
          'Cache-Control': 'no-store',
        });
        res.end(body);
        return;
      }
      const records = retrainingExport(deps.db, { days: spec.parameter, testerId });
      res.writeHead(200, {
        'Content-Type': 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="prompts-retraining-${day}.jsonl"`,
        'Cache-Control': 'no-store',
      });
      const lines = Readable.from(
        (async function* () {
          for await (const r of records) yield `${JSON.stringify({ ...r, text: text(r.text) })}\n`;
        })(),
      );
      await pipeline(lines, res);
    } catch (err) {
      deps.logger.error({ err, mode: spec.mode }, 'prompt export failed');
      if (!res.headersSent) sendPlainText(res, 503, 'The export is unavailable right now. Please try again in a minute.\n');
      else res.destroy();
    }
  };
}
