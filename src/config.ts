/**
 * The only reader of the environment. Everything is validated once, at start; a bad value fails
 * with a message naming the variable. `.env.example` lists every variable with its default.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DomainError } from './errors';

/** The default model: a current, non-deprecated Claude model. */
export const DEFAULT_MODEL = 'claude-sonnet-5-5';

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(/[,;\s]+/)
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() !== '' ? v.trim() : undefined));
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
/** A comma/space separated list that keeps its case (keys, not names). */
const secretList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean));
const API_KEY_ENTRY = /^(sha256:[0-9a-f]{64}|[^\s,]{24,})$/;
const PII_ENTRY = /^(emails|phones|none)$/;
const boolean = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? def : ['true', '1', 'yes'].includes(v)));

const schema = z
  .object({
    PORT: int(3978, 1, 65535),
    HOST: optionalText,
    PUBLIC_BASE_URL: optionalText.pipe(z.string().url().optional()),
    MicrosoftAppId: optionalText,
    MicrosoftAppPassword: optionalText,
    MicrosoftAppTenantId: optionalText,
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    DATABASE_URL: optionalText.pipe(
      z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
    ),
    PGLITE_DATA_DIR: z.string().default('./data/pglite'),
    ANTHROPIC_API_KEY: optionalText,
    ANTHROPIC_BASE_URL: optionalText.pipe(z.string().url().optional()),
    ANTHROPIC_MODEL: z.string().min(1).default(DEFAULT_MODEL),
    ANTHROPIC_MAX_TOKENS: int(1024, 1, 64000),
    ANTHROPIC_MAX_RETRIES: int(2, 0, 10),
    ANTHROPIC_TIMEOUT_MS: int(60000, 1000, 600000),
    MASTER_PROMPT_PATH: z.string().default('examples/era/MASTER_PROMPT.md'),
    HISTORY_TURNS: int(20, 0, 200),
    MAX_MESSAGE_CHARS: int(40000, 100, 1000000),
    MAX_NOTE_CHARS: int(4000, 10, 100000),
    TESTER_ALLOWLIST: list,
    EXPORT_SIGNING_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    EXPORT_LINK_TTL_MINUTES: int(15, 1, 24 * 60),
    KNOWLEDGE_DIR: z.string().default('examples/era/knowledge'),
    RETRIEVAL_TOP_K: int(5, 1, 20),
    RETRIEVAL_MIN_SIMILARITY: z.coerce.number().min(0).max(1).default(0.1),
    STREAM_UPDATE_INTERVAL_MS: int(1500, 1000, 60000),
    STREAMING: z.enum(['auto', 'always', 'never']).default('auto'),
    FILE_CONSENT: z.enum(['auto', 'always', 'never']).default('auto'),
    TURN_CONCURRENCY: int(32, 1, 1000),
    TURN_QUEUE_LIMIT: int(500, 1, 100000),
    INTENT_MODEL: z.string().min(1).default('claude-haiku-5-5'),
    MODEL_PRICING_FILE: optionalText,
    ADMIN_ALLOWLIST: list,
    GENERATION_BATCH_POLL_SECONDS: int(60, 1, 3600),
    JUDGE_MODEL: z.string().min(1).default('claude-haiku-5-5'),
    JUDGE_RUBRIC_PATH: z.string().default('examples/era/JUDGE_RUBRIC.md'),
    JUDGE_CONCURRENCY: int(2, 1, 16),
    API_KEYS: secretList.refine((keys) => keys.every((k) => API_KEY_ENTRY.test(k)), 'each key must be at least 24 characters, or sha256:<64 hex digits> of one'),
    REDACT_PII: list.refine((kinds) => kinds.every((k) => PII_ENTRY.test(k)), 'use emails, phones, both (emails,phones) or none'),
    ANONYMIZE_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
    RETENTION_DAYS: optionalText.pipe(z.coerce.number().int().min(1).max(36500).optional()),
    RETENTION_ARCHIVE: boolean(false),
    RETENTION_TIME_UTC: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour, UTC)').default('03:00'),
    RETENTION_BATCH_SESSIONS: int(100, 1, 10000),
    PRACTICES_TIME_UTC: optionalText.pipe(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour, UTC)').optional()),
    PRACTICES_MODEL: optionalText,
    DASHBOARD_OPENID_CONFIG_URL: z.string().url().default('https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration'),
    DASHBOARD_SESSION_HOURS: int(8, 1, 24 * 7),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.MicrosoftAppId && env.MicrosoftAppType !== 'UserAssignedMSI' && !env.MicrosoftAppPassword) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'is required when MicrosoftAppId is set' });
    }
    if (env.MicrosoftAppId && env.MicrosoftAppType !== 'MultiTenant' && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: `is required for ${env.MicrosoftAppType}` });
    }
    if (!env.MicrosoftAppId && (env.MicrosoftAppPassword || env.MicrosoftAppTenantId)) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppId'], message: 'is required when MicrosoftAppPassword or MicrosoftAppTenantId is set' });
    }
  });

export interface Config {
  port: number;
  host: string;
  publicBaseUrl: string;
  auth: { appId: string; appPassword?: string; tenantId?: string; appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI' } | null;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  anthropic: {
    apiKey?: string;
    baseURL?: string;
    model: string;
    maxTokens: number;
    maxRetries: number;
    timeoutMs: number;
  };
  promptPath: string;
  historyTurns: number;
  maxMessageChars: number;
  maxNoteChars: number;
  testerAllowlist: string[];
  /** Undefined: a random secret per process (links die with the process; a warning is logged). */
  exportSigningSecret?: string;
  exportLinkTtlMinutes: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  knowledgeDir: string;
  retrieval: { topK: number; minSimilarity: number };
  /** Minimum gap between streamed updates in Teams (it throttles faster senders). */
  streamUpdateIntervalMs: number;
  /**
   * Whether answers stream: 'auto' streams in Teams 1:1 chats whose service URL is not a local client
   * (the Agents Playground); 'always' in every 1:1 chat (tests on a loopback connector); 'never' not at all.
   */
  streaming: 'auto' | 'always' | 'never';
  /**
   * Whether /export also offers the OneDrive file-consent card: 'auto' in Teams 1:1 chats whose service
   * URL is not a local client (which has no OneDrive); 'always' in every Teams 1:1 chat (tests on a
   * loopback connector); 'never' not at all (the signed link only).
   */
  fileConsent: 'auto' | 'always' | 'never';
  /** Turns run at once after their request was acknowledged, and how many may wait (then 503). */
  turnQueue: { concurrency: number; limit: number };
  /** The model of the small intent-classification call. */
  intentModel: string;
  /** A JSON price table replacing the shipped one (src/llm/model-prices.json). */
  modelPricingFile?: string;
  /** Emails or AAD object ids who see every tester's data (prompt exports, corrections). */
  adminAllowlist: string[];
  /** Batch-mode generation jobs: how often a running Message Batches batch is polled. */
  generationBatchPollMs: number;
  /** The LLM judge of the tuning loop: its model, its rubric file (beside the prompt), its parallel calls. */
  judge: { model: string; rubricPath: string; concurrency: number };
  /** Keys accepted as `Authorization: Bearer <key>` on the JSON APIs: plain keys or `sha256:<hex>` of them. */
  apiKeys: string[];
  /** Exports: what is redacted from message text, and the key of anonymised exports' pseudonyms. */
  privacy: { redact: Array<'emails' | 'phones'>; anonymizeSecret?: string };
  /** The daily retention run in the bot; null: off (the default). */
  retention: { days: number; archive: boolean; timeUtc: string; batchSessions: number } | null;
  /** Best practices: the model that writes them up; the bot's daily analysis time (null: off, the default). */
  practices: { model: string; timeUtc: string | null };
  /** The dashboard tab: where Entra ID's signing keys are found (Teams SSO), how long a link sign-in lasts. */
  dashboard: { openIdConfigUrl: string; sessionHours: number };
}

export class ConfigError extends DomainError {}

/** Parses and validates an environment. Throws ConfigError naming each wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const auth = e.MicrosoftAppId
    ? { appId: e.MicrosoftAppId, appPassword: e.MicrosoftAppPassword, tenantId: e.MicrosoftAppTenantId, appType: e.MicrosoftAppType }
    : null;
  // Unauthenticated, the bot must not be reachable from other machines unless HOST says so.
  const host = e.HOST ?? (auth ? '0.0.0.0' : '127.0.0.1');
  return {
    port: e.PORT,
    host,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    auth,
    database: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL } : { kind: 'pglite', dataDir: path.resolve(e.PGLITE_DATA_DIR) },
    anthropic: {
      apiKey: e.ANTHROPIC_API_KEY,
      baseURL: e.ANTHROPIC_BASE_URL,
      model: e.ANTHROPIC_MODEL,
      maxTokens: e.ANTHROPIC_MAX_TOKENS,
      maxRetries: e.ANTHROPIC_MAX_RETRIES,
      timeoutMs: e.ANTHROPIC_TIMEOUT_MS,
    },
    promptPath: path.resolve(e.MASTER_PROMPT_PATH),
    historyTurns: e.HISTORY_TURNS,
    maxMessageChars: e.MAX_MESSAGE_CHARS,
    maxNoteChars: e.MAX_NOTE_CHARS,
    testerAllowlist: e.TESTER_ALLOWLIST,
    exportSigningSecret: e.EXPORT_SIGNING_SECRET,
    exportLinkTtlMinutes: e.EXPORT_LINK_TTL_MINUTES,
    logLevel: e.LOG_LEVEL,
    knowledgeDir: path.resolve(e.KNOWLEDGE_DIR),
    retrieval: { topK: e.RETRIEVAL_TOP_K, minSimilarity: e.RETRIEVAL_MIN_SIMILARITY },
    streamUpdateIntervalMs: e.STREAM_UPDATE_INTERVAL_MS,
    streaming: e.STREAMING,
    fileConsent: e.FILE_CONSENT,
    turnQueue: { concurrency: e.TURN_CONCURRENCY, limit: e.TURN_QUEUE_LIMIT },
    intentModel: e.INTENT_MODEL,
    modelPricingFile: e.MODEL_PRICING_FILE ? path.resolve(e.MODEL_PRICING_FILE) : undefined,
    adminAllowlist: e.ADMIN_ALLOWLIST,
    generationBatchPollMs: e.GENERATION_BATCH_POLL_SECONDS * 1000,
    judge: { model: e.JUDGE_MODEL, rubricPath: path.resolve(e.JUDGE_RUBRIC_PATH), concurrency: e.JUDGE_CONCURRENCY },
    apiKeys: e.API_KEYS,
    privacy: {
      redact: e.REDACT_PII.filter((k): k is 'emails' | 'phones' => k === 'emails' || k === 'phones'),
      // Pseudonyms stay stable across exports only with a fixed key; the signing secret is one.
      anonymizeSecret: e.ANONYMIZE_SECRET ?? e.EXPORT_SIGNING_SECRET,
    },
    retention:
      e.RETENTION_DAYS === undefined
        ? null
        : { days: e.RETENTION_DAYS, archive: e.RETENTION_ARCHIVE, timeUtc: e.RETENTION_TIME_UTC, batchSessions: e.RETENTION_BATCH_SESSIONS },
    practices: { model: e.PRACTICES_MODEL ?? e.ANTHROPIC_MODEL, timeUtc: e.PRACTICES_TIME_UTC ?? null },
    dashboard: { openIdConfigUrl: e.DASHBOARD_OPENID_CONFIG_URL, sessionHours: e.DASHBOARD_SESSION_HOURS },
  };
}

/**
 * The process environment with ENV_FILE (default `.env` in the working directory) loaded into it when
 * present, for composition roots whose variables are not the bot's (`npm run package:teams`, the playground).
 */
export function readEnvironment(envFile = path.resolve('.env')): NodeJS.ProcessEnv {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  return process.env;
}

/** Reads `.env` (when present) into process.env, then validates. Used by the entry points only. */
export function loadConfigFromProcess(): Config {
  return loadConfig(readEnvironment());
}
