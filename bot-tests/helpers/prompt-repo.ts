/**
 * A throwaway git repository holding a copy of the shipped prompt at examples/era/MASTER_PROMPT.md, so
 * tests can version it, change it, and check a .patch with a real `git apply --check`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const SHIPPED_PROMPT = path.resolve(__dirname, '../../examples/era/MASTER_PROMPT.md');

export interface PromptRepo {
  dir: string;
  /** Absolute path of the prompt in the repository. */
  promptPath: string;
  git(...args: string[]): string;
  /** Writes the prompt and commits it; returns the commit's full SHA. */
  commitPrompt(text: string, message?: string): string;
  dispose(): void;
}

export function createPromptRepo(): PromptRepo {
  const dir = mkdtempSync(path.join(tmpdir(), 'prompt-repo-'));
  const promptPath = path.join(dir, 'examples/era/MASTER_PROMPT.md');
  mkdirSync(path.dirname(promptPath), { recursive: true });
  copyFileSync(SHIPPED_PROMPT, promptPath);
  // Not the repository the tests run in: git's own location variables are left out.
  const { GIT_DIR: _dir, GIT_WORK_TREE: _tree, GIT_INDEX_FILE: _index, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'prompt');
  return {
    dir,
    promptPath,
    git,
    commitPrompt(text, message = 'edit prompt') {
      writeFileSync(promptPath, text);
      git('add', '.');
      git('commit', '-qm', message);
      return git('rev-parse', 'HEAD').trim();
    },
    dispose: () => { rmSync(dir, { recursive: true, force: true }); },
  };
}
