/**
 * /export of one session with 100,000 note rows (about 100 MB of CSV) on Postgres, against `psql \copy`
 * of the spec's export query to a file: rows, bytes, our time (the bot's real HTTP route, downloaded to
 * a file by curl, as a browser would), psql's time, the ratio, and the bot process's peak RSS growth
 * while it streams. The COPY path (now) and the paged path (before) are both measured, each run
 * alternating with a psql run so that load from elsewhere hits both alike; figures are medians of RUNS.
 * Needs DATABASE_URL; prints figures, asserts nothing.
 *
 *   node --expose-gc -r @swc-node/register bench/export-copy.ts [noteRows]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { listen } from '../src/server';
import { createExportToken } from '../src/tuning';
import { createTestDatabase } from '../bot-tests/helpers/db';

const ROWS = Number.parseInt(process.argv[2] ?? '100000', 10);
const TURNS = 1000;
const RUNS = Number.parseInt(process.env.BENCH_RUNS ?? '5', 10);
const SECRET = 'bench-export-secret-long-enough-0123456789';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/**
 * Downloads URL to FILE with curl; returns ms and this process's peak RSS meanwhile above BASELINE (the
 * RSS after one forced GC before the series). No GC is forced before each download: a collection just
 * before it shrinks the heap, and the download then paid for growing it again (measured: 1.1–1.6 s
 * instead of 0.6–0.9 s for the same download), a cost a running bot does not have.
 */
async function download(url: string, file: string, baseline: number): Promise<{ ms: number; rssGrowth: number }> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  const started = performance.now();
  const { stdout } = await promisify(execFile)('curl', ['-s', '-o', file, '-w', '%{http_code}', url]);
  const ms = performance.now() - started;
  clearInterval(sampler);
  if (stdout.trim() !== '200') throw new Error(`export answered ${stdout}`);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { ms, rssGrowth: peak - baseline };
}

/** One psql \copy of QUERY to FILE; returns ms. */
async function psqlCopy(url: string, query: string, file: string): Promise<number> {
  const started = performance.now();
  await promisify(execFile)('psql', [url, '-q', '-c', `\\copy (${query}) to '${file}' with csv header`]);
  return performance.now() - started;
}

async function main(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    console.log('export vs psql \\copy: skipped (needs DATABASE_URL: the COPY path is Postgres-only)');
    return;
  }
  const t = await createTestDatabase('postgres');
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-export-'));
  try {
    const s = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'aad-bench' }).returning('id').executeTakeFirstOrThrow();
    await sql`INSERT INTO tuning_conversation_turns (session_id, turn_number, user_message, era_response)
      SELECT ${s.id}::uuid, n, 'My employee did not show up for the third time this month, what should I do about it? ' || n || repeat(' More context here.', 3),
             'Got it — that is definitely something to address. First, check the attendance policy [1]; then, document, "quote" it, and call them, ' || repeat('keep a record of each step, ', 24) || n
      FROM generate_series(1, ${TURNS}) n`.execute(t.db);
    await sql`INSERT INTO tuning_improvements (turn_id, improvement_note, category, timestamp)
      SELECT t.id, 'Should ask clarifying questions first, then cite the policy; note ' || k, (ARRAY['tone','content','citation','clarity'])[1 + k % 4],
             TIMESTAMP '2026-11-23 10:00:00' + (t.turn_number * 1000 + k) * interval '1 millisecond'
      FROM tuning_conversation_turns t CROSS JOIN generate_series(1, ${Math.ceil(ROWS / TURNS)}) k WHERE t.session_id = ${s.id}::uuid`.execute(t.db);
    await sql`ANALYZE`.execute(t.db);

    const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
    const config = loadConfig({ EXPORT_SIGNING_SECRET: SECRET, LOG_LEVEL: 'silent' });
    const url = (base: string) => `${base}/exports/${createExportToken({ sessionId: s.id, testerId: 'aad-bench' }, SECRET, 60).token}`;

    const query = `SELECT t.turn_number, t.user_message, t.era_response, i.improvement_note, i.category, i.timestamp FROM tuning_conversation_turns t LEFT JOIN tuning_improvements i ON i.turn_id = t.id WHERE t.session_id = '${s.id}' ORDER BY t.turn_number, i.timestamp`;
    const psqlFile = path.join(dir, 'psql.csv');
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tuning_conversation_turns t LEFT JOIN tuning_improvements i ON i.turn_id = t.id WHERE t.session_id = ${s.id}::uuid`.execute(t.db);
    console.log(`export vs psql \\copy (Postgres, ${RUNS} alternating runs each, medians): ${rows.rows[0]?.n.toLocaleString('en-US') ?? '?'} note rows in one session; load average ${loadavg()[0]?.toFixed(1) ?? '?'} on this machine`);

    for (const [label, database] of [['COPY path (now)', t], ['paged path (before)', { ...t, copyOut: undefined }]] as const) {
      const app = createApp({ config, database, logger, anthropic: null });
      const port = await listen(app.server, 0, '127.0.0.1');
      const file = path.join(dir, 'bot.csv');
      const runs: Array<{ ms: number; rssGrowth: number }> = [];
      const psqlTimes: number[] = [];
      gc();
      const baseline = process.memoryUsage.rss();
      for (let i = 0; i < RUNS; i += 1) {
        psqlTimes.push(await psqlCopy(t.url ?? '', query, psqlFile));
        runs.push(await download(url(`http://127.0.0.1:${port}`), file, baseline));
      }
      app.server.close();
      const ms = median(runs.map((r) => r.ms));
      const psqlMs = median(psqlTimes);
      const growth = Math.max(...runs.map((r) => r.rssGrowth));
      console.log(`  ${label}: ${mb(statSync(file).size)} in ${ms.toFixed(0)} ms; psql \\copy ${mb(statSync(psqlFile).size)} in ${psqlMs.toFixed(0)} ms; ratio ${(ms / psqlMs).toFixed(2)}×; bot peak RSS growth ${mb(growth)} (worst run)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await t.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
