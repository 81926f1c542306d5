/**
 * Retrieval quality (issue 12): the manager questions of examples/era/quality/retrieval-questions*.json,
 * each labelled with the section that answers it, through ERA's retriever on the shipped policies, on
 * every database. Section-level top-1 / top-3 and document-level top-3 are printed per part.
 *
 * Parts: `tune` (tuned on), `holdout` (set aside by hash), and four sets written blind on 2026-12-02
 * by people who saw only the policies: `holdout2`, `holdout3`, `tune2` (tuned on in the second round)
 * and `holdout4` (that round's final check, read once); and `holdout5`, written blind for round 3 (the
 * topic model) and read once with retrieval unchanged since round 2. Both final checks are held to the
 * issue's bar (section top-3 90 %, top-1 70 %); every other part to what was reached (README, "How well retrieval
 * finds the section"), so a change that loses ground on questions nobody tuned on fails here. Raise these floors as retrieval improves; never lower them to
 * pass, and never edit a question to make it pass.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  createIndexRetriever,
  figuresOf,
  ingestKnowledge,
  loadFollowUps,
  loadQualityQuestions,
  passageAnswers,
  missLines,
  qualityTable,
  type QuestionOutcome,
  runQuality,
  splitOf,
} from '../src/era/retrieval';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
const QUALITY_DIR = path.resolve(__dirname, '../examples/era/quality');
/** The first set (split by hash into tune / holdout). */
const HASHED = loadQualityQuestions(path.join(QUALITY_DIR, 'retrieval-questions.json'));
/** The sets written blind on 2026-12-02, each a part of its own, and their ids' prefixes. */
const BLIND = ['holdout2', 'holdout3', 'tune2', 'holdout4', 'holdout5'] as const;
const PREFIX = { holdout2: 'h2-', holdout3: 'h3-', tune2: 't2-', holdout4: 'h4-', holdout5: 'h5-' } as const;
const QUESTIONS = [...HASHED, ...BLIND.flatMap((part) => loadQualityQuestions(path.join(QUALITY_DIR, `retrieval-questions-${part}.json`)))];

/** Floors per part: the issue's bar for the tuning part, what was reached (2026-12-02) for the rest. */
const BARS = {
  tune: { sectionTop3: 0.95, sectionTop1: 0.85, documentTop3: 0.95 },
  tune2: { sectionTop3: 0.85, sectionTop1: 0.7, documentTop3: 0.95 },
  holdout: { sectionTop3: 0.95, sectionTop1: 0.85, documentTop3: 0.95 },
  holdout2: { sectionTop3: 0.9, sectionTop1: 0.6, documentTop3: 0.95 },
  holdout3: { sectionTop3: 0.85, sectionTop1: 0.6, documentTop3: 0.95 },
  // The final check of the method as shipped: held to the issue's bar.
  holdout4: { sectionTop3: 0.9, sectionTop1: 0.7, documentTop3: 0.95 },
  // A later blind check of the same method (reached 90.0 / 78.6 / 97.1 %): the issue's bar too.
  holdout5: { sectionTop3: 0.9, sectionTop1: 0.7, documentTop3: 0.95 },
} as const;

describe('the retrieval question set', () => {
  it('is large enough, covers every policy, and its labels name real headings', () => {
    const answerable = QUESTIONS.filter((q) => q.answers.length > 0);
    expect(answerable.length).toBeGreaterThanOrEqual(80);
    expect(QUESTIONS.length - answerable.length).toBeGreaterThanOrEqual(10);
    const documents = new Set(answerable.map((q) => q.answers[0]?.document));
    expect(documents.size).toBe(10);
    for (const q of answerable) {
      for (const a of q.answers) {
        const headings = readFileSync(path.join(KNOWLEDGE_DIR, a.document), 'utf8').split('\n').filter((l) => /^#{2,6} /.test(l)).map((l) => l.replace(/^#+\s*/, '').trim());
        expect({ id: q.id, section: a.section, found: headings.includes(a.section) }).toEqual({ id: q.id, section: a.section, found: true });
      }
    }
  });

  it('keeps each question in the part its hash gives it, so the held-out part stays held out', () => {
    for (const q of HASHED) expect({ id: q.id, split: q.split }).toEqual({ id: q.id, split: splitOf(q.question) });
    expect(new Set(QUESTIONS.map((q) => q.id)).size).toBe(QUESTIONS.length);
  });

  it.each(BLIND)('keeps the blind set %s whole: its own part, every policy, unanswerable questions too (holdout5 was asked for answerable ones only)', (part) => {
    const set = QUESTIONS.filter((q) => q.split === part);
    expect(set.length).toBeGreaterThanOrEqual(60);
    expect(new Set(set.flatMap((q) => q.answers.map((a) => a.document))).size).toBe(10);
    const unanswerable = set.filter((q) => q.answers.length === 0).length;
    expect({ part, unanswerable: part === 'holdout5' ? unanswerable === 0 : unanswerable >= 5 }).toEqual({ part, unanswerable: true });
    expect(set.every((q) => q.id.startsWith(PREFIX[part]))).toBe(true);
  });
});

describe.each(testDbKinds)('retrieval quality on %s', (kind) => {
  let t: TestDatabase;
  let outcomes: QuestionOutcome[];
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR);
    outcomes = await runQuality(createIndexRetriever(t.db, { topK: 5, minSimilarity: 0 }), QUESTIONS);
  });
  afterAll(async () => {
    await t.dispose();
  });

  it.each(['tune', 'holdout', ...BLIND] as const)('the %s part stays at or above its section-level bars', (split) => {
    const part = outcomes.filter((o) => o.question.split === split);
    const f = figuresOf(part);
    console.log(`retrieval quality on ${kind}, ${split} part:\n${qualityTable(part)}${split === 'tune' ? `\n${missLines(part).join('\n')}` : ''}`);
    const bar = BARS[split];
    expect(f.sectionTop3 / f.questions).toBeGreaterThanOrEqual(bar.sectionTop3);
    expect(f.sectionTop1 / f.questions).toBeGreaterThanOrEqual(bar.sectionTop1);
    expect(f.documentTop3 / f.questions).toBeGreaterThanOrEqual(bar.documentTop3);
  });

  it('scores the right sections above the rest, and unanswerable questions below answerable ones', () => {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const right = outcomes.flatMap((o) => (o.rightSimilarity === null ? [] : [o.rightSimilarity]));
    const unanswerable = outcomes.filter((o) => o.question.answers.length === 0).map((o) => o.topSimilarity ?? 0);
    expect(median(unanswerable)).toBeLessThan(median(right));
  });
});

/**
 * Follow-ups (examples/era/quality/retrieval-followups.json): 120 two-message conversations written
 * blind, each follow-up labelled with the section that answers it; 72 depend on the first message, 48
 * move to another policy. Split by hash; the context weight was chosen on the tuning part. Floors:
 * what was reached with context (dependent top-3 92.1 / 88.2 %, switches 94.1 / 85.7 %, the same as
 * without context); without context dependent top-3 was 57.9 / 50.0 %.
 */
const FOLLOW_UPS = loadFollowUps(path.join(QUALITY_DIR, 'retrieval-followups.json'));
const FOLLOW_UP_FLOORS = {
  tune: { dependent: 0.92, switch: 0.94 },
  holdout: { dependent: 0.88, switch: 0.85 },
} as const;

describe.each(testDbKinds)('follow-up retrieval on %s', (kind) => {
  let t: TestDatabase;
  let retriever: ReturnType<typeof createIndexRetriever>;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR);
    retriever = createIndexRetriever(t.db, { topK: 3, minSimilarity: 0 });
  });
  afterAll(async () => {
    await t.dispose();
  });
  /** The share of conversations whose follow-up finds a right section in the top 3. */
  const top3 = async (set: typeof FOLLOW_UPS, withContext: boolean) => {
    let found = 0;
    for (const c of set) {
      const passages = await retriever.retrieve(c.followUp, withContext ? { context: c.first } : {});
      if (passages.some((p) => c.answers.some((a) => passageAnswers(p, a)))) found += 1;
    }
    return found / set.length;
  };

  it('is 120 conversations over every policy, 72 dependent, labels naming real headings', () => {
    expect(FOLLOW_UPS).toHaveLength(120);
    expect(FOLLOW_UPS.filter((c) => c.kind === 'dependent')).toHaveLength(72);
    for (const c of FOLLOW_UPS) {
      for (const a of c.answers) {
        const headings = readFileSync(path.join(KNOWLEDGE_DIR, a.document), 'utf8').split('\n').filter((l) => /^#{2,6} /.test(l)).map((l) => l.replace(/^#+\s*/, '').trim());
        expect({ id: c.id, section: a.section, found: headings.includes(a.section) }).toEqual({ id: c.id, section: a.section, found: true });
      }
    }
  });

  it.each(['tune', 'holdout'] as const)('the %s part: a dependent follow-up finds its section with the previous message as context, and a topic switch keeps its own', async (split) => {
    const part = FOLLOW_UPS.filter((c) => c.split === split);
    const dependent = part.filter((c) => c.kind === 'dependent');
    const switches = part.filter((c) => c.kind === 'switch');
    const withContext = { dependent: await top3(dependent, true), switch: await top3(switches, true) };
    const without = { dependent: await top3(dependent, false), switch: await top3(switches, false) };
    console.log(`follow-ups on ${kind}, ${split} part, section top-3: dependent ${(100 * without.dependent).toFixed(1)} → ${(100 * withContext.dependent).toFixed(1)} %, switches ${(100 * without.switch).toFixed(1)} → ${(100 * withContext.switch).toFixed(1)} %`);
    expect(withContext.dependent).toBeGreaterThanOrEqual(FOLLOW_UP_FLOORS[split].dependent);
    expect(withContext.switch).toBeGreaterThanOrEqual(FOLLOW_UP_FLOORS[split].switch);
    expect(withContext.dependent).toBeGreaterThan(without.dependent + 0.25);
    expect(withContext.switch).toBeGreaterThanOrEqual(without.switch);
  });
});

describe.each(testDbKinds)("the issue's examples on %s", (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR);
  });
  afterAll(async () => {
    await t.dispose();
  });
  const top = async (q: string, k = 5) => {
    const passages = await createIndexRetriever(t.db, { topK: k, minSimilarity: 0 }).retrieve(q);
    return passages.map((p) => `${p.sourcePath} › ${p.section ?? ''}`);
  };

  it('finds the right sections where the full-text retriever handed ERA the wrong ones', async () => {
    // The three no-call/no-show subsections score within 2 % of each other since document expansion;
    // "5.3 Second no-call/no-show" can come first. All three lead, the definition and the first
    // occurrence among them.
    const noShow = await top("My employee didn't show up", 3);
    for (const p of noShow) expect(p).toMatch(/^attendance-and-no-call-no-show\.md › 5\. No-call\/no-show › 5\.[123] /);
    expect(noShow.some((p) => /› 5\.[12] /.test(p))).toBe(true);
    expect(noShow.join('\n')).not.toMatch(/Meal periods|Rest and meal breaks/);

    const dating = await top('Two of my trainers are dating, is that allowed?', 3);
    expect(dating).toContain('standards-of-conduct.md › 7. Relationships at work › 7.1 Between team members');
    expect(dating.join('\n')).not.toMatch(/Tardiness|Points/);

    const finalPay = await top("What's the process for final pay?", 3);
    expect(finalPay.join('\n')).not.toMatch(/No magic words/);
    expect(finalPay.filter((p) => p.startsWith('termination-and-resignation.md › 4. Final pay')).length).toBeGreaterThanOrEqual(2);

    const religious = await top('An employee wants every Saturday off for religious reasons', 3);
    expect(religious.some((p) => p.startsWith('accommodations.md › 6. Religious accommodation'))).toBe(true);

    const injured = await top('One of my employees got hurt on the job today');
    const teamMember = injured.findIndex((p) => p.includes('4. When a team member is hurt at work'));
    const memberOrGuest = injured.findIndex((p) => p.includes('5. When a member or guest is hurt'));
    expect(teamMember).toBeGreaterThanOrEqual(0);
    expect(memberOrGuest === -1 || teamMember < memberOrGuest).toBe(true);

    const tiktok = await top('Can I fire someone for posting about our club on TikTok?');
    expect(tiktok.some((p) => p.startsWith('standards-of-conduct.md › 4. Social media'))).toBe(true);
  });
});
