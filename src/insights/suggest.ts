/**
 * /suggest: prompt edits proposed from a session's notes and scores. Stored first ('pending'), then
 * produced: with Claude, the edits are applied (or refused with their reason) and turned into an
 * annotated .patch; offline, a digest of the notes grouped by category and turn, labelled, with no diff.
 * A pending suggestion whose process died is produced again by resumeSuggestions (its lease expired).
 */
import { basename, dirname } from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { type Kysely, sql } from 'kysely';
import type { Database, PromptSuggestion, StoredEdit } from '../../db';
import { runGit } from '../era';
import { type CallLog, usageFromApi, ZERO_LLM_USAGE } from '../llm';
import type { Logger } from '../logger';
import { notesDigest } from './digest';
import { InsightsNotFoundError, InsightsRefusal, InsightsStateError } from './errors';
import { messageText } from './judge-request';
import { annotatedPatch, applyEdits } from './patch';
import { improvementNotes, type LabelledNote, loadSessionData } from './session-data';
import { readSuggesterAnswer, suggestCallRequest, suggestRequest } from './suggest-request';

type Db = Kysely<Database>;

/** The prompt under tuning, as a suggestion needs it. */
export interface PromptFile {
  readonly path: string;
  snapshot(): Promise<{ text: string; sha256: string; version: string }>;
}

export interface SuggestDeps {
  db: Db;
  client: Anthropic | null;
  /** The suggester's model (config.anthropic.model). */
  model: string;
  prompt: PromptFile;
  callLog: CallLog;
  logger: Logger;
}

const LEASE_MS = 10 * 60_000;

/** The prompt's path from its repository's root (what `git apply` at the root expects), else its name. */
async function repoPathOf(promptPath: string): Promise<string> {
  const prefix = await runGit(['rev-parse', '--show-prefix'], { cwd: dirname(promptPath) });
  return prefix?.code === 0 ? `${prefix.stdout.trim()}${basename(promptPath)}` : basename(promptPath);
}

/** Stores a pending suggestion for the session. @throws InsightsRefusal when there is nothing to answer. */
export async function createSuggestion(deps: SuggestDeps, sessionId: string, requestedBy: string | null): Promise<PromptSuggestion> {
  const data = await loadSessionData(deps.db, sessionId);
  if (data.turns.length === 0) throw new InsightsRefusal(`Session ${sessionId.slice(0, 8)} has no turns yet, so there is nothing to suggest from.`);
  if (improvementNotes(data).length === 0) {
    throw new InsightsRefusal(`Session ${sessionId.slice(0, 8)} has no improvement notes (only Looks good or none), so there is nothing to change. Add notes with Improve first.`);
  }
  const prompt = await deps.prompt.snapshot();
  return deps.db.insertInto('prompt_suggestions').values({
    session_id: sessionId, requested_by: requestedBy, mode: deps.client ? 'claude' : 'offline_digest', prompt_path: deps.prompt.path,
    base_version: prompt.version, base_sha256: prompt.sha256, model: deps.client ? deps.model : null, lease_expires_at: new Date(Date.now() + LEASE_MS),
  }).returningAll().executeTakeFirstOrThrow();
}

const fail = (db: Db, id: string, error: string) =>
  db.updateTable('prompt_suggestions').set({ status: 'failed', error, updated_at: new Date(), lease_expires_at: null }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

function patchHeader(s: PromptSuggestion, summary: string, accepted: StoredEdit[], refused: Array<{ edit: StoredEdit; reason: string }>, name: (id: string) => string): string {
  const lines = [`Suggested by Tuning Bot: suggestion ${s.id.slice(0, 8)}, session ${s.session_id.slice(0, 8)}, prompt ${s.base_version}`, '', ...summary.split('\n'), ''];
  accepted.forEach((e, i) => lines.push(`Edit ${i + 1} answers ${e.note_ids.map(name).join(', ') || '(no note)'}: ${e.rationale}`));
  for (const r of refused) lines.push(`Refused edit (${r.reason}): ${r.edit.rationale}`);
  // Every line commented, so nothing Claude wrote can look like a diff line to git apply.
  return `${lines.map((l) => `# ${l}`.trimEnd()).join('\n')}\n\n`;
}

/** Produces a pending suggestion (see the file comment). Returns the row, ready or failed. */
export async function produceSuggestion(deps: SuggestDeps, suggestionId: string, options: { signal?: AbortSignal } = {}): Promise<PromptSuggestion> {
  const row = await deps.db.selectFrom('prompt_suggestions').selectAll().where('id', '=', suggestionId).executeTakeFirst();
  if (!row) throw new InsightsNotFoundError('suggestion', suggestionId);
  if (row.status !== 'pending') return row;
  const log = deps.logger.child({ component: 'suggest', suggestionId, sessionId: row.session_id });
  const data = await loadSessionData(deps.db, row.session_id);
  if (!deps.client || row.mode === 'offline_digest') {
    return deps.db.updateTable('prompt_suggestions').set({ status: 'ready', mode: 'offline_digest', digest: notesDigest(data), updated_at: new Date(), lease_expires_at: null })
      .where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
  }
  const prompt = await deps.prompt.snapshot();
  if (prompt.sha256 !== row.base_sha256) return fail(deps.db, row.id, `the prompt file changed since the suggestion was asked for (now ${prompt.version}); ask again`);
  const params = suggestRequest(prompt.text, data, deps.model);
  const request = suggestCallRequest(params);
  const ids = { sessionId: row.session_id, testerId: row.requested_by, promptVersion: row.base_version };
  const started = performance.now();
  let message: Anthropic.Message;
  let requestId: string | null;
  try {
    const res = await deps.client.messages.create(params, { signal: options.signal }).withResponse();
    message = res.data;
    requestId = res.request_id ?? null;
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await deps.callLog.record({ purpose: 'suggestion', model: deps.model, usage: ZERO_LLM_USAGE, latencyMs: Math.round(performance.now() - started), status: 'error', error, requestId: err instanceof APIError ? (err.requestID ?? null) : null, ...ids, metadata: { suggestion_id: row.id }, io: { request, output: null } });
    if (err instanceof APIUserAbortError) {
      await fail(deps.db, row.id, 'cancelled');
      throw err;
    }
    if (!(err instanceof APIError)) throw err;
    log.warn({ err: error }, 'suggester call failed');
    return fail(deps.db, row.id, `Claude could not be reached for a suggestion: ${err.message}`);
  }
  const text = messageText(message);
  const reading = readSuggesterAnswer(text);
  await deps.callLog.record({
    purpose: 'suggestion', model: message.model, usage: usageFromApi(message.usage), latencyMs: Math.round(performance.now() - started), stopReason: message.stop_reason ?? null,
    status: 'ok', requestId, ...ids, metadata: { suggestion_id: row.id, valid: reading.ok }, io: { request, output: { text, ...(reading.ok ? { structured: reading.answer } : {}) } },
  });
  if (!reading.ok) return fail(deps.db, row.id, reading.error);

  const notes = improvementNotes(data);
  const byLabel = new Map(notes.map((n) => [n.label, n]));
  const byId = new Map<string, LabelledNote>(notes.map((n) => [n.id, n]));
  const edits: StoredEdit[] = reading.answer.edits.map((e) => ({ find: e.find, replace: e.replace, rationale: e.rationale, note_ids: e.note_ids.map((l) => byLabel.get(l.trim())?.id ?? l.trim()) }));
  const applied = applyEdits(prompt.text, edits, new Set(byId.keys()));
  const name = (id: string): string => {
    const n = byId.get(id);
    return n ? `${n.label} (${n.category ?? 'note'})` : id;
  };
  const diff = annotatedPatch(prompt.text, applied.text, applied.accepted, await repoPathOf(deps.prompt.path), name);
  const patch = diff === null ? null : `${patchHeader(row, reading.answer.summary, applied.accepted, applied.refused, name)}${diff}`;
  log.info({ requestId, accepted: applied.accepted.length, refused: applied.refused.length }, 'suggestion ready');
  return deps.db.updateTable('prompt_suggestions').set({
    status: 'ready', summary: reading.answer.summary, edits: { items: applied.accepted }, refused: { items: applied.refused }, patch, model: message.model,
    request_id: requestId, updated_at: new Date(), lease_expires_at: null,
  }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
}

/** Stores and produces a suggestion for the session: what `/suggest [session]` calls. */
export async function suggestForSession(deps: SuggestDeps, sessionId: string, options: { requestedBy?: string | null; signal?: AbortSignal } = {}): Promise<PromptSuggestion> {
  const created = await createSuggestion(deps, sessionId, options.requestedBy ?? null);
  return produceSuggestion(deps, created.id, { signal: options.signal });
}

/** Produces again the pending suggestions whose process died (lease expired). Returns how many. */
export async function resumeSuggestions(deps: SuggestDeps): Promise<number> {
  const stale = await deps.db.updateTable('prompt_suggestions').set({ lease_expires_at: new Date(Date.now() + LEASE_MS) })
    .where('status', '=', 'pending').where(sql<boolean>`coalesce(lease_expires_at, now()) <= now()`).returning('id').execute();
  for (const { id } of stale) await produceSuggestion(deps, id);
  return stale.length;
}

/** A stored suggestion. @throws InsightsNotFoundError */
export async function getSuggestion(db: Db, id: string): Promise<PromptSuggestion> {
  const rows = /^[0-9a-f-]{4,36}$/i.test(id) ? await db.selectFrom('prompt_suggestions').selectAll().where(sql`id::text`, 'like', `${id.toLowerCase()}%`).limit(2).execute() : [];
  const [only] = rows;
  if (rows.length !== 1 || !only) throw new InsightsNotFoundError('suggestion', id);
  return only;
}

/** The downloadable .patch of a ready suggestion. @throws InsightsStateError when it has none. */
export function suggestionPatchFile(s: PromptSuggestion): { fileName: string; text: string } {
  if (s.status !== 'ready' || s.patch === null) {
    throw new InsightsStateError(s.mode === 'offline_digest' ? 'This suggestion is an offline digest of the notes: it has no patch.' : `Suggestion ${s.id.slice(0, 8)} has no patch (${s.status === 'failed' ? (s.error ?? 'it failed') : 'no edit could be applied'}).`);
  }
  return { fileName: `suggestion-${s.id.slice(0, 8)}.patch`, text: s.patch.endsWith('\n') ? s.patch : `${s.patch}\n` };
}

/** What the suggestion card shows: the row with each edit's notes named as the session labels them (N1 (tone)). */
export async function suggestionView(db: Db, suggestionId: string) {
  const s = await getSuggestion(db, suggestionId);
  const data = await loadSessionData(db, s.session_id);
  const names = new Map(data.turns.flatMap((t) => t.notes.map((n) => [n.id, `${n.label} (${n.category ?? 'note'})`] as const)));
  return {
    suggestionId: s.id, sessionId: s.session_id, status: s.status, mode: s.mode, baseVersion: s.base_version, model: s.model, summary: s.summary,
    edits: s.edits.items.map((e) => ({ notes: e.note_ids.map((id) => names.get(id) ?? id), rationale: e.rationale })),
    refused: s.refused.items.map((r) => ({ reason: r.reason, rationale: r.edit.rationale })),
    patch: s.patch, digest: s.digest, error: s.error,
  };
}
