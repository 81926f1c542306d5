/**
 * Builds the whole bot from its parts: adapter, state, ERA, the job runner, the bot, the HTTP server.
 * src/index.ts calls it with real configuration; tests call it with local parts (PGlite, a loopback Claude).
 */
import { randomBytes } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import {
  CardFactory,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  PrivateConversationState,
  type TurnContext,
} from 'botbuilder';
import type restify from 'restify';
import { type DatabaseHandle, pingDatabase } from '../db';
import { ActivityDelivery, DEFAULT_DELIVERY_OPTIONS, WireAdapter } from './bot/delivery';
import type { BotDeps, MemberDirectory } from './bot/deps';
import { userMessageFor } from './bot/errors';
import { JobCardUpdater, jobTitle } from './bot/job-cards';
import { type ProactiveNotifier, ReplayCardUpdater, scoreCardUpdater } from './bot/insights-cards';
import { JsonConnectorAuthentication } from './bot/json-connector';
import { PostgresStorage } from './bot/state-storage';
import { TeamsMemberDirectory } from './bot/tester';
import { TuningBot } from './bot/tuning-bot';
import type { Config } from './config';
import { ActivityClaims } from './delivery';
import { createEraResponder, createPromptSource, type EraResponder } from './era';
import { createIndexRetriever, topicSimilarities } from './era/retrieval';
import { cancelJobBatch, generateConversation, JobRunner, noCardNotify, promoteSession } from './generation';
import {
  bundleSubject, comparisonSubject, createInsightsDownloadHandler, createJudge, createJudgeQueue, type Judge, type JudgeQueue, patchSubject, ReplayRunner, resumeSuggestions, type SuggestDeps,
  analyzePractices, type PracticesDeps, startPracticesSchedule,
} from './insights';
import { createIntentClassifier, createPromptCapture, passageTopic, shippedSectionTopics, shippedTopicModel, type TopicModel } from './intent';
import { createPromptExportHandler, promptExportSubject } from './intent/export-http';
import { BEST_PRACTICE_PATH, BEST_PRACTICES_PATH, createApiAuth, createBestPracticesHandlers, createGenerationsLatestHandler, GENERATIONS_LATEST_PATH } from './http';
import { type CallLog, createCallLog, createClaudeClient, loadPricing, type Pricing } from './llm';
import type { Logger } from './logger';
import { createAnonymizer } from './privacy';
import { startRetentionSchedule } from './retention';
import { createServer, type HealthInfo } from './server';
import { createDashboard, type Dashboard, dashboardCommand } from './dashboard';
import {
  createExportDownloadHandler, createExportToken, type ExportPrivacy, exportTextFilter, sessionCsvByteLength, uploadSessionCsv, type UploadSessionCsvOptions,
} from './tuning';

export interface AppParts {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** Overrides for tests; defaults are built from config. */
  anthropic?: Anthropic | null;
  members?: MemberDirectory;
  /**
   * Ground answers in the knowledge base. src/index.ts turns it on when the knowledge base has
   * documents; without any, ERA answers from the prompt alone (and says nothing about sources).
   */
  retrieval?: boolean;
  /** The offline topic model; default the committed one (examples/era/intent/topic-model.json), null for the rules alone. */
  topicModel?: TopicModel | null;
  /** The OneDrive upload's options (tests: a loopback http upload URL); Teams' https URLs need none. */
  uploads?: Pick<UploadSessionCsvOptions, 'allowInsecureUrl'>;
  /**
   * Bot Framework authentication settings over those from config, e.g. the OpenID metadata URLs
   * (tests point them at a loopback key server).
   */
  authOverrides?: ConfigurationBotFrameworkAuthenticationOptions;
}

/** The tuning loop's background work: the judge's queue and the replays. */
export interface InsightsRuntime {
  judge: Judge;
  judgeQueue: JudgeQueue;
  replays: ReplayRunner;
  /** At start: queue the last day's unjudged turns, resume orphaned replays and pending suggestions. */
  resume(): Promise<void>;
  /** At shutdown: the queue finishes its calls in flight (or aborts them), the replays release their leases. */
  stop(): Promise<void>;
}

export interface App {
  adapter: WireAdapter;
  jobRunner: JobRunner;
  bot: TuningBot;
  server: restify.Server;
  era: EraResponder;
  /**
   * Starts the scheduled tasks the config turns on (the daily retention run, the daily best-practices
   * analysis; none by default). Call once
   * the server listens; stop the handle at shutdown (a run in progress ends after its current batch).
   */
  startSchedules(): { stop(): Promise<void> };
  insights: InsightsRuntime;
  /** POST /api/messages: authentication, the once-only claim, the acknowledged turn queue. */
  delivery: ActivityDelivery;
  /**
   * Stops taking activities, waits (up to `timeoutMs`) for acknowledged turns to finish, stops the
   * claims purge and the job runner. Returns whether every queued turn finished.
   */
  stop(timeoutMs?: number): Promise<boolean>;
}

/** How often handled activities past their expiry are deleted. */
const PURGE_EVERY_MS = 60 * 60 * 1000;

function authOptions(config: Config): ConfigurationBotFrameworkAuthenticationOptions {
  if (!config.auth) return {};
  return {
    MicrosoftAppId: config.auth.appId,
    MicrosoftAppPassword: config.auth.appPassword ?? '',
    MicrosoftAppTenantId: config.auth.tenantId ?? '',
    MicrosoftAppType: config.auth.appType,
  };
}

/** The generation job runner, reporting to progress cards through the adapter (proactive messages). */
function createJobRunner(parts: AppParts, adapter: WireAdapter, claude: { client: Anthropic | null; calls: CallLog; pricing: Pricing }): JobRunner {
  const { config, database, logger } = parts;
  const db = database.db;
  const { client, calls, pricing } = claude;
  const runner = new JobRunner({
    db,
    logger,
    generate: async (conversationUuid, ctx) => {
      const r = await generateConversation({ db, client, model: config.anthropic.model, callLog: calls, logger, pricing }, conversationUuid, ctx);
      return { inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd, durationMs: r.durationMs };
    },
    batch: { client, model: config.anthropic.model, callLog: calls, pricing, pollMs: config.generationBatchPollMs },
  });
  const appId = config.auth?.appId ?? '';
  runner.subscribe(
    new JobCardUpdater(
      {
        updateCard: (ref, activityId, card) =>
          adapter.continueConversationAsync(appId, ref, async (ctx) => {
            await ctx.updateActivity({ id: activityId, type: 'message', attachments: [CardFactory.adaptiveCard(card)] });
          }),
        send: (ref, text) =>
          adapter.continueConversationAsync(appId, ref, async (ctx) => {
            await ctx.sendActivity(text);
          }),
      },
      logger,
    ),
  );
  return runner;
}

/** Signed download links for a session's CSV and the prompt-capture exports. */
function exportLinks(config: Config, secret: string): BotDeps['exportLinks'] {
  return {
    create: (sessionId, testerId, anonymize) => {
      const { token, expiresAt } = createExportToken({ sessionId, testerId, ...(anonymize ? { anonymize } : {}) }, secret, config.exportLinkTtlMinutes);
      return { url: `${config.publicBaseUrl}/exports/${token}`, expiresAt };
    },
    createPrompts: (mode, parameter, testerId, anonymize) => {
      const claims = { sessionId: promptExportSubject(mode, parameter), testerId, ...(anonymize ? { anonymize } : {}) };
      const { token, expiresAt } = createExportToken(claims, secret, config.exportLinkTtlMinutes);
      return { url: `${config.publicBaseUrl}/exports/prompts/${token}`, expiresAt };
    },
  };
}

/** Proactive sends and updates through the adapter (the judge's score line, replay cards). */
function proactiveNotifier(config: Config, adapter: WireAdapter): ProactiveNotifier {
  const appId = config.auth?.appId ?? '';
  return {
    update: (ref, activity) =>
      adapter.continueConversationAsync(appId, ref, async (ctx) => {
        await ctx.updateActivity(activity);
      }),
    send: (ref, activity) =>
      adapter.continueConversationAsync(appId, ref, async (ctx) => {
        await ctx.sendActivity(activity);
      }),
  };
}

/** REDACT_PII and the pseudonym key (ANONYMIZE_SECRET, else the export signing secret), for every export. */
function exportPrivacy(config: Config, secret: string): ExportPrivacy {
  return { redact: config.privacy.redact, anonymizeSecret: config.privacy.anonymizeSecret ?? secret };
}

/** Everything the bot is given. */
function botDeps(parts: AppParts, secret: string, claude: { client: Anthropic | null; generationClient: Anthropic | null; calls: CallLog; pricing: Pricing; era: EraResponder; jobRunner: JobRunner }): BotDeps {
  const { config, database, logger } = parts;
  const db = database.db;
  const { client, calls, pricing, era } = claude;
  const retriever = createIndexRetriever(db, config.retrieval, {
    onRebuildError: (err) => { logger.error({ err, component: 'retrieval' }, 'rebuilding the retrieval index failed; the next question tries again'); },
  });
  return {
    db,
    config,
    logger,
    era,
    prompt: createPromptSource(config.promptPath),
    members: parts.members ?? new TeamsMemberDirectory(logger),
    exportLinks: exportLinks(config, secret),
    uploadCsv: async (sessionId, uploadUrl, anonymize) => {
      const text = await exportTextFilter(db, exportPrivacy(config, secret), anonymize);
      await uploadSessionCsv(db, sessionId, uploadUrl, { ...parts.uploads, text });
    },
    csvSize: async (sessionId, anonymize) => sessionCsvByteLength(db, sessionId, { text: await exportTextFilter(db, exportPrivacy(config, secret), anonymize) }),
    retriever: parts.retrieval ? { retrieve: (query, options) => retriever.retrieve(query, options) } : undefined,
    calls,
    intent: createPromptCapture({
      db,
      logger,
      classifier: createIntentClassifier({
        client,
        model: config.intentModel,
        callLog: calls,
        logger,
        // The committed offline topic model, with the retriever's view of which policy answers the message.
        topicModel: parts.topicModel === undefined ? shippedTopicModel() : parts.topicModel,
        passageTopics: parts.retrieval ? (text, context) => topicSimilarities(retriever, text, (p) => passageTopic(shippedSectionTopics(), p), context) : undefined,
      }),
    }),
    jobs: { runner: claude.jobRunner, pricing, model: config.anthropic.model, online: claude.generationClient !== null, client: claude.generationClient },
    promote: (sessionId, testerId, isAdmin) => promoteSession({ db, client, model: config.anthropic.model, callLog: calls, logger }, sessionId, { promotedBy: testerId, isAdmin }),
    practices: { analyze: (requestedBy) => analyzePractices(practicesDeps(parts, client, calls), { holder: `${requestedBy}:${randomBytes(3).toString('hex')}` }) },
  };
}

/** What the best-practices analysis needs (/practices refresh and the schedule). */
function practicesDeps(parts: AppParts, client: Anthropic | null, calls: CallLog): PracticesDeps {
  return { db: parts.database.db, client, model: parts.config.practices.model, callLog: calls, logger: parts.logger };
}

/**
 * The dashboard tab and its API (src/dashboard): Teams SSO when the bot has an app id, signed links and
 * the allowlists otherwise as for exports; its jobs run on the bot's job runner with no card.
 */
function createAppDashboard(parts: AppParts, secret: string, gen: { generationClient: Anthropic | null; pricing: Pricing; jobRunner: JobRunner }): Dashboard {
  const { config, database, logger } = parts;
  const db = database.db;
  const { auth } = config;
  return createDashboard({
    db,
    logger,
    auth: {
      teams: auth
        ? {
            appId: auth.appId,
            resource: `api://${new URL(config.publicBaseUrl).host}/${auth.appId}`,
            tenantId: auth.appType === 'MultiTenant' ? undefined : auth.tenantId,
            openIdConfigUrl: config.dashboard.openIdConfigUrl,
          }
        : null,
      secret,
      adminAllowlist: config.adminAllowlist,
      testerAllowlist: config.testerAllowlist,
      linkTtlMinutes: config.exportLinkTtlMinutes,
      sessionHours: config.dashboard.sessionHours,
      publicBaseUrl: config.publicBaseUrl,
    },
    generation: { pricing: gen.pricing, model: config.anthropic.model, online: gen.generationClient !== null },
    jobs: {
      isRunning: (jobId) => gen.jobRunner.isRunning(jobId),
      run: (jobId) => {
        gen.jobRunner.start(jobId, noCardNotify(jobTitle(jobId)));
      },
      cancelBatch: (jobId) => cancelJobBatch(db, gen.generationClient, jobId, logger),
    },
    // Compare reads the tuning loop's replays and comparisons (migration 20261202120000); Best practices
    // spec 002's tables (20261203100000).
    optionalPages: ['compare', 'practices'],
  });
}

/** GET /healthz: the database's reachability and Claude's mode. */
function healthCheck(parts: AppParts, era: EraResponder): () => Promise<HealthInfo> {
  const { config, database } = parts;
  return async () => {
    const reachable = await pingDatabase(database.db);
    return {
      status: reachable ? 'ok' : 'degraded',
      database: { kind: database.kind, reachable },
      claude: { configured: era.mode === 'claude', model: era.model, mode: era.mode },
      auth: config.auth ? 'bot-framework' : 'none (local only)',
      version: '0.1.0',
    };
  };
}

/** The bot, its adapter, its job runner and its HTTP server. */
export function createApp(parts: AppParts): App {
  const { config, database, logger } = parts;
  const db = database.db;

  // Activities leave as the JSON the bot built (json-connector.ts): entities and channelData intact.
  const adapter = new WireAdapter(new JsonConnectorAuthentication(new ConfigurationBotFrameworkAuthentication({ ...authOptions(config), ...parts.authOverrides })));
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    logger.error({ err: error, activityId: context.activity.id, type: context.activity.type }, 'unhandled turn error');
    if (context.activity.type === 'message') {
      await context.sendActivity(userMessageFor(error, context.activity.id)).catch(() => undefined);
    }
  };

  const secret = config.exportSigningSecret ?? randomBytes(32).toString('hex');
  if (!config.exportSigningSecret) {
    logger.warn('EXPORT_SIGNING_SECRET is not set: export links are signed with a random key and stop working when the bot restarts');
  }

  const client = parts.anthropic === undefined ? createClaudeClient(config.anthropic, { logger }) : parts.anthropic;
  const era = createEraResponder({ anthropic: config.anthropic, client, logger });
  const pricing = loadPricing({ file: config.modelPricingFile, logger });
  const calls = createCallLog({ db, logger, pricing });
  // Generation waits out 429/529 itself (per item, between jobs' items), so its client does not retry.
  const generationClient = parts.anthropic === undefined ? createClaudeClient({ ...config.anthropic, maxRetries: 0, timeoutMs: 600_000 }, { logger }) : parts.anthropic;
  const jobRunner = createJobRunner(parts, adapter, { client: generationClient, calls, pricing });
  const dashboard = createAppDashboard(parts, secret, { generationClient, pricing, jobRunner });
  const deps: BotDeps = {
    ...botDeps(parts, secret, { client, generationClient, calls, pricing, era, jobRunner }),
    dashboard: async (tester) => (await dashboardCommand(dashboard.auth, config.publicBaseUrl, tester)).text,
  };
  const insights = wireInsights(parts, deps, { client, calls, era, secret, notifier: proactiveNotifier(config, adapter) });
  const bot = new TuningBot(deps, new PrivateConversationState(new PostgresStorage(db)));

  const exportDownload = createExportDownloadHandler({ db, secret, logger, copyOut: database.copyOut, privacy: exportPrivacy(config, secret) });
  const promptExport = createPromptExportHandler({ db, secret, logger, privacy: exportPrivacy(config, secret) });
  const apiAuth = createApiAuth({ required: config.auth !== null, apiKeys: config.apiKeys });
  if (apiAuth.required && config.apiKeys.length === 0) logger.warn('API_KEYS is empty: every /api/… request is refused (401)');
  const generationsLatest = createGenerationsLatestHandler({
    db, auth: apiAuth, logger, privacy: createAnonymizer({ anonymize: null, secret: '', redact: config.privacy.redact }),
  });
  const bestPractices = createBestPracticesHandlers({ db, auth: apiAuth, logger });
  const claims = new ActivityClaims(db);
  const delivery = new ActivityDelivery(adapter, (context) => bot.run(context), claims, logger, { ...DEFAULT_DELIVERY_OPTIONS, queue: config.turnQueue });
  const purge = setInterval(() => {
    claims.purge().then(
      (deleted) => { if (deleted > 0) logger.info({ deleted }, 'expired handled-activity records purged'); },
      (err: unknown) => { logger.warn({ err }, 'could not purge expired handled-activity records'); },
    );
  }, PURGE_EVERY_MS);
  purge.unref();

  const server = createServer({
    messages: (req, res) => delivery.handle(req, res),
    logger,
    health: healthCheck(parts, era),
    exportDownload: (req, res) => exportDownload(req, res),
    promptExport: (req, res) => promptExport(req, res),
    api: [
      { path: GENERATIONS_LATEST_PATH, handler: (req, res) => generationsLatest(req, res) },
      { path: BEST_PRACTICES_PATH, handler: (req, res) => bestPractices.list(req, res) },
      { path: BEST_PRACTICE_PATH, handler: (req, res) => bestPractices.one(req, res) },
    ],
    extraRoutes: [(s) => { dashboard.register(s); }],
    insightsDownload: (req, res) => insights.download(req, res),
  });
  const startSchedules = () => {
    const retention = config.retention ? startRetentionSchedule({ db, logger, settings: config.retention }) : null;
    const practices = config.practices.timeUtc ? startPracticesSchedule({ ...practicesDeps(parts, client, calls), timeUtc: config.practices.timeUtc }) : null;
    return {
      stop: async () => {
        await Promise.all([retention?.stop(), practices?.stop()]);
      },
    };
  };
  const stop = async (timeoutMs = 30_000): Promise<boolean> => {
    clearInterval(purge);
    const drained = await delivery.stop(timeoutMs);
    if (!drained) logger.warn({ left: delivery.queue.size }, 'stopping with turns still running');
    await jobRunner.stop();
    return drained;
  };
  return { adapter, bot, server, era, jobRunner, delivery, stop, startSchedules, insights: insights.runtime };
}



/**
 * The tuning loop in the bot: the judge and its queue (each turn scored after its reply, the card's
 * score line updated), /suggest's deps, the replay runner reporting to its cards, the signed downloads.
 * Sets deps.judge and deps.insights.
 */
function wireInsights(
  parts: AppParts,
  deps: BotDeps,
  x: { client: Anthropic | null; calls: CallLog; era: EraResponder; secret: string; notifier: ProactiveNotifier },
) {
  const { config, database, logger } = parts;
  const db = database.db;
  const judge = createJudge({ db, client: x.client, model: config.judge.model, rubricPath: config.judge.rubricPath, callLog: x.calls, logger });
  const onJudged = scoreCardUpdater(deps, x.notifier, logger);
  const judgeQueue = createJudgeQueue({ judge, logger, concurrency: config.judge.concurrency, onJudged });
  const suggest: SuggestDeps = { db, client: x.client, model: config.anthropic.model, prompt: createPromptSource(config.promptPath), callLog: x.calls, logger };
  const replays = new ReplayRunner({ db, era: x.era, anthropic: config.anthropic, retriever: deps.retriever ?? null, judge, callLog: x.calls, logger, historyTurns: config.historyTurns });
  replays.subscribe(new ReplayCardUpdater(deps, x.notifier, logger));
  const link = (subject: string, testerId: string) => {
    const { token, expiresAt } = createExportToken({ sessionId: subject, testerId }, x.secret, config.exportLinkTtlMinutes);
    return { url: `${config.publicBaseUrl}/exports/insights/${token}`, expiresAt };
  };
  deps.judge = judgeQueue;
  deps.insights = {
    judgeMode: judge.mode,
    suggest,
    replays,
    links: {
      patch: (suggestionId, testerId) => link(patchSubject(suggestionId), testerId),
      bundle: (sessionId, format, testerId) => link(bundleSubject(sessionId, format), testerId),
      comparison: (replayIds, testerId) => link(comparisonSubject(replayIds), testerId),
    },
  };
  const download = createInsightsDownloadHandler({ db, secret: x.secret, logger, promptPath: config.promptPath, judgeMode: judge.mode });
  const runtime: InsightsRuntime = {
    judge,
    judgeQueue,
    replays,
    resume: async () => {
      const queued = await judgeQueue.enqueueUnjudged(db, new Date(Date.now() - 24 * 60 * 60_000));
      const resumed = await replays.resumeOrphaned();
      const suggestions = await resumeSuggestions(suggest);
      if (queued + resumed + suggestions > 0) logger.info({ queued, resumed, suggestions }, 'tuning loop resumed');
    },
    stop: async () => {
      // Within the 5 s src/index.ts gives a shutdown.
      await Promise.all([judgeQueue.stop(4_000), replays.stop()]);
    },
  };
  return { runtime, download };
}
