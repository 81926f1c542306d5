/**
 * Replays below the bot, on both databases, through the real SDK against the loopback fake: candidates
 * (git ref, file, suggestion) and their versions; a session replayed in order with its own history and
 * fresh retrieval; scored and compared; resumed after a stop without repeating a turn; cancelled; failed
 * and retried; offline; never touching a tester's open session.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureOpenSession } from '../src/tuning';
import {
  CandidateError, cancelReplay, compareReplays, createReplays, resolveCandidate, retryReplay, runReplay, sessionsWithNotesSince, suggestForSession,
} from '../src/insights';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { ACKNOWLEDGE_RULE, ACKNOWLEDGEMENT } from './helpers/fake-insights';
import { seedSession } from './helpers/insights-fixtures';
import { world, withKnowledge } from './helpers/insights-world';
import { createPromptRepo, type PromptRepo } from './helpers/prompt-repo';
import type { Kysely } from 'kysely';
import type { Database, PromptReplay, Turn } from '../db';
import { prepareTurn, type ReplayRetriever } from '../src/insights/replay-turn';

const COLD = (topic: string) => `Per the ${topic} policy [1], record it.\n\n1. Record it in the log.\n2. Contact ER before any decision.`;
const TURNS = [
  { user: 'One of my trainers did not show up for her 6am shift and did not call. Second time this month.', answer: COLD('attendance'), passages: ['made-up-chunk'], notes: [{ text: 'Too cold, acknowledge the situation first', category: 'tone' }] },
  { user: 'Can I give her a written warning for it?', answer: COLD('discipline'), notes: [{ text: 'Good response, no changes needed', source: 'looks_good' as const }] },
  { user: 'What should the warning say?', answer: COLD('discipline'), notes: [{ text: 'Sounds robotic', category: 'tone' }] },
];

describe.each(testDbKinds)('replay (%s)', (kind) => {
  let t: TestDatabase;
  let fake: FakeAnthropic;
  let repo: PromptRepo;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await withKnowledge(t);
    fake = await startFakeAnthropic();
    repo = createPromptRepo();
  });
  afterAll(async () => {
    repo.dispose();
    await fake.close();
    await t.dispose();
  });
  beforeEach(() => { fake.reset(); });

  const answerCalls = () => fake.messageRequests().filter((r) => (r.body as { model?: string } | null)?.model === 'claude-sonnet-5-5' && !JSON.stringify(r.body).includes('"edits"'));

  describe('candidates', () => {
    it('a git ref: the prompt at that ref, versioned by the commit that last changed it', async () => {
      const first = repo.git('rev-parse', 'HEAD').trim();
      repo.git('commit', '-q', '--allow-empty', '-m', 'unrelated');
      const c = await resolveCandidate(t.db, repo.promptPath, { kind: 'git_ref', ref: 'HEAD' });
      expect(c).toMatchObject({ kind: 'git_ref', version: first.slice(0, 7), refCommit: repo.git('rev-parse', 'HEAD').trim() });
      expect(c.text).toBe(readFileSync(repo.promptPath, 'utf8'));
      await expect(resolveCandidate(t.db, repo.promptPath, { kind: 'git_ref', ref: 'no-such-branch' })).rejects.toThrow(/no commit "no-such-branch"/);
      await expect(resolveCandidate(t.db, repo.promptPath, { kind: 'git_ref', ref: '--output=/tmp/x' })).rejects.toBeInstanceOf(CandidateError);
    });

    it('a file: its git version when committed unchanged, its content hash when not', async () => {
      const clean = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
      expect(clean.version).toMatch(/^[0-9a-f]{7}$/);
      const original = readFileSync(repo.promptPath, 'utf8');
      writeFileSync(repo.promptPath, `${original}\nOne more rule.\n`);
      try {
        const dirty = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
        expect(dirty.version).toBe(`sha256:${dirty.sha256.slice(0, 12)}`);
      } finally {
        writeFileSync(repo.promptPath, original);
      }
      await expect(resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: path.join(repo.dir, 'missing.md') })).rejects.toThrow(/cannot be read: .*does not exist/);
    });
  });

  it('replays a session on a suggestion: in order, own history, fresh retrieval, scored, compared', async () => {
    const w = world(t, fake);
    const { session } = await seedSession(t.db, 'aad-rp-1', TURNS, { version: 'abc1234' });
    const suggestion = await suggestForSession(w.suggest(repo.promptPath), session.id);
    expect(suggestion.status).toBe('ready');
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'suggestion', id: suggestion.id });
    expect(candidate.text).toContain(ACKNOWLEDGE_RULE);
    expect(candidate.version).toMatch(/^sha256:[0-9a-f]{12}$/);
    const [replay] = await createReplays(t.db, { sourceSessionIds: [session.id], candidate, requestedBy: 'aad-rp-1' });
    // The tester's own next chat session opens while the replay exists: the replay is nobody's session.
    const open = await ensureOpenSession(t.db, { id: 'aad-rp-1', name: null, email: null }, { version: 'abc1234', branch: null }, {});
    expect(open.created).toBe(true);

    const progress: number[] = [];
    const result = await runReplay(w.replay, replay!.id, { onProgress: (p) => { if (p.turnNumber) progress.push(p.turnNumber); } });
    expect(result.outcome).toBe('completed');
    expect(progress).toEqual([1, 2, 3]);
    const turns = await t.db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', replay!.replay_session_id!).orderBy('turn_number').execute();
    expect(turns.map((x) => x.user_message)).toEqual(TURNS.map((x) => x.user));
    expect(turns.every((x) => x.era_response.startsWith(ACKNOWLEDGEMENT))).toBe(true);
    // Each answer became the next turn's history, and the system prompt was the candidate.
    const calls = answerCalls();
    expect(calls).toHaveLength(3);
    const third = calls[2]!.body as { messages: Array<{ role: string; content: unknown }>; system: Array<{ text: string }> };
    expect(third.system[0]!.text).toBe(candidate.text);
    expect(third.messages.slice(0, 4).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(third.messages[1]!.content).toBe(turns[0]!.era_response);
    // Retrieval ran again; the made-up source chunks are all dropped, the real ones added.
    const meta = turns[0]!.metadata as { retrieval_diff: { same: boolean; added: string[]; dropped: string[] }; replay: { source_turn_number: number } };
    expect(turns[0]!.search_results?.results.length).toBeGreaterThan(0);
    expect(meta.replay.source_turn_number).toBe(1);
    expect(meta.retrieval_diff).toEqual({ same: false, added: turns[0]!.search_results!.results.map((r) => r.chunk_id), dropped: ['made-up-chunk'], reordered: [] });
    // A source turn recorded without retrieval has nothing to compare with.
    expect((turns[1]!.metadata as { retrieval_diff: unknown }).retrieval_diff).toBeNull();
    expect(turns.every((x) => x.has_policy_citation === true && x.empathy_score !== null)).toBe(true);

    const rows = await t.db.selectFrom('prompt_version_comparisons').selectAll().where('replay_id', '=', replay!.id).orderBy('metric_name').execute();
    expect(rows.map((r) => r.metric_name)).toEqual(['appropriate_action_suggested', 'clarity_score', 'empathy_score', 'has_policy_citation', 'professionalism_score', 'structure_complete']);
    const empathy = rows.find((r) => r.metric_name === 'empathy_score')!;
    expect(empathy).toMatchObject({ version_a: 'abc1234', version_b: candidate.version, version_a_score: 3, version_b_score: 4, version_a_turns: 3, version_b_turns: 3 });
    const replayRow = result.replay;
    expect(replayRow).toMatchObject({ status: 'completed', done_turns: 3, total_turns: 3, suggestion_id: suggestion.id, claimed_by: null });
    const replaySession = await t.db.selectFrom('prompt_tuning_sessions').selectAll().where('id', '=', replay!.replay_session_id!).executeTakeFirstOrThrow();
    expect(replaySession).toMatchObject({ tester_id: null, master_prompt_version: candidate.version, branch_name: 'replay', total_turns: 3 });
    expect(replaySession.session_end).not.toBeNull();
    expect(w.calls.entries.filter((e) => e.purpose === 'answer').every((e) => e.io?.request.system === candidate.text && e.io.output?.text)).toBe(true);

    const comparison = await compareReplays(t.db, [replay!.id]);
    expect(comparison.metrics.find((m) => m.metric === 'empathy_score')).toEqual({ metric: 'empathy_score', a: 3, b: 4, delta: 1, aTurns: 3, bTurns: 3 });
    expect(comparison.judgeMissing).toBe(false);
    expect(comparison.pairs.map((p) => [p.turnNumber, p.oldAnswer === TURNS[p.turnNumber - 1]!.answer, p.newAnswer?.startsWith(ACKNOWLEDGEMENT)])).toEqual([[1, true, true], [2, true, true], [3, true, true]]);
  });

  it('resumes after a stop without repeating a turn, and a second runner is turned away while one holds it', async () => {
    const w = world(t, fake);
    const { session } = await seedSession(t.db, 'aad-rp-2', TURNS);
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
    const [replay] = await createReplays(t.db, { sourceSessionIds: [session.id], candidate, requestedBy: null });
    const stop = new AbortController();
    const first = await runReplay(w.replay, replay!.id, { signal: stop.signal, onProgress: (p) => { if (p.turnNumber === 1) stop.abort(); } });
    expect(first.outcome).toBe('stopped');
    expect(first.replay).toMatchObject({ status: 'running', done_turns: 1 });
    // Another runner's live claim keeps this one out.
    await t.db.updateTable('prompt_replays').set({ claimed_by: 'other', lease_expires_at: new Date(Date.now() + 60_000) }).where('id', '=', replay!.id).execute();
    expect((await runReplay(w.replay, replay!.id)).outcome).toBe('busy');
    await t.db.updateTable('prompt_replays').set({ lease_expires_at: new Date(Date.now() - 1000) }).where('id', '=', replay!.id).execute();
    const second = await runReplay(w.replay, replay!.id);
    expect(second.outcome).toBe('completed');
    expect(answerCalls()).toHaveLength(3);
    const numbers = await t.db.selectFrom('tuning_conversation_turns').select('turn_number').where('session_id', '=', replay!.replay_session_id!).orderBy('turn_number').execute();
    expect(numbers.map((n) => n.turn_number)).toEqual([1, 2, 3]);
    expect((await runReplay(w.replay, replay!.id)).outcome).toBe('completed');
    expect(answerCalls()).toHaveLength(3);
  });

  it('a cancelled replay stores no further turn and closes its session', async () => {
    const w = world(t, fake);
    const { session } = await seedSession(t.db, 'aad-rp-3', TURNS);
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
    const [replay] = await createReplays(t.db, { sourceSessionIds: [session.id], candidate, requestedBy: null });
    let cancelled: Promise<unknown> = Promise.resolve();
    const r = await runReplay(w.replay, replay!.id, { onProgress: (p) => { if (p.turnNumber === 1) cancelled = cancelReplay(t.db, replay!.id, 'aad-rp-3'); } });
    await cancelled;
    expect(r.outcome).toBe('cancelled');
    expect(r.replay).toMatchObject({ status: 'cancelled', error: 'cancelled by aad-rp-3', done_turns: 1 });
    await expect(cancelReplay(t.db, replay!.id, null)).rejects.toThrow(/already ended \(cancelled\)/);
    const s = await t.db.selectFrom('prompt_tuning_sessions').select('session_end').where('id', '=', replay!.replay_session_id!).executeTakeFirstOrThrow();
    expect(s.session_end).not.toBeNull();
  });

  it('Claude unavailable: the replay fails naming the turn; retried, it carries on from there', async () => {
    const w = world(t, fake);
    const { session } = await seedSession(t.db, 'aad-rp-4', TURNS);
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
    const [replay] = await createReplays(t.db, { sourceSessionIds: [session.id], candidate, requestedBy: null });
    fake.enqueue({ delayMs: 0 }, { status: 529 });
    const failed = await runReplay(w.replay, replay!.id);
    expect(failed.outcome).toBe('failed');
    expect(failed.replay.error).toMatch(/^turn 2: Claude was unavailable \(overloaded\)/);
    expect(w.calls.entries.find((e) => e.status === 'error')).toMatchObject({ purpose: 'answer', io: { output: null } });
    await retryReplay(t.db, replay!.id);
    const done = await runReplay(w.replay, replay!.id);
    expect(done.outcome).toBe('completed');
    expect(done.replay.done_turns).toBe(3);
  });

  it('offline: the offline ERA answers, no judge scores, and the comparison says they are missing', async () => {
    const w = world(t, fake, { online: false });
    const { session } = await seedSession(t.db, 'aad-rp-5', TURNS);
    const candidate = await resolveCandidate(t.db, repo.promptPath, { kind: 'file', path: repo.promptPath });
    const [replay] = await createReplays(t.db, { sourceSessionIds: [session.id], candidate, requestedBy: null });
    const r = await runReplay(w.replay, replay!.id);
    expect(r.outcome).toBe('completed');
    expect(fake.requests).toHaveLength(0);
    const c = await compareReplays(t.db, [replay!.id]);
    expect(c.judgeMissing).toBe(true);
    expect(c.metrics.find((m) => m.metric === 'clarity_score')).toMatchObject({ a: null, b: null, delta: null, aTurns: 0, bTurns: 0 });
    expect(c.metrics.find((m) => m.metric === 'has_policy_citation')).toMatchObject({ aTurns: 3, bTurns: 3 });
  });

  it('selects the sessions with improvement notes since a date, never replay sessions', async () => {
    const since = new Date();
    const { session: noted } = await seedSession(t.db, 'aad-rp-6', [TURNS[0]!]);
    await seedSession(t.db, 'aad-rp-7', [TURNS[1]!]);
    const ids = await sessionsWithNotesSince(t.db, since);
    expect(ids).toContain(noted.id);
    const replaySessions = (await t.db.selectFrom('prompt_replays').select('replay_session_id').execute()).map((r) => r.replay_session_id);
    expect(ids.filter((id) => replaySessions.includes(id))).toEqual([]);
    expect(ids.length).toBe(1);
  });
});

describe('a replayed turn\'s retrieval', () => {
  it('gets the recorded previous message as context, as the live turn did; the first turn gets none', async () => {
    const asked: Array<{ query: string; context: string | undefined }> = [];
    const retriever: ReplayRetriever = {
      retrieve: (query, options) => {
        asked.push({ query, context: options?.context });
        return Promise.resolve([]);
      },
    };
    const sources = [{ user_message: "My employee didn't show up and didn't call." }, { user_message: 'What if they do not answer the phone?' }] as unknown as Turn[];
    const replay = { id: 'r1', replay_session_id: 's1', candidate_prompt: 'You are ERA.' } as unknown as PromptReplay;
    // historyTurns 0: no history read, so no database is needed.
    const db = undefined as unknown as Kysely<Database>;
    await prepareTurn(db, replay, sources, 1, { retriever, historyTurns: 0 });
    await prepareTurn(db, replay, sources, 2, { retriever, historyTurns: 0 });
    expect(asked).toEqual([
      { query: "My employee didn't show up and didn't call.", context: undefined },
      { query: 'What if they do not answer the phone?', context: "My employee didn't show up and didn't call." },
    ]);
  });
});
