/**
 * Retrieval benchmark: full-text retrieval latency over a 10,000-chunk knowledge base, on embedded
 * PGlite and, when DATABASE_URL is set, on Postgres (in a throwaway database created and dropped here).
 * Prints figures only; it never asserts.
 *
 *   node -r @swc-node/register bench/retrieval.ts
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { connectDatabase, type DatabaseHandle, migrateToLatest } from '../db';
import { createFullTextRetriever, ingestKnowledge } from '../src/era/retrieval';
import { benchQueries, growCorpus } from './retrieval-corpus';

const TOTAL_CHUNKS = 10_000;
const QUERIES = 300;
const WARM_UP = 30;
const TOP_K = 5;
const MIN_SIMILARITY = 0.08;
const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');

/** Questions in managers' words; reworded per query by benchQueries. */
const QUESTIONS = [
  'my opener no call no showed this morning, second time this year',
  'employee keeps coming in 10 minutes late what should I do',
  'can a trainer give away her Saturday shift to another trainer',
  'how long of a lunch break do front desk staff get on an 8 hour shift',
  'how many hours of paid time off do people earn',
  'employee needs time off because his wife is having surgery',
  'how do I document a verbal warning',
  'what goes in a final written warning',
  'a member keeps making creepy comments to our kids club attendant',
  'employee says the GM is retaliating against her for complaining',
  'member fell off a treadmill and hit her head',
  'a housekeeper got bleach in his eyes',
  'can I fire someone for stealing from the cash drawer',
  'employee gave two weeks notice but I want today to be her last day',
  'trainer worked through lunch and did not clock out for it',
  'paycheck was short 6 hours of overtime',
  'staff member posting about members on instagram',
  'is a front desk employee allowed to wear a hijab with the uniform',
  'employee asked for a schedule change for chemotherapy treatments',
  'new mom needs a place to pump at work',
];

interface Figures {
  database: string;
  chunks: number;
  loadSeconds: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  avgPassages: number;
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(label: string, handle: DatabaseHandle): Promise<Figures> {
  const { db } = handle;
  await migrateToLatest(db);
  await ingestKnowledge(db, KNOWLEDGE_DIR);
  const seeds = await db.selectFrom('knowledge_chunks').select(['section', 'content']).orderBy('id').execute();
  process.stdout.write(`${label}: loading ${TOTAL_CHUNKS.toLocaleString('en-US')} chunks… `);
  const loadStart = performance.now();
  await growCorpus(db, seeds, TOTAL_CHUNKS);
  // What autovacuum would do after a bulk load: without statistics the planner guesses blindly.
  await sql`analyze knowledge_chunks`.execute(db);
  await sql`analyze knowledge_documents`.execute(db);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const count = await db.selectFrom('knowledge_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  process.stdout.write(`${loadSeconds.toFixed(1)} s; querying… `);

  const retriever = createFullTextRetriever(db, { topK: TOP_K, minSimilarity: MIN_SIMILARITY });
  const queries = benchQueries(QUESTIONS, WARM_UP + QUERIES);
  for (const q of queries.slice(0, WARM_UP)) await retriever.retrieve(q);
  const times: number[] = [];
  let passages = 0;
  for (const q of queries.slice(WARM_UP)) {
    const start = performance.now();
    passages += (await retriever.retrieve(q)).length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  process.stdout.write('done\n');
  return {
    database: label,
    chunks: Number(count.n),
    loadSeconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    max: times[times.length - 1]!,
    avgPassages: passages / times.length,
  };
}

async function onPostgres(url: string): Promise<Figures> {
  const name = `tuning_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  try {
    const u = new URL(url);
    u.pathname = `/${name}`;
    const handle = await connectDatabase({ kind: 'postgres', url: u.toString() });
    try {
      return await measure('Postgres', handle);
    } finally {
      await handle.close();
    }
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

function printTable(rows: readonly Figures[]): void {
  const header = ['database', 'chunks', 'load s', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms', 'max ms', 'passages/query'];
  const body = rows.map((r) => [
    r.database, r.chunks.toLocaleString('en-US'), r.loadSeconds.toFixed(1), r.p50.toFixed(1), r.p95.toFixed(1),
    r.p99.toFixed(1), r.mean.toFixed(1), r.max.toFixed(1), r.avgPassages.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${body.map(line).join('\n')}`);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim();
  console.log(
    `Retrieval benchmark: ${TOTAL_CHUNKS.toLocaleString('en-US')} chunks, ${QUERIES} queries after ${WARM_UP} warm-up, ` +
      `topK ${TOP_K}, minSimilarity ${MIN_SIMILARITY}\n${os.cpus()[0]?.model ?? 'unknown CPU'} ×${os.cpus().length}, Node ${process.version}`,
  );
  const rows: Figures[] = [];
  const pglite = await connectDatabase({ kind: 'pglite' });
  try {
    rows.push(await measure('PGlite (in memory)', pglite));
  } finally {
    await pglite.close();
  }
  if (url) rows.push(await onPostgres(url));
  else console.log('DATABASE_URL is not set: Postgres skipped.');
  printTable(rows);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
