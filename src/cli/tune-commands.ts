/** The tune CLI's commands: each parses its options, calls one service, prints. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  buildBundle, calibrationReport, type CandidateSpec, compareReplays, compareVersions, createReplays, getReplay, getSuggestion,
  InsightsRefusal, loadCalibrationItems, loadCalibrationSet, orphanedReplays, type ReplayProgress, type ReplayRunResult, readCalibrationSet, rescoreTurns,
  resolveCandidate, resolveSessionRef, retryReplay, runReplay, runReplaysInBatches, sessionsWithNotesSince, suggestForSession, suggestionPatchFile,
  type TurnSelection,
} from '../insights';
import { buildParts, type TuneParts } from './tune-parts';
import { calibrationText, comparisonText, metricsTable, replaysTable } from './tune-format';
import type { Config } from '../config';

/** A bad command line: printed without a stack, exit 1. */
export class UsageError extends Error {}

/** Parses a date given as YYYY-MM-DD (UTC midnight) or an ISO instant. */
export function parseSince(value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since must be a date like 2026-11-30, not "${value}"`);
  return date;
}

/** A Ctrl-C turns into an abort: work stops where it can resume. A second Ctrl-C quits at once. */
export function interruptible(what: string): { signal: AbortSignal; done: () => void } {
  const abort = new AbortController();
  const onSigint = (): void => {
    if (abort.signal.aborted) process.exit(130);
    console.error(`\nstopping ${what}; run the same command again to carry on (Ctrl-C again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, done: () => process.off('SIGINT', onSigint) };
}

export async function withParts<T>(config: Config, fn: (parts: TuneParts) => Promise<T>): Promise<T> {
  const parts = await buildParts(config);
  try {
    return await fn(parts);
  } finally {
    await parts.database.close();
  }
}

async function selectionOf(parts: TuneParts, o: { session?: string; since?: string; all?: boolean }): Promise<TurnSelection> {
  const given = [o.session, o.since, o.all].filter((v) => v !== undefined && v !== false).length;
  if (given !== 1) throw new UsageError('choose one of --session ID, --since DATE or --all');
  if (o.session) return { sessionIds: [await resolveSessionRef(parts.database.db, o.session)] };
  if (o.since) return { since: parseSince(o.since) };
  return { all: true };
}

export async function suggestCommand(parts: TuneParts, session: string, o: { out?: string }): Promise<void> {
  const sessionId = await resolveSessionRef(parts.database.db, session);
  const s = await suggestForSession(parts.suggest, sessionId, { requestedBy: 'cli' });
  console.log(`suggestion ${s.id} for session ${sessionId.slice(0, 8)} on prompt ${s.base_version}: ${s.status}${s.mode === 'offline_digest' ? ' (offline digest)' : ''}`);
  if (s.status === 'failed') {
    console.log(s.error ?? 'failed');
    process.exitCode = 2;
    return;
  }
  if (s.mode === 'offline_digest') { console.log(`\n${s.digest ?? ''}`); return; }
  console.log(`\n${s.summary ?? ''}\n`);
  s.edits.items.forEach((e, i) => { console.log(`edit ${i + 1}: ${e.rationale}`); });
  for (const r of s.refused.items) console.log(`not applied (${r.reason}): ${r.edit.rationale}`);
  if (!s.patch) { console.log('\nNo edit could be applied, so there is no patch.'); return; }
  const file = suggestionPatchFile(s);
  const out = resolve(o.out ?? file.fileName);
  await writeFile(out, file.text);
  console.log(`\npatch written to ${out} (git apply ${out}); replay it with: npm run tune -- replay ${sessionId.slice(0, 8)} --suggestion ${s.id.slice(0, 8)}`);
}

function candidateOf(o: { ref?: string; file?: string; suggestion?: string }): CandidateSpec {
  const given = [o.ref, o.file, o.suggestion].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('choose the candidate prompt: one of --ref GIT_REF, --file PATH or --suggestion ID');
  if (o.ref) return { kind: 'git_ref', ref: o.ref };
  if (o.file) return { kind: 'file', path: o.file };
  return { kind: 'suggestion', id: o.suggestion ?? '' };
}

export interface ReplayOptions {
  since?: string;
  ref?: string;
  file?: string;
  suggestion?: string;
  batch?: boolean;
  resume?: boolean;
  retry?: string;
  turns?: boolean;
}

const progressLine = (p: ReplayProgress): string | null =>
  p.turnNumber ? `[${p.replayId.slice(0, 8)}] turn ${p.turnNumber}/${p.total} stored` : p.phase === 'scoring' ? `[${p.replayId.slice(0, 8)}] scoring` : null;

async function runAll(parts: TuneParts, ids: string[], batch: boolean, signal: AbortSignal): Promise<ReplayRunResult[]> {
  const onProgress = (p: ReplayProgress) => {
    const line = progressLine(p);
    if (line) console.log(line);
  };
  if (batch) return [...(await runReplaysInBatches(parts.replay, ids, { signal, onProgress })).values()];
  const out: ReplayRunResult[] = [];
  for (const id of ids) {
    if (signal.aborted) break;
    out.push(await runReplay(parts.replay, id, { signal, onProgress }));
  }
  return out;
}

export async function replayCommand(parts: TuneParts, sessions: string[], o: ReplayOptions): Promise<void> {
  const db = parts.database.db;
  let ids: string[];
  let batch = o.batch === true;
  if (o.resume || o.retry) {
    if (sessions.length || o.since || o.ref || o.file || o.suggestion) throw new UsageError('--resume and --retry take no sessions or candidate');
    const replays = o.retry ? [await retryReplay(db, (await getReplay(db, o.retry)).id)] : await orphanedReplays(db);
    if (replays.length === 0) { console.log('no replay to resume'); return; }
    ids = replays.map((r) => r.id);
    batch = replays.some((r) => r.mode === 'batch');
  } else {
    if ((sessions.length > 0) === (o.since !== undefined)) throw new UsageError('give the sessions to replay, or --since DATE for every session with notes since then (not both)');
    const sourceIds = o.since ? await sessionsWithNotesSince(db, parseSince(o.since)) : await Promise.all(sessions.map((s) => resolveSessionRef(db, s)));
    if (sourceIds.length === 0) { console.log('no session with improvement notes since then: nothing to replay'); return; }
    if (batch && !parts.online) throw new UsageError('--batch needs Claude: set ANTHROPIC_API_KEY (offline replays run directly)');
    const candidate = await resolveCandidate(db, parts.config.promptPath, candidateOf(o));
    const created = await createReplays(db, { sourceSessionIds: sourceIds, candidate, requestedBy: 'cli', mode: batch ? 'batch' : 'direct' });
    ids = created.map((r) => r.id);
    console.log(`${created.length} replay(s) on ${candidate.kind} ${candidate.ref} (version ${candidate.version})${created[0]?.group_id ? `, group ${created[0].group_id}` : ''}${parts.online ? '' : ' — offline: ERA answers with the offline stand-in and the judge is offline'}`);
  }
  const stop = interruptible('the replay');
  try {
    const results = await runAll(parts, ids, batch, stop.signal);
    console.log(`\n${replaysTable(results.map((r) => r.replay))}`);
    const completed = results.filter((r) => r.outcome === 'completed').map((r) => r.replay.id);
    if (completed.length > 0) console.log(`\n${comparisonText(await compareReplays(db, completed), { turns: o.turns === true, judgeOffline: !parts.online })}`);
    if (results.some((r) => r.outcome !== 'completed')) process.exitCode = 2;
  } finally {
    stop.done();
  }
}

export async function compareCommand(parts: TuneParts, o: { replay?: string[]; group?: string; versions?: string[]; turns?: boolean }): Promise<void> {
  const db = parts.database.db;
  if (o.versions) {
    const [a, b] = o.versions;
    if (o.versions.length !== 2 || !a || !b) throw new UsageError('--versions takes two versions: A B');
    const c = await compareVersions(db, a, b);
    console.log(`${a} (${c.sessionsA} session(s)) vs ${b} (${c.sessionsB} session(s))\n\n${metricsTable(c.metrics, a, b, !parts.online)}`);
    return;
  }
  let ids: string[];
  if (o.group) ids = (await db.selectFrom('prompt_replays').select('id').where('group_id', '=', o.group).execute()).map((r) => r.id);
  else if (o.replay?.length) ids = await Promise.all(o.replay.map(async (r) => (await getReplay(db, r)).id));
  else throw new UsageError('choose --replay ID..., --group ID or --versions A B');
  if (ids.length === 0) throw new InsightsRefusal(`no replay in group ${o.group ?? ''}`);
  console.log(comparisonText(await compareReplays(db, ids), { turns: o.turns === true, judgeOffline: !parts.online }));
}

export async function rescoreCommand(parts: TuneParts, o: { session?: string; since?: string; all?: boolean; batch?: boolean; force?: boolean }): Promise<void> {
  const selection = await selectionOf(parts, o);
  if (o.batch && !parts.online) throw new UsageError('--batch needs Claude: set ANTHROPIC_API_KEY');
  const stop = interruptible('the rescore');
  let last = '';
  try {
    const r = await rescoreTurns(parts.rescore, selection, {
      mode: o.batch ? 'batch' : 'direct', force: o.force, concurrency: parts.config.judge.concurrency, signal: stop.signal,
      onProgress: (p) => {
        const line = p.phase === 'batch' ? `batch ${p.batch?.batchId ?? ''} ${p.batch?.status ?? ''}: ${p.done}/${p.total} answered` : `${p.phase}: ${p.done}/${p.total}${p.failed ? `, ${p.failed} failed` : ''}`;
        if (line !== last) console.log((last = line));
      },
    });
    console.log(`metrics stored on ${r.metricsUpdated} turn(s)`);
    if (r.judge === 'offline') console.log('judge offline (no ANTHROPIC_API_KEY): the 1-5 scores stay empty');
    else console.log(`judge ${parts.judge.model}, rubric ${r.rubricVersion ?? '?'}: ${r.selected} turn(s) to judge, ${r.judged} judged, ${r.failed} failed${r.stopped ? ' (stopped: run again to carry on)' : ''}`);
    if (r.refused) console.log(r.refused);
    if (r.stopped || r.failed > 0 || r.refused) process.exitCode = 2;
  } finally {
    stop.done();
  }
}

export async function bundleCommand(parts: TuneParts, session: string, o: { format?: string; out?: string }): Promise<void> {
  const format = (o.format ?? 'md').toLowerCase();
  if (!['md', 'markdown', 'json'].includes(format)) throw new UsageError(`--format must be md or json, not "${o.format ?? ''}"`);
  const sessionId = await resolveSessionRef(parts.database.db, session);
  const bundle = await buildBundle(parts.database.db, sessionId, { format: (format === 'json' ? 'json' : 'markdown'), promptPath: parts.config.promptPath, judgeMode: parts.judge.mode });
  if (!o.out) return void process.stdout.write(bundle.text);
  await writeFile(resolve(o.out), bundle.text);
  console.error(`bundle written to ${resolve(o.out)}`);
}

export async function calibrateCommand(config: Config, o: { set?: string; session?: string; since?: string; all?: boolean }): Promise<void> {
  if (o.set) {
    const set = await readCalibrationSet(resolve(o.set));
    // A fresh in-memory database: the set never mixes with real sessions.
    const parts = await buildParts(config, { database: { kind: 'pglite' } });
    try {
      const sessionIds = await loadCalibrationSet(parts.database.db, set, parts.replay.retriever);
      await judgeAndReport(parts, { sessionIds });
      return;
    } finally {
      await parts.database.close();
    }
  }
  await withParts(config, async (parts) => judgeAndReport(parts, await selectionOf(parts, o.session || o.since ? o : { all: true })));
}

async function judgeAndReport(parts: TuneParts, selection: TurnSelection): Promise<void> {
  const stop = interruptible('the calibration');
  try {
    const r = await rescoreTurns(parts.rescore, selection, { concurrency: parts.config.judge.concurrency, signal: stop.signal });
    const judge = r.judge === 'offline' ? 'offline (no ANTHROPIC_API_KEY): judge scores are n/a, the programmatic metrics are measured' : `${parts.judge.model}, rubric ${r.rubricVersion ?? '?'}, ${r.judged} judged now, ${r.failed} failed`;
    console.log(calibrationText(calibrationReport(await loadCalibrationItems(parts.database.db, selection)), judge));
  } finally {
    stop.done();
  }
}

export async function statusCommand(parts: TuneParts, replay: string | undefined): Promise<void> {
  const db = parts.database.db;
  if (replay) {
    const r = await getReplay(db, replay);
    console.log(replaysTable([r]));
    if (r.error) console.log(`\n${r.error}`);
    return;
  }
  const recent = await db.selectFrom('prompt_replays').selectAll().orderBy('created_at', 'desc').limit(20).execute();
  console.log(recent.length ? replaysTable(recent) : 'no replays yet');
}

/** Prints a stored suggestion's patch (for a suggestion made in Teams). */
export async function patchCommand(parts: TuneParts, id: string, o: { out?: string }): Promise<void> {
  const file = suggestionPatchFile(await getSuggestion(parts.database.db, id));
  if (!o.out) return void process.stdout.write(file.text);
  await writeFile(resolve(o.out), file.text);
  console.error(`patch written to ${resolve(o.out)}`);
}
