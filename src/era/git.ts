/** Runs git read-only, without a shell, and reports failure as a value: callers fall back, never throw. */
import { execFile } from 'node:child_process';

/** How a git command ended. */
export interface GitResult {
  code: number;
  stdout: string;
}

/** Where and how git runs. */
export interface GitRunOptions {
  cwd: string;
  /** The git executable; 'git' (from PATH) unless set. */
  gitBinary?: string;
  timeoutMs?: number;
}

/**
 * Variables that point git at another repository or index. A git hook (the lead commits with hooks) runs
 * its children with GIT_DIR and GIT_INDEX_FILE set, which would make us report on the wrong repository.
 */
const REPOSITORY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

function gitEnvironment(): NodeJS.ProcessEnv {
  // Passing the environment through (as execFile would by default) is not configuration reading:
  // git needs HOME, PATH and the user's git settings.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !REPOSITORY_VARIABLES.includes(name)));
  // Reading must never take the index lock that a concurrent `git commit` needs, nor wait for a password.
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_TERMINAL_PROMPT = '0';
  return env;
}

/**
 * Runs `git <args>` in `cwd`. Resolves with the exit code and stdout, or null when git could not run
 * at all (not installed, timed out, killed).
 */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitResult | null> {
  return new Promise((resolve) => {
    execFile(
      options.gitBinary ?? 'git',
      args,
      {
        cwd: options.cwd,
        env: gitEnvironment(),
        timeout: options.timeoutMs ?? 5000,
        maxBuffer: 1024 * 1024,
        windowsHide: true,
        encoding: 'utf8',
      },
      (error, stdout) => {
        if (!error) {
          resolve({ code: 0, stdout });
          return;
        }
        // A numeric code is git's own exit status; a string code (ENOENT) or a signal means it never
        // ran to completion.
        resolve(typeof error.code === 'number' && !error.killed ? { code: error.code, stdout } : null);
      },
    );
  });
}
