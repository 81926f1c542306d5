/**
 * The candidate prompt of a replay, and its version:
 * - a git ref: the prompt file as it is at that ref; version = the 7-character commit that last changed
 *   the file at or before the ref (exactly what a session started at that ref records as
 *   master_prompt_version, so A/B labels line up); the ref's own commit is kept in `refCommit`;
 * - a file: its text; version = its git version when it is committed unchanged, else `sha256:` and the
 *   first 12 hex digits of its content hash (the format sessions use for a prompt outside git);
 * - a stored suggestion: its accepted edits applied to the current prompt (each must still occur exactly
 *   once); version = `sha256:…` of the result.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import type { CandidateKind, Database } from '../../db';
import { createPromptSource, PromptFileError, runGit } from '../era';
import { CandidateError } from './errors';
import { applyEdits } from './patch';
import { getSuggestion } from './suggest';

/** What to replay against. */
export type CandidateSpec = { kind: 'git_ref'; ref: string } | { kind: 'file'; path: string } | { kind: 'suggestion'; id: string };

export interface Candidate {
  kind: CandidateKind;
  /** The ref, path or suggestion id as given. */
  ref: string;
  version: string;
  sha256: string;
  text: string;
  suggestionId: string | null;
  /** git_ref: the full commit the ref names. */
  refCommit: string | null;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
export const contentVersion = (hash: string): string => `sha256:${hash.slice(0, 12)}`;
const SAFE_REF = /^[A-Za-z0-9._/@{}~^-]{1,200}$/;

async function fromGitRef(promptPath: string, ref: string): Promise<Candidate> {
  if (!SAFE_REF.test(ref) || ref.startsWith('-')) throw new CandidateError(`"${ref.slice(0, 60)}" is not a git ref I can use (a branch, tag or commit).`);
  const cwd = dirname(promptPath);
  const commit = await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd });
  const full = commit?.code === 0 ? commit.stdout.trim() : '';
  if (!/^[0-9a-f]{40}$/.test(full)) throw new CandidateError(`There is no commit "${ref}" in the prompt's repository.`);
  const prefix = await runGit(['rev-parse', '--show-prefix'], { cwd });
  const repoPath = `${prefix?.code === 0 ? prefix.stdout.trim() : ''}${basename(promptPath)}`;
  const shown = await runGit(['show', `${full}:${repoPath}`], { cwd });
  if (shown?.code !== 0) throw new CandidateError(`The prompt file ${repoPath} does not exist at ${ref} (${full.slice(0, 7)}).`);
  // The pathspec is relative to cwd, the prompt's own folder.
  const last = await runGit(['log', '-1', '--format=%H', full, '--', basename(promptPath)], { cwd });
  const found = last?.code === 0 ? last.stdout.trim() : '';
  const lastCommit = /^[0-9a-f]{40}$/.test(found) ? found : full;
  const text = shown.stdout.replace(/^\uFEFF/, '');
  return { kind: 'git_ref', ref, version: lastCommit.slice(0, 7), sha256: sha256(text), text, suggestionId: null, refCommit: full };
}

async function fromFile(path: string): Promise<Candidate> {
  try {
    const snap = await createPromptSource(resolve(path)).snapshot();
    // "+dirty" means the file differs from its committed copy: not a commit, so its content names it.
    const version = snap.inGit && !snap.version.endsWith('+dirty') ? snap.version : contentVersion(snap.sha256);
    return { kind: 'file', ref: path, version, sha256: sha256(snap.text), text: snap.text, suggestionId: null, refCommit: null };
  } catch (err) {
    if (err instanceof PromptFileError) throw new CandidateError(`The candidate prompt file cannot be read: ${err.message.replace(/^Cannot read the prompt file /, '')}.`, { cause: err });
    throw err;
  }
}

async function fromSuggestion(db: Kysely<Database>, promptPath: string, id: string): Promise<Candidate> {
  const suggestion = await getSuggestion(db, id);
  if (suggestion.status !== 'ready' || suggestion.edits.items.length === 0) {
    throw new CandidateError(`Suggestion ${suggestion.id.slice(0, 8)} has no edits to replay (${suggestion.mode === 'offline_digest' ? 'it is an offline digest' : suggestion.status}).`);
  }
  const current = await createPromptSource(promptPath).read();
  const noteIds = new Set(suggestion.edits.items.flatMap((e) => e.note_ids));
  const applied = applyEdits(current.text, suggestion.edits.items, noteIds);
  if (applied.refused.length > 0) {
    throw new CandidateError(`Suggestion ${suggestion.id.slice(0, 8)} no longer applies to the current prompt: ${applied.refused.map((r) => r.reason).join('; ')}. Ask for a new suggestion.`);
  }
  const hash = sha256(applied.text);
  return { kind: 'suggestion', ref: suggestion.id, version: contentVersion(hash), sha256: hash, text: applied.text, suggestionId: suggestion.id, refCommit: null };
}

/** Resolves a candidate. @throws CandidateError saying what is wrong with it */
export async function resolveCandidate(db: Kysely<Database>, promptPath: string, spec: CandidateSpec): Promise<Candidate> {
  if (spec.kind === 'git_ref') return fromGitRef(resolve(promptPath), spec.ref.trim());
  if (spec.kind === 'file') return fromFile(spec.path);
  return fromSuggestion(db, promptPath, spec.id.trim());
}
