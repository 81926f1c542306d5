/**
 * npm run playground: the bot plus the Microsoft 365 Agents Playground, for trying the bot locally
 * (see src/cli/playground-processes.ts for what it starts and the variables it reads).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDotEnv, type RunningChild, startBot, startPlayground, stopChildren, unauthenticatedBotEnv, waitForHealth } from './playground-processes';

async function main(): Promise<void> {
  const env = loadDotEnv();
  const botPort = Number(env.PORT ?? 3978);
  const playgroundPort = Number(env.PLAYGROUND_PORT ?? 56150);
  if (env.MicrosoftAppId) {
    console.log('[playground] MicrosoftAppId is set; the bot runs without credentials here, since the Playground does not authenticate.');
  }
  const children: RunningChild[] = [];
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await stopChildren(children);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.log(`\n[playground] ${signal}: stopping the bot and the Playground…`);
      void stop(130);
    });
  }
  const stopWhenExited = (child: RunningChild, label: string): void => {
    void child.exited.then(({ code, signal }) => {
      if (!stopping) console.error(`[playground] ${label} exited (${signal ?? `code ${String(code)}`}); stopping.`);
      void stop(code || 1);
    });
  };

  try {
    const bot = startBot({
      entry: env.BOT_ENTRY || undefined,
      env: unauthenticatedBotEnv({ ...env, PORT: String(botPort) }),
      sink: (line) => { console.log(`[bot] ${line}`); },
    });
    children.push(bot);
    stopWhenExited(bot, 'the bot');
    const health = `http://127.0.0.1:${botPort}/healthz`;
    console.log(`[playground] starting the bot on port ${botPort}, waiting for ${health} …`);
    await waitForHealth(health, bot);

    const logFile = path.join(tmpdir(), 'tuning-bot-playground', 'm365agentsplayground.log');
    const endpoint = `http://127.0.0.1:${botPort}/api/messages`;
    const playground = startPlayground({
      botEndpoint: endpoint,
      port: playgroundPort,
      env,
      logFile,
      sink: (line) => { console.log(`[agentsplayground] ${line}`); },
    });
    children.push(playground);
    stopWhenExited(playground, 'the Agents Playground');
    const url = await playground.url;
    console.log('');
    console.log(`  Agents Playground: ${url}`);
    console.log(`  bot endpoint:      ${endpoint} (channel msteams)`);
    console.log(`  Playground log:    ${logFile}`);
    console.log("  You chat as the Playground's default user, Alex Wilber. Ctrl-C stops both.");
    console.log('');
  } catch (err) {
    console.error(`[playground] ${(err as Error).message}`);
    await stop(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
