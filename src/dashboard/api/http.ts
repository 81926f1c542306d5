/** JSON in and out for the dashboard API: query parsing with the contract, errors as {error} bodies. */
import type restify from 'restify';
import { ZodError, type ZodType, type ZodTypeDef } from 'zod';
import { isAppError } from '../../errors';
import type { Logger } from '../../logger';

/** A refusal with its HTTP status; the message is for the person. */
export class ApiError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 503, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A file to download instead of a JSON body (an export). */
export class FileAnswer {
  constructor(
    readonly contentType: string,
    readonly fileName: string,
    readonly body: string,
  ) {}
}

/** Sends a FileAnswer as an attachment, never cached. */
export function sendFile(res: restify.Response, file: FileAnswer): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Disposition', `attachment; filename="${file.fileName.replace(/[^\w.-]/g, '_')}"`);
  res.writeHead(200);
  res.end(file.body);
}

/** The query string as a plain object (the last value wins for a repeated key). */
export function queryOf(req: restify.Request): Record<string, string> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  return Object.fromEntries(url.searchParams.entries());
}

/** Parses with a contract schema; a bad input becomes 400 naming each wrong field. */
export function parseWith<Out, In>(schema: ZodType<Out, ZodTypeDef, In>, value: unknown): Out {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, describeZodError(parsed.error));
}

export function describeZodError(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/** Sends a JSON body that is never cached (it is per user). */
export function sendJson(res: restify.Response, status: number, body: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.send(status, body);
}

/** Turns any error into a response: ApiError and domain errors with their message, others as 500 (logged). */
export function sendError(res: restify.Response, err: unknown, logger: Logger, context: Record<string, unknown>): void {
  if (err instanceof ApiError) {
    sendJson(res, err.status, { error: err.message });
    return;
  }
  if (err instanceof ZodError) {
    sendJson(res, 400, { error: describeZodError(err) });
    return;
  }
  if (isAppError(err)) {
    const status = /NotFound/.test(err.name) ? 404 : 409;
    sendJson(res, status, { error: err.userMessage });
    return;
  }
  logger.error({ err, ...context }, 'dashboard API request failed');
  sendJson(res, 500, { error: 'Something went wrong on the server; it has been logged.' });
}
