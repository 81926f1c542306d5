/**
 * The file-consent half of /export: once the tester accepts the consent card in a 1:1 chat, Teams
 * hands the bot `uploadInfo.uploadUrl`, a OneDrive upload session, and the bot PUTs the CSV there.
 *
 * An upload session wants the exact size up front (every request carries `Content-Range: bytes
 * a-b/total`), and the CSV's size is only known once written, so the CSV is spooled to a private
 * temporary file first and then sent from disk, never held in memory whole.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { TuningError } from './errors';
import { type SessionExportOptions, sessionCsvStream } from './export-csv';

type Db = Kysely<Database>;

/**
 * OneDrive accepts at most 60 MiB per request, and every fragment but the last must be a multiple
 * of 320 KiB. 10 MiB (32 × 320 KiB) is Microsoft's suggested fragment size; almost every session's
 * CSV fits in one request.
 */
export const UPLOAD_FRAGMENT_UNIT = 320 * 1024;
export const DEFAULT_UPLOAD_FRAGMENT_BYTES = 32 * UPLOAD_FRAGMENT_UNIT;
const MAX_UPLOAD_FRAGMENT_BYTES = 60 * 1024 * 1024;
/** How much of a failed response's body is kept for the log. */
const ERROR_BODY_CHARS = 500;

/** The upload did not complete: the URL was refused, the server said no, or the network failed. */
export class ExportUploadError extends TuningError {
  readonly userMessage =
    "I couldn't save the CSV to your OneDrive. Send `/export` again, or use the download link instead.";
  constructor(
    message: string,
    /** The HTTP status of the failed request; undefined when none came back. */
    readonly status?: number,
    /** The start of the response body, for the log. */
    readonly responseBody?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface UploadSessionCsvOptions extends Pick<SessionExportOptions, 'pageSize' | 'text'> {
  /** The fetch to use; the global one by default. */
  fetchImpl?: typeof fetch;
  /** Bytes per PUT: a positive multiple of 320 KiB, at most 60 MiB. Default 10 MiB. */
  fragmentBytes?: number;
  /**
   * Allows an http:// upload URL. Teams' upload URLs are always https; allow http only for loopback
   * tests and local playgrounds, so a forged URL cannot send a tester's conversation in the clear.
   */
  allowInsecureUrl?: boolean;
  /** Where the spool file goes; the OS temp directory by default. */
  tmpDir?: string;
}

export interface UploadResult {
  /** The size of the uploaded file (what to put in the FileInfoCard, if anything). */
  sizeInBytes: number;
  /** PUT requests made: one per fragment. */
  requests: number;
  /** The status of the last response (200 or 201 from OneDrive). */
  status: number;
}

function checkUrl(uploadUrl: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(uploadUrl);
  } catch (err) {
    throw new ExportUploadError('the upload URL is not a URL', undefined, undefined, { cause: err });
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw new ExportUploadError(`refusing to upload to a ${url.protocol} URL`);
  }
  return url;
}

function checkFragmentBytes(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes % UPLOAD_FRAGMENT_UNIT !== 0 || bytes > MAX_UPLOAD_FRAGMENT_BYTES) {
    throw new RangeError(`fragmentBytes must be a positive multiple of ${UPLOAD_FRAGMENT_UNIT} up to ${MAX_UPLOAD_FRAGMENT_BYTES}, got ${bytes}`);
  }
  return bytes;
}

async function putFragment(fetchImpl: typeof fetch, url: URL, file: string, start: number, end: number, total: number): Promise<number> {
  const body = createReadStream(file, { start, end });
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'PUT',
      headers: {
        'Content-Length': String(end - start + 1),
        'Content-Range': `bytes ${start}-${end}/${total}`,
      },
      // Streamed from disk; undici sends it with the Content-Length above, not chunked.
      body,
      duplex: 'half',
      // The upload URL is pre-authorised; a redirect to anywhere else is not to be followed.
      redirect: 'error',
    });
  } catch (err) {
    throw new ExportUploadError(`upload request failed: ${err instanceof Error ? err.message : String(err)}`, undefined, undefined, { cause: err });
  } finally {
    // A server may answer (or the request fail) before the body is read; close the file either way.
    body.destroy();
  }
  // Read the body either way: it is small, and an unread body keeps the connection busy.
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    throw new ExportUploadError(`upload rejected with HTTP ${response.status}`, response.status, text.slice(0, ERROR_BODY_CHARS));
  }
  return response.status;
}

/**
 * Uploads the session's CSV to a Teams file-consent upload URL: spools it to a temporary file (mode
 * 0600), then PUTs it with `Content-Length` and `Content-Range: bytes 0-(n-1)/n`, in several
 * fragments if it is larger than `fragmentBytes`. The temporary file is removed whatever happens.
 * Throws ExportUploadError on a refused URL, a network failure or a non-2xx response; database
 * errors propagate as they are.
 */
export async function uploadSessionCsv(db: Db, sessionId: string, uploadUrl: string, options: UploadSessionCsvOptions = {}): Promise<UploadResult> {
  const url = checkUrl(uploadUrl, options.allowInsecureUrl ?? false);
  const fragmentBytes = checkFragmentBytes(options.fragmentBytes ?? DEFAULT_UPLOAD_FRAGMENT_BYTES);
  const fetchImpl = options.fetchImpl ?? fetch;

  const dir = await mkdtemp(path.join(options.tmpDir ?? tmpdir(), 'tuning-export-'));
  try {
    const file = path.join(dir, 'session.csv');
    await pipeline(sessionCsvStream(db, sessionId, { pageSize: options.pageSize, text: options.text }), createWriteStream(file, { mode: 0o600 }));
    const total = (await stat(file)).size;
    let requests = 0;
    let status = 0;
    // The CSV always has at least the BOM and the header, so total > 0 and the range is valid.
    for (let start = 0; start < total; start += fragmentBytes) {
      const end = Math.min(start + fragmentBytes, total) - 1;
      status = await putFragment(fetchImpl, url, file, start, end, total);
      requests += 1;
    }
    return { sizeInBytes: total, requests, status };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
