/**
 * One best-practices analysis, end to end, under the `best-practices` lease (one run at a time across bot
 * instances and the command line): read the replies, analyse them, write each practice up (Claude, or
 * the offline extraction; an unchanged practice keeps its text and costs no call), and save — or, with
 * dryRun, only report what would change.
 */
import { createHash } from 'node:crypto';
import type Anthropic from '@anthropic-ai/sdk';
import { APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Kysely } from 'kysely';
import type { BestPractice, Database, PracticeAuthor } from '../../../db';
import { type CallLog, usageFromApi, ZERO_LLM_USAGE } from '../../llm';
import type { Logger } from '../../logger';
import { acquireLease, releaseLease, renewLease } from '../../schedule';
import { InsightsRefusal } from '../errors';
import { messageText } from '../judge-request';
import { analyseReplies, type PracticeCandidate } from './analysis';
import { loadReplies } from './replies';
import { practicesByKey, type PracticeToSave, saveAnalysis } from './store';
import { offlineWriteup, type PracticeText, readWriteup, writeupCallRequest, writeupRequest } from './writeup';

export const PRACTICES_LEASE = 'best-practices';
const LEASE_MS = 15 * 60_000;

/** Another analysis holds the lease. */
export class PracticesBusyError extends InsightsRefusal {}

export interface PracticesDeps {
  db: Kysely<Database>;
  /** Null: offline (the deterministic extraction). */
  client: Anthropic | null;
  /** The model that writes practices up. */
  model: string;
  callLog: CallLog;
  logger: Logger;
  timeoutMs?: number;
}

export interface AnalyzeOptions {
  /** Who asks (logged, and the lease's holder). */
  holder: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PracticeChange {
  key: string;
  title: string;
  model: string;
  category: string;
  effectiveness: number;
  sampleCount: number;
  change: 'new' | 'updated' | 'revived';
}

export interface AnalysisResult {
  mode: 'claude' | 'offline';
  dryRun: boolean;
  replies: number;
  groups: number;
  groupsAnalysed: number;
  topReplies: number;
  practices: PracticeChange[];
  created: number;
  updated: number;
  archived: number;
  /** Practices whose archived_at this run would set (dry run) or set. */
  archivedKeys: string[];
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
}

function basisOf(c: PracticeCandidate): string {
  return createHash('sha256').update(`${c.features.join(',')}\n${c.members.map((m) => m.turnId).join(',')}`).digest('hex').slice(0, 16);
}

function storedText(p: BestPractice): PracticeText {
  return { title: p.title, description: p.description, keyInsights: p.key_insights, tags: p.tags, example: p.example_prompt };
}

/** Runs the analysis holding the lease. @throws PracticesBusyError when another run holds it. */
export async function analyzePractices(deps: PracticesDeps, options: AnalyzeOptions): Promise<AnalysisResult> {
  const { db } = deps;
  const held = await acquireLease(db, PRACTICES_LEASE, options.holder, LEASE_MS);
  if (held) {
    throw new PracticesBusyError(`A best-practices analysis is already running (${held.holder}); try again when it has finished.`);
  }
  try {
    return await analyzeHoldingLease(deps, options);
  } finally {
    await releaseLease(db, PRACTICES_LEASE, options.holder);
  }
}

async function analyzeHoldingLease(deps: PracticesDeps, options: AnalyzeOptions): Promise<AnalysisResult> {
  const started = performance.now();
  const logger = deps.logger.child({ component: 'practices' });
  const analyzedAt = new Date();
  const outcome = analyseReplies(await loadReplies(deps.db));
  const existing = await practicesByKey(deps.db, outcome.candidates.map((c) => c.key));
  const activeKeys = (await deps.db.selectFrom('best_practices').select('practice_key').where('status', '=', 'active').execute()).map((r) => r.practice_key);
  const tally = { calls: 0, failedCalls: 0, inputTokens: 0, outputTokens: 0 };
  const toSave: PracticeToSave[] = [];
  const changes: PracticeChange[] = [];

  for (const c of outcome.candidates) {
    options.signal?.throwIfAborted();
    const before = existing.get(c.key);
    const basis = basisOf(c);
    let text: PracticeText;
    let author: PracticeAuthor;
    const keepClaudeText = before?.generated_by === 'claude' && (!deps.client || before.metadata.writeup_basis === basis);
    if (keepClaudeText) {
      text = storedText(before);
      author = 'claude';
    } else if (deps.client && !options.dryRun) {
      const written = await writeWithClaude(deps, deps.client, c, tally, options.signal);
      text = written ?? offlineWriteup(c);
      author = written ? 'claude' : 'offline';
    } else {
      text = offlineWriteup(c);
      author = 'offline';
    }
    toSave.push({ candidate: c, text, generatedBy: author, writeupBasis: basis });
    changes.push({
      key: c.key, title: text.title, model: c.model, category: c.category, effectiveness: c.effectiveness, sampleCount: c.sampleCount,
      change: !before ? 'new' : before.status === 'archived' ? 'revived' : 'updated',
    });
  }
  const keep = new Set(outcome.candidates.map((c) => c.key));
  const archivedKeys = activeKeys.filter((k) => !keep.has(k));
  let saved = { created: changes.filter((c) => c.change === 'new').length, updated: changes.filter((c) => c.change !== 'new').length, archived: archivedKeys.length };
  if (!options.dryRun) {
    if (!(await renewLease(deps.db, PRACTICES_LEASE, options.holder, LEASE_MS))) {
      throw new PracticesBusyError('The best-practices lease was lost (this run took longer than the lease); nothing was saved.');
    }
    saved = await saveAnalysis(deps.db, toSave, analyzedAt);
  }
  const result: AnalysisResult = {
    mode: deps.client ? 'claude' : 'offline',
    dryRun: options.dryRun ?? false,
    replies: outcome.replies,
    groups: outcome.groups,
    groupsAnalysed: outcome.groupsAnalysed,
    topReplies: outcome.topReplies,
    practices: changes,
    ...saved,
    archivedKeys,
    ...tally,
    durationMs: Math.round(performance.now() - started),
  };
  logger.info({ event: 'practices_analyzed', holder: options.holder, ...result, practices: changes.length, archivedKeys: undefined }, 'best-practices analysis finished');
  return result;
}

/** One write-up call; null when it failed or its answer was unusable (the offline text is used instead). */
async function writeWithClaude(
  deps: PracticesDeps, api: Anthropic, c: PracticeCandidate, tally: { calls: number; failedCalls: number; inputTokens: number; outputTokens: number }, signal?: AbortSignal,
): Promise<PracticeText | null> {
  const params = writeupRequest(c, deps.model);
  const request = writeupCallRequest(params);
  const metadata = { practice_key: c.key, category: c.category, answering_model: c.model };
  const started = performance.now();
  tally.calls += 1;
  let data: Anthropic.Message;
  let requestId: string | null;
  try {
    const res = await api.messages.create(params, { signal, timeout: deps.timeoutMs ?? 60_000 }).withResponse();
    data = res.data;
    requestId = res.request_id ?? null;
  } catch (err) {
    tally.failedCalls += 1;
    const apiErr = err instanceof APIError ? err : null;
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    await deps.callLog.record({
      purpose: 'practices', model: deps.model, usage: ZERO_LLM_USAGE, latencyMs: Math.round(performance.now() - started), status: 'error', error,
      requestId: apiErr?.requestID ?? null, metadata, io: { request, output: null },
    });
    if (err instanceof APIUserAbortError || !apiErr) throw err;
    deps.logger.warn({ component: 'practices', practiceKey: c.key, err: error }, 'practice write-up failed; the offline extraction is stored instead');
    return null;
  }
  const text = messageText(data);
  const reading = readWriteup(text);
  const usage = usageFromApi(data.usage);
  tally.inputTokens += usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
  tally.outputTokens += usage.outputTokens;
  await deps.callLog.record({
    purpose: 'practices', model: data.model, usage, latencyMs: Math.round(performance.now() - started), stopReason: data.stop_reason ?? null, status: 'ok', requestId,
    metadata: { ...metadata, valid: reading.ok, ...(reading.ok ? {} : { error: reading.error }) },
    io: { request, output: { text, ...(reading.ok ? { structured: reading.structured } : {}) } },
  });
  if (!reading.ok) {
    tally.failedCalls += 1;
    deps.logger.warn({ component: 'practices', practiceKey: c.key, requestId, error: reading.error }, 'practice write-up unusable; the offline extraction is stored instead');
    return null;
  }
  return reading.text;
}
