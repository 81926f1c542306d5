/**
 * The daily retention run in the bot: the timer to the next HH:MM UTC, a run and the next timer, a
 * stop that waits for the run, two instances at the same time (one runs, one skips), and the app's
 * start/stop handle (off by default).
 */
import { Writable } from 'node:stream';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { startRetentionSchedule } from '../src/retention';
import { msUntilNext, startDailyTask } from '../src/schedule';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { insertAgedSession } from './helpers/retention-fixtures';

const quiet = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));

/** A timer the test fires by hand. */
function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const entry = { fn, ms, cancelled: false };
      pending.push(entry);
      return { cancel: () => { entry.cancelled = true; } };
    },
    fireLast: () => {
      const last = pending.at(-1);
      if (!last || last.cancelled) throw new Error('no live timer');
      last.fn();
    },
  };
}

describe('daily schedule', () => {
  test('waits until the next HH:MM UTC', () => {
    const at = (iso: string) => Date.parse(iso);
    expect(msUntilNext('03:00', at('2026-12-01T02:00:00Z'))).toBe(3_600_000);
    expect(msUntilNext('03:00', at('2026-12-01T03:00:00Z'))).toBe(86_400_000);
    expect(msUntilNext('03:00', at('2026-12-01T23:30:00Z'))).toBe(3.5 * 3_600_000);
  });

  test('runs at the time, schedules the next day, survives a failing run, and stop waits for a run', async () => {
    const timers = manualTimers();
    let now = Date.parse('2026-12-01T02:59:00Z');
    const runs: string[] = [];
    let release: () => void = () => undefined;
    const { logger, lines } = capturingLogger();
    const task = startDailyTask({
      name: 'test', timeUtc: '03:00', logger, now: () => now, setTimer: timers.setTimer,
      run: async (signal) => {
        runs.push(`run ${runs.length + 1}`);
        if (runs.length === 1) throw new Error('first run fails');
        await new Promise<void>((resolve) => {
          release = resolve;
          signal.addEventListener('abort', () => { resolve(); });
        });
      },
    });
    expect(timers.pending.at(-1)?.ms).toBe(60_000);
    now += 60_000;
    timers.fireLast();
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual(['run 1']);
    expect(lines.some((l) => l.msg.includes('scheduled task failed'))).toBe(true);
    expect(timers.pending.at(-1)?.ms).toBe(86_400_000);
    now += 86_400_000;
    timers.fireLast();
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual(['run 1', 'run 2']);
    // stop() aborts the running task's signal and waits for it; no timer is left.
    await task.stop();
    release();
    expect(timers.pending.every((p) => p.cancelled || p === timers.pending[0] || p === timers.pending[1])).toBe(true);
  });
});

describe.each(testDbKinds)('retention schedule on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  test('two instances fire at once: one archives, the other skips; counts are logged', async () => {
    for (let i = 0; i < 4; i += 1) await insertAgedSession(t.db, { tester: `sched-${i}`, daysAgo: 40, turns: 3, notesPerTurn: 1 });
    const settings = { days: 30, archive: true, timeUtc: '03:00', batchSessions: 1 };
    const a = manualTimers();
    const b = manualTimers();
    const logA = capturingLogger();
    const logB = capturingLogger();
    const one = startRetentionSchedule({ db: t.db, logger: logA.logger, settings, setTimer: a.setTimer });
    const two = startRetentionSchedule({ db: t.db, logger: logB.logger, settings, setTimer: b.setTimer });
    a.fireLast();
    b.fireLast();
    const finished = () => [...logA.lines, ...logB.lines].filter((l) => l.event === 'retention_done' || l.event === 'retention_skipped').length;
    for (let i = 0; i < 200 && finished() < 2; i += 1) await new Promise((r) => setTimeout(r, 25));
    await one.stop();
    await two.stop();
    const done = [...logA.lines, ...logB.lines].filter((l) => l.event === 'retention_done');
    const skipped = [...logA.lines, ...logB.lines].filter((l) => l.event === 'retention_skipped');
    // Either both ran one after the other (the second found nothing), or one skipped: never both at once.
    const archivedTotal = done.reduce((n, l) => n + Number(l.sessions ?? 0), 0);
    expect(archivedTotal).toBe(4);
    expect(done.length + skipped.length).toBe(2);
    // Without the lease both runs would take turns at the batches (one session each) and both archive some.
    expect(done.filter((l) => Number(l.sessions) > 0)).toHaveLength(1);
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').execute()).toHaveLength(4);
  });

  test('the app starts no schedule by default, and starts and stops the retention run when configured', async () => {
    const base = { EXPORT_SIGNING_SECRET: 'schedule-test-secret-long-enough-012345' };
    const off = createApp({ config: loadConfig(base), database: t, logger: quiet(), anthropic: null });
    const { logger, lines } = capturingLogger();
    await off.startSchedules().stop();
    const on = createApp({ config: loadConfig({ ...base, RETENTION_DAYS: '90', RETENTION_ARCHIVE: 'true' }), database: t, logger, anthropic: null });
    const handle = on.startSchedules();
    expect(lines.some((l) => l.msg === 'scheduled task waiting' && l.task === 'retention')).toBe(true);
    await handle.stop();
  });
});
