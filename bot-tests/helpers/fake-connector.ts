/**
 * A loopback stand-in for the Bot Framework connector (what Teams' serviceUrl points at): it accepts
 * the bot's replies and updates and records them, so the real HTTP path can be driven end to end.
 */
import { createServer, type Server } from 'node:http';

export interface FakeConnector {
  serviceUrl: string;
  activities: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const activities: Array<Record<string, unknown>> = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' || req.method === 'PUT') {
        try {
          activities.push(JSON.parse(body) as Record<string, unknown>);
        } catch {
          /* not JSON: not an activity */
        }
      }
      n += 1;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: `reply-${n}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    serviceUrl: `http://127.0.0.1:${port}/`,
    activities,
    close: () => new Promise<void>((resolve) => server.close(() => { resolve(); })),
  };
}
