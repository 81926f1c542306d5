/**
 * The bookkeeping cost of a generation job, Claude answered at once by the loopback fake: all 100
 * conversations of the shipped plan (no seeds imported, so every one is planned) generated once call by call
 * (direct mode) and once as one Message Batches batch, each on a fresh database. Prints, per mode, the
 * wall time and the time per conversation (prompt, validation, one transaction over six tables, call
 * log, job counters). On PGlite always; on Postgres too when DATABASE_URL is set. Asserts nothing.
 *
 *   npm run bench            (all benchmarks)
 *   node -r @swc-node/register bench/generation-jobs.ts
 */
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createJob, generateConversation, importPlan, runJob } from '../src/generation';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, testDbKinds } from '../bot-tests/helpers/db';
import { startFakeAnthropic } from '../bot-tests/helpers/fake-anthropic';
import { generationReply } from '../bot-tests/helpers/generated-answer';

const PLAN = path.resolve(__dirname, '../examples/financial-planning/plan.json');
const MODEL = 'claude-sonnet-5-5';

async function main(): Promise<void> {
  const fake = await startFakeAnthropic();
  fake.reply((body) => generationReply(body) ?? 'not a generation request');
  const logger = createLogger('silent');
  const pricing = loadPricing();
  const client = new Anthropic({ apiKey: 'bench', baseURL: fake.baseURL, maxRetries: 0 });
  console.log('generation job over the whole plan (100 planned conversations), Claude = instant loopback fake');
  for (const kind of testDbKinds) {
    for (const mode of ['direct', 'batch'] as const) {
      const t = await createTestDatabase(kind);
      try {
        await importPlan(t.db, PLAN);
        const callLog = createCallLog({ db: t.db, logger, pricing });
        const job = await createJob(t.db, { type: 'process_all', createdBy: '00000000-0000-4000-8000-00000000b0b0', options: { mode } });
        const started = performance.now();
        const summary = await runJob({
          db: t.db, logger, workerId: 'bench',
          generate: async (id, ctx) => generateConversation({ db: t.db, client, model: MODEL, callLog, logger, pricing }, id, ctx),
          batch: { client, model: MODEL, callLog, pricing, pollMs: 1 },
        }, job.id);
        const ms = performance.now() - started;
        const n = summary.progress.done;
        console.log(`${kind.padEnd(8)} ${mode.padEnd(6)}  ${n} generated, ${summary.progress.failed} failed in ${(ms / 1000).toFixed(2)} s = ${(ms / Math.max(1, n)).toFixed(1)} ms per conversation; cost $${summary.progress.costUsd.toFixed(2)}`);
      } finally {
        await t.dispose();
      }
    }
  }
  await fake.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
