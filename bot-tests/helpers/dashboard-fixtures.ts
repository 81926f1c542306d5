/**
 * Dashboard test fixtures: a loopback Entra ID (OpenID metadata + JWKS, and a signer for Teams SSO
 * tokens, with a second key that is not published, for forgeries), seeded tuning sessions made
 * through the tuning services, and the training plan with its seeds.
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWTPayload, type KeyLike, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { importPlan, importSeeds } from '../../src/generation';
import { analyzePractices, createReplays, diffJson, retrievalDiff, writeComparisons } from '../../src/insights';
import { createCallLog } from '../../src/llm';
import { createLogger } from '../../src/logger';
import { seedPracticeData } from './practices-fixtures';
import { addNote, closeOpenSession, ensureOpenSession, recordTurn, type Tester } from '../../src/tuning';

export const TENANT = '72f988bf-0000-4000-8000-000000000001';
export const SSO_APP_ID = '3f2b6c1e-8a4d-4c2b-9e7f-1a2b3c4d5e6f';
const EXAMPLES = path.resolve(__dirname, '../../examples/financial-planning');

export interface FakeEntra {
  openIdConfigUrl: string;
  /** A Teams SSO token; `forged` signs with an unpublished key under the published key's kid. */
  token(claims: JWTPayload, options?: { forged?: boolean; expiresInSec?: number; alg?: 'RS256' }): Promise<string>;
  /** The standard claims of a token for this user and audience. */
  claims(user: { oid: string; name: string; email: string }, audience: string): JWTPayload;
  close(): Promise<void>;
}

/** Serves /.well-known/openid-configuration and /keys on 127.0.0.1. */
export async function startFakeEntra(): Promise<FakeEntra> {
  const good = await generateKeyPair('RS256');
  const forger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(good.publicKey)), kid: 'test-key-1', use: 'sig', alg: 'RS256' };
  let base = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/common/v2.0/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', jwks_uri: `${base}/common/discovery/v2.0/keys` }));
    } else if (req.url === '/common/discovery/v2.0/keys') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${String(address.port)}`;
  const sign = (key: KeyLike, claims: JWTPayload, expiresInSec: number) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key-1', typ: 'JWT' })
      .setIssuedAt()
      .setNotBefore(Math.floor(Date.now() / 1000) - 60)
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSec)
      .sign(key);
  return {
    openIdConfigUrl: `${base}/common/v2.0/.well-known/openid-configuration`,
    token: (claims, o = {}) => sign(o.forged ? forger.privateKey : good.privateKey, claims, o.expiresInSec ?? 3600),
    claims: (user, audience) => ({
      aud: audience, iss: `https://login.microsoftonline.com/${TENANT}/v2.0`, tid: TENANT, oid: user.oid, name: user.name,
      preferred_username: user.email, scp: 'access_as_user', ver: '2.0',
    }),
    close: () => {
      const closed = new Promise<void>((resolve) => server.close(() => { resolve(); }));
      server.closeAllConnections();
      return closed;
    },
  };
}

export interface SeededSession {
  id: string;
  testerId: string;
  version: string;
  turns: number;
  notes: number;
}

/**
 * `count` closed sessions through the tuning services, spread over the testers and two prompt
 * versions, each with 1-4 turns (sources on every turn) and notes in rotating categories; session n
 * starts n hours before 2026-11-30T12:00Z so date filters have something to cut.
 */
export async function seedTuningSessions(db: Kysely<Database>, count: number, testers: readonly Tester[]): Promise<SeededSession[]> {
  const categories = ['tone', 'content', 'citation', 'clarity', 'structure', 'action'];
  const out: SeededSession[] = [];
  for (let n = 0; n < count; n++) {
    const tester = testers[n % testers.length];
    if (!tester) throw new Error('no testers');
    const version = n % 2 === 0 ? 'a1b2c3d' : 'e4f5a6b';
    const { session } = await ensureOpenSession(db, tester, { version, branch: 'main' }, { channel_id: 'msteams' });
    const turns = 1 + (n % 4);
    let notes = 0;
    for (let t = 0; t < turns; t++) {
      const similarity = 0.2 + ((n + t) % 7) / 10;
      const turn = await recordTurn(db, {
        sessionId: session.id,
        userMessage: `Question ${String(t + 1)} of session ${String(n)}: my employee missed a shift`,
        eraResponse: `Answer ${String(t + 1)}: follow the attendance policy [1].`,
        processingTimeMs: 800 + ((n * 37 + t * 11) % 900),
        searchResults: { results: [{ chunk_id: `chunk-${String(t)}`, document_title: 'Attendance and no-call/no-show', chunk_text: 'Call in before the shift.', similarity }] },
        avgSimilarity: similarity,
        totalChunks: 1,
        confidenceScore: 0.7,
        templateUsed: 'grounded',
        metadata: { model: 'claude-sonnet-5-5' },
      });
      if ((n + t) % 2 === 0) {
        await addNote(db, { turnId: turn.id, testerId: tester.id, note: `Note on turn ${String(t + 1)}`, category: categories[(n + t) % categories.length], source: 'card' }, 4000);
        notes++;
      }
    }
    await closeOpenSession(db, tester.id);
    const start = new Date(Date.parse('2026-11-30T12:00:00Z') - n * 3_600_000);
    await db.updateTable('prompt_tuning_sessions').set({ session_start: start, session_end: new Date(start.getTime() + 600_000) }).where('id', '=', session.id).execute();
    out.push({ id: session.id, testerId: tester.id, version, turns, notes });
  }
  return out;
}

/** The shipped 100-conversation plan and its three annotated seeds. */
export async function seedTrainingData(db: Kysely<Database>): Promise<void> {
  await importPlan(db, path.join(EXAMPLES, 'plan.json'));
  await importSeeds(db, ['fp_marcus_001.json', 'fp_jennifer_001.json', 'fp_david_001.json'].map((f) => path.join(EXAMPLES, 'seeds', f)));
}

/** Starts the app's server on a random loopback port; returns its base URL. */
export async function listenOnLoopback(server: { listen(port: number, host: string, cb: () => void): unknown; address(): unknown }): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address() as { port: number };
  return `http://127.0.0.1:${String(a.port)}`;
}

/** Closes the app's server and every connection still open to it (keep-alive clients included). */
export async function closeServer(server: { close(cb: () => void): unknown; server: { closeAllConnections(): void } }): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => { resolve(); }));
  server.server.closeAllConnections();
  await closed;
}

/** One turn's spec 000 metrics as seeded (null: not judged / no value). */
export interface SeedScores {
  cite: boolean;
  action: boolean;
  structure: boolean;
  professionalism: number | null;
  empathy: number | null;
  clarity: number | null;
}

const score = (cite: boolean, action: boolean, structure: boolean, p: number | null, e: number | null, c: number | null): SeedScores =>
  ({ cite, action, structure, professionalism: p, empathy: e, clarity: c });
/**
 * A three-turn session replayed: the source's third turn was never judged. Expected, per metric, A and B
 * over the turns with a value: citation 2/3 → 3/3, action 1/3 → 2/3, structure 2/3 → 3/3, professionalism
 * (3+4)/2 = 3.5 → (5+4+5)/3, empathy (2+3)/2 → (4+4+5)/3, clarity (4+4)/2 → (5+3+4)/3 = 4.
 */
export const REPLAY_TURNS: ReadonlyArray<{ old: SeedScores; fresh: SeedScores; chunks: string[] }> = [
  { old: score(true, false, true, 3, 2, 4), fresh: score(true, true, true, 5, 4, 5), chunks: ['chunk-0'] },
  { old: score(false, false, true, 4, 3, 4), fresh: score(true, true, true, 4, 4, 3), chunks: ['chunk-9', 'chunk-1'] },
  { old: score(true, true, false, null, null, null), fresh: score(true, false, true, 5, 5, 4), chunks: ['chunk-7'] },
];

export interface SeededReplay {
  id: string;
  sourceSessionId: string;
  replaySessionId: string;
}

const scoreColumns = (s: SeedScores) => ({
  has_policy_citation: s.cite, appropriate_action_suggested: s.action, structure_complete: s.structure,
  professionalism_score: s.professionalism, empathy_score: s.empathy, clarity_score: s.clarity,
});

/**
 * A completed replay of a seeded session on CANDIDATE: the source turns scored with `old` (by turn
 * number), each replayed turn stored in the replay's own session with `fresh` and the chunk ids it
 * retrieved (`chunks`, the difference from the source turn's kept in its metadata as the replay does),
 * and the comparison rows written by the tuning loop's own writeComparisons.
 */
export async function seedComparedReplay(
  db: Kysely<Database>,
  sourceSessionId: string,
  candidate: string,
  turns: ReadonlyArray<{ old: SeedScores; fresh: SeedScores; chunks: string[] }>,
): Promise<SeededReplay> {
  const [replay] = await createReplays(db, {
    sourceSessionIds: [sourceSessionId],
    candidate: { kind: 'file', ref: `prompts/${candidate}.md`, version: candidate, sha256: candidate.padEnd(64, '0'), text: `Prompt ${candidate}`, suggestionId: null, refCommit: null },
    requestedBy: 'fixture',
  });
  if (!replay?.replay_session_id) throw new Error('no replay session');
  const sources = await db.selectFrom('tuning_conversation_turns').selectAll().where('session_id', '=', sourceSessionId).orderBy('turn_number').execute();
  if (sources.length !== turns.length) throw new Error(`session has ${String(sources.length)} turns, ${String(turns.length)} given`);
  for (const [i, t] of turns.entries()) {
    const source = sources[i];
    if (!source) throw new Error('no source turn');
    await db.updateTable('tuning_conversation_turns').set(scoreColumns(t.old)).where('id', '=', source.id).execute();
    await db.insertInto('tuning_conversation_turns').values({
      session_id: replay.replay_session_id, turn_number: i + 1, user_message: source.user_message,
      era_response: `Replayed answer ${String(i + 1)} on ${candidate}.`, processing_time_ms: 500,
      search_results: { results: t.chunks.map((id, k) => ({ chunk_id: id, document_title: `Policy ${id}`, chunk_text: `Text of ${id}.`, similarity: 0.6 - k * 0.05 })) },
      total_chunks: t.chunks.length,
      metadata: { replay_id: replay.id, retrieval_diff: diffJson(retrievalDiff(source.search_results, t.chunks)) },
      ...scoreColumns(t.fresh),
    }).execute();
  }
  const done = await db.updateTable('prompt_replays').set({ status: 'completed', done_turns: turns.length, started_at: new Date(), completed_at: new Date() })
    .where('id', '=', replay.id).returningAll().executeTakeFirstOrThrow();
  await writeComparisons(db, done);
  return { id: replay.id, sourceSessionId, replaySessionId: replay.replay_session_id };
}

/**
 * Best practices as the analysis stores them: the practices fixtures' sessions (12 on claude-sonnet-5-5 by
 * testers tester-0…3, 8 on claude-haiku-5-5 by h-0…3; topics in nlu_prompt_logs) analysed offline by the
 * real analysis (no Claude: offline write-ups). Returns the sessions written.
 */
export async function seedBestPractices(db: Kysely<Database>, options: { sonnetPrefix?: string; haikuPrefix?: string } = {}): Promise<string[]> {
  const a = await seedPracticeData(db, { testerPrefix: options.sonnetPrefix ?? 'tester' });
  const b = await seedPracticeData(db, { sessions: 8, model: 'claude-haiku-5-5', testerPrefix: options.haikuPrefix ?? 'h' });
  const logger = createLogger('silent', new Writable({ write: (_c, _e, cb) => { cb(); } }));
  await analyzePractices({ db, client: null, model: 'offline', callLog: createCallLog({ db, logger, pricing: null }), logger }, { holder: 'dashboard-fixture' });
  return [...a.sessionIds, ...b.sessionIds];
}
