/**
 * The bot's daily best-practices analysis: off by default, PRACTICES_TIME_UTC validated, a run at the
 * time (practices stored), and two instances firing together — one analyses, the other logs that it is
 * already running.
 */
import { ConfigError, loadConfig } from '../src/config';
import { acquireLease, releaseLease } from '../src/schedule';
import { PRACTICES_LEASE, startPracticesSchedule } from '../src/insights';
import { createCallLog } from '../src/llm';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { seedPracticeData } from './helpers/practices-fixtures';

function manualTimer() {
  let pending: (() => void) | null = null;
  return {
    setTimer: (fn: () => void) => {
      pending = fn;
      return { cancel: () => { pending = null; } };
    },
    fire: () => {
      const fn = pending;
      if (!fn) throw new Error('no timer');
      fn();
    },
  };
}

test('the schedule is off by default and PRACTICES_TIME_UTC must be HH:MM', () => {
  expect(loadConfig({}).practices).toEqual({ model: 'claude-sonnet-5-5', timeUtc: null });
  expect(loadConfig({ PRACTICES_TIME_UTC: '04:30', PRACTICES_MODEL: 'claude-haiku-5-5' }).practices).toEqual({ model: 'claude-haiku-5-5', timeUtc: '04:30' });
  expect(() => loadConfig({ PRACTICES_TIME_UTC: '25:00' })).toThrow(ConfigError);
  expect(() => loadConfig({ PRACTICES_TIME_UTC: '25:00' })).toThrow(/PRACTICES_TIME_UTC: must be HH:MM/);
});

describe.each(testDbKinds)('the daily analysis on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await seedPracticeData(t.db);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('runs at its time and stores practices; an instance finding the lease held skips and says why', async () => {
    const { logger, lines } = capturingLogger();
    const deps = { db: t.db, client: null, model: 'm', callLog: createCallLog({ db: t.db, logger, pricing: null }), logger, timeUtc: '03:00', now: () => Date.parse('2026-12-01T02:59:00Z') };
    // Another instance is in the middle of a run.
    expect(await acquireLease(t.db, PRACTICES_LEASE, 'other-instance', 60_000)).toBeNull();
    const skipped = manualTimer();
    const a = startPracticesSchedule({ ...deps, setTimer: skipped.setTimer });
    skipped.fire();
    await a.stop();
    expect(lines.some((l) => l.event === 'practices_skipped' && /already running/.test(String(l.reason)))).toBe(true);
    expect(await t.db.selectFrom('best_practices').select('id').execute()).toEqual([]);

    await releaseLease(t.db, PRACTICES_LEASE, 'other-instance');
    const timer = manualTimer();
    const b = startPracticesSchedule({ ...deps, setTimer: timer.setTimer });
    timer.fire();
    // stop() would ask the run to finish early: wait for it to end on its own first.
    for (let i = 0; i < 200 && !lines.some((l) => l.event === 'practices_analyzed' || /scheduled task failed/.test(l.msg)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await b.stop();
    expect(lines.some((l) => l.event === 'practices_analyzed')).toBe(true);
    expect((await t.db.selectFrom('best_practices').select('id').execute()).length).toBeGreaterThan(0);
  });
});
