/**
 * A loopback stand-in for the Bot Framework connector (what Teams' serviceUrl points at): it records
 * every request the bot makes (method, path, headers, JSON body) and answers with an id, so the real
 * HTTP path can be driven end to end and tests assert on exactly what Teams would receive. A test can
 * script the answer to a given request: 403 (the tester pressed Stop on a stream), 429/5xx with
 * Retry-After (the connector throttling), or hold it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface ConnectorRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: Record<string, unknown> | null;
  /** The id the fake answered with (for POST/PUT answered 2xx). */
  id: string | null;
  /** The status the fake answered with. */
  status: number;
}

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeConnector {
  serviceUrl: string;
  /** Bodies of the POSTs and PUTs answered 2xx, in order (the activities Teams took). */
  activities: Array<Record<string, unknown>>;
  /** Every request, in order. */
  requests: ConnectorRequest[];
  /** The next request matching `when` gets `answer` instead of 200 (once per call). */
  answerNext(when: (r: Omit<ConnectorRequest, 'id' | 'status'>) => boolean, answer: ScriptedAnswer): void;
  /** Resolves once `predicate` holds over the requests (polling), or rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ConnectorRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeConnector(): Promise<FakeConnector> {
  const activities: Array<Record<string, unknown>> = [];
  const requests: ConnectorRequest[] = [];
  const scripted: Array<{ when: (r: Omit<ConnectorRequest, 'id' | 'status'>) => boolean; answer: ScriptedAnswer }> = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      let body: Record<string, unknown> | null = null;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
      } catch {
        body = null;
      }
      const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      const i = scripted.findIndex((s) => s.when(seen));
      if (i >= 0) {
        const { answer } = scripted.splice(i, 1)[0]!;
        requests.push({ ...seen, id: null, status: answer.status });
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...answer.headers });
        res.end(JSON.stringify(answer.body ?? { error: { code: 'Scripted', message: `scripted ${String(answer.status)}` } }));
        return;
      }
      n += 1;
      const id = req.method === 'POST' || req.method === 'PUT' ? `reply-${String(n)}` : null;
      requests.push({ ...seen, id, status: 200 });
      if (id && body) activities.push(body);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: id ?? `reply-${String(n)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    serviceUrl: `http://127.0.0.1:${String(port)}/`,
    activities,
    requests,
    answerNext: (when, answer) => {
      scripted.push({ when, answer });
    },
    waitFor: async (predicate, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > until) throw new Error(`fake connector: condition not met; requests so far: ${requests.map((r) => `${r.method} ${r.path} ${String(r.body?.type)}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => { resolve(); });
      }),
  };
}
