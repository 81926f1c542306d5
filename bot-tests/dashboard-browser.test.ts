/**
 * The dashboard in headless Chromium against the real server on PGlite, seeded with the 100-conversation
 * plan and its seeds and 100 tuning sessions made through the tuning services; Claude is the loopback
 * fake. Every page: filters change the URL and the rows, paging and sorting, generating two selected
 * conversations completes, the job controls, review actions, and screenshots in light and dark theme
 * (bot-tests/artifacts/dashboard/, not committed). Also: without sign-in the page says how to sign in,
 * and a tester's token cannot read another tester's session.
 */
import path from 'node:path';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { createJob, pauseJob } from '../src/generation';
import { createHarness, type Harness } from './helpers/bot-harness';
import { launchChromium, SCREENSHOT_DIR } from './helpers/browser';
import {
  closeServer, listenOnLoopback, REPLAY_TURNS, seedBestPractices, seedComparedReplay, type SeededReplay, type SeededSession, seedTrainingData, seedTuningSessions, SSO_APP_ID, startFakeEntra,
} from './helpers/dashboard-fixtures';
import { generationReply } from './helpers/generated-answer';

jest.setTimeout(240_000);

const TESTERS = [
  { id: 'aad-meg-0001', name: 'Meg Tester', email: 'meg@northwind.example' },
  { id: 'aad-alex-0002', name: 'Alex Wilber', email: 'alex@northwind.example' },
  { id: 'aad-lee-0003', name: 'Lee Gu', email: 'lee@northwind.example' },
  { id: 'aad-ana-0004', name: 'Ana Bowman', email: 'ana@northwind.example' },
];

let h: Harness;
let browser: Browser;
let page: Page;
let base: string;
let sessions: SeededSession[];
const pageErrors: string[] = [];
let replay: SeededReplay;
/** The two conversations generated from the matrix. */
const firstPlanned: number[] = [];

const url = () => new URL(page.url());
const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
/** Waits for the grid to show `n` rows (the new data, not the old). */
/** Waits until `selector` matches exactly `n` elements (polling: the page's CSP forbids eval'd checks). */
async function expectCount(selector: string, n: number): Promise<void> {
  const until = Date.now() + 30_000;
  let count = -1;
  while (Date.now() < until) {
    count = await page.locator(selector).count();
    if (count === n) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${selector}: ${String(count)} elements, expected ${String(n)}`);
}
/** Polls until `check` holds (the page fetches after the URL changes, so the rows change a moment later). */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const expectRows = (n: number) => expectCount('[data-testid="grid"] [data-row]', n);
/** Waits until the element with this test id reads exactly `text`. */
const expectText = async (testId: string, text: string) => {
  await page.getByTestId(testId).getByText(text, { exact: true }).waitFor();
};

/** Ticks options in a multi-select dropdown (Fluent renders them as menu item checkboxes), then closes it. */
async function pick(label: string, options: string[]): Promise<void> {
  const box = page.getByRole('combobox', { name: label });
  await box.click();
  for (const o of options) await page.getByRole('menuitemcheckbox', { name: o, exact: true }).click();
  // Close it by clicking outside (the page heading), as a person would.
  await page.getByRole('heading', { level: 1 }).click();
  await expectCount('[role="menu"]', 0);
}

beforeAll(async () => {
  h = await createHarness('pglite', { claude: true });
  h.fake?.reply((body) => generationReply(body) ?? 'not a generation request');
  sessions = await seedTuningSessions(h.t.db, 100, TESTERS);
  await seedTrainingData(h.t.db);
  base = await listenOnLoopback(h.app.server);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (err) => pageErrors.push(String(err)));
});
// A script error on any page fails the test that caused it.
afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});
afterAll(async () => {
  await browser.close();
  await h.app.jobRunner.idle();
  await closeServer(h.app.server);
  await h.close();
});

describe('the dashboard in Chromium (PGlite, 100 sessions, 100 conversations)', () => {
  it('Sessions: paging, sorting and filters change the URL and the rows', async () => {
    await page.goto(`${base}/dashboard/`);
    await expectRows(25);
    await expectText('page-of', 'Page 1 of 4 · 100 rows');
    await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('50');
    await expectRows(50);
    expect(url().searchParams.get('pageSize')).toBe('50');
    await page.getByRole('button', { name: 'Next' }).click();
    await expectText('page-of', 'Page 2 of 2 · 100 rows');
    expect(url().searchParams.get('page')).toBe('2');

    await page.getByRole('columnheader', { name: 'Turns' }).click();
    await page.waitForURL(/sort=turns%3Aasc|sort=turns:asc/);
    expect(url().searchParams.get('page')).toBeNull();
    const turnCells = page.locator('[data-testid="grid"] [data-row] [role="gridcell"]:nth-child(4)');
    await eventually('rows sorted by turns', async () => (await turnCells.allInnerTexts()).slice(0, 3).join() === '1,1,1');
    const turns = (await turnCells.allInnerTexts()).map(Number);
    expect(turns).toEqual([...turns].sort((a, b) => a - b));

    await pick('Prompt version', ['e4f5a6b']);
    await page.waitForURL(/version=e4f5a6b/);
    await expectText('page-of', 'Page 1 of 1 · 50 rows');
    await expectRows(50);
    await pick('Tester', ['Alex Wilber']);
    await page.waitForURL(/tester=aad-alex-0002/);
    const expected = sessions.filter((s) => s.version === 'e4f5a6b' && s.testerId === 'aad-alex-0002').length;
    expect(expected).toBe(25);
    await expectText('page-of', 'Page 1 of 1 · 25 rows');
    await expectRows(expected);
    await page.getByLabel('From').fill('2026-11-29');
    await page.waitForURL(/from=2026-11-29/);
    // Alex's e4f5a6b sessions start at hours 1, 5, 9 … before 2026-11-30 12:00: those from the 29th on.
    const fromThe29th = sessions.filter((s, i) => s.testerId === 'aad-alex-0002' && s.version === 'e4f5a6b' && i <= 36).length;
    await expectText('page-of', `Page 1 of 1 · ${String(fromThe29th)} rows`);
    await page.goto(`${base}/dashboard/sessions`);
    await expectRows(25);
  });

  it('Session: a row opens every turn with its sources and notes', async () => {
    await page.locator('[data-testid="grid"] [data-row]').first().getByRole('link').click();
    await page.waitForURL(/\/dashboard\/sessions\/[0-9a-f-]{36}/);
    const id = url().pathname.split('/').pop() ?? '';
    const seeded = sessions.find((s) => s.id === id);
    if (!seeded) throw new Error(`unknown session ${id}`);
    await expectCount('[data-testid="turn"]', seeded.turns);
    expect(await page.getByTestId('note').count()).toBe(seeded.notes);
    expect(await page.locator('[data-testid="turn"]').first().innerText()).toContain('Attendance and no-call/no-show');
  });

  it('Training data: multi-select filters, topic search and quality range in the URL; sorting and paging', async () => {
    await page.goto(`${base}/dashboard/training`);
    await expectRows(25);
    expect(await page.getByTestId('summary').innerText()).toMatch(/Total\s+100\s+Seed\s+10\s+Generated\s+3\s+Remaining\s+97/);
    await pick('Persona', ['Marcus', 'Jennifer']);
    await page.waitForURL(/persona=Marcus%2CJennifer|persona=Marcus,Jennifer/);
    await expectText('match-count', '31 of 100 conversations');
    await pick('Tier', ['Tier 1 Template']);
    await expectText('match-count', '18 of 100 conversations');
    expect(url().searchParams.get('tier')).toBe('tier1_template');
    await page.getByRole('button', { name: /Clear all filters/ }).click();
    await expectText('match-count', '100 of 100 conversations');
    expect(url().search).toBe('');
    await page.getByLabel('Topic search').fill('debt');
    await page.waitForURL(/topic=debt/);
    const { n: debt } = await h.t.db.selectFrom('training_conversations').select(sql<number>`COUNT(*)::int`.as('n'))
      .where((eb) => eb.or([eb('topic_category', 'ilike', '%debt%'), eb('topic_description', 'ilike', '%debt%')])).executeTakeFirstOrThrow();
    expect(debt).toBeGreaterThan(0);
    expect(debt).toBeLessThan(100);
    await expectText('match-count', `${String(debt)} of 100 conversations`);
    await page.getByRole('button', { name: /Clear all filters/ }).click();
    await page.getByLabel('Quality from').fill('4');
    await page.waitForURL(/qmin=4/);
    await expectText('match-count', '3 of 100 conversations');
    await page.getByRole('button', { name: /Clear all filters/ }).click();
    await expectRows(25);
    await page.getByRole('columnheader', { name: '#' }).click();
    await page.waitForURL(/sort=number%3Adesc|sort=number:desc/);
    await page.locator('[data-testid="grid"] [data-row]').first().getByText('100', { exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Rows per page' }).selectOption('100');
    await expectRows(100);
    await shot('training-light');
  });

  it('Training data: generating two selected conversations completes on the Jobs page', async () => {
    const planned = await h.t.db.selectFrom('training_conversations').select('conversation_number').where('generation_status', '=', 'planned').orderBy('conversation_number').limit(2).execute();
    firstPlanned.push(...planned.map((p) => p.conversation_number));
    await page.goto(`${base}/dashboard/training?status=planned`);
    await expectRows(25);
    const checks = page.getByRole('checkbox', { name: 'Select row' });
    await checks.nth(0).click();
    await checks.nth(1).click();
    await page.getByRole('button', { name: 'Generate selected (2)' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByTestId('estimate').waitFor();
    const estimate = await dialog.getByTestId('estimate').innerText();
    expect(estimate).toContain('Conversations: 2');
    expect(estimate).toMatch(/Estimated time: 80 s/);
    expect(estimate).toMatch(/Estimated cost: about \$\d+\.\d\d/);
    expect(estimate).toMatch(/As a batch: about \$\d+\.\d\d, within 24 h/);
    await dialog.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByTestId('started').waitFor();
    await page.getByTestId('started').getByRole('link').click();
    await page.waitForURL(/\/dashboard\/jobs/);
    await page.locator('[data-testid="job"][data-status="completed"]').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="job"]').first().getByTestId('job-counts').innerText()).toBe('Done / failed / total: 2 / 0 / 2 (100%)');
    const generated = await h.t.db.selectFrom('training_conversations').select('conversation_number').where('generation_status', '=', 'generated').orderBy('conversation_number').execute();
    // The first two planned rows: the plan's seeds 4-10 are planned until their seed files exist.
    expect(generated.map((g) => g.conversation_number)).toEqual(firstPlanned);
  });

  it('Jobs: Resume runs a paused job to completion, Cancel stops a queued one', async () => {
    const planned = await h.t.db.selectFrom('training_conversations').select('id').where('conversation_number', 'in', [20, 21]).orderBy('conversation_number').execute();
    const creator = '00000000-0000-4000-8000-000000000007';
    const paused = await createJob(h.t.db, { type: 'single', conversationIds: [String(planned[0]?.id)], createdBy: creator, options: { mode: 'direct' } });
    await pauseJob(h.t.db, paused.id, 'paused for the test');
    const queued = await createJob(h.t.db, { type: 'single', conversationIds: [String(planned[1]?.id)], createdBy: creator, options: { mode: 'direct' } });
    await page.goto(`${base}/dashboard/jobs`);
    const pausedCard = page.locator(`[data-job="${paused.id}"]`);
    await pausedCard.getByRole('button', { name: 'Resume' }).click();
    await page.locator(`[data-job="${paused.id}"][data-status="completed"]`).waitFor({ timeout: 60_000 });
    const queuedCard = page.locator(`[data-job="${queued.id}"]`);
    await queuedCard.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`[data-job="${queued.id}"][data-status="cancelled"]`).waitFor();
    expect(await page.getByTestId('job-message').innerText()).toBe(`Job ${queued.id.slice(0, 8)} is cancelled.`);
  });

  it('Conversation: tabs show every annotation; review actions move it, with notes', async () => {
    const n = firstPlanned[0] ?? 0;
    await page.goto(`${base}/dashboard/training/${String(n)}`);
    await page.getByRole('heading', { name: new RegExp(`^${String(n)} · `) }).waitFor();
    for (const [tab, text] of [['Emotional analysis', 'Needs:'], ['Strategies', 'Tone:'], ['Sentence breakdown', 'sentences'], ['Quality', 'Ready for training'], ['Turns', 'Target response']] as const) {
      await page.getByRole('main').getByRole('tab', { name: tab }).click();
      await page.getByTestId('tab-body').getByText(text).first().waitFor();
    }
    await page.getByRole('button', { name: 'Flag for review' }).click();
    expect(await page.getByTestId('review-outcome').innerText()).toBe('Say what is wrong: /flag N <notes>.');
    await page.getByLabel('Review notes').fill('Turn 2 is too brisk');
    await page.getByRole('button', { name: 'Mark as reviewed' }).click();
    await expectText('review-outcome', 'generated → reviewed');
    await page.getByRole('button', { name: 'Approve for training' }).click();
    await expectText('review-outcome', 'reviewed → approved');
    await page.getByText(/Turn 2 is too brisk/).waitFor();
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export as JSON' }).click()]);
    expect(file.suggestedFilename()).toMatch(/^fp_\w+\.json$/);
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(new RegExp(`/dashboard/training/${String(n + 1)}$`));
  });

  it('Quality: the four charts render and a bulk action runs', async () => {
    await page.goto(`${base}/dashboard/quality`);
    for (const id of ['histogram', 'status-pie', 'trend', 'per-template']) await page.getByTestId(id).locator('svg.recharts-surface').first().waitFor();
    expect(await page.getByTestId('validation').innerText()).toMatch(/Ready for training \d+\/\d+/);
    page.once('dialog', (d) => {
      void d.accept();
    });
    await page.getByRole('button', { name: 'Mark all 5.0 conversations as approved' }).click();
    await page.getByTestId('bulk-outcome').waitFor();
    expect(await page.getByTestId('bulk-outcome').innerText()).toMatch(/^Mark all 5\.0 conversations as approved: /);
  });

  it("Compare: a replay's per-metric figures are the seeded scores' means, with its turns side by side and the passages that changed", async () => {
    // Session 2 has three turns; REPLAY_TURNS scores them (the source's third turn unjudged).
    replay = await seedComparedReplay(h.t.db, sessions[2]?.id ?? '', 'c0ffee1', REPLAY_TURNS);
    await page.goto(`${base}/dashboard/compare`);
    await expectRows(1);
    await page.locator('[data-testid="grid"] [data-row]').first().getByRole('link').click();
    await page.waitForURL(new RegExp(`replay=${replay.id}`));
    await page.getByTestId('metrics').waitFor();
    const cells = async (metric: string) => page.locator(`[data-metric="${metric}"] [data-cell]`).allInnerTexts();
    // A, B, change, turns A, turns B. Citation 2/3 → 3/3; action 1/3 → 2/3; professionalism (3+4)/2 → (5+4+5)/3;
    // empathy (2+3)/2 → (4+4+5)/3; clarity (4+4)/2 → (5+3+4)/3.
    expect(await cells('has_policy_citation')).toEqual(['67%', '100%', '+33 pts', '3', '3']);
    expect(await cells('appropriate_action_suggested')).toEqual(['33%', '67%', '+33 pts', '3', '3']);
    expect(await cells('structure_complete')).toEqual(['67%', '100%', '+33 pts', '3', '3']);
    expect(await cells('professionalism_score')).toEqual(['3.50', '4.67', '+1.17', '2', '3']);
    expect(await cells('empathy_score')).toEqual(['2.50', '4.33', '+1.83', '2', '3']);
    expect(await cells('clarity_score')).toEqual(['4.00', '4.00', '±0.00', '2', '3']);
    await expectCount('[data-testid="pair"]', 3);
    expect(await page.getByTestId('retrieval').allInnerTexts()).toEqual([
      'Retrieval: the same passages in the same order.',
      'Retrieval changed: added chunk-9 · moved chunk-1 1→2',
      'Retrieval changed: added chunk-7 · dropped chunk-2',
    ]);
    expect(await page.getByTestId('new-answer').first().innerText()).toContain('Replayed answer 1 on c0ffee1.');
    expect(await page.getByTestId('old-answer').first().innerText()).toContain('Answer 1: follow the attendance policy');

    await page.getByRole('tab', { name: 'Two prompt versions' }).click();
    await page.waitForURL(/mode=versions/);
    await page.getByRole('combobox', { name: 'Version A' }).selectOption('a1b2c3d');
    await page.getByRole('combobox', { name: 'Version B' }).selectOption('c0ffee1');
    await page.waitForURL(/a=a1b2c3d&b=c0ffee1/);
    await page.getByTestId('versions-comparison').waitFor();
    // Over every a1b2c3d turn: only the replayed session's are scored, so A's figures are the same as above.
    expect(await cells('professionalism_score')).toEqual(['3.50', '4.67', '+1.17', '2', '3']);
    expect(await page.getByTestId('versions-comparison').innerText()).toContain('A: 50 sessions · B: 1 session');
    await expectRows(1);
  });

  it('Best practices: model, category and minimum effectiveness filters change the URL and the rows; sources open their session', async () => {
    await seedBestPractices(h.t.db);
    const active = await h.t.db.selectFrom('best_practices').select(['model', 'category', 'effectiveness_score']).where('status', '=', 'active').execute();
    expect(active.length).toBeGreaterThan(3);
    expect(active.length).toBeLessThanOrEqual(25);
    await page.goto(`${base}/dashboard/practices`);
    await expectCount('[data-testid="practice"]', active.length);
    expect(await page.locator('[data-testid="model-stats"] [data-model]').count()).toBe(2);
    await page.getByRole('combobox', { name: 'Model' }).selectOption('claude-haiku-5-5');
    await page.waitForURL(/model=claude-haiku-5-5/);
    const haiku = active.filter((p) => p.model === 'claude-haiku-5-5');
    await expectCount('[data-testid="practice"]', haiku.length);
    for (const card of await page.locator('[data-testid="practice"]').all()) expect(await card.getAttribute('data-model')).toBe('claude-haiku-5-5');
    const category = haiku[0]?.category ?? '';
    await page.getByRole('combobox', { name: 'Category' }).selectOption(category);
    await page.waitForURL(new RegExp(`category=${category}`));
    await expectCount('[data-testid="practice"]', haiku.filter((p) => p.category === category).length);
    await page.getByRole('combobox', { name: 'Model' }).selectOption('');
    await page.getByRole('combobox', { name: 'Category' }).selectOption('');
    await page.waitForURL((u) => !u.search.includes('model=') && !u.search.includes('category='));
    const scores = active.map((p) => Number(p.effectiveness_score)).sort((x, y) => x - y);
    const threshold = Math.ceil(scores[Math.floor(scores.length / 2)] ?? 0);
    await page.getByLabel('Minimum effectiveness').fill(String(threshold));
    await page.waitForURL(new RegExp(`minEffectiveness=${String(threshold)}`));
    await expectCount('[data-testid="practice"]', scores.filter((v) => v >= threshold).length);
    await expectText('match-count', `${String(scores.filter((v) => v >= threshold).length)} practice${scores.filter((v) => v >= threshold).length === 1 ? '' : 's'}`);
    await page.locator('[data-testid="source"]').first().getByRole('link').click();
    await page.waitForURL(/\/dashboard\/sessions\/[0-9a-f-]{36}/);
    await page.locator('[data-testid="turn"]').first().waitFor();
  });

  it('every page renders in light and dark theme (screenshots)', async () => {
    const first = sessions[0]?.id ?? '';
    const pages: Array<[string, string, string]> = [
      ['sessions', '/dashboard/sessions', '[data-testid="grid"] [data-row]'],
      ['session', `/dashboard/sessions/${first}`, '[data-testid="turn"]'],
      ['training', '/dashboard/training', '[data-testid="grid"] [data-row]'],
      ['conversation', '/dashboard/training/1', '[data-testid="tab-body"]'],
      ['quality', '/dashboard/quality', 'svg.recharts-surface'],
      ['jobs', '/dashboard/jobs', '[data-testid="job"]'],
      ['compare', `/dashboard/compare?replay=${replay.id}`, '[data-testid="pair"]'],
      ['practices', '/dashboard/practices', '[data-testid="practice"]'],
    ];
    for (const theme of ['light', 'dark'] as const) {
      for (const [name, path, ready] of pages) {
        await page.goto(`${base}${path}${path.includes('?') ? '&' : '?'}theme=${theme}`);
        await page.locator(ready).first().waitFor();
        expect(await page.locator('[data-theme]').getAttribute('data-theme')).toBe(theme);
        await shot(`${name}-${theme}`);
      }
    }
  });

  it("applies Fluent's Teams high-contrast theme when asked (?theme=contrast, as TeamsJS's 'contrast' maps to)", async () => {
    await page.goto(`${base}/dashboard/compare?replay=${replay.id}&theme=contrast`);
    await page.locator('[data-testid="pair"]').first().waitFor();
    expect(await page.locator('[data-theme]').getAttribute('data-theme')).toBe('contrast');
    // teamsHighContrastTheme: black backgrounds, white text (teamsDarkTheme's are greys).
    // (Expressions as strings: this project's type check has no DOM library.)
    expect(await page.evaluate<string>("getComputedStyle(document.querySelector('header')).backgroundColor")).toBe('rgb(0, 0, 0)');
    expect(await page.evaluate<string>("getComputedStyle(document.querySelector('h1')).color")).toBe('rgb(255, 255, 255)');
    await shot('compare-contrast');
    await page.goto(`${base}/dashboard/practices?theme=contrast`);
    await page.locator('[data-testid="practice"]').first().waitFor();
    await shot('practices-contrast');
  });
});

describe('pages the navigation does not offer', () => {
  it('says an unknown page does not exist, with the navigation still there', async () => {
    await page.goto(`${base}/dashboard/sessions`);
    await expectRows(25);
    expect(await page.getByRole('navigation').count()).toBe(0);
    expect(await page.getByRole('tablist', { name: 'Dashboard pages' }).getByRole('tab').allInnerTexts()).toEqual(['Sessions', 'Compare', 'Best practices', 'Training data', 'Quality', 'Jobs']);
    await page.goto(`${base}/dashboard/nonsense`);
    await page.getByTestId('unavailable').waitFor();
    expect(await page.getByTestId('unavailable').innerText()).toBe('There is no page "nonsense" on the dashboard.');
  });
});

describe('the dashboard signed out, with Teams SSO configured', () => {
  it('shows how to sign in, answers an unsigned request with 401, and keeps a tester out of another tester\'s session', async () => {
    const entra = await startFakeEntra();
    const sso = await createHarness('pglite', { env: { MicrosoftAppId: SSO_APP_ID, MicrosoftAppPassword: 'unused', DASHBOARD_OPENID_CONFIG_URL: entra.openIdConfigUrl } });
    try {
      const seeded = await seedTuningSessions(sso.t.db, 4, TESTERS.slice(0, 2));
      const ssoBase = await listenOnLoopback(sso.app.server);
      const p = await browser.newPage();
      await p.goto(`${ssoBase}/dashboard/`);
      await p.getByTestId('signed-out').waitFor();
      expect(await p.getByTestId('signed-out').innerText()).toContain('Send /dashboard to Tuning Bot in Teams');
      expect((await p.request.get(`${ssoBase}/api/dashboard/sessions`)).status()).toBe(401);
      const meg = TESTERS[0];
      if (!meg) throw new Error('no tester');
      const token = await entra.token(entra.claims({ oid: meg.id, name: meg.name, email: meg.email }, `api://bot.test/${SSO_APP_ID}`));
      const alexSession = seeded.find((s) => s.testerId === 'aad-alex-0002')?.id ?? '';
      const theirs = await p.request.get(`${ssoBase}/api/dashboard/sessions/${alexSession}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(theirs.status()).toBe(404);
      expect(await theirs.text()).not.toContain('Question');
      const own = seeded.find((s) => s.testerId === meg.id)?.id ?? '';
      expect((await p.request.get(`${ssoBase}/api/dashboard/sessions/${own}`, { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(200);
      await p.close();
    } finally {
      await closeServer(sso.app.server);
      await entra.close();
      await sso.close();
    }
  });
});
