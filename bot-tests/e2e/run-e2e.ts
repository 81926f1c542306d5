/**
 * End to end, as a tester would: the bot (Claude answered by a loopback fake, a fresh PGlite) plus the Microsoft 365 Agents
 * Playground, driven in headless Chromium with playwright-core. Not a jest suite: `npm run test:e2e`.
 *
 * The run: send a manager's question, see the welcome card then ERA's answer card, open Improve,
 * pick "Tone", write a note, Save, see the same card list the note, send /export, read the link in
 * the reply and download the CSV with Node's fetch, and check its header and the note's row; then
 * /generate (direct and batch), and the tuning loop: /suggest, Replay with this suggestion, the
 * replay's progress card and the comparison card.
 * Screenshots of every step go to bot-tests/e2e/artifacts/ (gitignored) with the bot's and the
 * Playground's logs, the browser console and the CSV. Ends with `e2e: N passed, M failed, K skipped`
 * and a non-zero exit code on any failure; the children are always stopped.
 *
 * Needs Chromium: `apt-get install -y chromium` (or CHROMIUM_PATH=/path/to/chrome).
 * BOT_ENTRY runs another bot entry point than src/index.ts (to test this harness on a stand-in).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { startFakeAnthropic } from '../helpers/fake-anthropic';
import { generationReply } from '../helpers/generated-answer';
import {
  findFreePort,
  type RunningChild,
  startBot,
  startPlayground,
  stopChildren,
  unauthenticatedBotEnv,
  waitForHealth,
} from '../../src/cli/playground-processes';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const QUESTION = "My employee didn't show up for her shift today and didn't call. What should I do?";
const CATEGORY = { label: 'Tone', value: 'tone' };
const INTENT_MODEL = 'claude-haiku-5-5';
const TOPIC = { label: 'Scheduling', value: 'scheduling' };
const NOTE = `Open by acknowledging how stressful a no-show is before the steps (e2e ${randomBytes(3).toString('hex')})`;
const CSV_HEADER = 'turn_number,user_message,era_response,improvement_note,category,timestamp';
const REPLY_TIMEOUT_MS = 60_000;

type Outcome = 'passed' | 'failed' | 'skipped';
const results: Array<{ name: string; outcome: Outcome; detail?: string }> = [];

function log(line: string): void {
  console.log(`[e2e] ${line}`);
}

/** Runs one step unless an earlier one failed; records the outcome and keeps going to the summary. */
async function step(name: string, body: () => Promise<void>): Promise<void> {
  if (results.some((r) => r.outcome !== 'passed')) {
    results.push({ name, outcome: 'skipped', detail: 'an earlier step failed' });
    log(`SKIP  ${name}`);
    return;
  }
  const started = Date.now();
  try {
    await body();
    results.push({ name, outcome: 'passed' });
    log(`PASS  ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    results.push({ name, outcome: 'failed', detail });
    log(`FAIL  ${name}: ${detail}`);
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch((err: unknown) => { log(`screenshot ${name} failed: ${err instanceof Error ? err.message : String(err)}`); });
}

// --- Driving the Playground's web UI -------------------------------------------------------------

const composer = (page: Page): Locator => page.locator('[data-lexical-editor="true"]');
/** Every Adaptive Card a bot message carries (the Playground wraps each in .fai-OutputCard). */
const botCards = (page: Page): Locator => page.locator('.fai-OutputCard');
/** ERA's answer cards: the cards with an Improve button. */
const answerCards = (page: Page): Locator => botCards(page).filter({ has: page.getByRole('button', { name: 'Improve', exact: true }) });

async function send(page: Page, text: string): Promise<void> {
  await composer(page).click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

/** The text of the last few messages in the chat, to make a failure readable. */
async function recentMessages(page: Page, n = 4): Promise<string> {
  const headers = page.locator('[aria-label="Message header"]');
  const count = await headers.count();
  const texts: string[] = [];
  for (let i = Math.max(0, count - n); i < count; i++) {
    const text = await headers.nth(i).locator('xpath=..').innerText().catch(() => '');
    texts.push(text.replace(/\s+/g, ' ').trim().slice(0, 300));
  }
  return texts.length ? texts.map((t) => `  | ${t}`).join('\n') : '  | (no messages)';
}

async function waitFor(what: string, page: Page, predicate: () => Promise<boolean>, timeoutMs = REPLY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate().catch(() => false)) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; last messages:\n${await recentMessages(page)}`);
}

/** Picks a choice in an Input.ChoiceSet, whichever way the Playground rendered it. */
async function choose(page: Page, card: Locator, choice: string): Promise<void> {
  // Only the open form's choice set is visible (Improve's category, or Change topic's topic).
  const combo = card.getByRole('combobox').filter({ visible: true }).first();
  if (await combo.isVisible().catch(() => false)) {
    await combo.click();
    await page.getByRole('option', { name: choice, exact: true }).click();
    return;
  }
  const radio = card.getByRole('radio', { name: choice, exact: true });
  if (await radio.isVisible().catch(() => false)) {
    await radio.check();
    return;
  }
  const select = card.locator('select').first();
  check(await select.isVisible().catch(() => false), 'the Improve form shows no choice input for the category');
  await select.selectOption({ label: choice });
}

// --- The CSV ---------------------------------------------------------------------------------------

/** RFC 4180 records (quoted fields, doubled quotes, CRLF or LF, newlines inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

// --- The run ---------------------------------------------------------------------------------------

function prepareArtifacts(): void {
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) {
    if (/\.(png|log|csv|json)$/.test(f)) rmSync(path.join(ARTIFACTS, f), { force: true });
  }
}

type Cleanup = () => Promise<void> | void;

async function run(children: RunningChild[], cleanups: Cleanup[]): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tuning-bot-e2e-'));
  // Cleanups run last-in first-out: the browser closes, then the children stop, then their data goes.
  cleanups.push(() => { rmSync(dataDir, { recursive: true, force: true }); });
  cleanups.push(() => stopChildren(children));
  const botPort = await findFreePort();
  const playgroundPort = await findFreePort();
  const botLog = path.join(ARTIFACTS, 'bot.log');
  const playgroundLog = path.join(ARTIFACTS, 'playground.log');

  // Claude is a loopback fake: ERA's answers cite the first passage, intent calls get a small JSON
  // answer, and generation requests get a valid annotated conversation.
  const fake = await startFakeAnthropic();
  cleanups.push(() => fake.close());
  fake.reply((body) => {
    const generation = generationReply(body);
    if (generation) return generation;
    if (body.model === INTENT_MODEL) return '{"intent":"other","confidence":0.5}';
    return 'Treat it as a no-call/no-show under the Attendance and No-Call/No-Show Policy [1]. Try to reach her, document each attempt, and record the occurrence [1].';
  });

  // Empty strings, not absent keys: the bot loads .env without overriding what is set, so this keeps
  // a developer's .env (an API key, a DATABASE_URL, an allowlist) out of the run.
  const botEnv = unauthenticatedBotEnv({
    ...process.env,
    PORT: String(botPort),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: `http://127.0.0.1:${botPort}`,
    PGLITE_DATA_DIR: dataDir,
    DATABASE_URL: '',
    ANTHROPIC_API_KEY: 'sk-e2e',
    ANTHROPIC_BASE_URL: fake.baseURL,
    INTENT_MODEL,
    TESTER_ALLOWLIST: '',
    EXPORT_SIGNING_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'debug',
  });

  await step('the sample training plan imports', async () => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'src/cli/gen.ts', 'plan', 'import', 'examples/financial-planning/plan.json'], {
      env: botEnv,
      encoding: 'utf8',
      timeout: 120_000,
    });
    appendFileSync(botLog, `${r.stdout}${r.stderr}`);
    check(r.status === 0 && /conversations: 100 added/.test(r.stdout), `plan import failed (${r.status}): ${r.stdout}${r.stderr}`);
  });

  let bot: RunningChild | undefined;
  await step('the bot starts and /healthz answers 200', async () => {
    bot = startBot({ entry: process.env.BOT_ENTRY || undefined, env: botEnv, sink: (line) => { appendFileSync(botLog, `${line}\n`); } });
    children.push(bot);
    await waitForHealth(`http://127.0.0.1:${botPort}/healthz`, bot, 120_000);
  });

  let playgroundUrl = '';
  await step('the Agents Playground starts against the bot', async () => {
    const playground = startPlayground({
      botEndpoint: `http://127.0.0.1:${botPort}/api/messages`,
      port: playgroundPort,
      env: process.env,
      logFile: path.join(ARTIFACTS, 'playground-internal.log'),
      sink: (line) => { appendFileSync(playgroundLog, `${line}\n`); },
    });
    children.push(playground);
    playgroundUrl = (await playground.url).replace('localhost', '127.0.0.1');
  });

  let browser: Browser | undefined;
  let page: Page | undefined;
  await step('the Playground page loads in headless Chromium', async () => {
    check(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const consoleLog = path.join(ARTIFACTS, 'browser-console.log');
    page.on('console', (m) => { appendFileSync(consoleLog, `${m.type()}: ${m.text()}\n`); });
    page.on('pageerror', (e) => { appendFileSync(consoleLog, `pageerror: ${e.message}\n`); });
    await page.goto(playgroundUrl, { waitUntil: 'load' });
    await composer(page).waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, '01-loaded');
  });
  cleanups.push(async () => {
    await browser?.close();
  });

  await step('a first question gets a welcome card, then ERA\'s answer card', async () => {
    const p = page as Page;
    await send(p, QUESTION);
    await waitFor("ERA's answer card (a card with an Improve button)", p, async () => (await answerCards(p).count()) >= 1);
    await shot(p, '02-answer');
    check((await answerCards(p).count()) === 1, `expected one answer card, found ${await answerCards(p).count()}`);
    // The welcome card: a bot card without Improve, shown before the answer card.
    const cards = await botCards(p).all();
    const firstAnswer = await (async () => {
      for (let i = 0; i < cards.length; i++) if (await cards[i]?.getByRole('button', { name: 'Improve', exact: true }).count()) return i;
      return -1;
    })();
    check(firstAnswer >= 1, `no welcome card before the answer card; last messages:\n${await recentMessages(p)}`);
    check(await answerCards(p).last().getByRole('button', { name: 'Looks good', exact: true }).isVisible(), 'the answer card has no Looks good button');
  });

  await step('Improve opens the note form (category and note)', async () => {
    const p = page as Page;
    const card = answerCards(p).last();
    await card.getByRole('button', { name: 'Improve', exact: true }).click();
    await card.locator('textarea').first().waitFor({ state: 'visible', timeout: 10_000 });
    check(await card.getByRole('button', { name: 'Save note', exact: true }).isVisible(), 'no Save note button in the form');
    await shot(p, '03-improve-form');
  });

  await step(`choosing "${CATEGORY.label}" and typing a note`, async () => {
    const p = page as Page;
    const card = answerCards(p).last();
    await choose(p, card, CATEGORY.label);
    await card.locator('textarea').first().fill(NOTE);
    await shot(p, '04-note-filled');
  });

  await step('Save note updates the same card to list the note', async () => {
    const p = page as Page;
    const before = await botCards(p).count();
    const card = answerCards(p).last();
    await card.getByRole('button', { name: 'Save note', exact: true }).click();
    await waitFor('the answer card to list the saved note', p, async () => (await answerCards(p).last().innerText()).includes(NOTE), 30_000);
    await shot(p, '05-note-saved');
    const text = await answerCards(p).last().innerText();
    check(new RegExp(CATEGORY.value, 'i').test(text), `the updated card does not show the category "${CATEGORY.value}": ${text.slice(0, 400)}`);
    check((await botCards(p).count()) === before, `the note arrived as a new card (${before} cards before, ${await botCards(p).count()} after), not an update in place`);
  });

  await step('the answer cites the attendance policy; the card shows the sources and the topic', async () => {
    const p = page as Page;
    const cited = p.getByText(/Attendance and No-Call\/No-Show Policy.*\[1\]/).first();
    await waitFor('the answer text citing the attendance policy', p, async () => cited.isVisible().catch(() => false));
    const text = await answerCards(p).last().innerText();
    check(/Sources/.test(text) && /\[1\] Attendance and No-Call\/No-Show Policy/.test(text), `the card lists no attendance source: ${text.slice(0, 400)}`);
    check(/Topic: Attendance/.test(text), `the card shows no Attendance topic: ${text.slice(0, 400)}`);
  });

  await step('Change topic stores a correction', async () => {
    const p = page as Page;
    const card = answerCards(p).last();
    await card.getByRole('button', { name: 'Change topic', exact: true }).click();
    await card.getByRole('button', { name: 'Save topic', exact: true }).waitFor({ state: 'visible', timeout: 10_000 });
    await choose(p, card, TOPIC.label);
    await card.getByRole('button', { name: 'Save topic', exact: true }).click();
    await waitFor('the card to show the corrected topic', p, async () => (await answerCards(p).last().innerText()).includes('corrected by a tester'), 30_000);
    await shot(p, '05b-topic-corrected');
  });

  await step('the correction is in the retraining export behind /prompts', async () => {
    const p = page as Page;
    await send(p, '/prompts retraining 30');
    const links = p.locator('a[href*="/exports/prompts/"]');
    await waitFor('a message with a link to /exports/prompts/', p, async () => (await links.count()) >= 1);
    const url = (await links.last().getAttribute('href')) ?? '';
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    writeFileSync(path.join(ARTIFACTS, 'prompts-retraining.jsonl'), body);
    check(res.status === 200, `GET ${url} answered ${res.status}: ${body.slice(0, 200)}`);
    const records = body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { text: string; label: string; corrected: boolean });
    const corrected = records.find((r) => r.text === QUESTION);
    check(corrected?.label === TOPIC.value && corrected.corrected, `the question is not in the export as a correction to ${TOPIC.value}: ${body.slice(0, 400)}`);
  });

  let exportUrl = '';
  await step('/export replies with a download link', async () => {
    const p = page as Page;
    await send(p, '/export');
    const links = p.locator('a[href*="/exports/"]:not([href*="/exports/prompts/"])');
    await waitFor('a message with a link to /exports/', p, async () => (await links.count()) >= 1);
    exportUrl = (await links.last().getAttribute('href')) ?? '';
    await shot(p, '06-export');
    check(/^https?:\/\/[^/]+\/exports\/\S+$/.test(exportUrl), `not a download link: "${exportUrl}"`);
    log(`export link: ${exportUrl}`);
  });

  await step('the CSV has the header and a row with the note and its category', async () => {
    const res = await fetch(exportUrl, { signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    writeFileSync(path.join(ARTIFACTS, 'export.csv'), body);
    check(res.status === 200, `GET ${exportUrl} answered ${res.status}: ${body.slice(0, 200)}`);
    check(/text\/csv/i.test(res.headers.get('content-type') ?? ''), `content-type is "${res.headers.get('content-type')}", not text/csv`);
    const rows = parseCsv(body.replace(/^\uFEFF/, ''));
    check(rows[0]?.join(',') === CSV_HEADER, `header is "${rows[0]?.join(',')}", expected "${CSV_HEADER}"`);
    const noteRow = rows.slice(1).find((r) => r[3] === NOTE);
    check(noteRow, `no row with the note; rows:\n${rows.map((r) => `  | ${r.join(' | ').slice(0, 200)}`).join('\n')}`);
    check(noteRow[4] === CATEGORY.value, `the note's category is "${noteRow[4]}", expected "${CATEGORY.value}"`);
    check(noteRow[1] === QUESTION, `the note's user_message is "${noteRow[1]}", expected the question`);
    check(noteRow[0] === '1', `the note's turn_number is "${noteRow[0]}", expected 1`);
    check((noteRow[2] ?? '').length > 0, 'the note row has no era_response');
    check(!Number.isNaN(Date.parse(noteRow[5] ?? '')), `the note row's timestamp "${noteRow[5]}" is not a date`);
  });

  await step('/generate 11-13 shows a progress card that finishes with three generated conversations', async () => {
    const p = page as Page;
    await send(p, '/generate 11-13');
    const confirm = botCards(p).filter({ hasText: 'Generate 3 conversation(s)?' }).last();
    await confirm.waitFor({ state: 'visible', timeout: REPLY_TIMEOUT_MS });
    await shot(p, '07-generate-confirm');
    await confirm.getByRole('button', { name: 'Start', exact: true }).click();
    // The card updated in place: read the bot message that carries it, whitespace normalised (the
    // renderer lays facts out in cells and may use non-breaking spaces).
    const progress = p.locator('[aria-label="Message header"]').locator('xpath=..').filter({ hasText: 'Done / failed / total' }).last();
    await waitFor('the progress card to reach 3 / 0 / 3 completed', p, async () => {
      const text = (await progress.innerText().catch(() => '')).replace(/\s+/g, ' ');
      return /Status completed/.test(text) && /3 \/ 0 \/ 3/.test(text) && /100 ?%/.test(text);
    }, 90_000);
    await shot(p, '08-generate-done');
    const summary = p.getByText(/Generation job [0-9a-f]{8} finished: 3 generated/).first();
    await waitFor('the job summary message', p, async () => summary.isVisible().catch(() => false), 30_000);
  });

  await step('/generate 14-15 "Start as a batch" goes through the Message Batches API and finishes with two', async () => {
    const p = page as Page;
    await send(p, '/generate 14-15');
    const confirm = botCards(p).filter({ hasText: 'Generate 2 conversation(s)?' }).last();
    await confirm.waitFor({ state: 'visible', timeout: REPLY_TIMEOUT_MS });
    await confirm.getByRole('button', { name: 'Start as a batch (half price)', exact: true }).click();
    const progress = p.locator('[aria-label="Message header"]').locator('xpath=..').filter({ hasText: 'Done / failed / total' }).last();
    await waitFor('the batch job\'s progress card to reach 2 / 0 / 2 completed', p, async () => {
      const text = (await progress.innerText().catch(() => '')).replace(/\s+/g, ' ');
      return /Status completed/.test(text) && /2 \/ 0 \/ 2/.test(text);
    }, 90_000);
    await shot(p, '09-generate-batch-done');
    const summary = p.getByText(/Generation job [0-9a-f]{8} finished: 2 generated/).first();
    await waitFor('the batch job summary message', p, async () => summary.isVisible().catch(() => false), 30_000);
    check(fake.batchCreateRequests().length === 1, `expected one batch sent, found ${fake.batchCreateRequests().length}`);
  });

  await step('/suggest shows the suggestion card: the edit, the notes it answers, its diff, Replay and Download .patch', async () => {
    const p = page as Page;
    await send(p, '/suggest');
    const card = botCards(p).filter({ hasText: 'Suggested prompt edits' }).last();
    await card.waitFor({ state: 'visible', timeout: REPLY_TIMEOUT_MS });
    await card.scrollIntoViewIfNeeded();
    await shot(p, '10-suggestion');
    const text = await card.innerText();
    check(/Edit 1 answers N1 \(tone\)/.test(text), `the card names no note for its edit: ${text.slice(0, 400)}`);
    check(await card.getByRole('button', { name: 'Replay with this suggestion', exact: true }).isVisible(), 'no Replay with this suggestion button');
    check(await card.getByRole('button', { name: 'Download .patch', exact: true }).isVisible(), 'no Download .patch button');
  });

  await step('Replay with this suggestion: a progress card that completes, then the comparison card', async () => {
    const p = page as Page;
    const card = botCards(p).filter({ hasText: 'Suggested prompt edits' }).last();
    await card.getByRole('button', { name: 'Replay with this suggestion', exact: true }).click();
    const progress = p.locator('[aria-label="Message header"]').locator('xpath=..').filter({ hasText: 'Turns replayed' }).last();
    await waitFor('the replay card to reach completed', p, async () => /Status\s*completed/.test((await progress.innerText().catch(() => '')).replace(/\s+/g, ' ')), 90_000);
    await progress.scrollIntoViewIfNeeded();
    await shot(p, '11-replay-done');
    const comparison = botCards(p).filter({ hasText: 'Replay: old prompt vs new' }).last();
    await comparison.waitFor({ state: 'visible', timeout: 60_000 });
    await comparison.scrollIntoViewIfNeeded();
    await shot(p, '12-comparison');
    const text = (await comparison.innerText()).replace(/\s+/g, ' ');
    check(/Empathy \(1-5\)/.test(text) && /Cites a policy/.test(text), `the comparison card lacks its metrics: ${text.slice(0, 400)}`);
  });
}

async function main(): Promise<void> {
  prepareArtifacts();
  const children: RunningChild[] = [];
  const cleanups: Cleanup[] = [];
  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // Best effort: the remaining cleanups still run.
      }
    }
    await stopChildren(children);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      log(`${signal}: stopping`);
      void shutdown().then(() => process.exit(130));
    });
  }

  try {
    await run(children, cleanups);
  } catch (err) {
    results.push({ name: 'the harness itself', outcome: 'failed', detail: (err as Error).stack ?? String(err) });
  } finally {
    await shutdown();
  }

  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  console.log('');
  for (const r of results) console.log(`${r.outcome.toUpperCase().padEnd(7)} ${r.name}${r.detail && r.outcome === 'failed' ? `\n        ${r.detail.split('\n').join('\n        ')}` : ''}`);
  console.log(`\nartifacts: ${path.relative(process.cwd(), ARTIFACTS) || ARTIFACTS}`);
  const failed = count('failed');
  const skipped = count('skipped');
  console.log(`e2e: ${count('passed')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

void main();
