/**
 * Delivery through the real server (createApp + listen), with activities POSTed to /api/messages and
 * answers collected by a loopback Bot Connector. Prints figures, asserts nothing.
 *
 *   crowd: N testers (default 50) send their first message at the same moment, Claude answering in
 *          300 ms; then each sends messages 2..M (default 5) one after another, all testers at once.
 *          Per message: the HTTP response time and the time until the answer reached the connector,
 *          p50 / p99. On PGlite, and on Postgres when DATABASE_URL is set.
 *   slow:  one message with Claude taking 20 s: the HTTP response time and when the answer arrived.
 *
 *   [BENCH_DB=postgres|pglite] node -r @swc-node/register bench/delivery.ts [crowd|slow|all] [testers] [messages]
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { listen } from '../src/server';
import { createTestDatabase, type TestDbKind } from '../bot-tests/helpers/db';
import { startFakeAnthropic } from '../bot-tests/helpers/fake-anthropic';

const MODE = process.argv[2] ?? 'all';
const TESTERS = Number.parseInt(process.argv[3] ?? '50', 10);
const MESSAGES = Number.parseInt(process.argv[4] ?? '5', 10);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * A connector that notes when the first message with text (ERA's answer, or the message saying why
 * there is none) to each activity id arrives, and which of them were not answers.
 */
async function startConnector(): Promise<{ url: string; arrived: Map<string, number>; failed: Set<string>; close: () => Promise<void> }> {
  const arrived = new Map<string, number>();
  const failed = new Set<string>();
  let n = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      try {
        const a = JSON.parse(body) as { type?: string; text?: string; replyToId?: string };
        const to = decodeURIComponent((req.url ?? '').split('/activities/')[1] ?? '') || a.replyToId;
        if (a.type === 'message' && typeof a.text === 'string' && to && !arrived.has(to)) {
          arrived.set(to, performance.now());
          if (!a.text.startsWith('ERA:')) failed.add(to);
        }
      } catch {
        /* not an activity */
      }
      n += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `r-${String(n)}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${String(port)}/`, arrived, failed, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => { resolve(); }); }) };
}

async function startBot(kind: TestDbKind, claudeMs: number) {
  const t = await createTestDatabase(kind);
  const fake = await startFakeAnthropic();
  fake.reply(() => ({ text: 'ERA: call the employee and follow the attendance policy.', delayMs: claudeMs }));
  const config = loadConfig({
    ANTHROPIC_API_KEY: 'sk-bench',
    ANTHROPIC_BASE_URL: fake.baseURL,
    ANTHROPIC_TIMEOUT_MS: '60000',
    EXPORT_SIGNING_SECRET: 'bench-secret-long-enough-0123456789abcdef',
    LOG_LEVEL: 'silent',
    TURN_CONCURRENCY: '64',
  });
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
  const anthropic = new Anthropic({ apiKey: 'sk-bench', baseURL: fake.baseURL, maxRetries: 0, timeout: 60_000 });
  const app = createApp({ config, database: t, logger, anthropic, members: { lookup: () => Promise.resolve(null) } });
  const port = await listen(app.server, 0, '127.0.0.1');
  const connector = await startConnector();
  return {
    base: `http://127.0.0.1:${String(port)}`,
    connector,
    close: async () => {
      const stop = (app as { stop?: (ms: number) => Promise<boolean> }).stop;
      if (stop) await stop(30_000);
      else await app.jobRunner.stop();
      await new Promise<void>((resolve) => app.server.close(() => { resolve(); }));
      await connector.close();
      await fake.close();
      await t.dispose();
    },
  };
}

let ids = 0;

/** POSTs one message; resolves with the HTTP response time and the time until its answer arrived. */
async function send(bot: Awaited<ReturnType<typeof startBot>>, tester: number, text: string): Promise<{ http: number; answer: number }> {
  const id = `bench-${String(++ids)}`;
  const activity = {
    type: 'message',
    id,
    text,
    channelId: 'msteams',
    serviceUrl: bot.connector.url,
    from: { id: `29:tester-${String(tester)}`, name: `Tester ${String(tester)}`, aadObjectId: `aad-tester-${String(tester)}` },
    recipient: { id: '28:bot', name: 'Tuning Bot' },
    conversation: { id: `a:personal-${String(tester)}`, conversationType: 'personal', tenantId: 'tenant-1' },
  };
  const started = performance.now();
  const res = await fetch(`${bot.base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  await res.arrayBuffer();
  const http = performance.now() - started;
  while (!bot.connector.arrived.has(id)) {
    if (performance.now() - started > 120_000) throw new Error(`no answer to ${id} after 120 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { http, answer: bot.connector.arrived.get(id)! - started };
}

function line(label: string, values: number[]): string {
  return `${label.padEnd(34)} p50 ${fmt(percentile(values, 50)).padStart(8)}   p99 ${fmt(percentile(values, 99)).padStart(8)}   max ${fmt(Math.max(...values)).padStart(8)}`;
}

async function crowd(kind: TestDbKind): Promise<void> {
  const bot = await startBot(kind, 300);
  try {
    const first = await Promise.all(Array.from({ length: TESTERS }, (_, i) => send(bot, i, `First question from tester ${String(i)} about attendance`)));
    const later: Array<{ http: number; answer: number }> = [];
    for (let m = 2; m <= MESSAGES; m += 1) {
      later.push(...(await Promise.all(Array.from({ length: TESTERS }, (_, i) => send(bot, i, `Question ${String(m)} from tester ${String(i)}`)))));
    }
    console.log(`\n${kind}: ${String(TESTERS)} testers at once, Claude 300 ms; messages answered with an error instead: ${String(bot.connector.failed.size)}`);
    console.log(line('first message: HTTP response', first.map((r) => r.http)));
    console.log(line('first message: answer arrived', first.map((r) => r.answer)));
    if (later.length) {
      console.log(line(`messages 2-${String(MESSAGES)}: HTTP response`, later.map((r) => r.http)));
      console.log(line(`messages 2-${String(MESSAGES)}: answer arrived`, later.map((r) => r.answer)));
    }
  } finally {
    await bot.close();
  }
}

async function slow(kind: TestDbKind): Promise<void> {
  const bot = await startBot(kind, 20_000);
  try {
    // The session is opened first, so the figure is that of an ordinary message.
    await send(bot, 0, 'Opening question');
    const r = await send(bot, 0, 'A question Claude takes 20 s to answer');
    console.log(`\n${kind}: one message, Claude 20 s`);
    console.log(`HTTP response ${fmt(r.http)}   answer arrived ${fmt(r.answer)}`);
  } finally {
    await bot.close();
  }
}

async function main(): Promise<void> {
  const all: TestDbKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  // BENCH_DB=postgres (or pglite) measures one database only.
  const kinds = all.filter((k) => !process.env.BENCH_DB || k === process.env.BENCH_DB);
  for (const kind of kinds) {
    if (MODE === 'crowd' || MODE === 'all') await crowd(kind);
    if (MODE === 'slow' || MODE === 'all') await slow(kind);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
