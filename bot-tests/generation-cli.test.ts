/**
 * `npm run gen -- run | status | pause | resume | cancel` as child processes on a PGlite data dir on
 * disk (one process at a time: PGlite takes the directory for itself). Claude is the loopback fake
 * answering each generation request with a valid annotated conversation built from the shipped seed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectDatabase, type DatabaseHandle } from '../db';
import { createJob } from '../src/generation';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { generatedAnswer } from './helpers/generated-answer';

const ROOT = path.resolve(__dirname, '..');
// Each CLI child starts node + swc + PGlite (a few seconds); a test runs up to a dozen of them.
const SLOW = 240_000;
const EXAMPLES = path.resolve(ROOT, 'examples/financial-planning');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the gen CLI: run, status, pause, resume, cancel (pglite on disk)', () => {
  let dir: string;
  let dataDir: string;
  let fake: FakeAnthropic;
  let base: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gen-cli-'));
    dataDir = path.join(dir, 'pglite');
    fake = await startFakeAnthropic();
    fake.reply((body) => {
      const prompt = JSON.stringify(body.messages);
      const m = /Conversation id: (\w+) \(number (\d+)\)[\s\S]*?Turns: exactly (\d+)/.exec(prompt);
      if (!m) return 'not a generation request';
      return { text: generatedAnswer(m[1]!, Number(m[2]), Number(m[3])), usage: { input_tokens: 6000, output_tokens: 4000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } };
    });
    // Empty, not absent: a developer's .env (loaded by the CLI) must not fill them in.
    base = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', DATABASE_URL: '', PGLITE_DATA_DIR: dataDir, ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' };
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI (never rejects: the exit code is part of the result). */
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    new Promise<CliResult>((resolve) => {
      execFile(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/cli/gen.ts'), ...args], { cwd: ROOT, env, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  const withClaude = () => ({ ...base, ANTHROPIC_API_KEY: 'sk-test', ANTHROPIC_BASE_URL: fake.baseURL });

  /** Opens the data dir in this process; always closed before the next child starts. */
  async function withDb<T>(fn: (h: DatabaseHandle) => Promise<T>): Promise<T> {
    const h = await connectDatabase({ kind: 'pglite', dataDir });
    try {
      return await fn(h);
    } finally {
      await h.close();
    }
  }
  const jobCount = () => withDb(async (h) => (await h.db.selectFrom('generation_jobs').select('id').execute()).length);

  test('plan import, then run 11-13: exit 0, three generated conversations, status shows the job completed', async () => {
    const imported = await cli(base, 'plan', 'import', path.join(EXAMPLES, 'plan.json'));
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/conversations: 100 added/);

    const run = await cli(withClaude(), 'run', '11-13');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const id = /^job ([0-9a-f-]{36}): 3 conversation\(s\), batch$/m.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    // Not a TTY: one progress line per change, ending at 3/3.
    expect(run.stdout).toMatch(/^\[3\/3\] done 3, failed 0, pending 0/m);
    expect(run.stdout).toMatch(new RegExp(`^job ${id}: completed - 3 generated, 0 failed`, 'm'));
    expect(fake.messageRequests()).toHaveLength(3);

    const rows = await withDb((h) =>
      h.db.selectFrom('training_conversations').select(['conversation_number', 'generation_status']).where('conversation_number', 'in', [11, 12, 13]).orderBy('conversation_number').execute(),
    );
    expect(rows).toEqual([11, 12, 13].map((n) => ({ conversation_number: n, generation_status: 'generated' })));

    const status = await cli(base, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id!.slice(0, 8)}\\s+batch\\s+completed\\s+3\\s+0\\s+3\\s`, 'm'));
    const one = await cli(base, 'status', id!.slice(0, 8));
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('status: completed');
    expect(one.stdout).toContain('done 3 / failed 0 / pending 0 / cancelled 0 of 3');

    // Already generated: nothing to do, and no job is created for it.
    const again = await cli(withClaude(), 'run', '12');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: nothing to generate for "12".*12 \(generated\)/);
  }, SLOW);

  test('run without ANTHROPIC_API_KEY refuses at once and creates no job', async () => {
    const before = await jobCount();
    const r = await cli(base, 'run', '14');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: generation needs Claude: set ANTHROPIC_API_KEY');
    expect(await jobCount()).toBe(before);
  }, SLOW);

  test('bad targets and options exit 1 with one clear line and no job', async () => {
    const before = await jobCount();
    const cases: Array<[string[], RegExp]> = [
      [['run', 'twelve'], /^error: "twelve" is not a target/],
      [['run', '13-11'], /^error: 13-11 is backwards/],
      [['run', '9999'], /^error: no training conversation number 9999/],
      [['run', '--filter', 'colour=red'], /^error: bad --filter: unknown filter "colour"/],
      [['run', '14', '--concurrency', '0'], /^error: --concurrency must be a whole number >= 1/],
      [['run'], /^error: say what to generate/],
      [['run', '--job', 'deadbeef'], /^error: no generation job deadbeef/],
      [['run', '14', '--batch', '--concurrency', '2'], /^error: --concurrency and --min-gap-ms do not apply to --batch/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(withClaude(), ...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fake.messageRequests()).toHaveLength(3);
    expect(await jobCount()).toBe(before);
  }, SLOW);

  test('run --batch: Ctrl-C while the batch runs leaves it at Anthropic; run --job polls it and sends nothing again', async () => {
    fake.batchOptions({ pollsBeforeEnd: 1000 });
    // A 10-minute poll: Ctrl-C must end the wait at once, not when the poll timer fires.
    const env = { ...withClaude(), GENERATION_BATCH_POLL_SECONDS: '600' };
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src/cli/gen.ts'), 'run', '16-17', '--batch'], { cwd: ROOT, env });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { resolve(code); }));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/batch: msgbatch_\w+ in_progress, 0 of 2 answered/.test(stdout)) resolve();
      });
      child.on('exit', () => { reject(new Error(`the CLI exited before the batch was polling:\n${stdout}`)); });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(2);
    const id = /^job ([0-9a-f-]{36}): 2 conversation\(s\), batch, through the Message Batches API/m.exec(stdout)?.[1];
    expect(id).toBeDefined();
    expect(stdout).toMatch(new RegExp(`interrupted; continue with: npm run gen -- run --job ${id}`));
    expect(fake.batchCreateRequests()).toHaveLength(1);
    const batchId = fake.batches().at(-1)!.id;
    expect((await cli(base, 'status', id!)).stdout).toMatch(new RegExp(`batch: ${batchId} in_progress, 0 of 2 answered`));
    expect((await cli(base, 'status')).stdout).toMatch(new RegExp(`^${id!.slice(0, 8)}\\s+batch\\s+in_progress\\s.*\\sbatch$`, 'm'));

    fake.endBatch(batchId);
    const resumed = await cli(env, 'run', '--job', id!);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^job ${id}: completed - 2 generated, 0 failed`, 'm'));
    expect(fake.batchCreateRequests()).toHaveLength(1);
    const rows = await withDb((h) => h.db.selectFrom('training_conversations').select(['generation_status', 'generation_method']).where('conversation_number', 'in', [16, 17]).execute());
    expect(rows).toEqual([{ generation_status: 'generated', generation_method: 'claude_batch_api' }, { generation_status: 'generated', generation_method: 'claude_batch_api' }]);
  }, SLOW);

  test('pause, resume and cancel a queued job created directly', async () => {
    const jobId = await withDb(async (h) => {
      const ids = await h.db.selectFrom('training_conversations').select('id').where('conversation_number', 'in', [20, 21]).execute();
      return (await createJob(h.db, { type: 'batch', conversationIds: ids.map((r) => r.id), createdBy: '00000000-0000-4000-8000-000000000000' })).id;
    });
    const short = jobId.slice(0, 8);

    const paused = await cli(base, 'pause', short);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(`job ${short}: queued -> paused`);
    expect((await cli(base, 'status', jobId)).stdout).toContain('status: paused');
    expect((await cli(base, 'status')).stdout).toMatch(new RegExp(`^${short}\\s+batch\\s+paused\\s`, 'm'));

    // A paused job does not run: exit 2 and nothing sent to Claude.
    const blocked = await cli(withClaude(), 'run', '--job', short);
    expect(blocked.code).toBe(2);
    expect(blocked.stdout).toMatch(/paused.*resume with: npm run gen -- resume/);
    expect(fake.messageRequests()).toHaveLength(3);

    const resumed = await cli(base, 'resume', short, '--cost-ceiling', 'none');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`job ${short}: paused -> queued`);
    expect(resumed.stdout).toContain(`npm run gen -- run --job ${jobId}`);

    const cancelled = await cli(base, 'cancel', short);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`job ${short}: queued -> cancelled`);
    expect((await cli(base, 'status', short)).stdout).toContain('done 0 / failed 0 / pending 0 / cancelled 2 of 2');
    expect((await cli(base, 'status')).stdout).toMatch(new RegExp(`^${short}\\s+batch\\s+cancelled\\s`, 'm'));

    // Finished jobs cannot be paused; a cancelled one does not run.
    const late = await cli(base, 'pause', short);
    expect(late.code).toBe(1);
    expect(late.stderr.trim()).toBe(`error: job ${short} is cancelled; only a queued or running job can be paused`);
    const dead = await cli(withClaude(), 'run', '--job', jobId);
    expect(dead.code).toBe(2);
    expect(fake.messageRequests()).toHaveLength(3);
  }, SLOW);
});
