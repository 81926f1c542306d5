/**
 * "NOT saved" only when the turn is really not in the database (issue 9, failure 6). The connection
 * is lost around the turn's COMMIT: after the server committed (the tester gets the normal answer,
 * the turn is there once), or before (the answer is shown as not saved, and no turn is stored).
 * On Postgres the connection is really cut by a TCP proxy just after the COMMIT reaches the server;
 * on both databases an equivalent fault is injected at the transaction boundary.
 */
import { connectDatabase } from '../db';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import type { ConnectorRequest } from './helpers/fake-connector';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy';
import { repliesTo, startWire, type Wire } from './helpers/wire-harness';

const isFinal = (r: ConnectorRequest) => r.body?.type === 'message' && typeof r.body.text === 'string' && (r.body.text).includes('ERA says');

function connectionLost(): Error {
  return Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
}

type Fault = 'after-commit' | 'before-commit' | null;

/** The app's Kysely, whose next transaction fails as armed: after its COMMIT succeeded, or instead of it. */
function faulty(db: TestDatabase['db'], fault: { next: Fault }): TestDatabase['db'] {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return () => {
          const builder = target.transaction();
          return {
            execute: async <T>(fn: (trx: unknown) => Promise<T>): Promise<T> => {
              const armed = fault.next;
              fault.next = null;
              if (armed === 'before-commit') {
                return builder.execute(async (trx) => {
                  await fn(trx);
                  throw connectionLost();
                });
              }
              const result = await builder.execute(fn);
              if (armed === 'after-commit') throw connectionLost();
              return result;
            },
          };
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function ask(wire: Wire, text: string) {
  const msg = wire.message(text, { group: true });
  expect((await wire.post(msg)).status).toBe(200);
  await wire.connector.waitFor(() => repliesTo(wire, msg.id as string).some((r) => r.body?.type === 'message' && r.body.text !== undefined));
  await wire.idle();
  return repliesTo(wire, msg.id as string).filter((r) => r.body?.type === 'message' && r.body.text !== undefined);
}

const turnsLike = async (wire: Wire, text: string) =>
  (await wire.t.db.selectFrom('tuning_conversation_turns').select('id').where('user_message', '=', text).execute()).length;

describe.each(testDbKinds)('a connection lost around the turn commit (%s)', (kind) => {
  const fault: { next: Fault } = { next: null };
  let wire: Wire;
  beforeAll(async () => {
    wire = await startWire(kind, { wrapDb: (db) => faulty(db, fault) });
    await ask(wire, 'Opening the session');
  }, 180_000);
  afterAll(async () => {
    await wire.close();
  });

  it('gives the normal answer when the turn was committed before the connection was lost', async () => {
    fault.next = 'after-commit';
    const replies = await ask(wire, 'Stored, then the connection dropped');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body!.text).not.toMatch(/NOT saved/);
    expect(isFinal(replies[0]!)).toBe(true);
    expect(await turnsLike(wire, 'Stored, then the connection dropped')).toBe(1);
  });

  it('says NOT saved when the turn was rolled back', async () => {
    fault.next = 'before-commit';
    const replies = await ask(wire, 'Lost before the commit');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body!.text).toMatch(/NOT saved/);
    expect(await turnsLike(wire, 'Lost before the commit')).toBe(0);
  });
});

if (testDbKinds.includes('postgres')) describe('the Postgres connection cut just after COMMIT reaches the server', () => {
  let t: TestDatabase;
  let proxy: TcpProxy;
  let wire: Wire;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    const url = new URL(t.url!);
    proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const handle = await connectDatabase({ kind: 'postgres', url: url.toString() }, { onPoolError: () => undefined });
    wire = await startWire('postgres', { database: { ...handle, dispose: () => handle.close() } });
    await ask(wire, 'Opening the session');
  }, 180_000);
  afterAll(async () => {
    await wire.close();
    await wire.t.dispose();
    await proxy.close();
    await t.dispose();
  });

  it('looks the turn up and gives the normal answer, not "NOT saved"', async () => {
    proxy.cutAfterNextCommit();
    const replies = await ask(wire, 'The server reply was lost on the wire');
    expect(replies).toHaveLength(1);
    expect(replies[0]!.body!.text).not.toMatch(/NOT saved/);
    expect(isFinal(replies[0]!)).toBe(true);
    expect(await turnsLike(wire, 'The server reply was lost on the wire')).toBe(1);
    expect(wire.logs.some((l) => l.msg === 'the database failed around the commit but the turn is stored')).toBe(true);
  });
});
