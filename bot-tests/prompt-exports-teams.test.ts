/** /prompts in Teams: signed links to the prompt-capture exports; testers get their own rows, admins everyone's. */
import { listen } from '../src/server';
import { ALEX, createHarness, type Harness } from './helpers/bot-harness';
import { testDbKinds } from './helpers/db';

describe.each(testDbKinds)('/prompts on %s', (kind) => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = await createHarness(kind, { env: { ADMIN_ALLOWLIST: ALEX.email } });
    base = `http://127.0.0.1:${await listen(h.app.server, 0, '127.0.0.1')}`;
    await h.say("Meg's employee didn't show up today");
    await h.say('Meg asks how PTO accrues');
    await h.say('Alex asks about a harassment complaint', { user: ALEX });
    await h.say('Alex says hello', { user: ALEX });
  });
  afterAll(async () => {
    (h.app.server).close();
    await h.close();
  });

  const linkIn = (sent: Array<{ text?: string }>) => {
    const m = /\((http:\/\/bot\.test\/exports\/prompts\/[^)]+)\)/.exec(sent.map((a) => a.text ?? '').join('\n'));
    if (!m) throw new Error(`no prompts link in ${JSON.stringify(sent.map((a) => a.text))}`);
    return m[1]!.replace('http://bot.test', base);
  };

  it("gives a tester a review export of their own low-confidence messages only", async () => {
    const sent = await h.say('/prompts review 0.95');
    expect(sent.map((a) => a.text).join(' ')).toMatch(/of your own messages/);
    const res = await fetch(linkIn(sent));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const rows = (await res.json()) as Array<{ text: string; corrected_intent: string | null; notes: string | null; predicted_intent: string; confidence: number }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.text.startsWith('Meg'))).toBe(true);
    expect(rows.every((r) => r.corrected_intent === null && r.notes === null && r.confidence < 0.95)).toBe(true);
  });

  it("gives an admin everyone's rows, as retraining JSONL", async () => {
    const sent = await h.say('/prompts retraining 30', { user: ALEX });
    expect(sent.map((a) => a.text).join(' ')).toMatch(/for every tester/);
    const res = await fetch(linkIn(sent));
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string; corrected: boolean });
    const texts = lines.map((l) => l.text);
    expect(texts).toContain("Meg's employee didn't show up today");
    expect(texts).toContain('Alex asks about a harassment complaint');
    expect(lines.every((l) => Object.keys(l).sort().join(',') === 'confidence,corrected,label,source,text')).toBe(true);
  });

  it('refuses bad arguments with the expected form', async () => {
    expect((await h.say('/prompts review 7')).map((a) => a.text).join(' ')).toMatch(/between 0 and 1/);
    expect((await h.say('/prompts retraining 0')).map((a) => a.text).join(' ')).toMatch(/whole number of days/);
  });

  it('answers a forged prompts link with 403', async () => {
    const link = linkIn(await h.say('/prompts review 0.9'));
    expect((await fetch(`${link.slice(0, -2)}xx`)).status).toBe(403);
  });
});
