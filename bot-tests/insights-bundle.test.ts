/**
 * The LLM-ready bundle: the prompt as it was at the session's version (from git), every turn with its
 * sources, metrics, judge scores or the reason there are none, and its notes; Markdown and JSON; no
 * tester identity.
 */
import { readFileSync } from 'node:fs';
import { backfillMetrics, buildBundle, storeJudgement } from '../src/insights';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { seedSession } from './helpers/insights-fixtures';
import { createPromptRepo, type PromptRepo } from './helpers/prompt-repo';

describe.each(testDbKinds)('the bundle (%s)', (kind) => {
  let t: TestDatabase;
  let repo: PromptRepo;
  let firstCommit: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    repo = createPromptRepo();
    firstCommit = repo.git('rev-parse', 'HEAD').trim();
    repo.commitPrompt(`${readFileSync(repo.promptPath, 'utf8')}\nA later rule.\n`);
  });
  afterAll(async () => {
    repo.dispose();
    await t.dispose();
  });

  const seed = async () => {
    const s = await seedSession(t.db, 'aad-bundle', [
      { user: 'She no-showed. Can I fire her?', answer: 'That is tough.\n\n1. Document it [1].\n2. Contact ER.', passages: ['c-att-1', 'c-att-2'], notes: [{ text: 'Ask about medical reasons', category: 'content' }, { text: 'Good response, no changes needed', source: 'looks_good' }] },
      { user: 'Final pay?', answer: 'Ask payroll.' },
      { user: 'Thanks', answer: 'Anytime.' },
    ], { version: firstCommit.slice(0, 7) });
    await backfillMetrics(t.db, { sessionIds: [s.session.id] });
    await storeJudgement(t.db, { turnId: s.turns[0]!.id, rubricVersion: 'era-judge-2026-12-02', judgeModel: 'claude-haiku-5-5', scores: { professionalism: 5, empathy: 4, clarity: 5 }, rationale: { empathy: 'warm' } });
    await storeJudgement(t.db, { turnId: s.turns[1]!.id, rubricVersion: 'era-judge-2026-12-02', judgeModel: 'claude-haiku-5-5', scores: null, error: 'overloaded_error: Overloaded' });
    return s;
  };

  it('JSON: the prompt at the session\'s commit, each turn with sources, metrics, scores or why not, notes', async () => {
    const { session } = await seed();
    const bundle = await buildBundle(t.db, session.id, { format: 'json', promptPath: repo.promptPath, judgeMode: 'claude' });
    expect(bundle.fileName).toBe(`session-${session.id.slice(0, 8)}-bundle.json`);
    const json = JSON.parse(bundle.text) as { prompt: { version: string; text: string; note: string | null }; turns: Array<Record<string, unknown>>; session: Record<string, unknown> };
    expect(json.prompt).toMatchObject({ version: firstCommit.slice(0, 7), note: null });
    expect(json.prompt.text).not.toContain('A later rule.');
    expect(json.prompt.text).toMatch(/^# ERA — Employee Relations Assistant/);
    expect(json.turns.map((x) => x.judge_status)).toEqual(['scored', 'judge failed: overloaded_error: Overloaded', 'not judged yet']);
    expect(json.turns[0]).toMatchObject({
      sources: [{ n: 1, chunk_id: 'c-att-1' }, { n: 2, chunk_id: 'c-att-2' }],
      metrics: { has_policy_citation: true, appropriate_action_suggested: true, structure_complete: true },
      judge: { professionalism: 5, empathy: 4, clarity: 5, rubric_version: 'era-judge-2026-12-02', rationale: { empathy: 'warm' } },
      notes: [{ label: 'N1', category: 'content', kind: 'improvement' }, { label: 'N2', kind: 'positive' }],
    });
    expect(bundle.text).not.toContain('aad-bundle');
  });

  it('Markdown: readable, and "judge offline" where the judge never ran', async () => {
    const { session } = await seed();
    const bundle = await buildBundle(t.db, session.id, { format: 'markdown', promptPath: repo.promptPath, judgeMode: 'offline' });
    expect(bundle.contentType).toMatch(/^text\/markdown/);
    expect(bundle.text).toContain(`- Prompt version: ${firstCommit.slice(0, 7)}\n`);
    expect(bundle.text).toContain('## The prompt\n\n~~~~markdown\n# ERA');
    expect(bundle.text).toContain('**Judge (era-judge-2026-12-02):** professionalism 5 · empathy 4 · clarity 5');
    expect(bundle.text).toContain('## Turn 3');
    expect(bundle.text.split('## Turn 3')[1]).toContain('**Judge:** judge offline');
    expect(bundle.text).toContain('- [1] Policy c-att-1 (similarity 0.50): Text of c-att-1.');
    expect(bundle.text).toContain('- N1 · content: Ask about medical reasons');
  });

  it('says so when the session\'s prompt version cannot be read, and gives the current prompt', async () => {
    const s = await seedSession(t.db, 'aad-bundle-2', [{ user: 'q', answer: 'a' }], { version: 'sha256:000000000000' });
    const json = JSON.parse((await buildBundle(t.db, s.session.id, { format: 'json', promptPath: repo.promptPath, judgeMode: 'claude' })).text) as { prompt: { note: string; text: string } };
    expect(json.prompt.note).toMatch(/could not be read; this is the current prompt/);
    expect(json.prompt.text).toContain('A later rule.');
    await expect(buildBundle(t.db, '00000000-0000-4000-8000-000000000000', { format: 'json', promptPath: repo.promptPath, judgeMode: 'claude' })).rejects.toThrow(/session not found/);
  });
});
