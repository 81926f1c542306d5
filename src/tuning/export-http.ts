/**
 * GET /exports/:token — serves a session's CSV to whoever holds a valid signed link.
 *
 * The link is bound to a tester as well as a session: the session must still belong to the tester
 * the link was made for, so a link cannot outlive a change of hands (defence in depth; the link is
 * only ever made for the session's own tester). Anything that is not a current, genuine link for an
 * existing session gets a short plain-text answer; the reason goes to the log, the token never does.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Logger } from '../logger';
import type { PiiKind } from '../privacy';
import { type CopyOut, openSessionCsvCopy } from './export-copy';
import { exportFileName, openSessionCsvStream } from './export-csv';
import { exportTextFilter } from './export-privacy';
import { ExportLinkError, MAX_EXPORT_TOKEN_LENGTH, MIN_EXPORT_SECRET_LENGTH, type VerifiedExportLink, verifyExportToken } from './export-links';
import { UUID_PATTERN } from './types';

type Db = Kysely<Database>;

/** The route the handler serves. */
export const EXPORT_ROUTE_PATH = '/exports/:token';

/**
 * The `maxParamLength` the restify server must be created with. Its router (find-my-way) defaults to
 * 100 characters and answers a longer path parameter with its own 404 before any handler runs, and
 * a token is about 180 characters. Above the token cap, so that over-long tokens reach the handler
 * and get its 403 rather than the router's 404.
 */
export const EXPORT_ROUTE_MAX_PARAM_LENGTH = 2 * MAX_EXPORT_TOKEN_LENGTH;

/** The part of a restify Request the handler reads (restify's Request satisfies it). */
export interface ExportDownloadRequest {
  params?: { token?: unknown };
}

export interface ExportDownloadDeps {
  db: Db;
  /** The secret the links were signed with (EXPORT_SIGNING_SECRET). */
  secret: string;
  logger: Logger;
  /** Turns per database page; default that of the CSV export. */
  pageSize?: number;
  /**
   * Postgres: COPY … TO STDOUT (DatabaseHandle.copyOut), the fast path; the paged path serves PGlite,
   * and Postgres too whenever COPY cannot start (its few connections all busy).
   */
  copyOut?: CopyOut;
  /**
   * REDACT_PII's kinds (applied to every download) and the pseudonym key for links made with an
   * anonymize mode. A download that changes text goes through the paged path (COPY sends text as stored).
   */
  privacy?: { redact: readonly PiiKind[]; anonymizeSecret: string };
  /** The clock, epoch ms; tests pin it. */
  now?: () => number;
}

/**
 * A restify async handler (two arguments, returns a promise): register it with
 * `server.get(EXPORT_ROUTE_PATH, h)` on a server created with
 * `{ maxParamLength: EXPORT_ROUTE_MAX_PARAM_LENGTH }`.
 */
export type ExportDownloadHandler = (req: ExportDownloadRequest, res: ServerResponse) => Promise<void>;

const MESSAGES = {
  403: 'This download link is not valid.\n',
  404: 'Export not found.\n',
  410: 'This download link has expired. Send /export to the bot for a new one.\n',
  503: 'The export is unavailable right now. Please try again in a minute.\n',
} as const;

type ErrorStatus = keyof typeof MESSAGES;

function sendError(res: ServerResponse, status: ErrorStatus): void {
  const body = MESSAGES[status];
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}

/** Errors that mean the client hung up, not that anything on our side failed. */
function isClientAbort(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * Creates the download handler. Every outcome is answered here; the promise never rejects.
 * Throws RangeError at once on a secret shorter than 32 characters, rather than on every request.
 */
export function createExportDownloadHandler(deps: ExportDownloadDeps): ExportDownloadHandler {
  const { db, secret, logger } = deps;
  const now = deps.now ?? Date.now;
  if (secret.length < MIN_EXPORT_SECRET_LENGTH) {
    throw new RangeError(`the export signing secret must be at least ${MIN_EXPORT_SECRET_LENGTH} characters`);
  }

  async function openCsv(sessionId: string, link: VerifiedExportLink, log: Logger): Promise<Readable> {
    const text = await exportTextFilter(db, { redact: deps.privacy?.redact ?? [], anonymizeSecret: deps.privacy?.anonymizeSecret ?? secret }, link.anonymize ?? null);
    if (text) return openSessionCsvStream(db, sessionId, { pageSize: deps.pageSize, text });
    if (deps.copyOut) {
      try {
        return await openSessionCsvCopy(deps.copyOut, sessionId);
      } catch (err) {
        log.warn({ event: 'export_copy_unavailable', err }, 'COPY export could not start; paging instead');
      }
    }
    return openSessionCsvStream(db, sessionId, { pageSize: deps.pageSize });
  }

  return async function exportDownload(req: ExportDownloadRequest, res: ServerResponse): Promise<void> {
    const token = req.params?.token;
    let link: VerifiedExportLink;
    try {
      link = verifyExportToken(typeof token === 'string' ? token : '', secret, now());
    } catch (err) {
      if (!(err instanceof ExportLinkError)) {
        logger.error({ event: 'export_link_error', err }, 'export link check failed');
        sendError(res, 503);
        return;
      }
      logger.warn({ event: 'export_link_rejected', reason: err.reason }, 'export link rejected');
      sendError(res, err.reason === 'expired' ? 410 : 403);
      return;
    }
    const log = logger.child({ sessionId: link.sessionId, testerId: link.testerId });

    // Only a bug of ours could sign a non-uuid; checking spares Postgres a cast error (a 503).
    if (!UUID_PATTERN.test(link.sessionId)) {
      log.warn({ event: 'export_not_found', why: 'not_a_uuid' }, 'export session id is not a uuid');
      sendError(res, 404);
      return;
    }

    let csv: Readable;
    let fileName: string;
    try {
      const session = await db
        .selectFrom('prompt_tuning_sessions')
        .select(['id', 'tester_id', 'session_start'])
        .where('id', '=', link.sessionId)
        .executeTakeFirst();
      if (!session || session.tester_id !== link.testerId) {
        // One answer for "gone" and "not yours": the link holder learns nothing either way.
        log.warn({ event: 'export_not_found', why: session ? 'tester_mismatch' : 'no_session' }, 'export session not found');
        sendError(res, 404);
        return;
      }
      fileName = exportFileName(session.id, session.session_start, link.anonymize ?? null);
      csv = await openCsv(session.id, link, log);
    } catch (err) {
      log.error({ event: 'export_db_error', err }, 'export failed before the response started');
      sendError(res, 503);
      return;
    }

    res.writeHead(200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${fileName}"`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    // The status line goes out now: the client knows the download started even if a page is slow.
    res.flushHeaders();
    log.info({ event: 'export_started' }, 'export download started');
    try {
      await pipeline(csv, res);
      log.info({ event: 'export_finished' }, 'export download finished');
    } catch (err) {
      // The status is already sent, so the only honest signal left is a cut-off response: the
      // client sees an incomplete chunked body instead of a CSV that merely looks complete.
      res.destroy();
      csv.destroy();
      if (isClientAbort(err)) {
        log.info({ event: 'export_aborted' }, 'client closed the export download');
      } else {
        log.error({ event: 'export_stream_error', err }, 'export failed mid-download');
      }
    }
  };
}
