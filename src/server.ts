/**
 * The HTTP surface on restify: POST /api/messages (Bot Framework), GET /healthz, GET /exports/:token.
 */
import type { CloudAdapter } from 'botbuilder';
import restify from 'restify';
import type { ActivityHandler } from 'botbuilder';
import type { Logger } from './logger';

export interface HealthInfo {
  status: 'ok' | 'degraded';
  database: { kind: 'postgres' | 'pglite'; reachable: boolean };
  claude: { configured: boolean; model: string; mode: 'claude' | 'offline' };
  auth: 'bot-framework' | 'none (local only)';
  version: string;
}

export interface ServerDeps {
  adapter: CloudAdapter;
  bot: ActivityHandler;
  logger: Logger;
  health: () => Promise<HealthInfo>;
  /** The signed CSV download; the token is the path after /exports/. */
  exportDownload: (req: { params: { token: string } }, res: restify.Response) => Promise<void>;
  /** The signed prompt-capture export; the token is the path after /exports/prompts/. */
  promptExport: (req: { params: { token: string } }, res: restify.Response) => Promise<void>;
  /** JSON API routes (GET), each authenticating through src/http's ApiAuth itself. */
  api?: { path: string; handler: (req: restify.Request, res: restify.Response) => Promise<void> }[];
  /** More routes on the same server (the dashboard tab and its JSON API). */
  extraRoutes?: Array<(server: restify.Server) => void>;
  /** The tuning loop's signed downloads (a suggestion's .patch, a session's bundle); the token is the path after /exports/insights/. */
  insightsDownload?: (req: { params: { token: string } }, res: restify.Response) => Promise<void>;
}

/** Bot Framework activities are small; this bounds what a client can make the server buffer. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The restify server with the bot's, the health check's and the downloads' routes. */
export function createServer(deps: ServerDeps): restify.Server {
  const server = restify.createServer({ name: 'tuning-bot', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ mapParams: false, maxBodySize: MAX_BODY_BYTES, rejectUnknown: true }));

  server.post('/api/messages', async (req, res) => {
    // CloudAdapter validates the Bot Framework token (401 when missing or forged, when auth is on)
    // and answers invokes with the bot's invoke response.
    await deps.adapter.process(req, res, (context) => deps.bot.run(context));
  });

  server.get('/healthz', async (_req, res) => {
    const info = await deps.health();
    res.send(info.status === 'ok' ? 200 : 503, info);
  });

  // A wildcard, not '/exports/:token': find-my-way caps a named parameter at 100 characters, and a
  // signed token is longer.
  server.get('/exports/prompts/*', async (req, res) => {
    const token = (req.params as Record<string, string | undefined>)['*'] ?? '';
    await deps.promptExport({ params: { token } }, res);
  });

  server.get('/exports/insights/*', async (req, res) => {
    const token = (req.params as Record<string, string | undefined>)['*'] ?? '';
    if (deps.insightsDownload) await deps.insightsDownload({ params: { token } }, res);
    else res.send(404, 'Not found');
  });

  server.get('/exports/*', async (req, res) => {
    const token = (req.params as Record<string, string | undefined>)['*'] ?? '';
    await deps.exportDownload({ params: { token } }, res);
  });

  for (const route of deps.api ?? []) {
    // restify tells async handlers from callback ones by their declaration: this one must be async.
    server.get(route.path, async (req, res) => {
      await route.handler(req, res);
    });
  }
  for (const register of deps.extraRoutes ?? []) register(server);

  server.on('restifyError', (req: restify.Request, _res: restify.Response, err: Error & { statusCode?: number }, callback: () => void) => {
    deps.logger.warn({ path: req.path(), status: err.statusCode, err: { name: err.name, message: err.message } }, 'request rejected');
    callback();
  });
  return server;
}

/** Starts listening; resolves with the bound port. */
export async function listen(server: restify.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' ? address.port : port;
}
