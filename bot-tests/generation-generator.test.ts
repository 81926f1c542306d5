/**
 * US-TRAIN-003: generating one planned conversation with the real SDK against the loopback fake
 * Messages API, on each database kind.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import {
  fromWireFormat, generateConversation, GenerationError, GENERATED_CONVERSATION_SCHEMA, type GeneratorDeps, importPlan, importSeeds, seedFileSchema,
} from '../src/generation';
import { createCallLog, loadPricing } from '../src/llm';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';
import { type FakeAnthropic, startFakeAnthropic } from './helpers/fake-anthropic';
import { toWireFormat } from './helpers/generated-answer';

const EXAMPLES = path.resolve(__dirname, '../examples/financial-planning');
const PLAN = path.join(EXAMPLES, 'plan.json');
const SEED = path.join(EXAMPLES, 'seeds/fp_marcus_001.json');
const MODEL = 'claude-opus-5-5';
const USAGE = { input_tokens: 1000, output_tokens: 2000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
// claude-opus-5-5 at $5 / $25 per million tokens.
const COST_PER_CALL = (1000 * 5 + 2000 * 25) / 1e6;
const ANNOTATION_TABLES = ['training_turns', 'emotional_context', 'response_strategies', 'response_breakdowns'] as const;

interface SeedJson {
  training_pairs: { conversation_metadata: { conversation_number: number; tier_template?: string } }[];
  dataset_metadata: { total_turns: number };
}

let fake: FakeAnthropic;
let seedText: string;
beforeAll(async () => {
  fake = await startFakeAnthropic();
  seedText = await readFile(SEED, 'utf8');
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => { fake.reset(); });

/** The shipped 3-turn seed, re-keyed as the planned conversation KEY (number NUMBER). */
function answerFor(key: string, number: number, template: string): SeedJson {
  const seed = JSON.parse(seedText.replaceAll('fp_marcus_001', key)) as SeedJson;
  for (const pair of seed.training_pairs) {
    pair.conversation_metadata.conversation_number = number;
    pair.conversation_metadata.tier_template = template;
  }
  return seed;
}
/** The same answer with its last turn missing: valid JSON, wrong turn count. */
function shortAnswerFor(key: string, number: number, template: string): SeedJson {
  const seed = answerFor(key, number, template);
  seed.training_pairs.pop();
  seed.dataset_metadata.total_turns = seed.training_pairs.length;
  return seed;
}
// As the API's structured output carries it: maps as {key, value} lists.
const ok = (body: SeedJson) => ({ text: JSON.stringify(toWireFormat(body)), usage: USAGE });

describe('the structured-output schema', () => {
  it('is already in the strict subset the API accepts: the SDK\'s own strict transform changes nothing', () => {
    // transformJSONSchema closes every object and moves unsupported keywords into descriptions; a schema
    // it leaves equal uses only closed objects and supported keywords.
    expect(transformJSONSchema(GENERATED_CONVERSATION_SCHEMA)).toEqual(GENERATED_CONVERSATION_SCHEMA);
    const open: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) { node.forEach((n, i) => { walk(n, `${at}[${i}]`); }); return; }
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.type === 'object' && n.additionalProperties !== false) open.push(at);
      for (const [k, v] of Object.entries(n)) walk(v, `${at}.${k}`);
    };
    walk(GENERATED_CONVERSATION_SCHEMA, '$');
    expect(open).toEqual([]);
  });

  it('carries maps as {key, value} lists, which fromWireFormat turns back into the seed structure', async () => {
    const seed = JSON.parse(seedText) as SeedJson;
    const wire = toWireFormat(seed);
    const sentence = (wire as unknown as { training_pairs: Array<{ response_breakdown: { sentences: Array<{ word_choice_rationale: unknown }> } }> })
      .training_pairs[0]!.response_breakdown.sentences[0]!.word_choice_rationale;
    expect(Array.isArray(sentence)).toBe(true);
    const back = fromWireFormat(wire);
    expect(back.errors).toEqual([]);
    expect(back.value).toEqual(seed);
    expect(seedFileSchema.safeParse(back.value).success).toBe(true);
    // The seed structure itself (maps as objects) is accepted as it is.
    expect(fromWireFormat(seed)).toEqual({ value: seed, errors: [] });

    (sentence as Array<{ key: string }>)[1]!.key = (sentence as Array<{ key: string }>)[0]!.key;
    expect(fromWireFormat(wire).errors).toEqual([
      expect.stringMatching(/^training_pairs\[0\]\.response_breakdown\.sentences\[0\]\.word_choice_rationale\[1\]\.key: ".+" appears twice$/),
    ]);
  });
});

describe.each(testDbKinds)('generateConversation on %s', (kind) => {
  let t: TestDatabase;
  let deps: GeneratorDeps;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await importPlan(t.db, PLAN);
    const logger = createLogger('silent');
    // No SDK retries: waits belong to the job runner, which gets retryAfterMs.
    const client = new Anthropic({ apiKey: 'test', baseURL: fake.baseURL, maxRetries: 0 });
    const pricing = loadPricing();
    deps = { db: t.db, client, model: MODEL, callLog: createCallLog({ db: t.db, logger, pricing }), logger, pricing };
  });
  afterAll(async () => {
    await t.dispose();
  });

  const conversation = (key: string) =>
    t.db.selectFrom('training_conversations').selectAll().where('conversation_id', '=', key).executeTakeFirstOrThrow();
  async function countFor(table: (typeof ANNOTATION_TABLES)[number] | 'quality_metrics', uuid: string): Promise<number> {
    if (table === 'training_turns' || table === 'quality_metrics') {
      const r = await t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('conversation_id', '=', uuid).executeTakeFirstOrThrow();
      return Number(r.n);
    }
    const r = await t.db.selectFrom(table).innerJoin('training_turns', 'training_turns.id', `${table}.turn_id`)
      .select((eb) => eb.fn.countAll<string>().as('n')).where('training_turns.conversation_id', '=', uuid).executeTakeFirstOrThrow();
    return Number(r.n);
  }
  const callsFor = async (key: string) =>
    (await t.db.selectFrom('llm_calls').selectAll().where('purpose', '=', 'generation').orderBy('created_at').execute())
      .filter((r) => (r.metadata as Record<string, unknown>).conversation_key === key);
  async function expectFailure(promise: Promise<unknown>, kind: GenerationError['kind']): Promise<GenerationError> {
    const err = await promise.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(GenerationError);
    expect((err as GenerationError).kind).toBe(kind);
    return err as GenerationError;
  }
  async function expectUntouched(key: string): Promise<void> {
    const row = await conversation(key);
    expect(row.generation_status).toBe('planned');
    for (const table of [...ANNOTATION_TABLES, 'quality_metrics'] as const) expect(await countFor(table, row.id)).toBe(0);
  }

  it('stores a valid answer: status generated, every table, call log with tokens and cost', async () => {
    const planned = await conversation('fp_mixed_001');
    fake.enqueue(ok(answerFor('fp_mixed_001', 11, 'tier1_template_a')));
    const result = await generateConversation(deps, planned.id, { jobId: 'job-1' });

    expect(result).toMatchObject({
      conversationId: planned.id, conversationKey: 'fp_mixed_001', turns: 3, inputTokens: 1000, outputTokens: 2000, validationAttempts: 1,
    });
    expect(result.costUsd).toBeCloseTo(COST_PER_CALL, 6);

    const [request] = fake.messageRequests();
    expect(fake.messageRequests()).toHaveLength(1);
    expect(request!.body).not.toHaveProperty('temperature');
    expect(request!.body?.output_config).toEqual({ format: { type: 'json_schema', schema: GENERATED_CONVERSATION_SCHEMA } });
    const prompt = JSON.stringify(request!.body?.messages);
    expect(prompt).toContain(planned.persona_name);
    expect(prompt).toContain('fp_mixed_001 (number 11)');
    expect(prompt).not.toMatch(/\{\{/);

    const row = await conversation('fp_mixed_001');
    expect(row).toMatchObject({
      generation_status: 'generated', generation_method: 'claude_api', generation_cost_cents: 6, is_seed_example: false,
      persona_name: planned.persona_name, tier_template: 'tier1_template_a', turn_count: 3,
    });
    expect(row.generation_duration_seconds).not.toBeNull();
    expect(row.generation_date).toBeInstanceOf(Date);
    expect(Number(row.quality_score)).toBeGreaterThan(0);
    expect(await countFor('training_turns', row.id)).toBe(3);
    for (const table of [...ANNOTATION_TABLES, 'quality_metrics'] as const) expect(await countFor(table, row.id)).toBeGreaterThan(0);
    const turnIds = (await t.db.selectFrom('training_turns').select('turn_id').where('conversation_id', '=', row.id).orderBy('turn_number').execute()).map((r) => r.turn_id);
    expect(turnIds).toEqual(['fp_mixed_001_turn1', 'fp_mixed_001_turn2', 'fp_mixed_001_turn3']);

    const calls = await callsFor('fp_mixed_001');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ status: 'ok', input_tokens: 1000, output_tokens: 2000 });
    expect(Number(calls[0]!.cost_usd)).toBeCloseTo(COST_PER_CALL, 6);
    expect(calls[0]!.metadata).toMatchObject({ conversation_key: 'fp_mixed_001', attempt: 1, job_id: 'job-1' });

    // Generated now: a second run is refused without a request.
    fake.reset();
    await expectFailure(generateConversation(deps, planned.id), 'not_generatable');
    expect(fake.messageRequests()).toHaveLength(0);
  });

  it('feeds validation errors back and stores the corrected answer', async () => {
    const planned = await conversation('fp_mixed_004');
    fake.enqueue(ok(shortAnswerFor('fp_mixed_004', 16, 'tier1_template_a')), ok(answerFor('fp_mixed_004', 16, 'tier1_template_a')));
    const result = await generateConversation(deps, planned.id);
    expect(result.validationAttempts).toBe(2);
    expect(result.inputTokens).toBe(2000);
    expect(result.costUsd).toBeCloseTo(2 * COST_PER_CALL, 6);

    const requests = fake.messageRequests();
    expect(requests).toHaveLength(2);
    const messages = requests[1]!.body?.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]!.content).toBe(JSON.stringify(toWireFormat(shortAnswerFor('fp_mixed_004', 16, 'tier1_template_a'))));
    expect(messages[2]!.content).toMatch(/^Your JSON failed validation: .*exactly 3 turns, the answer has 2.*Return the corrected JSON only\.$/);

    expect((await conversation('fp_mixed_004')).generation_status).toBe('generated');
    expect(await countFor('training_turns', planned.id)).toBe(3);
    const calls = await callsFor('fp_mixed_004');
    expect(calls.map((c) => (c.metadata as Record<string, unknown>).attempt)).toEqual([1, 2]);
    expect(calls[0]!.metadata).toMatchObject({ valid: false });
  });

  it('gives up after two invalid answers: invalid_output, back to planned, nothing written', async () => {
    const planned = await conversation('fp_jennifer_004');
    fake.enqueue({ text: 'not json at all', usage: USAGE }, ok(shortAnswerFor('fp_jennifer_004', 14, 'tier1_template_d')));
    const err = await expectFailure(generateConversation(deps, planned.id), 'invalid_output');
    expect(err.message).toContain('exactly 3 turns');
    expect(fake.messageRequests()).toHaveLength(2);
    expect(JSON.stringify(fake.messageRequests()[1]!.body?.messages)).toContain('not valid JSON');
    await expectUntouched('fp_jennifer_004');
    const calls = await callsFor('fp_jennifer_004');
    expect(calls).toHaveLength(2);
    expect(calls[1]!.metadata).toMatchObject({ valid: false, attempt: 2 });
  });

  it('maps 429 to rate_limited with the retry-after wait', async () => {
    const planned = await conversation('fp_jennifer_004');
    fake.enqueue({ status: 429, retryAfter: 7 });
    const err = await expectFailure(generateConversation(deps, planned.id), 'rate_limited');
    expect(err.retryAfterMs).toBe(7000);
    expect(fake.messageRequests()).toHaveLength(1);
    await expectUntouched('fp_jennifer_004');
    const calls = await callsFor('fp_jennifer_004');
    expect(calls[calls.length - 1]).toMatchObject({ status: 'error', input_tokens: 0 });
  });

  it('maps 529 to overloaded and 500 to unavailable', async () => {
    const planned = await conversation('fp_jennifer_004');
    fake.enqueue({ status: 529, retryAfterMs: 1500 });
    const overloaded = await expectFailure(generateConversation(deps, planned.id), 'overloaded');
    expect(overloaded.retryAfterMs).toBe(1500);
    fake.enqueue({ status: 500 });
    const unavailable = await expectFailure(generateConversation(deps, planned.id), 'unavailable');
    expect(unavailable.retryAfterMs).toBeNull();
    expect(fake.messageRequests()).toHaveLength(2);
    await expectUntouched('fp_jennifer_004');
  });

  it('fails offline without a request', async () => {
    const planned = await conversation('fp_jennifer_004');
    await expectFailure(generateConversation({ ...deps, client: null }, planned.id), 'offline');
    expect(fake.messageRequests()).toHaveLength(0);
    await expectUntouched('fp_jennifer_004');
  });

  it('refuses an imported seed (approved), an unknown id, and an unfilled placeholder', async () => {
    const summary = await importSeeds(t.db, [SEED]);
    expect(summary.imported).toEqual(['fp_marcus_001']);
    const seed = await conversation('fp_marcus_001');
    expect(seed.generation_status).toBe('approved');
    await expectFailure(generateConversation(deps, seed.id), 'not_generatable');
    expect((await conversation('fp_marcus_001')).generation_status).toBe('approved');
    await expectFailure(generateConversation(deps, '00000000-0000-4000-8000-000000000000'), 'not_found');

    const planned = await conversation('fp_jennifer_004');
    const template = await t.db.selectFrom('conversation_templates').selectAll().where('template_id', '=', 'tier1_template_d').executeTakeFirstOrThrow();
    await t.db.updateTable('conversation_templates').set({ template_prompt: `${template.template_prompt}\n{{client_shoe_size}}` })
      .where('id', '=', template.id).execute();
    const err = await expectFailure(generateConversation(deps, planned.id), 'not_generatable');
    expect(err.message).toContain('{{client_shoe_size}}');
    await t.db.updateTable('conversation_templates').set({ template_prompt: template.template_prompt }).where('id', '=', template.id).execute();
    expect(fake.messageRequests()).toHaveLength(0);
    await expectUntouched('fp_jennifer_004');
  });
});
