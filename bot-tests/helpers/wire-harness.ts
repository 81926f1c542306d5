/**
 * The bot on the wire: the real app (createApp + listen) on a test database, Claude answered by the
 * loopback fake Messages API through the real SDK, and Teams-shaped activities POSTed to
 * /api/messages with their serviceUrl pointing at a loopback Bot Connector that records what the bot
 * sends (bot-tests/helpers/fake-connector.ts). Tests assert on those JSON bodies: what Teams receives.
 *
 * Claude can be held: `wire.holdClaude()` makes every Messages API call wait until `release()`,
 * so a test can see the HTTP response to an activity arrive while the answer is still being written.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ConfigurationBotFrameworkAuthenticationOptions, TurnContext } from 'botbuilder';
import { createApp, type App } from '../../src/app';
import type { MemberDirectory } from '../../src/bot/deps';
import type { Config } from '../../src/config';
import { ingestKnowledge } from '../../src/era/retrieval';
import { listen } from '../../src/server';
import { capturingLogger } from './capturing-logger';
import { createTestDatabase, type TestDatabase, type TestDbKind } from './db';
import { type FakeAnthropic, lastUserText, startFakeAnthropic } from './fake-anthropic';
import { type FakeConnector, startFakeConnector } from './fake-connector';
import { testAppConfig } from './test-config';

export interface WireUser {
  id: string;
  name: string;
  aadObjectId: string;
  email: string;
}

export const MEG: WireUser = { id: '29:meg', name: 'Meg Tester', aadObjectId: 'aad-meg-0001', email: 'meg@northwind.example' };
export const ALEX: WireUser = { id: '29:alex', name: 'Alex Wilber', aadObjectId: 'aad-alex-0002', email: 'alex@northwind.example' };
export const BOT = { id: '28:tuning-bot', name: 'Tuning Bot' };

export interface WireOptions {
  /** Environment over the defaults (STREAMING=always unless given). */
  env?: Record<string, string>;
  /** Ingest examples/era/knowledge and ground answers in it. */
  knowledge?: boolean;
  /** Bot Framework auth settings (the OpenID metadata URLs of a loopback key server). */
  authOverrides?: ConfigurationBotFrameworkAuthenticationOptions;
  /** Claude offline (no client). */
  offline?: boolean;
  /** An existing database (a second instance, a restart); the caller disposes it. */
  database?: TestDatabase;
  /** Upload options (allowInsecureUrl for a loopback OneDrive upload session). */
  uploads?: { allowInsecureUrl?: boolean };
  /** The Kysely instance the app is given, wrapped (fault injection). */
  wrapDb?: (db: TestDatabase['db']) => TestDatabase['db'];
}

export interface PostResult {
  status: number;
  body: unknown;
}

export interface Wire {
  kind: TestDbKind;
  t: TestDatabase;
  app: App;
  config: Config;
  base: string;
  connector: FakeConnector;
  fake: FakeAnthropic | null;
  logs: Array<Record<string, unknown>>;
  /** POSTs an activity to /api/messages; resolves with the HTTP response. */
  post(activity: Record<string, unknown>, headers?: Record<string, string>): Promise<PostResult>;
  /** A Teams message from the user in their 1:1 chat (or the given conversation). */
  message(text: string, options?: { user?: WireUser; id?: string; group?: boolean; extra?: Record<string, unknown> }): Record<string, unknown>;
  /** A Teams invoke from the user in their 1:1 chat. */
  invoke(name: string, value: unknown, options?: { user?: WireUser; id?: string; replyToId?: string; group?: boolean }): Record<string, unknown>;
  /** Holds every Claude call until the returned release() is called. */
  holdClaude(): { release: () => void; held: () => number };
  /** Waits until the app's turn queue is empty. */
  /** The acknowledged turns have run and the judge has scored them. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The roster lookup Teams would answer for the test users. */
class WireDirectory implements MemberDirectory {
  lookup(context: TurnContext) {
    const user = [MEG, ALEX].find((u) => u.aadObjectId === context.activity.from.aadObjectId);
    return Promise.resolve(user ? { name: user.name, email: user.email } : null);
  }
}

let nextId = 1;

export function conversationOf(user: WireUser, group = false) {
  return group
    ? { id: '19:group-chat@thread.v2', conversationType: 'groupChat', isGroup: true, tenantId: 'tenant-1' }
    : { id: `a:personal-${user.id}`, conversationType: 'personal', isGroup: false, tenantId: 'tenant-1' };
}

export async function startWire(kind: TestDbKind, options: WireOptions = {}): Promise<Wire> {
  const t = options.database ?? (await createTestDatabase(kind));
  const connector = await startFakeConnector();
  const fake = options.offline ? null : await startFakeAnthropic();
  fake?.reply((body) => `ERA says: about "${lastUserText(body).slice(0, 60)}", follow the attendance policy [1].`);
  const config = testAppConfig(fake, { ANTHROPIC_MAX_RETRIES: '0', STREAMING: 'always', STREAM_UPDATE_INTERVAL_MS: '1000', ...options.env });
  const { logger, lines: logs } = capturingLogger();

  let gate: Promise<void> | null = null;
  let held = 0;
  const anthropic = fake
    ? new Anthropic({
        apiKey: 'sk-test',
        baseURL: fake.baseURL,
        maxRetries: 0,
        fetch: async (url: string | URL | Request, init?: RequestInit) => {
          if (gate) {
            held += 1;
            await gate;
          }
          return fetch(url, init);
        },
      })
    : null;
  if (options.knowledge) await ingestKnowledge(t.db, config.knowledgeDir);
  const database = options.wrapDb ? { ...t, db: options.wrapDb(t.db) } : t;
  const app = createApp({ config, database, logger, anthropic, retrieval: options.knowledge ?? false, members: new WireDirectory(), authOverrides: options.authOverrides, uploads: options.uploads });
  const port = await listen(app.server, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${String(port)}`;

  const common = (user: WireUser, id: string | undefined, group: boolean | undefined) => ({
    channelId: 'msteams',
    serviceUrl: connector.serviceUrl,
    id: id ?? `wire-${String(nextId++)}`,
    timestamp: new Date().toISOString(),
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: BOT,
    conversation: conversationOf(user, group),
  });

  const wire: Wire = {
    kind,
    t,
    app,
    config,
    base,
    connector,
    fake,
    logs,
    post: async (activity, headers = {}) => {
      const res = await fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: kept as text */
      }
      return { status: res.status, body };
    },
    message: (text, o = {}) => ({ type: 'message', text, ...common(o.user ?? MEG, o.id, o.group), ...o.extra }),
    invoke: (name, value, o = {}) => ({ type: 'invoke', name, value, ...common(o.user ?? MEG, o.id, o.group), ...(o.replyToId ? { replyToId: o.replyToId } : {}) }),
    holdClaude: () => {
      let open: () => void = () => undefined;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      held = 0;
      return {
        release: () => {
          gate = null;
          open();
        },
        held: () => held,
      };
    },
    idle: async () => {
      while (app.delivery.queue.size > 0) await new Promise((r) => setTimeout(r, 10));
      // The judge scores each turn after its reply, in its own transaction: idle means that is done too.
      await app.insights.judgeQueue.drain();
    },
    close: async () => {
      await app.stop(10_000);
      await app.insights.stop();
      await new Promise<void>((resolve) => {
        app.server.close(() => { resolve(); });
      });
      await connector.close();
      await fake?.close();
      if (!options.database) await t.dispose();
    },
  };
  return wire;
}

/** The activities the connector took for the given incoming activity id (replies to it), in order. */
export function repliesTo(wire: Wire, activityId: string) {
  return wire.connector.requests.filter((r) => r.status < 300 && r.method === 'POST' && r.path.endsWith(`/activities/${encodeURIComponent(activityId)}`));
}
