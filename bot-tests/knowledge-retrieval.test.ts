import path from 'node:path';
import { averageSimilarity, createFullTextRetriever, createIndexRetriever, ingestKnowledge, type Retriever, toSearchResults } from '../src/era/retrieval';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');

const NOTHING_TO_SEARCH = ['', '   ', '\n\t ', '?!.,;:', '***', '&&& ||| !!!', '"" \'\'', 'the and of it is', '🎉🎉🎉'];

/** Text that would break a naively built tsquery or SQL string: [label, query]. */
const HOSTILE: Array<[string, string]> = [
  ['tsquery operators', 'no-call & no-show | "final written" !warning :* ('],
  ['SQL injection (drop)', "'; DROP TABLE knowledge_chunks; --"],
  ['SQL injection (delete)', "Robert'); DELETE FROM knowledge_documents;--"],
  ['quotes and backslashes', 'pto:* & !(accrual | <-> ) \\ \\\\ \'\' "'],
  ['an unbalanced quote', '"unbalanced quote about overtime'],
  ['websearch keywords only', 'or or or - -- ---'],
  ['phrase operators', 'overtime <-> pay <2> approval'],
  ['SQL text', 'select * from knowledge_chunks where 1=1'],
  ['a NUL byte', 'pto\u0000accrual'],
  ['accents and CJK', 'café résumé naïve Überstunden 日本語の質問 ｐｔｏ'],
  ['a combining accent and a lone surrogate', 'e\u0301mployee and \uD83D lone surrogate'],
  ['30,000 characters', 'harassment '.repeat(3000)],
];

type Make = (db: TestDatabase['db'], defaults: { topK: number; minSimilarity: number }) => Retriever;
/**
 * Both retrievers meet the same contract: the index retriever (ERA's, over one chunk per section) and
 * the previous full-text one, kept for comparison, over the packed chunks it was built for.
 */
const RETRIEVERS: Array<[string, Make, boolean]> = [
  ['index', (db, d) => createIndexRetriever(db, d), false],
  ['full-text', (db, d) => createFullTextRetriever(db, d), true],
];
const CASES = testDbKinds.flatMap((kind) => RETRIEVERS.map(([name, make, packSiblings]) => [`${name} retrieval on ${kind}`, kind, make, packSiblings] as const));

describe.each(CASES)('%s', (_label, kind, make, packSiblings) => {
  let t: TestDatabase;
  let retriever: Retriever;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR, { chunkOptions: { packSiblings } });
    retriever = make(t.db, { topK: 5, minSimilarity: 0 });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it.each(NOTHING_TO_SEARCH)('returns no passages for %j', async (query) => {
    await expect(retriever.retrieve(query)).resolves.toEqual([]);
  });

  it.each(HOSTILE)('does not throw on %s and leaves the knowledge base intact', async (_label, query) => {
    const passages = await retriever.retrieve(query);
    expect(Array.isArray(passages)).toBe(true);
    for (const p of passages) expect(p.similarity).toBeGreaterThanOrEqual(0);
    const count = await t.db.selectFrom('knowledge_chunks').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBeGreaterThan(50);
  });

  it('still finds the right policy through operators and quotes', async () => {
    const [top] = await retriever.retrieve('no-call & no-show | "final written" !warning :* (');
    expect(top?.sourcePath).toBe('attendance-and-no-call-no-show.md');
    const [phrase] = await retriever.retrieve('"final written warning"');
    expect(phrase?.text.toLowerCase()).toContain('final written warning');
  });

  it('returns complete passages, best first, within topK and above minSimilarity', async () => {
    const passages = await retriever.retrieve('how much PTO does a part-timer get', { topK: 4, minSimilarity: 0.05 });
    expect(passages.length).toBeGreaterThan(0);
    expect(passages.length).toBeLessThanOrEqual(4);
    expect(passages[0]).toMatchObject({ sourcePath: 'pto-and-leave.md', documentTitle: 'Paid Time Off and Leave of Absence Policy', topic: 'leave' });
    for (const p of passages) {
      expect(p.chunkId).toMatch(/^[0-9a-f-]{36}$/);
      expect(p.documentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(p.text.length).toBeGreaterThan(0);
      expect(p.similarity).toBeGreaterThanOrEqual(0.05);
      expect(p.similarity).toBeLessThanOrEqual(1);
    }
    const sims = passages.map((p) => p.similarity);
    expect(sims).toEqual([...sims].sort((a, b) => b - a));
    expect(new Set(passages.map((p) => p.chunkId)).size).toBe(passages.length);
  });

  it('uses the defaults given at creation, overridden per call', async () => {
    const narrow = make(t.db, { topK: 2, minSimilarity: 0 });
    expect(await narrow.retrieve('warning')).toHaveLength(2);
    expect(await narrow.retrieve('warning', { topK: 6 })).toHaveLength(6);
    const strict = make(t.db, { topK: 5, minSimilarity: 0.99 });
    expect(await strict.retrieve('one of my trainers did not show up')).toEqual([]);
  });

  it('gives the same passages and similarities for the same question', async () => {
    const q = 'someone slipped on the wet floor in the locker room';
    expect(await retriever.retrieve(q)).toEqual(await retriever.retrieve(q));
  });

  it('lowers a passage\'s similarity when the question adds words the knowledge base does not hold', async () => {
    const [focused] = await retriever.retrieve('jury duty pay');
    const [diluted] = await retriever.retrieve('jury duty pay zorblax quibbleton');
    expect(diluted?.chunkId).toBe(focused?.chunkId);
    expect(diluted!.similarity).toBeLessThan(focused!.similarity);
    expect(diluted!.similarity).toBeGreaterThan(0);
  });

  it('ranks a passage holding every word of the question above partial matches', async () => {
    const passages = await retriever.retrieve('bereavement grandparent', { topK: 10 });
    // A section's heading belongs to its passage: "4.1 Bereavement" holds the word "bereavement".
    const both = passages.filter((p) => /bereavement/i.test(`${p.section ?? ''} ${p.text}`) && /grandparent/i.test(p.text));
    expect(both.length).toBeGreaterThan(0);
    expect(passages[0]!.chunkId).toBe(both[0]!.chunkId);
  });

  it('rejects impossible options', async () => {
    for (const topK of [0, 1.5, 51]) await expect(retriever.retrieve('pto', { topK })).rejects.toThrow(RangeError);
    for (const minSimilarity of [-0.1, 1.5, Number.NaN]) await expect(retriever.retrieve('pto', { minSimilarity })).rejects.toThrow(RangeError);
    expect(() => make(t.db, { topK: 0, minSimilarity: 0.1 })).toThrow(RangeError);
  });

  it('maps real passages to the spec search_results JSON', async () => {
    const passages = await retriever.retrieve('timeclock correction missed punch', { topK: 3 });
    const json = toSearchResults(passages);
    expect(json.results).toHaveLength(passages.length);
    expect(json.results[0]).toEqual({
      chunk_id: passages[0]!.chunkId, document_title: 'Pay and Timekeeping Policy', chunk_text: passages[0]!.text, similarity: passages[0]!.similarity,
    });
    expect(averageSimilarity(passages)).toBeCloseTo(passages.reduce((s, p) => s + p.similarity, 0) / passages.length, 12);
  });

  it.each(NOTHING_TO_SEARCH)('returns no passages for %j even with a previous message as context', async (query) => {
    await expect(retriever.retrieve(query, { context: 'My employee did not show up for her shift' })).resolves.toEqual([]);
  });

  it.each(HOSTILE)('does not throw on %s as the context of a question', async (_label, context) => {
    const passages = await retriever.retrieve('how is overtime paid?', { context });
    expect(passages.length).toBeGreaterThan(0);
    for (const p of passages) expect(p.similarity).toBeGreaterThanOrEqual(0);
  });

  it('returns nothing from an empty knowledge base', async () => {
    await t.db.deleteFrom('knowledge_documents').execute();
    await expect(retriever.retrieve('no-call no-show')).resolves.toEqual([]);
  });
});

describe.each(testDbKinds)('follow-ups on the index retriever (%s)', (kind) => {
  let t: TestDatabase;
  let retriever: Retriever;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
    await ingestKnowledge(t.db, KNOWLEDGE_DIR);
    retriever = createIndexRetriever(t.db, { topK: 3, minSimilarity: 0 });
  });
  afterAll(async () => {
    await t.dispose();
  });
  const FIRST = "My employee didn't show up for her shift today and didn't call. What should I do?";
  const sections = (ps: Array<{ section: string | null }>) => ps.map((p) => p.section?.split(' › ').at(-1));

  it('finds what a short follow-up follows: alone it ranks the harassment policy first, after the no-show question the no-call/no-show rules', async () => {
    const followUp = 'What if they do not answer the phone?';
    expect(sections(await retriever.retrieve(followUp))[0]).toBe('2.3 Sexual harassment');
    const withContext = await retriever.retrieve(followUp, { context: FIRST });
    expect(withContext[0]).toMatchObject({ sourcePath: 'attendance-and-no-call-no-show.md', section: expect.stringMatching(/5\.2 First no-call\/no-show$/) });
  });

  it('keeps a new question on another policy on its own policy, and gives "thanks" nothing', async () => {
    const tiktok = await retriever.retrieve('Can I fire someone for posting about our club on TikTok?', { context: FIRST });
    expect(tiktok.map((p) => p.sourcePath)).toEqual(['standards-of-conduct.md', 'standards-of-conduct.md', 'standards-of-conduct.md']);
    // Two new questions that a heavier context weight sent back to the no-show rules.
    const harassed = await retriever.retrieve('A trainer harassed a coworker at the front desk, what do I do?', { context: 'An employee was a no-call no-show twice this month, what now?' });
    expect(harassed.map((p) => p.sourcePath)).toEqual(['harassment-and-complaints.md', 'harassment-and-complaints.md', 'harassment-and-complaints.md']);
    const overtime = await retriever.retrieve('how is overtime paid?', { context: FIRST });
    expect(overtime[0]?.sourcePath).toBe('pay-and-timekeeping.md');
    await expect(retriever.retrieve('thanks!', { context: FIRST })).resolves.toEqual([]);
  });

  it('clips a huge context and reads a NUL byte in it as text', async () => {
    const passages = await retriever.retrieve('what do I write down?', { context: `${'no-call no-show '.repeat(5000)}\u0000` });
    expect(passages.length).toBeGreaterThan(0);
    expect(passages[0]?.sourcePath).toBe('attendance-and-no-call-no-show.md');
  });
});
