/**
 * The retraining (JSONL) and review (JSON) exports of the prompt-capture log on each database kind:
 * their filters, paging, and the CLI run as a child process against a seeded database.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { connectDatabase, type Database, migrateToLatest, type NewNluPromptLog } from '../db';
import { InvalidExportOptionError, type RetrainingRecord, retrainingExport, reviewExport } from '../src/intent';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const DAY = 86_400_000;
const daysAgo = (d: number) => new Date(Date.now() - d * DAY);

/**
 * The seeded log, by prompt text. In the last 30 days unless "old".
 *   retraining (30 days): pto-a, overtime-b, corrected-a, same-time-1, same-time-2
 *   review (< 0.7, uncorrected, all time): hello-a 0.3, old-low-a 0.4, unsure-b 0.5
 */
async function seed(db: Kysely<Database>): Promise<void> {
  const recent = daysAgo(1);
  const row = (prompt: string, user: string, intent: string, confidence: number, source: 'rule' | 'classifier' | 'fallback', extra: Partial<NewNluPromptLog> = {}): NewNluPromptLog => ({
    user_id: user,
    prompt,
    predicted_intent: intent,
    confidence,
    source,
    created_at: recent,
    ...extra,
  });
  await db
    .insertInto('nlu_prompt_logs')
    .values([
      row('pto-a', 'aad-a', 'leave', 0.9, 'rule', { created_at: daysAgo(3) }),
      row('old-pto-a', 'aad-a', 'leave', 0.95, 'rule', { created_at: daysAgo(40) }),
      row('hello-a', 'aad-a', 'other', 0.3, 'fallback', { created_at: daysAgo(2) }),
      row('corrected-a', 'aad-a', 'termination', 0.65, 'rule', {
        corrected_intent: 'discipline',
        corrected_by: 'admin@northwind.example',
        corrected_at: recent,
        notes: 'a warning, not a firing',
      }),
      row('overtime-b', 'aad-b', 'pay', 0.9, 'rule'),
      row('unsure-b', 'aad-b', 'other', 0.5, 'classifier', { created_at: daysAgo(2) }),
      // At the retraining threshold (not above it) and at the review threshold (not below it): in neither.
      row('edge-a', 'aad-a', 'pay', 0.85, 'classifier'),
      row('edge-review-a', 'aad-a', 'pay', 0.7, 'classifier'),
      row('old-low-a', 'aad-a', 'conduct', 0.4, 'classifier', { created_at: daysAgo(40) }),
      // Same timestamp: paging must neither skip nor repeat either.
      row('same-time-1', 'aad-b', 'safety', 0.92, 'classifier', { created_at: daysAgo(5) }),
      row('same-time-2', 'aad-b', 'safety', 0.93, 'classifier', { created_at: daysAgo(5) }),
    ])
    .execute();
}

async function collect(records: AsyncIterable<RetrainingRecord>): Promise<RetrainingRecord[]> {
  const out: RetrainingRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const texts = (records: Array<{ text: string }>) => records.map((r) => r.text).sort();

describe.each(testDbKinds)('prompt exports on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await seed(t.db);
  });
  afterAll(async () => {
    await t.dispose();
  });

  test('retraining: corrected prompts and confident predictions in the window, oldest first', async () => {
    const records = await collect(retrainingExport(t.db, { days: 30 }));
    expect(records.map((r) => r.text)).toEqual(expect.arrayContaining(['same-time-1', 'same-time-2', 'pto-a']));
    expect(texts(records)).toEqual(['corrected-a', 'overtime-b', 'pto-a', 'same-time-1', 'same-time-2']);
    // Oldest first: the two 5-day-old rows, then the 3-day-old one.
    expect(records.slice(0, 3).map((r) => r.text).sort()).toEqual(['pto-a', 'same-time-1', 'same-time-2']);
    expect(records[2]?.text).toBe('pto-a');
    expect(records.find((r) => r.text === 'pto-a')).toEqual({ text: 'pto-a', label: 'leave', confidence: 0.9, source: 'rule', corrected: false });
    // A correction is the label, with certainty; the source says who made the original guess.
    expect(records.find((r) => r.text === 'corrected-a')).toEqual({ text: 'corrected-a', label: 'discipline', confidence: 1, source: 'rule', corrected: true });
    for (const r of records) expect(Object.keys(r).sort()).toEqual(['confidence', 'corrected', 'label', 'source', 'text']);
  });

  test('retraining: the window, the threshold and the tester filter', async () => {
    expect(texts(await collect(retrainingExport(t.db, { days: 60 })))).toContain('old-pto-a');
    expect(texts(await collect(retrainingExport(t.db, { days: 30, testerId: 'aad-a' })))).toEqual(['corrected-a', 'pto-a']);
    expect(texts(await collect(retrainingExport(t.db, { days: 30, highConfidence: 0.92 })))).toEqual(['corrected-a', 'same-time-2']);
    expect(texts(await collect(retrainingExport(t.db, { days: 30, highConfidence: 0.8 })))).toContain('edge-a');
    expect(await collect(retrainingExport(t.db, { days: 30, testerId: 'aad-nobody' }))).toEqual([]);
  });

  test('retraining: page by page gives the same records as one page', async () => {
    const whole = await collect(retrainingExport(t.db, { days: 60 }));
    const paged = await collect(retrainingExport(t.db, { days: 60, pageSize: 1 }));
    expect(paged).toEqual(whole);
    expect(whole).toHaveLength(6);
  });

  test('review: uncorrected predictions under the threshold, least confident first, with fields to fill in', async () => {
    const records = await reviewExport(t.db);
    expect(records.map((r) => r.text)).toEqual(['hello-a', 'old-low-a', 'unsure-b']);
    const first = records[0]!;
    expect(Object.keys(first).sort()).toEqual(['confidence', 'corrected_intent', 'created_at', 'id', 'notes', 'predicted_intent', 'source', 'text']);
    expect(first).toMatchObject({ text: 'hello-a', predicted_intent: 'other', confidence: 0.3, source: 'fallback', corrected_intent: null, notes: null });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(first.created_at).toISOString()).toBe(first.created_at);
  });

  test('review: the threshold, the window and the tester filter', async () => {
    expect((await reviewExport(t.db, { confidenceThreshold: 0.35 })).map((r) => r.text)).toEqual(['hello-a']);
    expect((await reviewExport(t.db, { confidenceThreshold: 0.71 })).map((r) => r.text)).toContain('edge-review-a');
    expect((await reviewExport(t.db, { days: 30 })).map((r) => r.text)).toEqual(['hello-a', 'unsure-b']);
    expect((await reviewExport(t.db, { testerId: 'aad-b' })).map((r) => r.text)).toEqual(['unsure-b']);
    // corrected-a (0.65) is below the threshold but already corrected.
    expect((await reviewExport(t.db)).map((r) => r.text)).not.toContain('corrected-a');
  });

  test('bad options are rejected before any query', async () => {
    expect(() => retrainingExport(t.db, { days: 0 })).toThrow(InvalidExportOptionError);
    expect(() => retrainingExport(t.db, { days: 1.5 })).toThrow(/whole number/);
    expect(() => retrainingExport(t.db, { days: 30, highConfidence: 1.2 })).toThrow(/highConfidence must be between 0 and 1/);
    await expect(reviewExport(t.db, { confidenceThreshold: -0.1 })).rejects.toThrow(InvalidExportOptionError);
    await expect(reviewExport(t.db, { days: -3 })).rejects.toThrow(InvalidExportOptionError);
  });

  describe('the export:prompts CLI', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'prompt-export-'));
      const base = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' };
      if (kind === 'postgres') {
        env = { ...base, DATABASE_URL: t.url };
        return;
      }
      // The CLI opens its own PGlite, so the seeded database must be on disk and closed.
      const dataDir = path.join(dir, 'pglite');
      const handle = await connectDatabase({ kind: 'pglite', dataDir });
      try {
        await migrateToLatest(handle.db);
        await seed(handle.db);
      } finally {
        await handle.close();
      }
      env = { ...base, DATABASE_URL: '', PGLITE_DATA_DIR: dataDir };
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    const cli = (...args: string[]) =>
      run(process.execPath, ['-r', '@swc-node/register', 'src/cli/export-prompts.ts', ...args], { cwd: ROOT, env, maxBuffer: 10 * 1024 * 1024 });

    test('--mode retraining writes JSONL to stdout and a summary to stderr', async () => {
      const { stdout, stderr } = await cli('--mode', 'retraining', '--days', '30');
      const lines = stdout.trimEnd().split('\n');
      const records = lines.map((l) => JSON.parse(l) as RetrainingRecord);
      expect(texts(records)).toEqual(['corrected-a', 'overtime-b', 'pto-a', 'same-time-1', 'same-time-2']);
      expect(records.find((r) => r.corrected)).toEqual({ text: 'corrected-a', label: 'discipline', confidence: 1, source: 'rule', corrected: true });
      expect(stderr).toMatch(/^export:prompts: 5 retraining records \(JSONL\) from .* to stdout\n$/);
    });

    test('--mode review writes a pretty JSON array to --out', async () => {
      const out = path.join(dir, 'review.json');
      const { stdout, stderr } = await cli('--mode', 'review', '--confidence-threshold', '0.7', '--tester', 'aad-a', '--out', out);
      expect(stdout).toBe('');
      expect(stderr).toContain(`export:prompts: 2 predictions to review (JSON) from`);
      expect(stderr).toContain(`to ${out}`);
      const text = readFileSync(out, 'utf8');
      expect(text.startsWith('[\n  {\n')).toBe(true);
      const records = JSON.parse(text) as Array<Record<string, unknown>>;
      expect(records.map((r) => r.text)).toEqual(['hello-a', 'old-low-a']);
      expect(records[0]).toMatchObject({ predicted_intent: 'other', confidence: 0.3, source: 'fallback', corrected_intent: null, notes: null });
    });

    test('bad values fail with exit code 1 and a message naming the option', async () => {
      const failure = (p: Promise<unknown>) =>
        p.then(
          () => {
            throw new Error('expected the CLI to fail');
          },
          (err: unknown) => err as { code?: number; stderr?: string },
        );
      const badDays = await failure(cli('--mode', 'retraining', '--days', 'thirty'));
      expect(badDays.code).toBe(1);
      expect(badDays.stderr).toMatch(/--days <n>.*whole number of days/);
      const badMode = await failure(cli('--mode', 'everything'));
      expect(badMode.code).toBe(1);
      expect(badMode.stderr).toMatch(/--mode <mode>.*Allowed choices are retraining, review/);
      const wrongPair = await failure(cli('--mode', 'review', '--high-confidence', '0.9'));
      expect(wrongPair.code).toBe(1);
      expect(wrongPair.stderr).toMatch(/--high-confidence applies to --mode retraining/);
    });
  });
});
