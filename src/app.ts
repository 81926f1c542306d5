/**
 * Builds the whole bot from its parts: adapter, state, ERA, the job runner, the bot, the HTTP server.
 * src/index.ts calls it with real configuration; tests call it with local parts (PGlite, a loopback Claude).
 */
import { randomBytes } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import {
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  PrivateConversationState,
  type TurnContext,
} from 'botbuilder';
import type restify from 'restify';
import { type DatabaseHandle, pingDatabase } from '../db';
import type { BotDeps, MemberDirectory } from './bot/deps';
import { userMessageFor } from './bot/errors';
import { JobCardUpdater } from './bot/job-cards';
import { PostgresStorage } from './bot/state-storage';
import { TeamsMemberDirectory } from './bot/tester';
import { TuningBot } from './bot/tuning-bot';
import type { Config } from './config';
import { createEraResponder, createPromptSource, type EraResponder } from './era';
import { createIndexRetriever, topicOfBestPassage } from './era/retrieval';
import { generateConversation, JobRunner, promoteSession } from './generation';
import { analyzePractices, type PracticesDeps, startPracticesSchedule } from './insights';
import { createIntentClassifier, createPromptCapture } from './intent';
import { createPromptExportHandler, promptExportSubject } from './intent/export-http';
import { BEST_PRACTICE_PATH, BEST_PRACTICES_PATH, createApiAuth, createBestPracticesHandlers, createGenerationsLatestHandler, GENERATIONS_LATEST_PATH } from './http';
import { type CallLog, createCallLog, createClaudeClient, loadPricing, type Pricing } from './llm';
import type { Logger } from './logger';
import { createAnonymizer } from './privacy';
import { startRetentionSchedule } from './retention';
import { createServer, type HealthInfo } from './server';
import { createExportDownloadHandler, createExportToken, sessionCsvByteLength, uploadSessionCsv } from './tuning';

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
}

export interface App {
  adapter: CloudAdapter;
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
}

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
function createJobRunner(parts: AppParts, adapter: CloudAdapter, claude: { client: Anthropic | null; calls: CallLog; pricing: Pricing }): JobRunner {
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
    create: (sessionId, testerId, anonymize?: 'strip' | 'pseudonymize') => {
      const { token, expiresAt } = createExportToken({ sessionId, testerId, ...(anonymize ? { anonymize } : {}) }, secret, config.exportLinkTtlMinutes);
      return { url: `${config.publicBaseUrl}/exports/${token}`, expiresAt };
    },
    createPrompts: (mode, parameter, testerId) => {
      const { token, expiresAt } = createExportToken({ sessionId: promptExportSubject(mode, parameter), testerId }, secret, config.exportLinkTtlMinutes);
      return { url: `${config.publicBaseUrl}/exports/prompts/${token}`, expiresAt };
    },
  };
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
    uploadCsv: async (sessionId, uploadUrl) => {
      await uploadSessionCsv(db, sessionId, uploadUrl);
    },
    csvSize: (sessionId) => sessionCsvByteLength(db, sessionId),
    retriever: parts.retrieval ? { retrieve: (query) => retriever.retrieve(query) } : undefined,
    calls,
    intent: createPromptCapture({
      db,
      logger,
      classifier: createIntentClassifier({
        client,
        model: config.intentModel,
        callLog: calls,
        logger,
        // Offline, a message no rule catches takes the topic of the policy that best answers it.
        guessTopic: parts.retrieval ? (text) => topicOfBestPassage(retriever, text) : undefined,
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

  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication(authOptions(config)));
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
  const bot = new TuningBot(botDeps(parts, secret, { client, generationClient, calls, pricing, era, jobRunner }), new PrivateConversationState(new PostgresStorage(db)));

  const exportDownload = createExportDownloadHandler({
    db, secret, logger, copyOut: database.copyOut, privacy: { redact: config.privacy.redact, anonymizeSecret: config.privacy.anonymizeSecret ?? secret },
  });
  const promptExport = createPromptExportHandler({ db, secret, logger });
  const apiAuth = createApiAuth({ required: config.auth !== null, apiKeys: config.apiKeys });
  if (apiAuth.required && config.apiKeys.length === 0) logger.warn('API_KEYS is empty: every /api/… request is refused (401)');
  const generationsLatest = createGenerationsLatestHandler({
    db, auth: apiAuth, logger, privacy: createAnonymizer({ anonymize: null, secret: '', redact: config.privacy.redact }),
  });
  const bestPractices = createBestPracticesHandlers({ db, auth: apiAuth, logger });
  const server = createServer({
    adapter,
    bot,
    logger,
    health: healthCheck(parts, era),
    exportDownload: (req, res) => exportDownload(req, res),
    promptExport: (req, res) => promptExport(req, res),
    api: [
      { path: GENERATIONS_LATEST_PATH, handler: (req, res) => generationsLatest(req, res) },
      { path: BEST_PRACTICES_PATH, handler: (req, res) => bestPractices.list(req, res) },
      { path: BEST_PRACTICE_PATH, handler: (req, res) => bestPractices.one(req, res) },
    ],
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
  return { adapter, bot, server, era, jobRunner, startSchedules };
}
