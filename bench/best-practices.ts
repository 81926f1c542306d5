/**
 * The best-practices analysis on example data: 40 tuning sessions of 10 turns (400 ERA replies over five
 * topics in four styles, with Looks good / thumbs up / improvement notes and topics), judged through the
 * real judge against the loopback fake (its deterministic scores), then analysed: offline (first run and
 * a re-run), and with Claude write-ups through the fake (first run, then a re-run that sends nothing
 * because nothing changed). Cost is the call log's, from the shipped price table at the token counts the
 * fake reports (about 4 characters a token) — an estimate of Claude's price for prompts of this size.
 * On PGlite always; Postgres too when DATABASE_URL is set. Asserts nothing.
 *
 *   node -r @swc-node/register bench/best-practices.ts
 */
import { sql } from 'kysely';
import { analyzePractices, createJudge, rescoreTurns, type AnalysisResult } from '../src/insights';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, testDbKinds } from '../bot-tests/helpers/db';
import { startFakeAnthropic } from '../bot-tests/helpers/fake-anthropic';
import { fakeClient } from '../bot-tests/helpers/insights-fixtures';
import { RUBRIC } from '../bot-tests/helpers/insights-world';
import { seedPracticeData } from '../bot-tests/helpers/practices-fixtures';

const SESSIONS = 40;
const TURNS = 10;

function line(label: string, r: AnalysisResult, ms: number, cost: number): string {
  return `  ${label.padEnd(34)} ${String(ms).padStart(6)} ms  ${String(r.practices.length).padStart(3)} practices (${r.created} new, ${r.updated} updated, ${r.archived} archived)  ${String(r.calls).padStart(3)} calls  ${r.inputTokens} in / ${r.outputTokens} out tokens  $${cost.toFixed(4)}`;
}

async function main(): Promise<void> {
  const fake = await startFakeAnthropic();
  const logger = createLogger('silent');
  const pricing = loadPricing();
  try {
    for (const kind of testDbKinds) {
      const t = await createTestDatabase(kind);
      try {
        const db = t.db;
        const callLog = createCallLog({ db, logger, pricing });
        const client = fakeClient(fake.baseURL, 2);
        let started = performance.now();
        await seedPracticeData(db, { sessions: SESSIONS, turnsPerSession: TURNS, judge: false });
        const judge = createJudge({ db, client, model: 'claude-haiku-5-5', rubricPath: RUBRIC, callLog, logger });
        const judged = await rescoreTurns({ db, judge, logger, client, callLog, pollMs: 10 }, { all: true });
        console.log(`best practices on ${kind}: ${SESSIONS} sessions × ${TURNS} turns seeded and judged (${judged.judged} judged) in ${Math.round(performance.now() - started)} ms`);

        const costSince = async (since: Date) => Number((await db.selectFrom('llm_calls').select(sql<string | null>`sum(cost_usd)`.as('c')).where('purpose', '=', 'practices').where('created_at', '>=', since).executeTakeFirstOrThrow()).c ?? 0);
        const run = async (label: string, online: boolean) => {
          const since = new Date();
          started = performance.now();
          const r = await analyzePractices({ db, client: online ? client : null, model: 'claude-sonnet-5-5', callLog, logger }, { holder: 'bench' });
          console.log(line(label, r, Math.round(performance.now() - started), await costSince(since)));
        };
        await run('offline, first run', false);
        await run('offline, re-run (same data)', false);
        await db.deleteFrom('best_practices').execute();
        fake.reply((body) => {
          const topic = /<topic>(.*)<\/topic>/.exec(JSON.stringify(body.messages))?.[1] ?? 'topic';
          return JSON.stringify({
            title: `Acknowledge the situation, then give numbered steps (${topic})`,
            description: 'The best-rated replies open with one sentence acknowledging how the situation feels, cite the policy, and give numbered steps ending with when to contact ER. Managers can act on them at once.',
            key_insights: ['Open with one sentence of acknowledgement.', 'Cite the passage the advice rests on.', 'Give two to four numbered steps.', 'Say when to involve ER.'],
            tags: ['empathy', 'structure', 'citation', topic],
            example: 'Manager: My trainer did not show up for her 6am shift.\n\nERA: That sounds stressful… 1. Document what happened…',
          });
        });
        await run('Claude write-ups, first run', true);
        await run('Claude write-ups, re-run (same data)', true);
      } finally {
        await t.dispose();
      }
    }
  } finally {
    await fake.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
