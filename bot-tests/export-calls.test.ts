/**
 * `npm run export:calls`: the stored call pairs of each purpose as Anthropic, OpenAI and raw JSONL
 * fine-tuning data, filtered by purpose and time, anonymised on request, and its bad arguments.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LlmCallPurpose } from '../db';
import { type ExportCallsArgs, parseExportCallsArgs, runExportCalls } from '../src/cli/export-calls';
import { parseInstant } from '../src/cli/export-output';
import { callRequestOf, createCallLog, type CallLogEntry, ZERO_LLM_USAGE } from '../src/llm';
import { pseudonymFor } from '../src/privacy';
import { capturingLogger } from './helpers/capturing-logger';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const TESTER = { id: 'aad-meg-0001', email: 'meg.tester@northwind.example', name: 'Meg Tester' };
const SECRET = 'export-calls-test-secret-0123456789abcdef';
const SYSTEM = 'You are ERA, the employee-relations assistant.';
const T0 = new Date('2026-11-20T10:00:00.000Z');

/** One call of each purpose (and a failed one), made by Meg, whose identity appears in the text. */
function entries(sessionId: string): CallLogEntry[] {
  const base = { usage: { ...ZERO_LLM_USAGE, inputTokens: 10, outputTokens: 5 }, latencyMs: 100, status: 'ok' as const, sessionId, testerId: TESTER.id };
  const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
  const answerBody = {
    model: 'claude-sonnet-5-5',
    max_tokens: 1024,
    system: [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }],
    messages: [
      { role: 'user' as const, content: 'Hi, Meg Tester here (meg.tester@northwind.example).' },
      { role: 'assistant' as const, content: 'Hello Meg, how can I help?' },
      { role: 'user' as const, content: [{ type: 'text' as const, text: '[1] Attendance policy…' }, { type: 'text' as const, text: 'Call me on 555-123-4567 about a no-show.' }] },
    ],
  };
  const intentBody = { model: 'claude-haiku-5-5', max_tokens: 100, system: 'Label the message.', messages: [{ role: 'user' as const, content: '<message>\nno-show again\n</message>' }], output_config: { format: { type: 'json_schema' as const, schema: { type: 'object' } } } };
  const genBody = { model: 'claude-opus-5-5', max_tokens: 8000, messages: [{ role: 'user' as const, content: 'Generate conversation fp_marcus_011' }], output_config: { format: { type: 'json_schema' as const, schema: { type: 'object' } } } };
  const rewriteBody = { model: 'claude-opus-5-5', max_tokens: 2000, messages: [{ role: 'user' as const, content: 'Rewrite the reply; notes by Meg: be warmer' }] };
  const judgeBody = { model: 'claude-haiku-5-5', max_tokens: 300, system: 'Score the reply 1-5.', messages: [{ role: 'user' as const, content: 'Reply: …' }] };
  return [
    { ...base, purpose: 'answer', model: 'claude-sonnet-5-5-20261001', at: at(0), io: { request: callRequestOf(answerBody), output: { text: 'Document it [1], Meg. I will email meg.tester@northwind.example.' } } },
    { ...base, purpose: 'intent', model: 'claude-haiku-5-5', at: at(1), io: { request: callRequestOf(intentBody), output: { text: '{"intent":"attendance","confidence":0.9}', structured: { intent: 'attendance', confidence: 0.9 } } } },
    { ...base, purpose: 'generation', model: 'claude-opus-5-5', at: at(2), sessionId: null, testerId: null, io: { request: callRequestOf(genBody), output: { text: '{"training_pairs":[]}', structured: { training_pairs: [] } } } },
    { ...base, purpose: 'rewrite', model: 'claude-opus-5-5', at: at(3), io: { request: callRequestOf(rewriteBody), output: { text: 'A warmer reply.' } } },
    { ...base, purpose: 'judging', model: 'claude-haiku-5-5', at: at(4), io: { request: callRequestOf(judgeBody), output: { text: '4' } } },
    // Failed, and stopped by the tester: in the raw export only.
    { ...base, purpose: 'answer', model: 'claude-sonnet-5-5', at: at(5), status: 'error', error: 'overloaded', io: { request: callRequestOf(answerBody), output: null } },
    { ...base, purpose: 'answer', model: 'claude-sonnet-5-5', at: at(6), metadata: { cancelled: true }, io: { request: callRequestOf(answerBody), output: { text: 'Docum' } } },
    // Logged without I/O (a canned template answer): never exported.
    { ...base, purpose: 'answer', model: 'template', at: at(7) },
  ];
}

const args = (over: Partial<ExportCallsArgs>): ExportCallsArgs => ({ format: 'jsonl', purposes: null, since: null, until: null, anonymize: null, ...over });

describe('export:calls arguments', () => {
  const fail = (code: number): never => {
    throw new Error(`exit ${code}`);
  };
  const parse = (...a: string[]) => parseExportCallsArgs(['node', 'export-calls', ...a], fail);

  test('reads formats, purpose lists, times and the anonymize mode', () => {
    expect(parse('--format', 'openai', '--purpose', 'intent,answer', '--since', '2026-11-01', '--anonymize')).toEqual({
      format: 'openai', purposes: ['answer', 'intent'], since: new Date('2026-11-01T00:00:00Z'), until: null, out: undefined, anonymize: 'pseudonymize',
    });
    expect(parse('--format', 'jsonl', '--purpose', 'all', '--anonymize=strip').anonymize).toBe('strip');
    expect(parse('--format', 'jsonl').purposes).toBeNull();
  });

  test.each([
    [['--purpose', 'answer'], /exit 2/],
    [['--format', 'csv'], /exit 2/],
    [['--format', 'jsonl', '--purpose', 'answers'], /exit 2/],
    [['--format', 'jsonl', '--since', 'yesterday'], /exit 2/],
    [['--format', 'jsonl', '--anonymize=hide'], /exit 2/],
    [['--format', 'jsonl', '--since', '2026-11-02', '--until', '2026-11-01'], /exit 2/],
  ])('refuses %j with the usage (exit 2)', (argv, message) => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => parse(...argv)).toThrow(message);
    } finally {
      stderr.mockRestore();
    }
  });

  test('times: ISO dates and date-times in UTC, and ages', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(parseInstant('2026-11-01T09:30', now)).toEqual(new Date('2026-11-01T09:30:00Z'));
    expect(parseInstant('2026-11-01T09:30+01:00', now)).toEqual(new Date('2026-11-01T08:30:00Z'));
    expect(parseInstant('30d', now)).toEqual(new Date('2026-11-01T12:00:00Z'));
    expect(parseInstant('12h', now)).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(parseInstant('2026-13-45', now)).toBeNull();
    expect(parseInstant('soon', now)).toBeNull();
  });
});

describe.each(testDbKinds)('export:calls on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    dir = mkdtempSync(path.join(tmpdir(), 'export-calls-'));
    const session = await t.db.insertInto('prompt_tuning_sessions').values({ tester_id: TESTER.id, tester_email: TESTER.email, tester_name: TESTER.name }).returning('id').executeTakeFirstOrThrow();
    const log = createCallLog({ db: t.db, logger: capturingLogger().logger, pricing: null });
    for (const e of entries(session.id)) await log.record(e);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.dispose();
  });

  async function exported(over: Partial<ExportCallsArgs>, privacy: { redact: Array<'emails' | 'phones'>; anonymizeSecret?: string } = { redact: [], anonymizeSecret: SECRET }) {
    const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}.jsonl`);
    const stats = await runExportCalls(t.db, { ...args(over), out }, { privacy });
    const text = readFileSync(out, 'utf8');
    const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { stats, text, lines };
  }

  test.each<[LlmCallPurpose, string]>([
    ['answer', 'Document it [1], Meg. I will email meg.tester@northwind.example.'],
    ['intent', '{"intent":"attendance","confidence":0.9}'],
    ['generation', '{"training_pairs":[]}'],
    ['rewrite', 'A warmer reply.'],
    ['judging', '4'],
  ])('anthropic format, purpose %s: the request\'s messages then the output as the assistant turn', async (purpose, output) => {
    const { lines, stats } = await exported({ format: 'anthropic', purposes: [purpose] });
    expect(stats).toEqual({ written: 1, skipped: 0 });
    const [line] = lines as Array<{ system?: string; messages: Array<{ role: string; content: unknown }> }>;
    expect(line?.messages.at(-1)).toEqual({ role: 'assistant', content: output });
    expect(line?.messages.slice(0, -1).every((m) => m.role === 'user' || m.role === 'assistant')).toBe(true);
    if (purpose === 'answer') {
      expect(line?.system).toBe(SYSTEM);
      expect(line?.messages).toHaveLength(4);
      // Content blocks as sent.
      expect(Array.isArray(line?.messages[2]?.content)).toBe(true);
    }
    if (purpose === 'generation') expect(line && 'system' in line).toBe(false);
  });

  test('openai format: system first, every content a string (blocks joined), the output last', async () => {
    const { lines, stats } = await exported({ format: 'openai', purposes: ['answer', 'generation'] });
    expect(stats.written).toBe(2);
    const answer = lines[0] as { messages: Array<{ role: string; content: string }> };
    expect(answer.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    expect(answer.messages[3]?.content).toBe('[1] Attendance policy…\n\nCall me on 555-123-4567 about a no-show.');
    expect(answer.messages.every((m) => typeof m.content === 'string')).toBe(true);
    const generation = lines[1] as { messages: Array<{ role: string }> };
    expect(generation.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  test('jsonl: every call with stored I/O (failed and stopped ones too) with its metadata, in time order', async () => {
    const { lines } = await exported({ format: 'jsonl' });
    expect(lines.map((l) => l.purpose)).toEqual(['answer', 'intent', 'generation', 'rewrite', 'judging', 'answer', 'answer']);
    const failed = lines[5] as { status: string; error: string; output: unknown; request: { system: string; params: Record<string, unknown> } };
    expect(failed).toMatchObject({ status: 'error', error: 'overloaded', output: null });
    expect(failed.request.system).toBe(SYSTEM);
    expect(failed.request.params.system_blocks).toEqual([{ type: 'text', cache_control: { type: 'ephemeral' }, chars: SYSTEM.length }]);
    expect(lines[0]).toMatchObject({ tester_id: TESTER.id, model: 'claude-sonnet-5-5-20261001', requested_model: 'claude-sonnet-5-5', usage: { input_tokens: 10, output_tokens: 5 } });
    expect(lines[1]).toMatchObject({ output: { structured: { intent: 'attendance', confidence: 0.9 } }, request: { output_schema: { type: 'object' } } });
    // The fine-tuning formats leave the failed and the stopped answer out.
    expect((await exported({ format: 'anthropic', purposes: ['answer'] })).lines).toHaveLength(1);
  });

  test('--since and --until bound the calls by time; a small page size changes nothing', async () => {
    const since = new Date(T0.getTime() + 60_000);
    const until = new Date(T0.getTime() + 4 * 60_000);
    const { lines } = await exported({ format: 'jsonl', since, until });
    expect(lines.map((l) => l.purpose)).toEqual(['intent', 'generation', 'rewrite']);
    const all = await exported({ format: 'jsonl' });
    const stats = { written: 0, skipped: 0 };
    const { callExportLines } = await import('../src/llm');
    const { createAnonymizer } = await import('../src/privacy');
    const paged: string[] = [];
    for await (const line of callExportLines(t.db, { ...args({}), anonymizer: createAnonymizer({ anonymize: null, secret: '', redact: [] }), pageSize: 2 }, stats)) paged.push(line);
    expect(paged.join('')).toBe(all.text);
  });

  test.each(['pseudonymize', 'strip'] as const)('--anonymize=%s: no tester id, name or e-mail anywhere in any format, phones redacted', async (mode) => {
    for (const format of ['anthropic', 'openai', 'jsonl'] as const) {
      const { text, lines } = await exported({ format, anonymize: mode });
      expect(lines.length).toBeGreaterThan(0);
      for (const needle of [TESTER.id, TESTER.email, TESTER.name, 'Meg', 'meg.tester', '555-123-4567']) expect(text).not.toContain(needle);
      if (format === 'jsonl') {
        expect(lines[0]?.tester_id).toBe(mode === 'strip' ? null : pseudonymFor(TESTER.id, SECRET));
      }
    }
  });

  test('REDACT_PII redacts without anonymising; the identities stay', async () => {
    const { text } = await exported({ format: 'jsonl', purposes: ['answer'] }, { redact: ['emails', 'phones'] });
    expect(text).not.toContain('meg.tester@northwind.example');
    expect(text).not.toContain('555-123-4567');
    expect(text).toContain('[email]');
    expect(text).toContain(TESTER.id);
  });

  test('an export to a path that cannot be written fails before reading anything, and leaves no file', async () => {
    const out = path.join(dir, 'missing-dir', 'x.jsonl');
    await expect(runExportCalls(t.db, { ...args({}), out }, { privacy: { redact: [] } })).rejects.toThrow(/ENOENT/);
    expect(existsSync(out)).toBe(false);
  });

  if (kind === 'postgres') {
    test('npm run export:calls end to end: the file and the summary line', async () => {
      const out = path.join(dir, 'cli.jsonl');
      const { stderr } = await promisify(execFile)('node', ['-r', '@swc-node/register', 'src/cli/export-calls.ts', '--format', 'anthropic', '--purpose', 'intent', '--out', out], {
        env: { ...process.env, DATABASE_URL: t.url ?? '' },
      });
      expect(stderr).toMatch(/export:calls: 1 calls as anthropic from postgres:\/\/.* to .*cli\.jsonl/);
      expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(1);
      const bad = await promisify(execFile)('node', ['-r', '@swc-node/register', 'src/cli/export-calls.ts', '--format', 'xml'], { env: process.env }).catch((e: unknown) => e as { code: number; stderr: string });
      expect(bad).toMatchObject({ code: 1 });
      expect((bad as { stderr: string }).stderr).toMatch(/argument 'xml' is invalid/);
    });
  }

});
