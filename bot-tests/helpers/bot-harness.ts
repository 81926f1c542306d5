/**
 * Drives the real bot (createApp) through botbuilder's TestAdapter on a real database (PGlite or
 * Postgres), with Claude answered by the loopback fake Messages API when `claude` is on. Every call
 * returns what the bot sent during that turn, so tests assert on activities and on rows.
 */
import Anthropic from '@anthropic-ai/sdk';
import { type Activity, type ChannelAccount, TestAdapter, type TurnContext } from 'botbuilder';
import { createApp, type App } from '../../src/app';
import type { MemberDirectory } from '../../src/bot/deps';
import type { Config } from '../../src/config';
import { ingestKnowledge } from '../../src/era/retrieval';
import { capturingLogger } from './capturing-logger';
import { createTestDatabase, type TestDatabase, type TestDbKind } from './db';
import { lastUserText, startFakeAnthropic, type FakeAnthropic } from './fake-anthropic';
import { testAppConfig } from './test-config';

export interface TestUser {
  account: ChannelAccount;
  email: string;
}

export const MEG: TestUser = { account: { id: '29:meg', name: 'Meg Tester', aadObjectId: 'aad-meg-0001' }, email: 'meg@northwind.example' };
export const ALEX: TestUser = { account: { id: '29:alex', name: 'Alex Wilber', aadObjectId: 'aad-alex-0002' }, email: 'alex@northwind.example' };
export const BOT: ChannelAccount = { id: '28:tuning-bot', name: 'Tuning Bot' };

/** Records updateActivity calls (the card updated in place) besides TestAdapter's queue. */
class RecordingAdapter extends TestAdapter {
  readonly updates: Partial<Activity>[] = [];
  override async updateActivity(context: TurnContext, activity: Partial<Activity>): Promise<void> {
    this.updates.push(activity);
    await super.updateActivity(context, activity);
  }
}

/** The roster lookup Teams would answer for the two test users. */
class TestDirectory implements MemberDirectory {
  calls = 0;
  async lookup(context: TurnContext) {
    this.calls += 1;
    const id = context.activity.from.aadObjectId;
    const user = [MEG, ALEX].find((u) => u.account.aadObjectId === id);
    return user ? { name: user.account.name, email: user.email } : null;
  }
}

export interface HarnessOptions {
  claude?: boolean;
  env?: Record<string, string>;
  /** Use the real TeamsMemberDirectory (its getMember call fails under TestAdapter). */
  realDirectory?: boolean;
  /** Ingest examples/era/knowledge and ground answers in it. */
  knowledge?: boolean;
  /** Let the OneDrive upload go to an http:// URL (a loopback stand-in for the upload session). */
  insecureUploads?: boolean;
}

export interface Harness {
  kind: TestDbKind;
  t: TestDatabase;
  app: App;
  config: Config;
  adapter: RecordingAdapter;
  fake: FakeAnthropic | null;
  directory: TestDirectory;
  logs: Array<Record<string, unknown>>;
  say(text: string, options?: { user?: TestUser; conversation?: Partial<Activity['conversation']>; extra?: Partial<Activity> }): Promise<Partial<Activity>[]>;
  send(activity: Partial<Activity>, user?: TestUser): Promise<Partial<Activity>[]>;
  invoke(name: string, value: unknown, options?: { user?: TestUser; replyToId?: string }): Promise<{ response: { status: number; body: unknown } | undefined; sent: Partial<Activity>[] }>;
  /** A new app (a restarted bot, or another instance) on the same database; later calls go to it. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function personalConversation(user: TestUser) {
  return { id: `a:personal-${user.account.id}`, conversationType: 'personal', isGroup: false, tenantId: 'tenant-1' } as Activity['conversation'];
}

let nextId = 1;

export async function createHarness(kind: TestDbKind, options: HarnessOptions = {}): Promise<Harness> {
  const t = await createTestDatabase(kind);
  const fake = options.claude ? await startFakeAnthropic() : null;
  if (fake) fake.reply((body) => `ERA says: I understand "${lastUserText(body).slice(0, 80)}". Here is what to do.`);
  const config = testAppConfig(fake, { ANTHROPIC_MAX_RETRIES: '1', ...options.env });
  const { logger, lines: logs } = capturingLogger();
  const anthropic = fake ? new Anthropic({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 1 }) : null;
  const directory = new TestDirectory();
  if (options.knowledge) await ingestKnowledge(t.db, config.knowledgeDir);
  const build = () =>
    createApp({
      config, database: t, logger, anthropic, retrieval: options.knowledge ?? false,
      ...(options.realDirectory ? {} : { members: directory }),
      ...(options.insecureUploads ? { uploads: { allowInsecureUrl: true } } : {}),
    });
  let app = build();
  // What each turn sent, by the incoming activity's id: concurrent sends (a double click) each get
  // their own, where draining the adapter's one queue would hand one turn the other's replies.
  const sentByTurn = new Map<string, Partial<Activity>[]>();
  const adapter = new RecordingAdapter(async (context) => {
    const mine: Partial<Activity>[] = [];
    if (context.activity.id) sentByTurn.set(context.activity.id, mine);
    context.onSendActivities(async (_ctx, activities, next) => {
      mine.push(...activities);
      return next();
    });
    await app.bot.run(context);
  });

  const drain = () => adapter.activeQueue.splice(0, adapter.activeQueue.length);

  const send = async (activity: Partial<Activity>, user: TestUser = MEG) => {
    const full: Partial<Activity> = {
      channelId: 'msteams',
      serviceUrl: 'http://connector.test',
      recipient: BOT,
      from: user.account,
      conversation: personalConversation(user),
      id: `act-${nextId++}`,
      ...activity,
    };
    await adapter.processActivity(full);
    // The judge scores a turn in the background after its reply; tests wait for it, so its calls never
    // overlap the next turn's (a queued fake step is the next turn's, not the judge's).
    await app.insights.judgeQueue.drain();
    drain();
    const sent = sentByTurn.get(full.id ?? '') ?? [];
    sentByTurn.delete(full.id ?? '');
    return sent;
  };

  const harness: Harness = {
    kind,
    t,
    app,
    config,
    adapter,
    fake,
    directory,
    logs,
    send,
    say: (text, o = {}) =>
      send(
        { type: 'message', text, ...(o.conversation ? { conversation: { ...personalConversation(o.user ?? MEG), ...o.conversation } } : {}), ...o.extra },
        o.user,
      ),
    invoke: async (name, value, o = {}) => {
      const sent = await send({ type: 'invoke', name, value, ...(o.replyToId ? { replyToId: o.replyToId } : {}) }, o.user);
      const responseActivity = sent.find((a) => a.type === 'invokeResponse');
      return {
        response: responseActivity?.value as { status: number; body: unknown } | undefined,
        sent: sent.filter((a) => a.type !== 'invokeResponse'),
      };
    },
    restart: async () => {
      await app.jobRunner.stop();
      await app.insights.stop();
      app = build();
      harness.app = app;
    },
    close: async () => {
      await app.insights.stop();
      await fake?.close();
      await t.dispose();
    },
  };
  return harness;
}

/** The Adaptive Card content of an activity, or undefined. */
export function cardOf(activity: Partial<Activity> | undefined): Record<string, unknown> | undefined {
  const att = activity?.attachments?.find((a) => a.contentType === 'application/vnd.microsoft.card.adaptive');
  return att?.content as Record<string, unknown> | undefined;
}

/** All TextBlock texts of a card, depth first. */
export function cardTexts(card: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (n.type === 'TextBlock' && typeof n.text === 'string') out.push(n.text);
      if (n.type === 'FactSet' && Array.isArray(n.facts)) for (const f of n.facts as Array<{ title: string; value: string }>) out.push(`${f.title}: ${f.value}`);
      Object.values(n).forEach(walk);
    }
  };
  walk(card);
  return out;
}

/** The data of the card's Action.Execute with this verb (searching ShowCard sub-cards too). */
export function actionData(card: unknown, verb: string): Record<string, unknown> {
  let found: Record<string, unknown> | undefined;
  const walk = (node: unknown) => {
    if (found) return;
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (n.type === 'Action.Execute' && n.verb === verb) found = n.data as Record<string, unknown>;
      Object.values(n).forEach(walk);
    }
  };
  walk(card);
  if (!found) throw new Error(`no Action.Execute ${verb} in card`);
  return found;
}

/** The adaptiveCard/action invoke value Teams sends for an Action.Execute click. */
export function executeValue(verb: string, data: Record<string, unknown>) {
  return { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' };
}

/** The answer calls the fake received (the intent classifier's calls use another model). */
export function answerRequests(h: Harness) {
  return h.fake!.messageRequests().filter((r) => (r.body as { model?: string } | null)?.model === h.config.anthropic.model);
}
