/**
 * Serves the tab: /dashboard/ (and every page path under it) gets the HTML shell, /dashboard/assets/*
 * the hashed bundle, cached for a year (a new build has new names). Every response carries a CSP that
 * allows only our own scripts and lets Teams (and the Microsoft 365 hosts) frame the page.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type restify from 'restify';
import type { Logger } from '../logger';
import { SignedTokenError, type DashboardAuth } from './auth';

/** The hosts that may frame the tab: Teams, the Microsoft 365 app and Outlook (Microsoft's tab requirements). */
export const FRAME_ANCESTORS = [
  "'self'",
  'https://teams.microsoft.com',
  'https://*.teams.microsoft.com',
  'https://*.cloud.microsoft',
  'https://*.microsoft365.com',
  'https://*.office.com',
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://*.skype.com',
];

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Fluent UI (Griffel) and the charts set styles at run time; scripts stay 'self' only.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // TeamsJS (inside Teams only) fetches Microsoft's list of valid host domains from this CDN.
  "connect-src 'self' https://res.cdn.office.net",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  `frame-ancestors ${FRAME_ANCESTORS.join(' ')}`,
].join('; ');

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.woff2': 'font/woff2', '.svg': 'image/svg+xml', '.png': 'image/png' };
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map|woff2|svg|png)$/;

function securityHeaders(res: restify.Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

function sendText(res: restify.Response, status: number, type: string, body: string | Buffer, cache: string): void {
  securityHeaders(res);
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', cache);
  res.writeHead(status);
  res.end(body);
}

const NOT_BUILT = '<!doctype html><title>Dashboard not built</title><p>The dashboard bundle is missing. Run <code>npm run build:dashboard</code> (npm start does it) and reload.</p>';
const BAD_LINK = '<!doctype html><title>Sign-in link not valid</title><p>This sign-in link has expired or is not valid. Send <code>/dashboard</code> to the bot for a new one.</p>';

/** Registers /dashboard, /dashboard/signin, /dashboard/assets/* and the shell for /dashboard/*. */
export function registerDashboardStatic(server: restify.Server, deps: { buildDir: string; auth: DashboardAuth; logger: Logger }): void {
  const cache = new Map<string, Buffer>();
  const load = async (name: string): Promise<Buffer | null> => {
    const hit = cache.get(name);
    if (hit) return hit;
    try {
      const data = await readFile(path.join(deps.buildDir, name));
      cache.set(name, data);
      return data;
    } catch {
      return null;
    }
  };
  const shell = async (_req: restify.Request, res: restify.Response): Promise<void> => {
    // The shell is read on every request (it is small) so a rebuild shows without a restart.
    const html = await readFile(path.join(deps.buildDir, 'index.html')).catch(() => null);
    if (!html) deps.logger.error({ buildDir: deps.buildDir }, 'the dashboard bundle is missing: run npm run build:dashboard');
    sendText(res, html ? 200 : 503, 'text/html; charset=utf-8', html ?? NOT_BUILT, 'no-cache');
  };

  // restify takes a handler that is async or calls next; this one has nothing to wait for.
  server.get('/dashboard', (_req: restify.Request, res: restify.Response, next: restify.Next) => {
    res.setHeader('Location', '/dashboard/');
    sendText(res, 302, 'text/plain; charset=utf-8', 'Moved to /dashboard/', 'no-cache');
    next();
  });
  server.get('/dashboard/signin', async (req: restify.Request, res: restify.Response) => {
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? '';
    try {
      const { setCookie, principal } = await deps.auth.redeemLink(token);
      deps.logger.info({ testerId: principal.testerId, admin: principal.admin }, 'dashboard sign-in by link');
      res.setHeader('Set-Cookie', setCookie);
      res.setHeader('Location', '/dashboard/');
      sendText(res, 302, 'text/plain; charset=utf-8', 'Signed in', 'no-store');
    } catch (err) {
      if (!(err instanceof SignedTokenError)) throw err;
      deps.logger.info({ reason: err.reason }, 'dashboard sign-in link refused');
      sendText(res, 401, 'text/html; charset=utf-8', BAD_LINK, 'no-store');
    }
  });
  server.get('/dashboard/assets/*', async (req: restify.Request, res: restify.Response) => {
    const name = (req.params as Record<string, string | undefined>)['*'] ?? '';
    if (!ASSET_NAME.test(name)) {
      sendText(res, 404, 'text/plain; charset=utf-8', 'Not found', 'no-cache');
      return;
    }
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? await load(path.posix.join('assets', `${name}.gz`)) : null;
    const data = gzip ?? (await load(path.posix.join('assets', name)));
    if (!data) {
      sendText(res, 404, 'text/plain; charset=utf-8', 'Not found', 'no-cache');
      return;
    }
    res.setHeader('Vary', 'Accept-Encoding');
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    sendText(res, 200, TYPES[path.extname(name)] ?? 'application/octet-stream', data, 'public, max-age=31536000, immutable');
  });
  server.get('/dashboard/*', shell);
}
