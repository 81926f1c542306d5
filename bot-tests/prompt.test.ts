/**
 * Prompt loading and versioning against real git repositories made in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPromptSource, PromptFileError, promptVersion, readPromptText } from '../src/era';

const PROMPT_V1 = '# ERA\nYou are ERA, the employee relations assistant.\n';
const PROMPT_V2 = '# ERA\nYou are ERA. Answer managers warmly and directly.\n';

let root: string;
const savedCeiling = process.env.GIT_CEILING_DIRECTORIES;

/** Runs git in a test repository, isolated from any repository or hook environment around the test run. */
function git(cwd: string, ...args: string[]): string {
  const repositoryVariables = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR'];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !repositoryVariables.includes(name)));
  const identity = ['-c', 'user.email=tester@example.com', '-c', 'user.name=Tester', '-c', 'commit.gpgsign=false'];
  return execFileSync('git', [...identity, ...args], { cwd, env, encoding: 'utf8' }).trim();
}

/** A new repository on branch `prompt-tuning` with MASTER_PROMPT.md committed. */
async function repoWithPrompt(name: string, content = PROMPT_V1): Promise<{ dir: string; file: string }> {
  const dir = path.join(root, name);
  git(root, 'init', '-q', '-b', 'prompt-tuning', dir);
  const file = path.join(dir, 'MASTER_PROMPT.md');
  await writeFile(file, content);
  git(dir, 'add', 'MASTER_PROMPT.md');
  git(dir, 'commit', '-q', '-m', 'prompt v1');
  return { dir, file };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(tmpdir(), 'era-prompt-')));
  // Keeps git from finding a repository above the temporary directory, whatever machine runs this.
  process.env.GIT_CEILING_DIRECTORIES = path.dirname(root);
});
afterAll(async () => {
  if (savedCeiling === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
  else process.env.GIT_CEILING_DIRECTORIES = savedCeiling;
  await rm(root, { recursive: true, force: true });
});

describe('promptVersion', () => {
  test('a committed, unchanged prompt is the 7-character hash of its last commit, with the branch', async () => {
    const { dir, file } = await repoWithPrompt('clean');
    const promptCommit = git(dir, 'rev-parse', 'HEAD');
    // A later commit that does not touch the prompt must not change its version.
    await writeFile(path.join(dir, 'README.md'), 'other file\n');
    git(dir, 'add', 'README.md');
    git(dir, 'commit', '-q', '-m', 'unrelated');
    expect(git(dir, 'rev-parse', 'HEAD')).not.toBe(promptCommit);

    const version = await promptVersion(file);
    expect(version).toEqual({ version: promptCommit.slice(0, 7), branch: 'prompt-tuning', inGit: true });
    expect(version.version).toMatch(/^[0-9a-f]{7}$/);
  });

  test('an edited prompt is +dirty, and clean again once the edit is committed', async () => {
    const { dir, file } = await repoWithPrompt('dirty');
    const first = git(dir, 'rev-parse', '--short=7', 'HEAD');
    await writeFile(file, PROMPT_V2);
    expect(await promptVersion(file)).toEqual({ version: `${first}+dirty`, branch: 'prompt-tuning', inGit: true });

    git(dir, 'commit', '-q', '-am', 'prompt v2');
    const second = git(dir, 'rev-parse', '--short=7', 'HEAD');
    expect(second).not.toBe(first);
    expect((await promptVersion(file)).version).toBe(second);
  });

  test('a detached HEAD keeps the version and reports no branch', async () => {
    const { dir, file } = await repoWithPrompt('detached');
    const head = git(dir, 'rev-parse', '--short=7', 'HEAD');
    git(dir, '-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach');
    expect(await promptVersion(file)).toEqual({ version: head, branch: null, inGit: true });
  });

  test('an untracked or only-staged prompt inside a repository counts as outside git', async () => {
    const { dir } = await repoWithPrompt('untracked');
    const untracked = path.join(dir, 'OTHER_PROMPT.md');
    await writeFile(untracked, PROMPT_V2);
    const expected = { version: `sha256:${sha256(PROMPT_V2).slice(0, 12)}`, branch: null, inGit: false };
    expect(await promptVersion(untracked)).toEqual(expected);

    git(dir, 'add', 'OTHER_PROMPT.md');
    expect(await promptVersion(untracked)).toEqual(expected);
  });

  test('a prompt deleted from HEAD and written again is not mistaken for the old commit', async () => {
    const { dir, file } = await repoWithPrompt('recreated');
    git(dir, 'rm', '-q', 'MASTER_PROMPT.md');
    git(dir, 'commit', '-q', '-m', 'remove prompt');
    await writeFile(file, PROMPT_V1);
    expect(await promptVersion(file)).toEqual({ version: `sha256:${sha256(PROMPT_V1).slice(0, 12)}`, branch: null, inGit: false });
  });

  test('outside any repository it is the content hash', async () => {
    const file = path.join(root, 'loose', 'MASTER_PROMPT.md');
    await mkdir(path.dirname(file));
    await writeFile(file, PROMPT_V1);
    expect(await promptVersion(file)).toEqual({ version: `sha256:${sha256(PROMPT_V1).slice(0, 12)}`, branch: null, inGit: false });
  });

  test('a missing git executable falls back to the content hash instead of failing', async () => {
    const { file } = await repoWithPrompt('no-git');
    const version = await promptVersion(file, { gitBinary: path.join(root, 'no-such-git') });
    expect(version).toEqual({ version: `sha256:${sha256(PROMPT_V1).slice(0, 12)}`, branch: null, inGit: false });
  });

  test('a missing file is a PromptFileError naming the path', async () => {
    const missing = path.join(root, 'nowhere', 'MASTER_PROMPT.md');
    const err: unknown = await promptVersion(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromptFileError);
    expect((err as PromptFileError).path).toBe(missing);
    expect((err as PromptFileError).message).toContain(missing);
    await expect(readPromptText(missing)).rejects.toThrow(missing);
  });
});

describe('readPromptText', () => {
  test('returns the text and its SHA-256, and picks up an edit', async () => {
    const file = path.join(root, 'read-edit.md');
    await writeFile(file, PROMPT_V1);
    expect(await readPromptText(file)).toEqual({ text: PROMPT_V1, sha256: sha256(PROMPT_V1) });

    await writeFile(file, PROMPT_V2);
    expect(await readPromptText(file)).toEqual({ text: PROMPT_V2, sha256: sha256(PROMPT_V2) });
  });

  test('is cached by modification time and size: a same-size edit shows once the mtime moves', async () => {
    const file = path.join(root, 'read-cache.md');
    // Whole seconds, so the timestamp can be put back exactly (a Date would drop sub-millisecond digits).
    const pinned = 1_700_000_000;
    await writeFile(file, 'version A\n');
    await utimes(file, pinned, pinned);
    expect((await readPromptText(file)).text).toBe('version A\n');

    // Same size, and the old mtime put back: indistinguishable by stat, so the cached text is served.
    await writeFile(file, 'version B\n');
    await utimes(file, pinned, pinned);
    expect((await stat(file)).mtimeMs).toBe(pinned * 1000);
    expect((await readPromptText(file)).text).toBe('version A\n');

    // Any real save moves the mtime, and then the new text is read.
    await utimes(file, pinned, pinned + 2);
    expect(await readPromptText(file)).toEqual({ text: 'version B\n', sha256: sha256('version B\n') });
  });

  test('a directory is a PromptFileError', async () => {
    await expect(readPromptText(root)).rejects.toBeInstanceOf(PromptFileError);
  });
});

describe('PromptSource', () => {
  test('snapshot combines the text, its hash and the version', async () => {
    const { dir, file } = await repoWithPrompt('source');
    const source = createPromptSource(path.relative(process.cwd(), file));
    expect(source.path).toBe(file);
    const snapshot = await source.snapshot();
    expect(snapshot).toEqual({
      path: file,
      text: PROMPT_V1,
      sha256: sha256(PROMPT_V1),
      version: git(dir, 'rev-parse', '--short=7', 'HEAD'),
      branch: 'prompt-tuning',
      inGit: true,
    });
    expect(await source.read()).toEqual({ text: PROMPT_V1, sha256: sha256(PROMPT_V1) });
    expect(await source.version()).toEqual({ version: snapshot.version, branch: 'prompt-tuning', inGit: true });
  });
});

describe('PromptSource.version under a crowd (issue 9, failure 5)', () => {
  test('fifty sessions opening at once run git once, and an edit of the file is seen at once', async () => {
    const { dir, file } = await repoWithPrompt('crowd');
    // A git that counts its runs, then does the real work.
    const counter = path.join(dir, 'git-runs.log');
    const wrapper = path.join(dir, 'counting-git.sh');
    await writeFile(wrapper, `#!/bin/sh\necho run >> '${counter}'\nexec git "$@"\n`, { mode: 0o755 });
    const runs = async () => (await readFile(counter, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
    const source = createPromptSource(file, { gitBinary: wrapper });

    const versions = await Promise.all(Array.from({ length: 50 }, () => source.version()));
    expect(new Set(versions.map((v) => v.version))).toEqual(new Set([git(dir, 'rev-parse', '--short=7', 'HEAD')]));
    // One gitVersion run is four git commands (branch, last commit, HEAD's blob, the working blob).
    expect(await runs()).toBe(4);

    await writeFile(file, 'edited, not committed\n');
    expect((await source.version()).version).toMatch(/\+dirty$/);
    expect(await runs()).toBe(8);
  });
});
