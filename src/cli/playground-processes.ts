/**
 * `npm run playground`: the bot plus the Microsoft 365 Agents Playground (a Teams-like web client from
 * npm) for trying the bot locally, with no Azure registration and no tunnel.
 *
 * Starts the bot (`node -r @swc-node/register src/index.ts`), waits for GET /healthz, then starts the
 * Playground pointed at http://127.0.0.1:<PORT>/api/messages on the msteams channel, and prints the
 * URL to open. Ctrl-C stops both; if either exits, the other is stopped too.
 *
 * Environment (and .env): PORT (bot, default 3978), PLAYGROUND_PORT (web UI, default 56150; the
 * Playground picks a random free port when that one is taken, and the URL printed is the real one).
 * The bot runs without Bot Framework credentials, because the Playground sends unauthenticated
 * requests: MicrosoftAppId/Password/TenantId from .env are blanked for the bot child.
 *
 * BOT_ENTRY (default src/index.ts) runs another bot entry point instead, e.g. a stand-in while
 * testing the harness itself. src/cli/playground.ts runs it; the helpers are exported for
 * bot-tests/e2e/run-e2e.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readEnvironment } from '../config';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PLAYGROUND_CLI = path.join(REPO_ROOT, 'node_modules', '@microsoft', 'm365agentsplayground', 'cli.js');

export type LineSink = (line: string) => void;

export interface RunningChild {
  name: string;
  process: ChildProcess;
  /** Settles when the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function pipeLines(child: ChildProcess, sink: LineSink): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', sink);
  }
}

function track(name: string, child: ChildProcess): RunningChild {
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => { resolve({ code, signal }); });
    child.once('error', () => { resolve({ code: child.exitCode ?? 1, signal: null }); });
  });
  return { name, process: child, exited };
}

/** A free TCP port on the loopback interface. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => { resolve(port); });
    });
  });
}

/**
 * A folder holding a do-nothing `xdg-open`, to put first on the Playground's PATH: it tries to open a
 * browser at start, which on a headless machine would hang or fail.
 */
export function noopXdgOpenDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'noop-xdg-open-'));
  const script = path.join(dir, 'xdg-open');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o755);
  return dir;
}

/** Starts the bot with node + @swc-node/register; its output goes to sink line by line. */
export function startBot(options: { env: NodeJS.ProcessEnv; sink: LineSink; entry?: string }): RunningChild {
  const entry = options.entry ?? 'src/index.ts';
  const child = spawn(process.execPath, ['--enable-source-maps', '-r', '@swc-node/register', entry], {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a terminal Ctrl-C reaches it only through us, once, in order.
    detached: true,
  });
  pipeLines(child, options.sink);
  return track('bot', child);
}

/** Polls url until it answers 200, or fails when the child exits or the time is up. */
export async function waitForHealth(url: string, child: RunningChild, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Set by the exit callback while this loop waits.
  const state = { exited: false };
  void child.exited.then(() => {
    state.exited = true;
  });
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (state.exited) throw new Error(`the ${child.name} exited (code ${String(child.process.exitCode)}) before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last})`);
}

export interface RunningPlayground extends RunningChild {
  /** The web UI's address, once the Playground has said which port it listens on. */
  url: Promise<string>;
}

/**
 * Starts the Agents Playground CLI against the bot's messaging endpoint on the msteams channel.
 * Its own log file goes to logFile (by default it would create ./devTools/ in the working folder).
 */
export function startPlayground(options: {
  botEndpoint: string;
  port: number;
  env: NodeJS.ProcessEnv;
  sink: LineSink;
  logFile: string;
  extraArgs?: string[];
}): RunningPlayground {
  if (!existsSync(PLAYGROUND_CLI)) throw new Error(`the Agents Playground is not installed (${PLAYGROUND_CLI}); run npm install`);
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const args = [
    PLAYGROUND_CLI,
    '--app-endpoint', options.botEndpoint,
    '--channel-id', 'msteams',
    '--port', String(options.port),
    '--disable-telemetry',
    ...(options.extraArgs ?? []),
  ];
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    PATH: `${noopXdgOpenDir()}${path.delimiter}${options.env.PATH ?? ''}`,
    // Belt and braces with the no-op xdg-open: this tells the Playground not to open a browser at all.
    TEAMSAPPTESTER_BROWSER: 'none',
    M365_AGENTS_PLAYGROUND_LOGFILE: options.logFile,
  };
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tracked = track('playground', child);
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the Playground did not report its port within 60 s')); }, 60_000);
    pipeLines(child, (line) => {
      options.sink(line);
      const m = /Listening on (\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(`http://localhost:${m[1]}`);
      }
    });
    void tracked.exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the Playground exited (code ${String(code)}) before listening`));
    });
  });
  url.catch(() => undefined); // Observed by whoever awaits it; never an unhandled rejection.
  return { ...tracked, url };
}

function signalGroup(child: RunningChild, signal: NodeJS.Signals): void {
  const pid = child.process.pid;
  if (pid === undefined || child.process.exitCode !== null || child.process.signalCode !== null) return;
  try {
    process.kill(-pid, signal); // the whole group: the Playground or the bot and anything they started
  } catch {
    try {
      child.process.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/** Asks the children to stop (SIGINT, as Ctrl-C would), then kills what is left after graceMs. */
export async function stopChildren(children: RunningChild[], graceMs = 8000): Promise<void> {
  for (const c of children) signalGroup(c, 'SIGINT');
  const all = Promise.all(children.map((c) => c.exited));
  const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => setTimeout(() => { r(true); }, graceMs).unref())]);
  if (timedOut) {
    for (const c of children) signalGroup(c, 'SIGKILL');
    await all;
  }
}

/** The environment with the repository's .env (when present) loaded, without overriding what is already set. */
export function loadDotEnv(): NodeJS.ProcessEnv {
  return readEnvironment(path.join(REPO_ROOT, '.env'));
}

/** The environment for a bot driven by the Playground: no Bot Framework credentials. */
export function unauthenticatedBotEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppTenantId: '' };
}
