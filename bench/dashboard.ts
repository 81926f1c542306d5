/**
 * Dashboard figures: the bundle's size (initial load and every chunk, raw and gzipped), API latency
 * p50/p99 per endpoint, and page load in headless Chromium — first contentful paint, and first
 * contentful paint to data shown — with 100 conversations (the shipped plan and its seeds), 100
 * tuning sessions, 20 replays of them (Compare) and the best practices of the practices fixtures, on PGlite and (with DATABASE_URL) Postgres. Prints figures; asserts nothing.
 *   node -r @swc-node/register bench/dashboard.ts
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { buildDashboard } from '../src/dashboard';
import { createLogger } from '../src/logger';
import { launchChromium } from '../bot-tests/helpers/browser';
import { createTestDatabase, testDbKinds } from '../bot-tests/helpers/db';
import { listenOnLoopback, REPLAY_TURNS, seedBestPractices, seedComparedReplay, seedTrainingData, seedTuningSessions } from '../bot-tests/helpers/dashboard-fixtures';
import { request } from '../bot-tests/helpers/http-client';

const TESTERS = [1, 2, 3, 4].map((i) => ({ id: `aad-bench-${String(i)}`, name: `Bench Tester ${String(i)}`, email: `bench${String(i)}@example.com` }));
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function bundle(): Promise<void> {
  const built = await buildDashboard();
  const assets = path.join(built.dir, 'assets');
  const html = readFileSync(path.join(built.dir, 'index.html'), 'utf8');
  const files = readdirSync(assets).filter((f) => f.endsWith('.js') || f.endsWith('.css'));
  const entry = built.script;
  // What a first visit loads: the entry and the chunks it imports statically.
  const initial = new Set([entry]);
  for (const m of readFileSync(path.join(assets, entry), 'utf8').matchAll(/from"\.\/([\w-]+\.js)"/g)) if (m[1]) initial.add(m[1]);
  const size = (fs: Iterable<string>): [number, number] =>
    [...fs].reduce<[number, number]>(([raw, gz], f) => [raw + statSync(path.join(assets, f)).size, gz + gzipSync(readFileSync(path.join(assets, f)), { level: 9 }).length], [0, 0]);
  const [initRaw, initGz] = size(initial);
  const [allRaw, allGz] = size(files);
  console.log(`bundle: first load ${kib(initRaw)} raw / ${kib(initGz)} gzip (${String(initial.size)} files); all ${String(files.length)} chunks ${kib(allRaw)} / ${kib(allGz)}; shell ${String(html.length)} bytes`);
  for (const f of files.sort()) {
    const [r, g] = size([f]);
    console.log(`  ${f.padEnd(28)} ${kib(r).padStart(11)} ${kib(g).padStart(11)}${initial.has(f) ? '  (first load)' : ''}`);
  }
}

async function run(kind: 'pglite' | 'postgres'): Promise<void> {
  const t = await createTestDatabase(kind);
  const config = loadConfig({ EXPORT_SIGNING_SECRET: 'bench-secret-that-is-long-enough-0123456789', LOG_LEVEL: 'silent' });
  const app = createApp({ config, database: t, logger: createLogger('silent'), anthropic: null });
  const sessions = await seedTuningSessions(t.db, 100, TESTERS);
  await seedTrainingData(t.db);
  // Twenty replays of three-turn sessions (n % 4 === 2) on one candidate, and the best practices.
  const replays = [];
  for (const s of sessions.filter((_s, n) => n % 4 === 2).slice(0, 20)) replays.push(await seedComparedReplay(t.db, s.id, 'c0ffee1', REPLAY_TURNS));
  await seedBestPractices(t.db);
  const replayId = replays[0]?.id ?? '';
  const base = await listenOnLoopback(app.server);
  try {
    const endpoints = [
      '/sessions?pageSize=25',
      '/sessions?pageSize=100&sort=notes:desc&version=a1b2c3d',
      `/sessions/${sessions[0]?.id ?? ''}`,
      '/training/conversations?pageSize=25',
      '/training/conversations?pageSize=100&persona=Marcus,Mixed&tier=tier1_template&sort=quality:desc',
      '/training/conversations/1',
      '/quality',
      '/jobs',
      '/compare/replays?pageSize=25',
      `/compare/replays/${replayId}`,
      '/compare/versions?a=a1b2c3d&b=c0ffee1',
      '/practices?pageSize=25',
      '/practices?pageSize=25&model=claude-haiku-5-5&minEffectiveness=60',
    ];
    console.log(`\n${kind}: API latency over 100 requests each (after 10 warm-up), ms`);
    for (const e of endpoints) {
      for (let i = 0; i < 10; i++) await request(`${base}/api/dashboard${e}`);
      const times: number[] = [];
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now();
        const r = await request(`${base}/api/dashboard${e}`);
        times.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`${e}: ${String(r.status)}`);
      }
      console.log(`  ${e.slice(0, 70).padEnd(72)} p50 ${pct(times, 50).toFixed(1).padStart(6)}  p99 ${pct(times, 99).toFixed(1).padStart(6)}`);
    }
    const browser = await launchChromium();
    try {
      const pages: Array<[string, string]> = [
        ['sessions', '[data-testid="grid"] [data-row]'],
        ['training', '[data-testid="grid"] [data-row]'],
        ['training/1', '[data-testid="tab-body"]'],
        ['quality', 'svg.recharts-surface'],
        ['jobs', 'h1'],
        [`compare?replay=${replayId}`, '[data-testid="pair"]'],
        ['compare?a=a1b2c3d&b=c0ffee1', '[data-testid="versions-comparison"]'],
        ['practices', '[data-testid="practice"]'],
      ];
      console.log(`${kind}: page load, 10 cold loads each (new browser context, empty cache), ms: FCP, FCP → data shown, navigation → data shown (p50 / max)`);
      for (const [p, selector] of pages) {
        const fcp: number[] = [];
        const toData: number[] = [];
        const total: number[] = [];
        for (let i = 0; i < 10; i++) {
          const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
          const page = await ctx.newPage();
          await page.goto(`${base}/dashboard/${p}`);
          await page.locator(selector).first().waitFor();
          const shown = await page.evaluate(() => performance.now());
          const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
          fcp.push(paint);
          toData.push(shown - paint);
          total.push(shown);
          await ctx.close();
        }
        const f = (xs: number[]) => `${pct(xs, 50).toFixed(0)} / ${Math.max(...xs).toFixed(0)}`;
        console.log(`  ${p.replace(replayId, '<id>').padEnd(30)} FCP ${f(fcp).padStart(10)}   FCP→data ${f(toData).padStart(10)}   total ${f(total).padStart(10)}`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    app.server.close();
    await t.dispose();
  }
}

async function main(): Promise<void> {
  await bundle();
  for (const kind of testDbKinds) await run(kind);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
