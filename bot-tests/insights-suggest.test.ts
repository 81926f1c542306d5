/**
 * /suggest below the bot: edits applied only when their find text occurs exactly once (else refused
 * with the reason), the annotated unified diff checked with a real `git apply --check`, the whole
 * service through the real SDK and the fake suggester (call logged as 'suggestion' with its io), the
 * offline digest, and every bad case stored as a failed suggestion with a clear reason.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPromptSource } from '../src/era';
import {
  annotatedPatch, applyEdits, DIGEST_LABEL, getSuggestion, suggestForSession, type SuggestDeps, suggestionPatchFile, SUGGEST_OUTPUT_SCHEMA,
} from '../src/insights';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { ACKNOWLEDGE_RULE } from './helpers/fake-insights';
import { fakeClient, recordingCallLog, seedSession } from './helpers/insights-fixtures';
import { createPromptRepo, type PromptRepo, SHIPPED_PROMPT } from './helpers/prompt-repo';

const BASE = 'line one\nline two\nline three\nrepeated\nrepeated\nlast line\n';
const edit = (find: string, replace: string, note_ids = ['n1']) => ({ find, replace, note_ids, rationale: `because ${find}` });

describe('applying edits', () => {
  it('applies an edit whose find occurs exactly once, and refuses the others with their reason', () => {
    const r = applyEdits(BASE, [
      edit('line two', 'line 2'),
      edit('repeated', 'x'),
      edit('absent', 'x'),
      edit('', 'x'),
      edit('last line', 'last line'),
      edit('ne tw', 'overlapping'),
      edit('line three', 'line 3', ['n9']),
    ], new Set(['n1']));
    expect(r.text).toBe('line one\nline 2\nline three\nrepeated\nrepeated\nlast line\n');
    expect(r.accepted.map((e) => e.find)).toEqual(['line two']);
    expect(r.refused.map((x) => x.reason)).toEqual([
      'its find text occurs 2 times in the prompt, not exactly once',
      'its find text does not occur in the prompt',
      'its find text is empty',
      'it changes nothing (find and replace are the same)',
      'it overlaps an earlier edit',
      'it names notes that are not this session\'s improvement notes (n9)',
    ]);
  });

  it('takes positions in the original text, whatever the order of the edits', () => {
    const r = applyEdits(BASE, [edit('last line', 'END'), edit('line one', 'START')], new Set(['n1']));
    expect(r.text).toBe('START\nline two\nline three\nrepeated\nrepeated\nEND\n');
  });

  it('asks for structured output in the strict subset', () => {
    expect(transformJSONSchema(SUGGEST_OUTPUT_SCHEMA)).toEqual(SUGGEST_OUTPUT_SCHEMA);
  });
});

describe('the annotated patch', () => {
  let repo: PromptRepo;
  beforeAll(() => {
    repo = createPromptRepo();
  });
  afterAll(() => { repo.dispose(); });

  it('applies with git apply from the repository root, each hunk naming the notes its edits answer', () => {
    const base = readFileSync(SHIPPED_PROMPT, 'utf8');
    const edits = [
      edit('Warm, direct and calm. Write the way a trusted, experienced ER partner talks to a manager they\n', `Warm, direct and calm. ${ACKNOWLEDGE_RULE} Write the way a trusted, experienced ER partner talks to a manager they\n`, ['id-tone']),
      edit('- Keep answers under about 250 words', '- Keep answers under about 200 words', ['id-clarity']),
    ];
    const applied = applyEdits(base, edits, new Set(['id-tone', 'id-clarity']));
    expect(applied.refused).toEqual([]);
    const patch = annotatedPatch(base, applied.text, applied.accepted, 'examples/era/MASTER_PROMPT.md', (id) => (id === 'id-tone' ? 'N1 (tone)' : 'N2 (clarity)'));
    expect(patch).not.toBeNull();
    const headers = (patch ?? '').split('\n').filter((l) => l.startsWith('@@'));
    expect(headers).toEqual([expect.stringMatching(/^@@ -\d+,\d+ \+\d+,\d+ @@ answers N1 \(tone\)$/), expect.stringMatching(/@@ answers N2 \(clarity\)$/)]);
    const file = path.join(repo.dir, 'suggestion.patch');
    writeFileSync(file, `# a commented header git apply skips\n\n${patch ?? ''}\n`);
    expect(() => repo.git('apply', '--check', file)).not.toThrow();
    repo.git('apply', file);
    expect(readFileSync(repo.promptPath, 'utf8')).toBe(applied.text);
  });

  it('is null when nothing changes', () => {
    expect(annotatedPatch(BASE, BASE, [], 'p.md', (id) => id)).toBeNull();
  });
});

describe.each(testDbKinds)('suggestions (%s)', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  let repo: PromptRepo;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    fake = await startFakeAnthropic();
    repo = createPromptRepo();
  });
  afterAll(async () => {
    repo.dispose();
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => { fake.reset(); });

  const deps = (online = true): SuggestDeps & { calls: ReturnType<typeof recordingCallLog> } => {
    const { logger } = capturingLogger();
    const calls = recordingCallLog(t.db, logger);
    return { db: t.db, client: online ? fakeClient(fake.baseURL) : null, model: 'claude-sonnet-5-5', prompt: createPromptSource(repo.promptPath), callLog: calls, logger, calls };
  };
  const session = (tester: string) => seedSession(t.db, tester, [
    { user: 'She no-showed twice. Can I fire her?', answer: 'Per policy, yes.', notes: [{ text: 'Too cold; acknowledge the situation first', category: 'tone' }, { text: 'Should ask about medical reasons', category: 'content' }] },
    { user: 'What about her final pay?', answer: 'Contact payroll.', notes: [{ text: 'Good response, no changes needed', source: 'looks_good' }] },
    { user: 'Thanks', answer: 'Anytime.', notes: [{ text: 'Thumbs up', source: 'feedback_loop', reaction: 'like' }, { text: 'Sounds robotic', category: 'tone' }] },
  ]);

  it('stores a ready suggestion: edits naming the notes they answer, a patch git applies, the call logged with its io', async () => {
    const { session: s } = await session('aad-sg-1');
    const d = deps();
    const row = await suggestForSession(d, s.id, { requestedBy: 'aad-sg-1' });
    expect(row).toMatchObject({ status: 'ready', mode: 'claude', requested_by: 'aad-sg-1', error: null, request_id: expect.stringMatching(/^req_fake_/) });
    const notes = await t.db.selectFrom('tuning_improvements').select(['id', 'category']).where('category', '=', 'tone').where('turn_id', 'in', (await t.db.selectFrom('tuning_conversation_turns').select('id').where('session_id', '=', s.id).execute()).map((x) => x.id)).orderBy('timestamp').execute();
    expect(row.edits.items).toHaveLength(1);
    expect(row.edits.items[0]?.note_ids).toEqual(notes.map((n) => n.id));
    expect(row.edits.items[0]?.replace).toContain(ACKNOWLEDGE_RULE);
    // The suggester was shown the prompt, every note with its label, and no positive note as a target.
    const body = fake.messageRequests()[0]?.body as { messages: Array<{ content: string }> };
    expect(body.messages[0]?.content).toContain('<current_prompt>\n# ERA — Employee Relations Assistant');
    expect(body.messages[0]?.content).toContain('[N1] turn 1 · tone: Too cold; acknowledge the situation first');
    expect(body.messages[0]?.content).toContain('[N3] turn 2 · positive: Good response, no changes needed');
    const file = suggestionPatchFile(row);
    expect(file.fileName).toBe(`suggestion-${row.id.slice(0, 8)}.patch`);
    expect(file.text).toMatch(/^# Suggested by Tuning Bot: suggestion/);
    expect(file.text).toMatch(/\n@@ -\d+,\d+ \+\d+,\d+ @@ answers N1 \(tone\), N5 \(tone\)\n/);
    const patchFile = path.join(repo.dir, 'from-service.patch');
    writeFileSync(patchFile, file.text);
    expect(execFileSync('git', ['apply', '--check', '--verbose', patchFile], { cwd: repo.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })).toBeDefined();
    expect(d.calls.entries).toHaveLength(1);
    expect(d.calls.entries[0]).toMatchObject({ purpose: 'suggestion', status: 'ok', sessionId: s.id, io: { request: { outputSchema: SUGGEST_OUTPUT_SCHEMA }, output: { structured: { edits: expect.any(Array) } } } });
    expect((await getSuggestion(t.db, row.id.slice(0, 8))).id).toBe(row.id);
  });

  it('offline: a labelled digest of the notes by category and turn, no diff', async () => {
    const { session: s } = await session('aad-sg-2');
    const row = await suggestForSession(deps(false), s.id);
    expect(row).toMatchObject({ status: 'ready', mode: 'offline_digest', patch: null, model: null });
    expect(row.digest?.split('\n')[0]).toBe(DIGEST_LABEL);
    expect(row.digest).toContain('**tone** (2)\n- turn 1 [N1]: Too cold; acknowledge the situation first\n- turn 3 [N5]: Sounds robotic');
    expect(row.digest).toContain('**content** (1)');
    expect(row.digest).not.toContain('Good response');
    expect(fake.requests).toHaveLength(0);
    expect(() => suggestionPatchFile(row)).toThrow(/offline digest/);
  });

  it('refuses a session with no improvement notes, or no turns, with a clear message', async () => {
    const { session: liked } = await seedSession(t.db, 'aad-sg-3', [{ user: 'q', answer: 'a', notes: [{ text: 'Good response, no changes needed', source: 'looks_good' }] }]);
    await expect(suggestForSession(deps(), liked.id)).rejects.toThrow(/has no improvement notes/);
    const { session: empty } = await seedSession(t.db, 'aad-sg-4', []);
    await expect(suggestForSession(deps(), empty.id)).rejects.toThrow(/has no turns yet/);
    await expect(suggestForSession(deps(), '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/session not found/);
    expect(await t.db.selectFrom('prompt_suggestions').select('id').where('session_id', 'in', [liked.id, empty.id]).execute()).toEqual([]);
  });

  it('a bad edit from Claude is refused with its reason while the good one is applied', async () => {
    const { session: s } = await session('aad-sg-5');
    fake.enqueue({ text: JSON.stringify({ summary: 'two edits', edits: [
      { find: '## Tone', replace: '## Tone and warmth', note_ids: ['N1'], rationale: 'ok' },
      { find: 'ER', replace: 'Employee Relations', note_ids: ['N2'], rationale: 'everywhere' },
      { find: 'Warm, direct and calm.', replace: 'Warm and calm.', note_ids: ['N3'], rationale: 'a positive note' },
    ] }) });
    const row = await suggestForSession(deps(), s.id);
    expect(row.status).toBe('ready');
    expect(row.edits.items.map((e) => e.find)).toEqual(['## Tone']);
    expect(row.refused.items.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^its find text occurs \d+ times in the prompt, not exactly once$/),
      expect.stringMatching(/names notes that are not this session's improvement notes \(N3\)/),
    ]);
    expect(suggestionPatchFile(row).text).toMatch(/# Refused edit \(its find text occurs/);
  });

  it('an unusable answer or an API failure is a failed suggestion with the reason', async () => {
    const { session: s } = await session('aad-sg-6');
    fake.enqueue({ text: '{"summary": 3}' });
    const invalid = await suggestForSession(deps(), s.id);
    expect(invalid).toMatchObject({ status: 'failed', error: expect.stringMatching(/does not match the schema: summary/) });
    fake.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
    const down = await suggestForSession(deps(), s.id);
    expect(down).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Claude could not be reached for a suggestion/) });
    expect(() => suggestionPatchFile(down)).toThrow(/has no patch/);
  });

  it('a suggestion whose prompt changed before it was produced fails, saying so', async () => {
    const { session: s } = await session('aad-sg-7');
    const d = deps();
    const { createSuggestion, produceSuggestion } = await import('../src/insights');
    const pending = await createSuggestion(d, s.id, null);
    const original = readFileSync(repo.promptPath, 'utf8');
    writeFileSync(repo.promptPath, `${original}\nextra line\n`);
    try {
      const row = await produceSuggestion(d, pending.id);
      expect(row).toMatchObject({ status: 'failed', error: expect.stringMatching(/prompt file changed/) });
    } finally {
      writeFileSync(repo.promptPath, original);
    }
  });

  it('a pending suggestion whose process died is produced by resumeSuggestions once its lease expires, and only then', async () => {
    const { session: s } = await session('aad-sg-8');
    const d = deps();
    const { createSuggestion, resumeSuggestions } = await import('../src/insights');
    const pending = await createSuggestion(d, s.id, null);
    expect(await resumeSuggestions(d)).toBe(0); // its lease is still live: another process may be on it
    await t.db.updateTable('prompt_suggestions').set({ lease_expires_at: new Date(Date.now() - 1000) }).where('id', '=', pending.id).execute();
    expect(await resumeSuggestions(d)).toBe(1);
    expect((await getSuggestion(t.db, pending.id)).status).toBe('ready');
    expect(await resumeSuggestions(d)).toBe(0);
    expect(fake.messageRequests()).toHaveLength(1);
  });
});
