/**
 * Builds the whole bot from its parts: adapter, state, ERA, the bot, the HTTP server. src/index.ts
 * calls it with real configuration; tests call it with local parts (PGlite, a loopback Claude).
 */
import { randomBytes } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import {
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
  ConversationState,
  type TurnContext,
} from 'botbuilder';
import { sql } from 'kysely';
import type restify from 'restify';
import type { DatabaseHandle } from '../db';
import { BotJobRunner } from './bot/job-runner';
import { PostgresStorage } from './bot/state-storage';
import { generateConversation } from './generation/generator';
import { promoteSession } from './generation/promote';
import { TeamsMemberDirectory } from './bot/tester';
import { TuningBot } from './bot/tuning-bot';
import type { MemberDirectory } from './bot/deps';
import { userMessageFor } from './bot/errors';
import type { Config } from './config';
import { createEraResponder, createPromptSource, type EraResponder } from './era';
import { createClaudeClient, createCallLog, loadPricing } from './llm';
import { createFullTextRetriever } from './era/retrieval';
import { createIntentClassifier, createPromptCapture } from './intent';
import { createPromptExportHandler, promptExportSubject } from './intent/export-http';
import type { Logger } from './logger';
import { createServer, type HealthInfo } from './server';
import { cancelJobBatch } from './generation';
import { createDashboard, dashboardCommand } from './dashboard';
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
  jobRunner: BotJobRunner;
  bot: TuningBot;
  server: restify.Server;
  era: EraResponder;
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
  const prompt = createPromptSource(config.promptPath);
  const pricing = loadPricing({ file: config.modelPricingFile, logger });
  const calls = createCallLog({ db, logger, pricing });
  const intent = createPromptCapture({
    db,
    logger,
    classifier: createIntentClassifier({ client, model: config.intentModel, callLog: calls, logger }),
  });
  const retriever = createFullTextRetriever(db, config.retrieval);
  // Generation waits out 429/529 itself (per item, between jobs' items), so its client does not retry.
  const generationClient = parts.anthropic === undefined ? createClaudeClient({ ...config.anthropic, maxRetries: 0, timeoutMs: 600_000 }, { logger }) : parts.anthropic;
  const appId = config.auth?.appId ?? '';
  const jobRunner = new BotJobRunner({
    db,
    logger,
    generate: async (conversationUuid, ctx) => {
      const r = await generateConversation({ db, client: generationClient, model: config.anthropic.model, callLog: calls, logger, pricing }, conversationUuid, ctx);
      return { inputTokens: r.inputTokens, outputTokens: r.outputTokens, costUsd: r.costUsd, durationMs: r.durationMs };
    },
    batch: { client: generationClient, model: config.anthropic.model, callLog: calls, pricing, pollMs: config.generationBatchPollMs },
    notifier: {
      updateCard: (ref, activityId, card) =>
        adapter.continueConversationAsync(appId, ref, async (ctx) => {
          await ctx.updateActivity({ id: activityId, type: 'message', attachments: [CardFactory.adaptiveCard(card)] });
        }),
      send: (ref, text) =>
        adapter.continueConversationAsync(appId, ref, async (ctx) => {
          await ctx.sendActivity(text);
        }),
    },
  });

  const dashboard = createDashboard({
    db,
    logger,
    auth: {
      teams: config.auth
        ? { appId: config.auth.appId, resource: `api://${new URL(config.publicBaseUrl).host}/${config.auth.appId}`, tenantId: config.auth.appType === 'MultiTenant' ? undefined : config.auth.tenantId, openIdConfigUrl: config.dashboard.openIdConfigUrl }
        : null,
      secret,
      adminAllowlist: config.adminAllowlist,
      testerAllowlist: config.testerAllowlist,
      linkTtlMinutes: config.exportLinkTtlMinutes,
      sessionHours: config.dashboard.sessionHours,
      publicBaseUrl: config.publicBaseUrl,
    },
    generation: { pricing, model: config.anthropic.model, online: generationClient !== null },
    jobs: {
      isRunning: (jobId) => jobRunner.isRunning(jobId),
      run: (jobId) => jobRunner.start(jobId, null, undefined, `Generation job ${jobId.slice(0, 8)}`),
      cancelBatch: (jobId) => cancelJobBatch(db, generationClient, jobId, logger),
    },
  });

  const bot = new TuningBot(
    {
      db,
      config,
      logger,
      era,
      prompt,
      members: parts.members ?? new TeamsMemberDirectory(logger),
      exportLinks: {
        create: (sessionId, testerId) => {
          const { token, expiresAt } = createExportToken({ sessionId, testerId }, secret, config.exportLinkTtlMinutes);
          return { url: `${config.publicBaseUrl}/exports/${token}`, expiresAt };
        },
        createPrompts: (mode, parameter, testerId) => {
          const { token, expiresAt } = createExportToken({ sessionId: promptExportSubject(mode, parameter), testerId }, secret, config.exportLinkTtlMinutes);
          return { url: `${config.publicBaseUrl}/exports/prompts/${token}`, expiresAt };
        },
      },
      uploadCsv: async (sessionId, uploadUrl) => {
        await uploadSessionCsv(db, sessionId, uploadUrl);
      },
      csvSize: (sessionId) => sessionCsvByteLength(db, sessionId),
      retriever: parts.retrieval
        ? {
            retrieve: async (query) =>
              (await retriever.retrieve(query)).map((p) => ({
                chunkId: p.chunkId,
                documentTitle: p.documentTitle,
                section: p.section,
                text: p.text,
                similarity: p.similarity,
              })),
          }
        : undefined,
      calls,
      intent,
      jobs: { runner: jobRunner, pricing, model: config.anthropic.model, online: generationClient !== null, client: generationClient },
      dashboard: async (tester) => (await dashboardCommand(dashboard.auth, config.publicBaseUrl, tester)).text,
      promote: (sessionId, testerId, isAdmin) =>
        promoteSession({ db, client, model: config.anthropic.model, callLog: calls, logger }, sessionId, { promotedBy: testerId, isAdmin }),
    },
    new ConversationState(new PostgresStorage(db)),
  );

  const health = async (): Promise<HealthInfo> => {
    let reachable = true;
    try {
      await sql`select 1`.execute(db);
    } catch {
      reachable = false;
    }
    return {
      status: reachable ? 'ok' : 'degraded',
      database: { kind: database.kind, reachable },
      claude: { configured: era.mode === 'claude', model: era.model, mode: era.mode },
      auth: config.auth ? 'bot-framework' : 'none (local only)',
      version: '0.1.0',
    };
  };

  const exportDownload = createExportDownloadHandler({ db, secret, logger });
  const promptExport = createPromptExportHandler({ db, secret, logger });
  const server = createServer({
    adapter,
    bot,
    logger,
    health,
    exportDownload: (req, res) => exportDownload(req, res),
    promptExport: (req, res) => promptExport(req, res),
    extraRoutes: [(s) => dashboard.register(s)],
  });
  return { adapter, bot, server, era, jobRunner };
}
