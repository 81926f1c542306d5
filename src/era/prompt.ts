/**
 * The system prompt under tuning: its text (re-read whenever the file changes, so an edit applies to
 * the next turn without a restart) and its version (the git commit of MASTER_PROMPT.md, which every
 * session records so notes can be traced back to the prompt they were about).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { PromptFileError } from './errors';
import { runGit } from './git';

/** The prompt's text and the SHA-256 (hex) of the file's bytes. */
export interface PromptText {
  text: string;
  sha256: string;
}

/**
 * Which prompt this is. In git: `version` is the 7-character hash of the last commit that touched the
 * file, plus `+dirty` when the working file differs from HEAD's copy, and `branch` is the current
 * branch (null when detached). Outside git (no repository, git missing or failing, the file untracked
 * or never committed): `version` is `sha256:` and the first 12 hex digits of the content hash, and
 * `branch` is null.
 */
export interface PromptVersion {
  version: string;
  branch: string | null;
  inGit: boolean;
}

/** Text and version read together, as a session or turn records them. */
export interface PromptSnapshot extends PromptText, PromptVersion {
  /** The absolute path that was read. */
  path: string;
}

/** How git is run to version the prompt. */
export interface PromptVersionOptions {
  /** The git executable; 'git' from PATH unless set. */
  gitBinary?: string;
  /** Per git command; a slow git falls back to the content hash. Default 5000. */
  gitTimeoutMs?: number;
}

interface CacheEntry {
  mtimeMs: number;
  size: number;
  value: PromptText;
}

/** Keyed by absolute path. A handful of prompt files at most, so a small cap is plenty. */
const textCache = new Map<string, CacheEntry>();
const TEXT_CACHE_LIMIT = 32;

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'the file does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads the prompt file. Cached by modification time and size, so calling it on every turn costs one
 * `stat` until the file is edited.
 * @throws PromptFileError naming the absolute path when the file is missing or unreadable.
 */
export async function readPromptText(path: string): Promise<PromptText> {
  const absolute = resolve(path);
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch (err) {
    throw new PromptFileError(absolute, describe(err), err);
  }
  if (!info.isFile()) throw new PromptFileError(absolute, 'it is not a regular file');

  const cached = textCache.get(absolute);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.value;

  let bytes: Buffer;
  try {
    bytes = await readFile(absolute);
  } catch (err) {
    throw new PromptFileError(absolute, describe(err), err);
  }
  // The hash is of the bytes on disk (what `sha256sum` prints); the text drops a BOM an editor may add.
  const value: PromptText = {
    text: bytes.toString('utf8').replace(/^\uFEFF/, ''),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  textCache.delete(absolute);
  if (textCache.size >= TEXT_CACHE_LIMIT) {
    const oldest = textCache.keys().next().value;
    if (oldest !== undefined) textCache.delete(oldest);
  }
  textCache.set(absolute, { mtimeMs: info.mtimeMs, size: info.size, value });
  return value;
}

function contentVersion(sha256: string): PromptVersion {
  return { version: `sha256:${sha256.slice(0, 12)}`, branch: null, inGit: false };
}

const HASH = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The git version of a file whose content hash is known; never throws. */
async function gitVersion(absolute: string, sha256: string, options: PromptVersionOptions): Promise<PromptVersion> {
  let real: string;
  try {
    // A symlinked prompt is versioned where the real file lives.
    real = await realpath(absolute);
  } catch {
    return contentVersion(sha256);
  }
  const file = basename(real);
  const run = { cwd: dirname(real), gitBinary: options.gitBinary, timeoutMs: options.gitTimeoutMs };
  const [branch, lastCommit, headBlob, workingBlob] = await Promise.all([
    runGit(['rev-parse', '--abbrev-ref', 'HEAD'], run),
    runGit(['log', '-1', '--format=%H', '--', file], run),
    // HEAD's copy, not the last commit's: a file deleted from HEAD and recreated must not look clean.
    runGit(['rev-parse', '--verify', '--quiet', `HEAD:./${file}`], run),
    // Hashed with the repository's filters (line endings), so it compares equal to a committed blob.
    runGit(['hash-object', '--', file], run),
  ]);
  const commit = lastCommit?.code === 0 ? lastCommit.stdout.trim() : '';
  const head = headBlob?.code === 0 ? headBlob.stdout.trim() : '';
  const working = workingBlob?.code === 0 ? workingBlob.stdout.trim() : '';
  // No commit touching the file, or no copy in HEAD, means untracked or never committed: outside git.
  if (!HASH.test(commit) || !HASH.test(head) || !HASH.test(working)) return contentVersion(sha256);

  const branchName = branch?.code === 0 ? branch.stdout.trim() : '';
  return {
    version: `${commit.slice(0, 7)}${head === working ? '' : '+dirty'}`,
    // `--abbrev-ref` prints "HEAD" when detached.
    branch: branchName !== '' && branchName !== 'HEAD' ? branchName : null,
    inGit: true,
  };
}

/**
 * The prompt file's version (see PromptVersion). Git problems of any kind fall back to the content
 * hash; git is run without a shell, read-only, in the file's directory.
 * @throws PromptFileError when the file itself is missing or unreadable.
 */
export async function promptVersion(path: string, options: PromptVersionOptions = {}): Promise<PromptVersion> {
  const absolute = resolve(path);
  const { sha256 } = await readPromptText(absolute);
  return gitVersion(absolute, sha256, options);
}

/** How long one git run's answer serves `PromptSource.version()` callers (see there). */
export const VERSION_REUSE_MS = 5000;

/**
 * One prompt file: `read()` per turn (cheap, picks up edits), `version()` when a session starts (runs
 * git, a few milliseconds), `snapshot()` for both at once.
 */
export class PromptSource {
  /** The absolute path of the prompt file. */
  readonly path: string;
  private readonly options: PromptVersionOptions;
  /** The latest git run (gitVersion never rejects), for the content with this hash. */
  private recent: { sha256: string; at: number; value: Promise<PromptVersion> } | null = null;

  constructor(path: string, options: PromptVersionOptions = {}) {
    this.path = resolve(path);
    this.options = options;
  }

  /** The current text. @throws PromptFileError */
  read(): Promise<PromptText> {
    return readPromptText(this.path);
  }

  /**
   * The current version. One git run serves every caller for VERSION_REUSE_MS while the file's
   * content is unchanged: fifty testers opening sessions at once start one set of git processes, not
   * fifty (those spawns were what made a crowd's first messages wait). An edit of the file is seen at
   * once; a commit of it within VERSION_REUSE_MS.
   * @throws PromptFileError (never for git problems)
   */
  async version(): Promise<PromptVersion> {
    const { sha256 } = await readPromptText(this.path);
    const now = Date.now();
    const recent = this.recent;
    if (recent && recent.sha256 === sha256 && now - recent.at < VERSION_REUSE_MS) return recent.value;
    const value = gitVersion(this.path, sha256, this.options);
    this.recent = { sha256, at: now, value };
    return value;
  }

  /** Text and version of the same content. @throws PromptFileError */
  async snapshot(): Promise<PromptSnapshot> {
    const text = await readPromptText(this.path);
    const version = await gitVersion(this.path, text.sha256, this.options);
    return { path: this.path, ...text, ...version };
  }
}

/** Creates the PromptSource for a path (typically `config.promptPath`). */
export function createPromptSource(path: string, options: PromptVersionOptions = {}): PromptSource {
  return new PromptSource(path, options);
}
