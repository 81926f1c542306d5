/**
 * `npm run tune` as child processes on a PGlite data dir on disk (one process at a time), Claude the
 * loopback fake (ERA, judge and suggester): rescore, suggest (a .patch git accepts), replay on the
 * suggestion with its comparison table, compare, bundle, calibrate on the shipped set, offline mode, and
 * every bad command line refused with a plain message.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectDatabase, migrateToLatest } from '../db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { eraReply } from './helpers/fake-insights';
import { seedSession } from './helpers/insights-fixtures';

const ROOT = path.resolve(__dirname, '..');
const SLOW = 300_000;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the tune CLI (pglite on disk)', () => {
  let dir: string;
  let fake: FakeAnthropic;
  let base: NodeJS.ProcessEnv;
  let sessionId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tune-cli-'));
    fake = await startFakeAnthropic();
    fake.reply((body) => eraReply(body));
    base = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', DATABASE_URL: '', PGLITE_DATA_DIR: path.join(dir, 'pglite'), ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '', ANTHROPIC_MAX_RETRIES: '0' };
    const h = await connectDatabase({ kind: 'pglite', dataDir: path.join(dir, 'pglite') });
    try {
      await migrateToLatest(h.db);
      const seeded = await seedSession(h.db, 'aad-cli', [
        { user: 'A trainer no-showed her 6am shift without calling.', answer: 'Record it [1].\n\n1. Log it.\n2. Contact ER.', passages: ['c1'], notes: [{ text: 'Cold, acknowledge first', category: 'tone' }] },
        { user: 'Can I write her up?', answer: 'Yes.\n\n1. Write it.\n2. Contact ER.', notes: [{ text: 'Good response, no changes needed', source: 'looks_good' }] },
      ], { version: 'abc1234' });
      sessionId = seeded.session.id;
    } finally {
      await h.close();
    }
  }, SLOW);
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    new Promise<CliResult>((resolve) => {
      execFile(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/cli/tune.ts'), ...args], { cwd: ROOT, env, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
      });
    });
  const online = () => ({ ...base, ANTHROPIC_API_KEY: 'sk-test', ANTHROPIC_BASE_URL: fake.baseURL });

  test('rescore, suggest, replay on the suggestion, compare, bundle', async () => {
    const short = sessionId.slice(0, 8);
    const rescore = await cli(online(), 'rescore', '--session', short);
    expect(rescore.stderr).toBe('');
    expect(rescore.stdout).toMatch(/metrics stored on 2 turn\(s\)/);
    expect(rescore.stdout).toMatch(/judge claude-haiku-5-5, rubric era-judge-2026-12-02: 2 turn\(s\) to judge, 2 judged, 0 failed/);

    const patchFile = path.join(dir, 'out.patch');
    const suggest = await cli(online(), 'suggest', short, '--out', patchFile);
    expect(suggest.code).toBe(0);
    const suggestionId = /^suggestion ([0-9a-f-]{36}) for session/m.exec(suggest.stdout)?.[1] ?? '';
    expect(suggestionId).not.toBe('');
    expect(readFileSync(patchFile, 'utf8')).toMatch(/@@ answers N1 \(tone\)/);
    const check = await new Promise<number>((resolve) => execFile('git', ['apply', '--check', patchFile], { cwd: ROOT }, (err) => { resolve(err ? 1 : 0); }));
    expect(check).toBe(0);

    const replay = await cli(online(), 'replay', short, '--suggestion', suggestionId.slice(0, 8));
    expect(replay.stderr).toBe('');
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/1 replay\(s\) on suggestion .* \(version sha256:[0-9a-f]{12}\)/);
    expect(replay.stdout).toMatch(/turn 2\/2 stored/);
    expect(replay.stdout).toMatch(/^empathy_score\s+3\.00\s+4\.00\s+\+1\.00\s+2\s+2$/m);
    const replayId = /^([0-9a-f]{8})\s+[0-9a-f]{8}\s+suggestion/m.exec(replay.stdout)?.[1] ?? '';

    const compare = await cli(online(), 'compare', '--replay', replayId, '--turns');
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/^has_policy_citation\s+50%\s+100%\s+\+50 pts\s+2\s+2$/m);
    expect(compare.stdout).toContain('[new]\nThat sounds stressful');

    const bundle = await cli(base, 'bundle', short, '--format', 'json');
    expect(bundle.code).toBe(0);
    const json = JSON.parse(bundle.stdout) as { turns: Array<{ judge_status: string }> };
    expect(json.turns.map((t) => t.judge_status)).toEqual(['scored', 'scored']);
  }, SLOW);

  test('offline: suggest gives the labelled digest; calibrate measures the programmatic metrics on the shipped set', async () => {
    const suggest = await cli(base, 'suggest', sessionId.slice(0, 8));
    expect(suggest.stdout).toContain('Offline digest — no ANTHROPIC_API_KEY is set');
    const calibrate = await cli(base, 'calibrate', '--set', 'examples/era/calibration/calibration-set.json');
    expect(calibrate.code).toBe(0);
    expect(calibrate.stdout).toMatch(/24 labelled replies: 8 good .*, 16 with improvement notes\. Judge: offline/);
    expect(calibrate.stdout).toMatch(/^programmatic_combined\s+0\.\d\d\s+24$/m);
    expect(calibrate.stdout).toMatch(/^empathy_score\s+n\/a \(no values\)\s+0$/m);
  }, SLOW);

  test('bad command lines get a plain message and exit 1', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['replay', sessionId.slice(0, 8)], /choose the candidate prompt/],
      [['rescore'], /choose one of --session ID, --since DATE or --all/],
      [['rescore', '--since', 'last tuesday'], /--since must be a date like 2026-11-30/],
      [['bundle', 'ffffffff'], /I couldn't find a session "ffffffff"/],
      [['bundle', sessionId.slice(0, 8), '--format', 'pdf'], /--format must be md or json/],
      [['replay', sessionId.slice(0, 8), '--ref', 'no-such-ref'], /There is no commit "no-such-ref"/],
      [['calibrate', '--set', 'nope.json'], /calibration set .*nope\.json cannot be read \(ENOENT\)/],
      [['compare'], /choose --replay ID\.\.\., --group ID or --versions A B/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(base, ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, SLOW);
});
