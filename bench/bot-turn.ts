/**
 * The bot's own time per turn: an activity in, the reply out, with Claude answered at once by the
 * loopback fake and retrieval over the sample knowledge base, beside a bare botbuilder echo bot measured in the same run. Prints p50 / p99 and the
 * ratio. On PGlite always; on Postgres too when DATABASE_URL is set. Prints figures, asserts nothing.
 *
 *   npm run bench            (all benchmarks)
 *   node -r @swc-node/register bench/bot-turn.ts [turns]
 */
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import { ActivityHandler, type Activity, TestAdapter } from 'botbuilder';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { ingestKnowledge } from '../src/era/retrieval';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDbKind } from '../bot-tests/helpers/db';
import { startFakeAnthropic } from '../bot-tests/helpers/fake-anthropic';

const TURNS = Number.parseInt(process.argv[2] ?? '200', 10);
const WARMUP = 20;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

function activity(text: string, i: number): Partial<Activity> {
  return {
    type: 'message',
    id: `bench-${i}`,
    text,
    channelId: 'msteams',
    serviceUrl: 'http://connector.bench',
    from: { id: '29:bench', name: 'Bench Tester', aadObjectId: 'aad-bench' },
    recipient: { id: '28:bot', name: 'Tuning Bot' },
    // A group chat: one reply per turn, no streaming, so both bots send comparable output.
    conversation: { id: '19:bench', conversationType: 'groupChat', isGroup: true } as Activity['conversation'],
  };
}

async function measure(adapter: TestAdapter, turns: number, text: (i: number) => string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < turns + WARMUP; i += 1) {
    const started = process.hrtime.bigint();
    await adapter.processActivity(activity(text(i), i));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    adapter.activeQueue.splice(0);
    if (i >= WARMUP) times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

async function benchKind(kind: TestDbKind): Promise<void> {
  const t = await createTestDatabase(kind);
  const fake = await startFakeAnthropic();
  fake.reply(() => 'Call the employee, document the attempt, and follow the attendance policy [1].');
  try {
    const config = loadConfig({ ANTHROPIC_API_KEY: 'sk-bench', ANTHROPIC_BASE_URL: fake.baseURL, EXPORT_SIGNING_SECRET: 'bench-secret-long-enough-0123456789abcdef', LOG_LEVEL: 'silent' });
    const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
    await ingestKnowledge(t.db, config.knowledgeDir);
    const app = createApp({
      config,
      database: t,
      logger,
      anthropic: new Anthropic({ apiKey: 'sk-bench', baseURL: fake.baseURL, maxRetries: 0 }),
      members: { lookup: async () => null },
      retrieval: true,
    });
    const botAdapter = new TestAdapter(async (context) => app.bot.run(context));
    const bot = await measure(botAdapter, TURNS, (i) => `Bench question ${i}: my employee did not show up for the shift`);

    const echo = new (class extends ActivityHandler {
      constructor() {
        super();
        this.onMessage(async (context, next) => {
          await context.sendActivity(`echo: ${context.activity.text}`);
          await next();
        });
      }
    })();
    const echoAdapter = new TestAdapter(async (context) => echo.run(context));
    const bare = await measure(echoAdapter, TURNS, (i) => `Bench question ${i}`);

    const row = (name: string, xs: number[]) => `${name.padEnd(34)} ${percentile(xs, 50).toFixed(2).padStart(8)} ${percentile(xs, 99).toFixed(2).padStart(8)}`;
    console.log(`\nbot turn on ${kind} (${TURNS} turns after ${WARMUP} warm-up; ms)`);
    console.log(`${''.padEnd(34)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}`);
    console.log(row('Tuning Bot (retrieval, turn, card)', bot));
    console.log(row('bare botbuilder echo bot', bare));
    console.log(`${'ratio (Tuning Bot / echo)'.padEnd(34)} ${(percentile(bot, 50) / percentile(bare, 50)).toFixed(1).padStart(8)} ${(percentile(bot, 99) / percentile(bare, 99)).toFixed(1).padStart(8)}`);
  } finally {
    await fake.close();
    await t.dispose();
  }
}

async function main(): Promise<void> {
  const kinds: TestDbKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  for (const kind of kinds) await benchKind(kind);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
