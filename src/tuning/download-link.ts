/**
 * The shared first step of the signed download routes that answer in plain text (the prompt-capture
 * exports, the tuning loop's files): read the link's token, and answer a bad or expired one here.
 */
import type { ServerResponse } from 'node:http';
import { ExportLinkError, type VerifiedExportLink, verifyExportToken } from './export-links';

/** A plain-text answer that is never cached (errors, refusals). */
export function sendPlainText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The link's claims, or null once the response is sent: 410 with `expiredText` for an expired link,
 * 403 for any other bad token (forged, malformed, missing).
 */
export function checkDownloadLink(token: unknown, secret: string, res: ServerResponse, expiredText: string): VerifiedExportLink | null {
  try {
    return verifyExportToken(typeof token === 'string' ? token : '', secret);
  } catch (err) {
    if (err instanceof ExportLinkError && err.reason === 'expired') sendPlainText(res, 410, expiredText);
    else sendPlainText(res, 403, 'This download link is not valid.\n');
    return null;
  }
}
