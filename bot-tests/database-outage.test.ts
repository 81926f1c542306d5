/**
 * The database going away: at start (a clear error naming it) and during a session (the tester is
 * told, the bot keeps running and recovers when it returns). Postgres only for the outage: the
 * embedded PGlite cannot go away from under the process.
 */
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { connectDatabase, migrateToLatest } from '../db';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { cardOf, MEG } from './helpers/bot-harness';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy';
import { TestAdapter } from 'botbuilder';

const run = promisify(execFile);

describe('database unreachable at start', () => {
  it('exits with a message naming the database and DATABASE_URL', async () => {
    const result = await run(process.execPath, ['-r', '@swc-node/register', 'src/index.ts'], {
      env: { ...process.env, DATABASE_URL: 'postgres://tuning:secret@127.0.0.1:1/nowhere', PORT: '39871', LOG_LEVEL: 'silent' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: unknown) => ({ code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot reach the database at postgres:\/\/tuning:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(result.stderr).toMatch(/Check DATABASE_URL/);
    expect(result.stderr).not.toContain('secret');
  });

  it('exits with a message naming the variable when the configuration is wrong', async () => {
    const result = await run(process.execPath, ['-r', '@swc-node/register', 'src/index.ts'], {
      env: { ...process.env, PORT: 'eighty', DATABASE_URL: '' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: unknown) => ({ code: (err as { code: number }).code, stderr: (err as { stderr: string }).stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PORT: Expected number/);
  });
});

// Only Postgres can go away under a running bot (PGlite is in the process); without DATABASE_URL this
// suite has no server to cut. CI sets DATABASE_URL and TEST_REQUIRE_POSTGRES, so it always runs there.
const onPostgres = testDbKinds.includes('postgres');

if (onPostgres) describe('database outage during a session on postgres', () => {
  const kind = 'postgres' as const;
  let t: TestDatabase;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await proxy?.close();
    await t.dispose();
  });

  it('tells the tester, keeps running, and recovers when the database returns', async () => {
    const url = new URL(t.url!);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const logs: string[] = [];
    const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => { logs.push(c.toString()); cb(); } }));
    const database = await connectDatabase({ kind: 'postgres', url: url.toString() }, { onPoolError: (err) => { logger.error({ err }, 'pool error'); } });
    await migrateToLatest(database.db);
    const config = loadConfig({ EXPORT_SIGNING_SECRET: 'outage-test-secret-long-enough-0123456789' });
    const app = createApp({ config, database, logger, anthropic: null, members: { lookup: async () => null } });
    const adapter = new TestAdapter(async (context) => app.bot.run(context));
    const say = async (text: string) => {
      adapter.activeQueue.splice(0);
      await adapter.processActivity({ type: 'message', text, channelId: 'msteams', from: MEG.account, conversation: { id: 'a:outage', conversationType: 'personal' } as never });
      return adapter.activeQueue.splice(0);
    };
    try {
      expect((await say('First question')).filter((a) => cardOf(a))).toHaveLength(2);

      await proxy.cut();
      const during = await say('Asked while the database is down');
      expect(during.map((a) => a.text ?? '').join(' ')).toMatch(/can't reach the tuning database right now/);
      expect(during.map((a) => a.text ?? '').join(' ')).not.toMatch(/stack|Error:/);

      await proxy.restore();
      const after = await say('Asked after it came back');
      expect(after.filter((a) => cardOf(a))).toHaveLength(1);
      const turns = await t.db.selectFrom('tuning_conversation_turns').select(['turn_number', 'user_message']).orderBy('turn_number').execute();
      expect(turns).toEqual([
        { turn_number: 1, user_message: 'First question' },
        { turn_number: 2, user_message: 'Asked after it came back' },
      ]);
    } finally {
      await database.close();
    }
  });
});
