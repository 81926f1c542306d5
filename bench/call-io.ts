/**
 * The time a model call's I/O adds to its call-log write: record() of an ERA-sized call (the real
 * MASTER_PROMPT.md as system prompt, 20 turns of history, 5 policy passages, a 1,200-character answer)
 * with its I/O and without, interleaved, p50 / p99 each and the difference. The turn does not wait for
 * this write (it happens after the reply is sent); the figure is the database's extra work per call.
 * On PGlite always, and on Postgres when DATABASE_URL is set. Prints figures, asserts nothing.
 *
 *   node -r @swc-node/register bench/call-io.ts [calls]
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { callRequestOf, createCallLog, type CallLogEntry, ZERO_LLM_USAGE } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDbKind, testDbKinds } from '../bot-tests/helpers/db';

const CALLS = Number.parseInt(process.argv[2] ?? '400', 10);
const WARMUP = 40;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function eraEntry(i: number, withIo: boolean): CallLogEntry {
  const system = readFileSync('examples/era/MASTER_PROMPT.md', 'utf8');
  const history = Array.from({ length: 20 }, (_, n) => [
    { role: 'user' as const, content: `Earlier question ${n}: my employee missed a shift without calling, what do I do next time?` },
    { role: 'assistant' as const, content: `Earlier answer ${n}: ${'Document the absence, call the employee, and follow the attendance steps [1]. '.repeat(4)}` },
  ]).flat();
  const passages = Array.from({ length: 5 }, (_, n) => `[${n + 1}] Attendance Policy — ${n}\n${'Employees who fail to report for a scheduled shift without notice are a no-call/no-show. '.repeat(18)}`).join('\n\n');
  const body = {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    stream: true,
    system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const } }],
    messages: [...history, { role: 'user' as const, content: [{ type: 'text' as const, text: passages }, { type: 'text' as const, text: `Question ${i}: she no-showed twice.` }] }],
  };
  return {
    purpose: 'answer', model: 'claude-sonnet-5-5', usage: { ...ZERO_LLM_USAGE, inputTokens: 4000, outputTokens: 300 }, latencyMs: 1200, status: 'ok',
    metadata: { passages: 5, cited: 2 },
    ...(withIo ? { io: { request: callRequestOf(body), output: { text: `Answer ${i}: ${'Call her, document it, and follow step two of the policy [1]. '.repeat(20)}` } } } : {}),
  };
}

async function benchKind(kind: TestDbKind): Promise<void> {
  const t = await createTestDatabase(kind);
  try {
    const log = createCallLog({ db: t.db, logger: createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } })), pricing: null });
    const times = { with: [] as number[], without: [] as number[] };
    for (let i = 0; i < CALLS + WARMUP; i += 1) {
      for (const withIo of [true, false]) {
        const entry = eraEntry(i, withIo);
        const started = performance.now();
        await log.record(entry);
        const ms = performance.now() - started;
        if (i >= WARMUP) (withIo ? times.with : times.without).push(ms);
      }
    }
    const w = times.with.sort((a, b) => a - b);
    const wo = times.without.sort((a, b) => a - b);
    const bytes = await t.db.selectFrom('llm_call_io').select(({ fn }) => fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    console.log(`  ${kind}: with I/O p50 ${percentile(w, 50).toFixed(2)} ms, p99 ${percentile(w, 99).toFixed(2)} ms; without p50 ${percentile(wo, 50).toFixed(2)} ms, p99 ${percentile(wo, 99).toFixed(2)} ms; added p50 ${(percentile(w, 50) - percentile(wo, 50)).toFixed(2)} ms, p99 ${(percentile(w, 99) - percentile(wo, 99)).toFixed(2)} ms (${Number(bytes.n)} I/O rows, one system prompt row)`);
  } finally {
    await t.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`call I/O: ${CALLS} ERA-sized calls logged with their I/O and ${CALLS} without, interleaved`);
  for (const kind of testDbKinds) await benchKind(kind);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
