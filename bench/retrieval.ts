/**
 * Retrieval benchmark: latency of a question at 10,000 and 100,000 chunks, on embedded PGlite and,
 * when DATABASE_URL is set, on Postgres (in a throwaway database created and dropped here). The index
 * retriever (ERA's) is measured at both sizes, with the time its first question takes to build the
 * in-process index (a new retriever per size); the previous full-text retriever is measured at 10,000 for comparison
 * (--no-full-text skips it). Prints figures only; it never asserts.
 *
 *   node -r @swc-node/register bench/retrieval.ts [--no-full-text] [--sizes 10000,100000]
 */
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db';
import { createFullTextRetriever, createIndexRetriever, ingestKnowledge, type Retriever } from '../src/era/retrieval';
import { benchQueries, growCorpus, type SeedChunk } from './retrieval-corpus';
import { withPglite, withThrowawayPostgres } from './throwaway-db';

const QUERIES = 300;
const WARM_UP = 30;
const TOP_K = 5;
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
  retriever: string;
  chunks: number;
  /** Time to grow the corpus to this size (bulk insert and ANALYZE). */
  loadSeconds: number;
  /** The first question's time: for the index retriever, building its index. */
  firstMs: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  avgPassages: number;
}

/** Nearest-rank percentile of ascending values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function grow(db: DatabaseHandle['db'], seeds: readonly SeedChunk[], total: number): Promise<{ chunks: number; seconds: number }> {
  const start = performance.now();
  await growCorpus(db, seeds, total);
  // What autovacuum would do after a bulk load: without statistics the planner guesses blindly.
  await sql`analyze knowledge_chunks`.execute(db);
  await sql`analyze knowledge_documents`.execute(db);
  const count = await db.selectFrom('knowledge_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return { chunks: Number(count.n), seconds: (performance.now() - start) / 1000 };
}

async function time(database: string, name: string, retriever: Retriever, corpus: { chunks: number; seconds: number }): Promise<Figures> {
  const queries = benchQueries(QUESTIONS, WARM_UP + QUERIES);
  const firstStart = performance.now();
  await retriever.retrieve(queries[0] ?? 'pto');
  const firstMs = performance.now() - firstStart;
  for (const q of queries.slice(1, WARM_UP)) await retriever.retrieve(q);
  const times: number[] = [];
  let passages = 0;
  for (const q of queries.slice(WARM_UP)) {
    const start = performance.now();
    passages += (await retriever.retrieve(q)).length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return {
    database,
    retriever: name,
    chunks: corpus.chunks,
    loadSeconds: corpus.seconds,
    firstMs,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    max: times[times.length - 1] ?? Number.NaN,
    avgPassages: passages / times.length,
  };
}

async function measure(database: string, handle: DatabaseHandle, sizes: readonly number[], fullText: boolean): Promise<Figures[]> {
  const { db } = handle;
  await ingestKnowledge(db, KNOWLEDGE_DIR);
  const seeds = await db.selectFrom('knowledge_chunks').select(['section', 'content', 'questions']).orderBy('id').execute();
  const rows: Figures[] = [];
  for (const size of sizes) {
    process.stdout.write(`${database}: growing to ${size.toLocaleString('en-US')} chunks… `);
    const corpus = await grow(db, seeds, size);
    process.stdout.write(`${corpus.seconds.toFixed(1)} s; querying… `);
    // A new retriever per size: its first question builds the index (the "first ms" figure) and the
    // rest are timed on it. (A running bot rebuilds after a change, answering from its previous index
    // meanwhile, except on PGlite, whose one session the rebuild holds.)
    rows.push(await time(database, 'index', createIndexRetriever(db, { topK: TOP_K, minSimilarity: 0 }), corpus));
    if (fullText && size <= 10_000) rows.push(await time(database, 'full-text (before)', createFullTextRetriever(db, { topK: TOP_K, minSimilarity: 0 }), corpus));
    process.stdout.write('done\n');
  }
  return rows;
}

function printTable(rows: readonly Figures[]): void {
  const header = ['database', 'retriever', 'chunks', 'load s', 'first ms', 'p50 ms', 'p95 ms', 'p99 ms', 'mean ms', 'max ms', 'passages/query'];
  const body = rows.map((r) => [
    r.database, r.retriever, r.chunks.toLocaleString('en-US'), r.loadSeconds.toFixed(1), r.firstMs.toFixed(0), r.p50.toFixed(2), r.p95.toFixed(2),
    r.p99.toFixed(2), r.mean.toFixed(2), r.max.toFixed(2), r.avgPassages.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${body.map(line).join('\n')}`);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim();
  const fullText = !process.argv.includes('--no-full-text');
  const sizesArg = process.argv[process.argv.indexOf('--sizes') + 1];
  const sizes = process.argv.includes('--sizes') && sizesArg ? sizesArg.split(',').map(Number) : [10_000, 100_000];
  console.log(
    `Retrieval benchmark: ${sizes.map((n) => n.toLocaleString('en-US')).join(' and ')} chunks, ${QUERIES} queries after ${WARM_UP} warm-up, ` +
      `topK ${TOP_K}\n${os.cpus()[0]?.model ?? 'unknown CPU'} ×${os.cpus().length}, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const rows: Figures[] = [];
  rows.push(...(await withPglite((h) => measure('PGlite (in memory)', h, sizes, fullText))));
  if (url) rows.push(...(await withThrowawayPostgres(url, 'tuning_bench', (h) => measure('Postgres', h, sizes, fullText))));
  else console.log('DATABASE_URL is not set: Postgres skipped.');
  printTable(rows);
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
