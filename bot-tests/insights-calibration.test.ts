/**
 * The calibration statistics on inputs whose answers are known (perfect, inverse, all tied, random,
 * a small hand-computed case), the labels read from notes, the shipped calibration set (valid; loaded
 * and labelled; judged by the fake judge through the real SDK), and bad set files refused plainly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  calibrationReport, type CalibrationItem, cohenKappa, createJudge, loadCalibrationItems, loadCalibrationSet, readCalibrationSet, rescoreTurns, rocAuc,
} from '../src/insights';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { fakeClient, recordingCallLog, seedSession } from './helpers/insights-fixtures';
import { RUBRIC } from './helpers/insights-world';

const SET = path.resolve(__dirname, '../examples/era/calibration/calibration-set.json');

describe('ROC AUC and kappa on known inputs', () => {
  it('perfect separation is 1, inverse is 0, all tied is 0.5', () => {
    expect(rocAuc([4, 5, 5], [1, 2, 3])).toBe(1);
    expect(rocAuc([1, 2], [4, 5, 5])).toBe(0);
    expect(rocAuc([3, 3, 3], [3, 3])).toBe(0.5);
  });
  it('matches a hand count with ties: good {3, 4}, flagged {2, 3, 4}', () => {
    // Pairs: 3>2 ✓, 3=3 ½, 3<4 ✗, 4>2 ✓, 4>3 ✓, 4=4 ½ → 4 / 6.
    expect(rocAuc([3, 4], [2, 3, 4])).toBeCloseTo(4 / 6, 12);
  });
  it('random scores come out near 0.5', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const draw = (n: number) => Array.from({ length: n }, () => 1 + Math.floor(rand() * 5));
    const auc = rocAuc(draw(2000), draw(2000));
    expect(auc).not.toBeNull();
    expect(Math.abs((auc ?? 0) - 0.5)).toBeLessThan(0.03);
  });
  it('is undefined without both classes', () => {
    expect(rocAuc([], [1])).toBeNull();
    expect(rocAuc([1], [])).toBeNull();
  });
  it('kappa: 1 for full agreement, 0 at chance, negative when opposed, null when undefined', () => {
    expect(cohenKappa([[true, true], [false, false], [true, true], [false, false]])).toBe(1);
    expect(cohenKappa([[true, true], [true, false], [false, true], [false, false]])).toBe(0);
    expect(cohenKappa([[true, false], [false, true]])).toBe(-1);
    expect(cohenKappa([[true, true], [true, true]])).toBeNull();
    expect(cohenKappa([])).toBeNull();
  });
});

describe('the report', () => {
  const item = (label: 'good' | 'flagged', categories: string[], s: Partial<CalibrationItem['scores']>): CalibrationItem => ({
    label, categories,
    scores: { has_policy_citation: null, appropriate_action_suggested: null, structure_complete: null, professionalism_score: null, empathy_score: null, clarity_score: null, ...s },
  });
  it('computes AUC per score and agreement per category as defined', () => {
    const r = calibrationReport([
      item('good', [], { empathy_score: 5, professionalism_score: 5, clarity_score: 4, has_policy_citation: true }),
      item('good', [], { empathy_score: 4, professionalism_score: 5, clarity_score: 5, has_policy_citation: true }),
      item('flagged', ['tone'], { empathy_score: 2, professionalism_score: 4, clarity_score: 5, has_policy_citation: true }),
      item('flagged', ['citation'], { empathy_score: 4, professionalism_score: 5, clarity_score: 4, has_policy_citation: false }),
    ]);
    expect(r).toMatchObject({ good: 2, flagged: 2 });
    expect(r.auc.find((a) => a.score === 'empathy_score')).toEqual({ score: 'empathy_score', auc: 0.875, n: 4 }); // 5>2, 5>4, 4>2, 4=4: 3.5 / 4
    expect(r.auc.find((a) => a.score === 'has_policy_citation')).toEqual({ score: 'has_policy_citation', auc: 0.75, n: 4 });
    expect(r.auc.find((a) => a.score === 'structure_complete')).toEqual({ score: 'structure_complete', auc: null, n: 0 });
    // Tone: the two good replies and the tone-flagged one; min(prof, emp) ≤ 3 flags only the latter.
    expect(r.categories.find((c) => c.category === 'tone')).toEqual({ category: 'tone', metric: 'professionalism or empathy ≤ 3', n: 3, flaggedByTesters: 1, agreement: 1, kappa: 1, recall: 1, specificity: 1 });
    expect(r.categories.find((c) => c.category === 'clarity')).toMatchObject({ n: 2, flaggedByTesters: 0, recall: null, specificity: 1 });
  });
});

describe('calibration set files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calib-'));
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
  const write = (name: string, content: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  it('the shipped set is valid: 24 items, 8 good', async () => {
    const set = await readCalibrationSet(SET);
    expect(set.items).toHaveLength(24);
    expect(set.items.filter((i) => i.label === 'good')).toHaveLength(8);
  });
  it('refuses bad JSON, a wrong shape, a duplicate id, and a label its notes contradict', async () => {
    await expect(readCalibrationSet(write('a.json', '{'))).rejects.toThrow(/is not valid JSON/);
    await expect(readCalibrationSet(write('b.json', '{"version": 1, "description": "", "items": []}'))).rejects.toThrow(/not in the expected shape: items/);
    const item = { id: 'x', question: 'q', answer: 'a', label: 'good', flaw: null, notes: [{ category: 'tone', text: 'cold', source: 'card' }] };
    await expect(readCalibrationSet(write('c.json', JSON.stringify({ version: 1, description: '', items: [item] })))).rejects.toThrow(/labelled good but its notes say flagged/);
    const ok = { ...item, label: 'flagged' };
    await expect(readCalibrationSet(write('d.json', JSON.stringify({ version: 1, description: '', items: [ok, ok] })))).rejects.toThrow(/two items with id x/);
  });
});

describe.each(testDbKinds)('calibration data (%s)', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake.close();
    await t.dispose();
  });

  it('labels replies by their notes, leaving out mixed and unnoted ones', async () => {
    const { session } = await seedSession(t.db, 'aad-cal-1', [
      { user: 'a', answer: 'a', notes: [{ text: 'Good response, no changes needed', source: 'looks_good' }] },
      { user: 'b', answer: 'b', notes: [{ text: 'Thumbs up', source: 'feedback_loop', reaction: 'like' }] },
      { user: 'c', answer: 'c', notes: [{ text: 'Thumbs down: cold', source: 'feedback_loop', reaction: 'dislike' }, { text: 'Too long', category: 'clarity' }] },
      { user: 'd', answer: 'd', notes: [{ text: 'Good response, no changes needed', source: 'looks_good' }, { text: 'but cite', category: 'citation' }] },
      { user: 'e', answer: 'e' },
    ]);
    const items = await loadCalibrationItems(t.db, { sessionIds: [session.id] });
    expect(items.map((i) => [i.label, i.categories])).toEqual([['good', []], ['good', []], ['flagged', ['clarity']]]);
  });

  it('loads the shipped set and judges it with the configured judge (the fake, through the real SDK)', async () => {
    const set = await readCalibrationSet(SET);
    const ids = await loadCalibrationSet(t.db, set, null);
    expect(ids).toHaveLength(24);
    const { logger } = capturingLogger();
    const calls = recordingCallLog(t.db, logger);
    const judge = createJudge({ db: t.db, client: fakeClient(fake.baseURL), model: 'claude-haiku-5-5', rubricPath: RUBRIC, callLog: calls, logger });
    const r = await rescoreTurns({ db: t.db, judge, logger, client: null, callLog: calls, pollMs: 0 }, { sessionIds: ids }, { concurrency: 4 });
    expect(r).toMatchObject({ selected: 24, judged: 24, failed: 0 });
    const report = calibrationReport(await loadCalibrationItems(t.db, { sessionIds: ids }));
    expect(report).toMatchObject({ good: 8, flagged: 16 });
    for (const a of report.auc) expect(a).toMatchObject({ n: 24, auc: expect.any(Number) });
  });
});
