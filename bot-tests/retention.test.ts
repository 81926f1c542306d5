/**
 * Retention and archive (spec 000, spec 004): dry run, archive then restore of one session, plain
 * delete, a run stopped between copy and delete, a run killed mid-way (Postgres), the lease, the
 * archive schema check, and the command line's arguments.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { sql } from 'kysely';
import { parseRetentionArgs, runRetentionCli } from '../src/cli/retention';
import { acquireLease, releaseLease } from '../src/schedule';
import {
  ArchiveSchemaError, RestoreError, RetentionBusyError, restoreArchivedSession, runRetention, runRetentionExclusive,
} from '../src/retention';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { insertAgedSession, insertTuningLoopRows, loopSnapshot, snapshot, splitBrain } from './helpers/retention-fixtures';

const DAY = 86_400_000;
const cutoff90 = () => new Date(Date.now() - 90 * DAY);

describe('db:retention arguments', () => {
  const fail = (code: number): never => {
    throw new Error(`exit ${code}`);
  };
  const parse = (...a: string[]) => parseRetentionArgs(['node', 'retention', ...a], fail);
  const quietly = <T>(fn: () => T): T => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      return fn();
    } finally {
      spy.mockRestore();
    }
  };

  test('reads a run and a restore', () => {
    expect(parse('--older-than', '90d', '--archive', '--dry-run')).toEqual({ command: 'run', olderThanDays: 90, archive: true, dryRun: true, batchSessions: 100 });
    expect(parse('--older-than', '30', '--batch', '10')).toEqual({ command: 'run', olderThanDays: 30, archive: false, dryRun: false, batchSessions: 10 });
    expect(parse('restore', 'abcd1234')).toEqual({ command: 'restore', session: 'abcd1234' });
  });

  test.each([[[]], [['--older-than', 'ninety']], [['--older-than', '0d']], [['--older-than', '90d', '--batch', '0']], [['restore']], [['--older-than', '90d', '--bogus']]])(
    'refuses %j with the usage (exit 2)',
    (argv) => {
      expect(() => quietly(() => parse(...argv))).toThrow(/exit 2/);
    },
  );
});

describe.each(testDbKinds)('retention on %s', (kind) => {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await t.dispose();
  });

  async function tableCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const table of ['prompt_tuning_sessions', 'tuning_conversation_turns', 'tuning_improvements', 'llm_calls', 'llm_call_io', 'nlu_prompt_logs']) {
      for (const suffix of ['', '_archive']) {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table + suffix)}`.execute(t.db);
        out[table + suffix] = r.rows[0]?.n ?? 0;
      }
    }
    return out;
  }

  async function seed() {
    const old = await insertAgedSession(t.db, { tester: 'old-a', daysAgo: 120, turns: 4, notesPerTurn: 2 });
    const old2 = await insertAgedSession(t.db, { tester: 'old-b', daysAgo: 200, turns: 3, notesPerTurn: 1, open: true });
    const recent = await insertAgedSession(t.db, { tester: 'recent', daysAgo: 10, turns: 2, notesPerTurn: 1 });
    // A session started long ago but used last week is not old.
    const stillUsed = await insertAgedSession(t.db, { tester: 'still-used', daysAgo: 150, turns: 1, notesPerTurn: 0 });
    await sql`UPDATE prompt_tuning_sessions SET session_end = NULL WHERE id = ${stillUsed}::uuid`.execute(t.db);
    // A prompt log of a live session past the cutoff (spec 004's 90 days), a session-less tester call past it,
    // and a generation call (no tester) that retention leaves alone.
    await sql`UPDATE nlu_prompt_logs SET created_at = NOW() - interval '100 days' WHERE conversation_id = ${stillUsed}::uuid`.execute(t.db);
    await sql`INSERT INTO llm_calls (created_at, purpose, model, status, tester_id) VALUES (NOW() - interval '95 days', 'intent', 'm', 'ok', 'gone-tester')`.execute(t.db);
    await sql`INSERT INTO llm_calls (created_at, purpose, model, status) VALUES (NOW() - interval '300 days', 'generation', 'm', 'ok')`.execute(t.db);
    return { old, old2, recent, stillUsed };
  }

  test('--dry-run counts what would go and changes nothing', async () => {
    await seed();
    const before = await tableCounts();
    const result = await runRetention(t.db, { cutoff: cutoff90(), archive: true, dryRun: true });
    expect(result.counts).toEqual({ sessions: 2, turns: 7, notes: 11, calls: 8, callIo: 7, promptLogs: 8, judgements: 0, suggestions: 0, replays: 0, comparisons: 0 });
    expect(await tableCounts()).toEqual(before);
  });

  test('--archive moves old sessions with everything they own; restore puts one back exactly', async () => {
    const { old, old2, recent, stillUsed } = await seed();
    const beforeOld = await snapshot(t.db, old);
    const lines: string[] = [];
    await runRetentionCli(t.db, { command: 'run', olderThanDays: 90, archive: true, dryRun: false, batchSessions: 1 }, (l) => lines.push(l));
    expect(lines.at(-1)).toMatch(/^db:retention: archived what had no activity since .*: sessions 2, turns 7, notes 11, calls 8, call I\/O 7, prompt logs 8, judgements 0, suggestions 0, replays 0, comparisons 0; 4 batch\(es\)/);
    expect(lines.filter((l) => l.startsWith('  batch '))).toHaveLength(4);

    const counts = await tableCounts();
    expect(counts).toMatchObject({
      prompt_tuning_sessions: 2, prompt_tuning_sessions_archive: 2,
      tuning_conversation_turns: 3, tuning_conversation_turns_archive: 7,
      tuning_improvements: 2, tuning_improvements_archive: 11,
      llm_calls: 4, llm_calls_archive: 8, llm_call_io: 3, llm_call_io_archive: 7,
      nlu_prompt_logs: 2, nlu_prompt_logs_archive: 8,
    });
    expect((await splitBrain(t.db, [old, old2, recent, stillUsed]))).toEqual({ both: [], neither: [] });
    // What is in the archive is the rows as they were.
    expect(await snapshot(t.db, old, '_archive')).toEqual(beforeOld);
    // The generation call (no tester) stayed.
    expect(await t.db.selectFrom('llm_calls').select('purpose').where('purpose', '=', 'generation').execute()).toHaveLength(1);

    const restoreLines: string[] = [];
    await runRetentionCli(t.db, { command: 'restore', session: old.slice(0, 8) }, (l) => restoreLines.push(l));
    expect(restoreLines).toEqual([`db:retention: restored session ${old}: sessions 1, turns 4, notes 8, calls 4, call I/O 4, prompt logs 4, judgements 0, suggestions 0, replays 0, comparisons 0`]);
    const after = await snapshot(t.db, old);
    expect(after).toEqual(beforeOld);
    expect(await snapshot(t.db, old, '_archive')).toEqual({ session: [], turns: [], notes: [], calls: [], io: [], logs: [] });
    const s = await t.db.selectFrom('prompt_tuning_sessions').select(['total_turns', 'total_improvements']).where('id', '=', old).executeTakeFirstOrThrow();
    expect(s).toEqual({ total_turns: 4, total_improvements: 8 });
    // The other archived session is still archived.
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').execute()).toEqual([{ id: old2 }]);
  });

  test("--archive keeps the tuning loop's rows (judgements, suggestions, replays with their sessions, comparisons); restore brings them back", async () => {
    const { old, recent } = await seed();
    const { replaySessionId } = await insertTuningLoopRows(t.db, old);
    await insertTuningLoopRows(t.db, recent);
    const before = await loopSnapshot(t.db, old);
    const beforeSession = await snapshot(t.db, old);
    expect(before.judgements).toHaveLength(5);
    expect(before.comparisons).toHaveLength(2);

    const dry = await runRetention(t.db, { cutoff: cutoff90(), archive: true, dryRun: true });
    const result = await runRetention(t.db, { cutoff: cutoff90(), archive: true, batchSessions: 1 });
    // The replay's own session goes with its source: 3 sessions, the replayed turn, 4 + 1 judgements.
    expect(result.counts).toMatchObject({ sessions: 3, turns: 8, judgements: 5, suggestions: 1, replays: 1, comparisons: 2 });
    expect(dry.counts).toEqual(result.counts);
    expect(await loopSnapshot(t.db, old, '_archive')).toEqual(before);
    expect(await loopSnapshot(t.db, old)).toEqual({ judgements: [], suggestions: [], replays: [], comparisons: [], replayTurns: [] });
    expect(await splitBrain(t.db, [replaySessionId])).toEqual({ both: [], neither: [] });
    // The recent session's loop is untouched.
    expect((await loopSnapshot(t.db, recent)).comparisons).toHaveLength(2);

    const { counts } = await restoreArchivedSession(t.db, old);
    expect(counts).toMatchObject({ sessions: 2, turns: 5, judgements: 5, suggestions: 1, replays: 1, comparisons: 2 });
    expect(await loopSnapshot(t.db, old)).toEqual(before);
    expect(await snapshot(t.db, old)).toEqual(beforeSession);
    expect(await loopSnapshot(t.db, old, '_archive')).toEqual({ judgements: [], suggestions: [], replays: [], comparisons: [], replayTurns: [] });
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').where('id', '=', replaySessionId).execute()).toEqual([]);
  });

  test('restore refuses what it cannot do, in plain words', async () => {
    const { old, old2, recent } = await seed();
    await runRetention(t.db, { cutoff: cutoff90(), archive: true });
    await expect(restoreArchivedSession(t.db, recent)).rejects.toThrow(`Session ${recent} is live, not archived`);
    await expect(restoreArchivedSession(t.db, '00000000-0000-4000-8000-000000000000')).rejects.toThrow('No archived session 00000000-0000-4000-8000-000000000000.');
    await expect(restoreArchivedSession(t.db, 'zzz; drop table x')).rejects.toBeInstanceOf(RestoreError);
    await expect(restoreArchivedSession(t.db, 'ffffffff')).rejects.toThrow('No archived session starts with ffffffff.');
    // old2 was never ended; its tester now has another open session.
    await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: 'old-b' }).execute();
    await expect(restoreArchivedSession(t.db, old2)).rejects.toThrow(/never ended and its tester has an open session now/);
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').orderBy('id').execute()).toHaveLength(2);
    await restoreArchivedSession(t.db, old);
    await expect(restoreArchivedSession(t.db, old)).rejects.toThrow(`Session ${old} is live, not archived`);
  });

  test('without --archive the rows are deleted and nothing is archived', async () => {
    const { old, recent } = await seed();
    const result = await runRetention(t.db, { cutoff: cutoff90(), archive: false });
    expect(result.counts).toEqual({ sessions: 2, turns: 7, notes: 11, calls: 8, callIo: 7, promptLogs: 8, judgements: 0, suggestions: 0, replays: 0, comparisons: 0 });
    const counts = await tableCounts();
    expect(counts.prompt_tuning_sessions_archive).toBe(0);
    expect(counts.llm_calls_archive).toBe(0);
    expect(await t.db.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', [old, recent]).execute()).toEqual([{ id: recent }]);
  });

  test('a run that fails between copy and delete leaves each session live or archived, never both or neither', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) ids.push(await insertAgedSession(t.db, { tester: `crash-${i}`, daysAgo: 100 + i, turns: 2, notesPerTurn: 1 }));
    await expect(runRetention(t.db, {
      cutoff: cutoff90(), archive: true, batchSessions: 2,
      afterCopy: async (batch) => {
        if (batch === 2) throw new Error('power cut');
      },
    })).rejects.toThrow('power cut');
    expect(await splitBrain(t.db, ids)).toEqual({ both: [], neither: [] });
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').execute()).toHaveLength(2);
    const again = await runRetention(t.db, { cutoff: cutoff90(), archive: true, batchSessions: 2 });
    expect(again.counts.sessions).toBe(4);
    expect(await splitBrain(t.db, ids)).toEqual({ both: [], neither: [] });
    expect(await t.db.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', ids).execute()).toEqual([]);
  });

  test('one run at a time: a held lease refuses a second run; an expired one is taken over', async () => {
    await seed();
    expect(await acquireLease(t.db, 'retention', 'other-instance', 60_000)).toBeNull();
    await expect(runRetentionExclusive(t.db, { cutoff: cutoff90(), archive: true }, 'me')).rejects.toBeInstanceOf(RetentionBusyError);
    expect(await t.db.selectFrom('prompt_tuning_sessions_archive').select('id').execute()).toEqual([]);
    await sql`UPDATE task_leases SET acquired_at = NOW() - interval '2 hours', expires_at = NOW() - interval '1 hour'`.execute(t.db);
    const result = await runRetentionExclusive(t.db, { cutoff: cutoff90(), archive: true }, 'me');
    expect(result.counts.sessions).toBe(2);
    expect(await t.db.selectFrom('task_leases').selectAll().execute()).toEqual([]);
    await releaseLease(t.db, 'retention', 'nobody');
  });

  test('an archive table that no longer matches its source stops the run before anything moves', async () => {
    await seed();
    await sql`ALTER TABLE tuning_improvements ADD COLUMN severity TEXT`.execute(t.db);
    const before = await tableCounts();
    await expect(runRetention(t.db, { cutoff: cutoff90(), archive: true })).rejects.toThrow(ArchiveSchemaError);
    await expect(runRetention(t.db, { cutoff: cutoff90(), archive: true })).rejects.toThrow('tuning_improvements_archive lacks severity');
    expect(await tableCounts()).toEqual(before);
  });

  test('the archive tables have their sources\' columns, named indexes, and no one-open-session rule', async () => {
    const r = await sql<{ name: string }>`SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid::regclass::text LIKE '%\\_archive'`.execute(t.db);
    expect(r.rows.length).toBeGreaterThan(20);
    expect(r.rows.filter((x) => !x.name.endsWith('_archive'))).toEqual([]);
    expect(r.rows.map((x) => x.name)).not.toContain('uq_tuning_sessions_one_open_per_tester_archive');
    const { checkedColumnLists } = await import('../src/retention');
    await expect(checkedColumnLists(t.db)).resolves.toBeDefined();
  });

  if (kind === 'postgres') {
    test('npm run db:retention killed mid-run: every session live or archived; the next run finishes', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 120; i += 1) ids.push(await insertAgedSession(t.db, { tester: `kill-${i}`, daysAgo: 100, turns: 20, notesPerTurn: 2 }));
      const child: ChildProcess = spawn('node', ['-r', '@swc-node/register', 'src/cli/retention.ts', '--older-than', '90d', '--archive', '--batch', '2'], {
        env: { ...process.env, DATABASE_URL: t.url ?? '' }, stdio: 'ignore',
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let archived = 0;
      for (let i = 0; i < 600 && archived < 10; i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        archived = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM prompt_tuning_sessions_archive`.execute(t.db)).rows[0]?.n ?? 0;
      }
      child.kill('SIGKILL');
      await exited;
      const mid = await sql<{ n: number }>`SELECT count(*)::int AS n FROM prompt_tuning_sessions_archive`.execute(t.db);
      expect(mid.rows[0]?.n).toBeGreaterThan(0);
      expect(mid.rows[0]?.n).toBeLessThan(ids.length);
      expect(await splitBrain(t.db, ids)).toEqual({ both: [], neither: [] });
      // The killed run's lease is still there; an operator's next run waits it out — here it is expired by hand.
      await sql`UPDATE task_leases SET acquired_at = NOW() - interval '1 hour', expires_at = NOW() - interval '1 minute'`.execute(t.db);
      await runRetentionExclusive(t.db, { cutoff: cutoff90(), archive: true }, 'second-run');
      expect(await splitBrain(t.db, ids)).toEqual({ both: [], neither: [] });
      expect(await t.db.selectFrom('prompt_tuning_sessions').select('id').where('id', 'in', ids).execute()).toEqual([]);
      const turns = await sql<{ n: number }>`SELECT count(*)::int AS n FROM tuning_conversation_turns_archive`.execute(t.db);
      expect(turns.rows[0]?.n).toBe(120 * 20);
    }, 120_000);
  }
});
