/**
 * The tuning loop's own cost, Claude answered at once by the loopback fake: 20 recorded sessions of 5
 * turns replayed on a candidate prompt (retrieval over the shipped knowledge base, ERA's call, the turn
 * row, metrics, the judge on the old and new turns, the comparison rows), directly and as Message
 * Batches; then rescoring (judging) 100 turns directly and as one batch. Prints time per turn, and cost
 * per turn from the shipped price table at the token counts the fake reports (about 4 characters a token
 * for ERA's calls, prompt caching simulated; 900 in / 90 out for a judging) — so the cost is an estimate
 * of Claude's price for turns of this size, not a measurement. On PGlite always; Postgres too when
 * DATABASE_URL is set. Asserts nothing.
 *
 *   node -r @swc-node/register bench/insights-replay.ts
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createClaudeResponder, createPromptSource } from '../src/era';
import { createFullTextRetriever, ingestKnowledge } from '../src/era/retrieval';
import { createJudge, createReplays, rescoreTurns, resolveCandidate, runReplay, runReplaysInBatches } from '../src/insights';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, testDbKinds, type TestDatabase } from '../bot-tests/helpers/db';
import { startFakeAnthropic } from '../bot-tests/helpers/fake-anthropic';
import { ACKNOWLEDGE_RULE, eraReply } from '../bot-tests/helpers/fake-insights';
import { fakeClient, seedSession } from '../bot-tests/helpers/insights-fixtures';
import { anthropicConfig, KNOWLEDGE, RUBRIC } from '../bot-tests/helpers/insights-world';

const SESSIONS = 20;
const TURNS = 5;
const QUESTIONS = [
  'One of my trainers did not show up for her 6am shift and did not call. Second time this month.',
  'Should I give her a written warning?',
  'She says she was at the hospital with her mother. Does that change anything?',
  'What should the warning say?',
  'And if it happens again?',
];
const OLD = 'Per the attendance policy [1], record it.\n\n1. Record it in the log.\n2. Contact ER before any decision.';

async function costOf(t: TestDatabase, purpose: string, sessionIds: string[]): Promise<number> {
  const row = await t.db.selectFrom('llm_calls').select(sql<string | null>`sum(cost_usd)`.as('c')).where('purpose', '=', purpose as 'answer')
    .where((eb) => eb.or([eb('session_id', 'in', sessionIds), eb('turn_id', 'in', eb.selectFrom('tuning_conversation_turns').select('id').where('session_id', 'in', sessionIds))]))
    .executeTakeFirstOrThrow();
  return Number(row.c ?? 0);
}

async function main(): Promise<void> {
  const fake = await startFakeAnthropic();
  fake.reply((body) => eraReply(body));
  const logger = createLogger('silent');
  const pricing = loadPricing();
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-insights-'));
  const candidatePath = path.join(dir, 'candidate.md');
  writeFileSync(candidatePath, readFileSync(path.resolve(__dirname, '../examples/era/MASTER_PROMPT.md'), 'utf8').replace('## Tone\n', `## Tone\n\n${ACKNOWLEDGE_RULE}\n`));
  console.log(`replay: ${SESSIONS} sessions x ${TURNS} turns on a candidate prompt; Claude = instant loopback fake; cost from the shipped price table at the fake's token counts`);
  for (const kind of testDbKinds) {
    const t = await createTestDatabase(kind);
    try {
      await ingestKnowledge(t.db, KNOWLEDGE);
      const callLog = createCallLog({ db: t.db, logger, pricing });
      const client = fakeClient(fake.baseURL);
      const anthropic = anthropicConfig(fake.baseURL);
      const judge = createJudge({ db: t.db, client, model: 'claude-haiku-5-5', rubricPath: RUBRIC, callLog, logger });
      const deps = { db: t.db, era: createClaudeResponder({ anthropic, client, logger }), anthropic, retriever: createFullTextRetriever(t.db, { topK: 5, minSimilarity: 0.08 }), judge, callLog, logger, historyTurns: 20, client, pollMs: 1 };
      const sources: string[] = [];
      for (let s = 0; s < SESSIONS; s += 1) {
        sources.push((await seedSession(t.db, `bench-${s}`, QUESTIONS.slice(0, TURNS).map((user) => ({ user, answer: OLD, notes: [{ text: 'Cold', category: 'tone' }] })))).session.id);
      }
      const candidate = await resolveCandidate(t.db, createPromptSource(candidatePath).path, { kind: 'file', path: candidatePath });
      for (const mode of ['direct', 'batch'] as const) {
        const replays = await createReplays(t.db, { sourceSessionIds: sources, candidate, requestedBy: 'bench', mode });
        const started = performance.now();
        if (mode === 'direct') for (const r of replays) await runReplay(deps, r.id);
        else await runReplaysInBatches(deps, replays.map((r) => r.id));
        const ms = performance.now() - started;
        const turns = SESSIONS * TURNS;
        const replaySessions = replays.map((r) => r.replay_session_id ?? '');
        const answer = await costOf(t, 'answer', replaySessions);
        const judging = await costOf(t, 'judging', replaySessions);
        console.log(`${kind.padEnd(8)} replay ${mode.padEnd(6)} ${turns} turns in ${(ms / 1000).toFixed(2)} s = ${(ms / turns).toFixed(1)} ms per turn (scoring included); ERA $${(answer / turns).toFixed(5)} + judge $${(judging / turns).toFixed(5)} per turn`);
      }
      for (const mode of ['direct', 'batch'] as const) {
        const started = performance.now();
        const r = await rescoreTurns({ db: t.db, judge, logger, client, callLog, pollMs: 1 }, { sessionIds: sources }, { mode, force: true, concurrency: 2 });
        const ms = performance.now() - started;
        console.log(`${kind.padEnd(8)} rescore ${mode.padEnd(6)} ${r.judged} turns judged in ${(ms / 1000).toFixed(2)} s = ${(r.judged / (ms / 1000)).toFixed(0)} turns/s`);
      }
    } finally {
      await t.dispose();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
