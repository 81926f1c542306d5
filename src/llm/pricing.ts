/**
 * The dated price table behind `llm_calls.cost_usd`. Prices change over time, so each entry has an
 * effective date and a call is priced by the newest entry in force on the day it was made; old entries
 * stay so that past calls keep the price they were made at.
 */
import { AppError } from '../errors';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Logger } from '../logger';
import shippedPrices from './model-prices.json';
import type { LlmUsage } from './types';

/** One model's prices from a date on, in USD per million tokens. */
export interface ModelPrice {
  model: string;
  /** YYYY-MM-DD (UTC): the first day these prices apply. */
  effective: string;
  inputPerMtok: number;
  outputPerMtok: number;
  cacheReadPerMtok: number;
  cacheWritePerMtok: number;
}

/** What a call cost, and which dated entry priced it. */
export interface CallCost {
  /** USD, rounded to the micro-dollar (the column is NUMERIC(12,6)). */
  costUsd: number;
  /** The entry's effective date, YYYY-MM-DD. */
  priceDate: string;
}

/** A validated price table. */
export interface Pricing {
  readonly currency: 'USD';
  /** Where it came from: 'shipped' or the file path. */
  readonly source: string;
  readonly prices: readonly ModelPrice[];
  /** The entry in force for the model on the (UTC) day of `at`, or null when there is none. */
  priceFor(model: string, at: Date): ModelPrice | null;
  /**
   * The cost of a call made at `at`. Null for a model without a price on that day (logged once per
   * model, so an unpriced model does not flood the log): its calls are stored with no cost.
   * `batch`: the call went through the Message Batches API, billed at {@link BATCH_PRICE_FACTOR} of list.
   */
  costOf(model: string, usage: LlmUsage, at: Date, options?: { batch?: boolean }): CallCost | null;
}

/** The price file is unreadable or invalid. Raised at start-up, so a typo never prices calls wrongly. */
export class PricingFileError extends AppError {
  constructor(readonly source: string, message: string, cause?: unknown) {
    super(`Model price table ${source}: ${message}`, { cause });
  }

  get userMessage(): string {
    return this.message;
  }
}

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'is not a real date');
const perMtok = z.number().finite().nonnegative();

const fileSchema = z
  .object({
    currency: z.literal('USD'),
    note: z.string().optional(),
    prices: z
      .array(
        z.object({
          model: z.string().trim().min(1),
          effective: isoDate,
          input_per_mtok: perMtok,
          output_per_mtok: perMtok,
          cache_read_per_mtok: perMtok,
          cache_write_per_mtok: perMtok,
        }),
      )
      .min(1, 'must list at least one price'),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.prices.forEach((p, i) => {
      const key = `${p.model} ${p.effective}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['prices', i], message: `duplicate entry for ${p.model} effective ${p.effective}` });
      seen.add(key);
    });
  });

// A dated snapshot id is the alias plus a date: claude-haiku-4-5-20251001, or claude-sonnet-4-5@20250929
// on Vertex. Only such suffixes fall back to the alias's price: a bare prefix would price an unknown
// claude-sonnet-5-7 as claude-sonnet-5.
const DATED_SUFFIX = /^[-@]\d{8}(?:$|[-:@])/;

/** Anthropic bills Message Batches requests at half the list price, every token kind alike. */
export const BATCH_PRICE_FACTOR = 0.5;

const dayOf = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * Validates a parsed price table.
 * @throws PricingFileError naming each wrong field.
 */
export function parsePricing(json: unknown, options: { source: string; logger?: Logger }): Pricing {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PricingFileError(options.source, issues);
  }
  const prices: ModelPrice[] = parsed.data.prices.map((p) => ({
    model: p.model,
    effective: p.effective,
    inputPerMtok: p.input_per_mtok,
    outputPerMtok: p.output_per_mtok,
    cacheReadPerMtok: p.cache_read_per_mtok,
    cacheWritePerMtok: p.cache_write_per_mtok,
  }));
  const byModel = new Map<string, ModelPrice[]>();
  for (const price of prices) byModel.set(price.model, [...(byModel.get(price.model) ?? []), price]);
  // Longest first, so claude-sonnet-5-5-20261001 finds claude-sonnet-5-5 before claude-sonnet-5.
  const aliases = [...byModel.keys()].sort((a, b) => b.length - a.length);
  const warned = new Set<string>();

  function entriesFor(model: string): ModelPrice[] | undefined {
    const exact = byModel.get(model);
    if (exact) return exact;
    const alias = aliases.find((a) => model.startsWith(a) && DATED_SUFFIX.test(model.slice(a.length)));
    return alias ? byModel.get(alias) : undefined;
  }

  function priceFor(model: string, at: Date): ModelPrice | null {
    const day = dayOf(at);
    let best: ModelPrice | null = null;
    for (const entry of entriesFor(model) ?? []) {
      if (entry.effective <= day && (!best || entry.effective > best.effective)) best = entry;
    }
    return best;
  }

  function costOf(model: string, usage: LlmUsage, at: Date, costOptions: { batch?: boolean } = {}): CallCost | null {
    const price = priceFor(model, at);
    if (!price) {
      if (!warned.has(model)) {
        warned.add(model);
        options.logger?.warn({ model, day: dayOf(at), pricing: options.source }, 'no price for this model on this day; its calls are logged without a cost');
      }
      return null;
    }
    const micro =
      (usage.inputTokens * price.inputPerMtok +
        usage.outputTokens * price.outputPerMtok +
        usage.cacheReadTokens * price.cacheReadPerMtok +
        usage.cacheWriteTokens * price.cacheWritePerMtok) *
      (costOptions.batch ? BATCH_PRICE_FACTOR : 1);
    // Tokens × USD-per-million is micro-dollars; rounding there drops float noise like 0.30000000000000004.
    return { costUsd: Math.round(micro) / 1e6, priceDate: price.effective };
  }

  return { currency: 'USD', source: options.source, prices, priceFor, costOf };
}

/**
 * Loads the price table: `file` (config.modelPricingFile) when given, else the one shipped in
 * src/llm/model-prices.json.
 * @throws PricingFileError when the file cannot be read, is not JSON, or is invalid.
 */
export function loadPricing(options: { file?: string; logger?: Logger } = {}): Pricing {
  if (!options.file) return parsePricing(shippedPrices, { source: 'shipped', logger: options.logger });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(options.file, 'utf8'));
  } catch (err) {
    throw new PricingFileError(options.file, err instanceof Error ? err.message : String(err), err);
  }
  return parsePricing(json, { source: options.file, logger: options.logger });
}
