import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  InsertQueryNode,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  sql,
  type UnknownRow,
} from 'kysely';
import { type Database, migrateDown, migrateToLatest } from '../db';
import { ingestKnowledge, KNOWLEDGE_TOPICS, KnowledgeDirNotFoundError, KnowledgeReadError } from '../src/era/retrieval';
import { createTestDatabase, type TestDatabase, testDbKinds } from './helpers/db';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');
const FILES = readdirSync(KNOWLEDGE_DIR).filter((f) => f.endsWith('.md')).sort();

/** Throws on the n-th INSERT into knowledge_chunks: a database failure in the middle of a run. */
class FailOnChunkInsert implements KyselyPlugin {
  private seen = 0;
  constructor(private readonly n: number) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (InsertQueryNode.is(node) && node.into?.table.identifier.name === 'knowledge_chunks') {
      this.seen += 1;
      if (this.seen >= this.n) throw new Error('injected failure on chunk insert');
    }
    return node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

async function snapshot(db: Kysely<Database>) {
  const documents = await db.selectFrom('knowledge_documents')
    .select(['id', 'source_path', 'title', 'topic', 'content_hash', 'byte_size', 'chunk_count', 'ingested_at', 'updated_at'])
    .orderBy('source_path').execute();
  const chunks = await db.selectFrom('knowledge_chunks').select(['id', 'document_id', 'chunk_index', 'content']).orderBy('id').execute();
  return { documents, chunks };
}

async function chunkIdsByPath(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('knowledge_chunks as c').innerJoin('knowledge_documents as d', 'd.id', 'c.document_id')
    .select(['d.source_path', 'c.id']).orderBy('d.source_path').orderBy('c.chunk_index').execute();
  const map = new Map<string, string[]>();
  for (const r of rows) map.set(r.source_path, [...(map.get(r.source_path) ?? []), r.id]);
  return map;
}

describe.each(testDbKinds)('knowledge ingestion on %s', (kind) => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });
  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'knowledge-'));
    cpSync(KNOWLEDGE_DIR, dir, { recursive: true });
    await t.db.deleteFrom('knowledge_documents').execute();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds all ten documents with their title, topic, hash, size and contiguous chunks', async () => {
    const summary = await ingestKnowledge(t.db, dir);
    const { documents, chunks } = await snapshot(t.db);
    expect(summary).toEqual({ added: 10, changed: 0, unchanged: 0, removed: 0, chunks: chunks.length, totalDocuments: 10, totalChunks: chunks.length });
    expect(documents.map((d) => d.source_path)).toEqual(FILES);
    expect(documents.map((d) => d.topic).sort()).toEqual([...KNOWLEDGE_TOPICS].sort());
    for (const d of documents) {
      const bytes = readFileSync(path.join(dir, d.source_path));
      expect(d.title).toBe(bytes.toString('utf8').split('\n')[0]!.slice(2));
      expect(d.content_hash).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(d.byte_size).toBe(bytes.length);
      const mine = chunks.filter((c) => c.document_id === d.id).map((c) => c.chunk_index).sort((a, b) => a - b);
      expect(mine).toEqual(Array.from({ length: d.chunk_count }, (_, i) => i));
      expect(d.chunk_count).toBeGreaterThan(3);
    }
    const sample = await t.db.selectFrom('knowledge_chunks').select(['section', 'content', 'word_count', 'tsv'])
      .where('section', '=', '5. No-call/no-show › 5.2 First no-call/no-show').executeTakeFirstOrThrow();
    expect(sample.word_count).toBe(sample.content.split(/\s+/).filter(Boolean).length);
    expect(sample.content).toContain('final written warning');
    expect(sample.content).not.toContain('Topic:');
    expect(sample.tsv).toContain("'show'");
    // One chunk per section: a chunk's heading path ends at its own heading, and no heading is text.
    const sections = await t.db.selectFrom('knowledge_chunks').select(['section', 'content']).execute();
    expect(sections.filter((c) => c.section?.includes(' › ')).length).toBeGreaterThan(100);
    expect(sections.filter((c) => /^\d+\.\d+ [A-Z]/m.test(c.content))).toEqual([]);
  });

  it('leaves every document alone on a second run', async () => {
    await ingestKnowledge(t.db, dir);
    const before = await snapshot(t.db);
    const summary = await ingestKnowledge(t.db, dir);
    expect(summary).toMatchObject({ added: 0, changed: 0, unchanged: 10, removed: 0, chunks: 0, totalDocuments: 10 });
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('replaces the chunks of an edited document only', async () => {
    await ingestKnowledge(t.db, dir);
    const before = await snapshot(t.db);
    const idsBefore = await chunkIdsByPath(t.db);
    appendFileSync(path.join(dir, 'pto-and-leave.md'), '\n## 8. Wellness days\n\nEach team member receives one paid wellness day per year.\n');
    await new Promise((r) => setTimeout(r, 10));

    const summary = await ingestKnowledge(t.db, dir);
    expect(summary).toMatchObject({ added: 0, changed: 1, unchanged: 9, removed: 0 });
    const idsAfter = await chunkIdsByPath(t.db);
    for (const file of FILES.filter((f) => f !== 'pto-and-leave.md')) expect(idsAfter.get(file)).toEqual(idsBefore.get(file));
    const oldIds = new Set(idsBefore.get('pto-and-leave.md'));
    expect(idsAfter.get('pto-and-leave.md')!.some((id) => oldIds.has(id))).toBe(false);
    expect(summary.chunks).toBe(idsAfter.get('pto-and-leave.md')!.length);

    const after = await snapshot(t.db);
    const was = before.documents.find((d) => d.source_path === 'pto-and-leave.md')!;
    const now = after.documents.find((d) => d.source_path === 'pto-and-leave.md')!;
    expect(now.id).toBe(was.id);
    expect(now.content_hash).not.toBe(was.content_hash);
    expect(now.ingested_at).toEqual(was.ingested_at);
    expect(now.updated_at.getTime()).toBeGreaterThan(was.updated_at.getTime());
    expect(after.chunks.filter((c) => c.document_id === now.id).some((c) => c.content.includes('wellness day'))).toBe(true);
  });

  it('removes a deleted document and, by cascade, its chunks', async () => {
    await ingestKnowledge(t.db, dir);
    const gone = (await snapshot(t.db)).documents.find((d) => d.source_path === 'workplace-safety.md')!;
    rmSync(path.join(dir, 'workplace-safety.md'));
    const summary = await ingestKnowledge(t.db, dir);
    expect(summary).toMatchObject({ added: 0, changed: 0, unchanged: 9, removed: 1, totalDocuments: 9 });
    const left = await t.db.selectFrom('knowledge_chunks').select('id').where('document_id', '=', gone.id).execute();
    expect(left).toHaveLength(0);
  });

  it('reads nested folders, skips hidden ones and other files, and falls back to the file name as title', async () => {
    mkdirSync(path.join(dir, 'club-specific', '.drafts'), { recursive: true });
    writeFileSync(path.join(dir, 'club-specific', 'parking.md'), 'Staff park in the rear lot.\n');
    writeFileSync(path.join(dir, 'club-specific', '.drafts', 'draft.md'), '# Draft\n');
    writeFileSync(path.join(dir, 'notes.txt'), 'not a policy');
    mkdirSync(path.join(dir, 'folder.md'));
    const summary = await ingestKnowledge(t.db, dir);
    expect(summary.added).toBe(11);
    const row = await t.db.selectFrom('knowledge_documents').selectAll().where('source_path', '=', 'club-specific/parking.md').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ title: 'parking', topic: null, chunk_count: 1 });
  });

  it('re-chunks every document when the chunker settings change', async () => {
    await ingestKnowledge(t.db, dir);
    const summary = await ingestKnowledge(t.db, dir, { chunkOptions: { targetWords: 120, maxWords: 200 } });
    expect(summary).toMatchObject({ changed: 10, unchanged: 0 });
  });

  it('rolls back everything when the database fails in the middle of a run', async () => {
    await ingestKnowledge(t.db, dir);
    const before = await snapshot(t.db);
    appendFileSync(path.join(dir, 'accommodations.md'), '\nA changed paragraph.\n');
    rmSync(path.join(dir, 'standards-of-conduct.md'));
    writeFileSync(path.join(dir, 'new-policy.md'), '# New Policy\nTopic: other\n\n## 1. Purpose\n\nNew.\n');
    await expect(ingestKnowledge(t.db.withPlugin(new FailOnChunkInsert(2)), dir, { batchSize: 5 })).rejects.toThrow('injected failure');
    expect(await snapshot(t.db)).toEqual(before);
    // And the same run without the failure goes through.
    expect(await ingestKnowledge(t.db, dir)).toMatchObject({ added: 1, changed: 1, unchanged: 8, removed: 1 });
  });

  it('fails with KnowledgeReadError naming the file, writing nothing, when a document cannot be read', async () => {
    await ingestKnowledge(t.db, dir);
    const before = await snapshot(t.db);
    appendFileSync(path.join(dir, 'accommodations.md'), '\nA changed paragraph.\n');
    const broken = path.join(dir, 'broken.md');
    symlinkSync(path.join(dir, 'does-not-exist.md'), broken);
    const run = ingestKnowledge(t.db, dir);
    await expect(run).rejects.toBeInstanceOf(KnowledgeReadError);
    await expect(run).rejects.toMatchObject({ path: broken });
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('fails with KnowledgeDirNotFoundError naming the folder when it is missing or not a folder', async () => {
    const missing = path.join(dir, 'nope');
    await expect(ingestKnowledge(t.db, missing)).rejects.toMatchObject({ name: 'KnowledgeDirNotFoundError', dir: missing, message: expect.stringContaining(missing) });
    const file = path.join(dir, 'pto-and-leave.md');
    expect(statSync(file).isFile()).toBe(true);
    await expect(ingestKnowledge(t.db, file)).rejects.toBeInstanceOf(KnowledgeDirNotFoundError);
  });

  describe('section questions (document expansion)', () => {
    const SIDE = 'pto-and-leave.questions.json';
    const chunksOf = (sourcePath: string) => t.db.selectFrom('knowledge_chunks as c').innerJoin('knowledge_documents as d', 'd.id', 'c.document_id')
      .select(['c.section', 'c.questions']).where('d.source_path', '=', sourcePath).orderBy('c.chunk_index').execute();
    const headingsOf = (file: string) => readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => /^#{2,6} /.test(l)).map((l) => l.replace(/^#+\s*/, '').trim());
    beforeEach(() => {
      // Each test starts from the policies with no questions files, whatever the shipped folder holds.
      for (const f of readdirSync(dir).filter((f) => f.endsWith('.questions.json'))) rmSync(path.join(dir, f));
    });

    it('stores a section\'s questions on its chunks only, and re-ingests the document when they change or go', async () => {
      await ingestKnowledge(t.db, dir);
      const [first, second] = headingsOf('pto-and-leave.md').filter((h) => /^\d+\.\d+ /.test(h)).slice(0, 2);
      writeFileSync(path.join(dir, SIDE), JSON.stringify({ document: 'pto-and-leave.md', sections: { [first!]: ['can she bank her days', 'can she bank her days', ' two\u0000lines\nhere '], [second!]: ['how much time off does a new guy get'] } }));
      const summary = await ingestKnowledge(t.db, dir);
      expect(summary).toMatchObject({ changed: 1, unchanged: 9 });
      const rows = await chunksOf('pto-and-leave.md');
      const leaf = (s: string | null) => s?.split(' › ').at(-1);
      for (const r of rows) {
        if (leaf(r.section) === first) expect(r.questions).toEqual(['can she bank her days', 'two lines here']);
        else if (leaf(r.section) === second) expect(r.questions).toEqual(['how much time off does a new guy get']);
        else expect(r.questions).toEqual([]);
      }
      expect(rows.filter((r) => r.questions.length > 0).length).toBeGreaterThanOrEqual(2);
      expect(await ingestKnowledge(t.db, dir)).toMatchObject({ changed: 0, unchanged: 10 });

      rmSync(path.join(dir, SIDE));
      expect(await ingestKnowledge(t.db, dir)).toMatchObject({ changed: 1, unchanged: 9 });
      expect((await chunksOf('pto-and-leave.md')).every((r) => r.questions.length === 0)).toBe(true);
    });

    it('gives the questions of a heading with no text of its own to the sections under it', async () => {
      // "2. Scope" has only subsections in the attendance policy: its chunks are "2. Scope › 2.1 …".
      const rows0 = await (async () => { await ingestKnowledge(t.db, dir); return chunksOf('attendance-and-no-call-no-show.md'); })();
      const scoped = rows0.filter((r) => r.section?.startsWith('2. Scope › '));
      expect(scoped.length).toBeGreaterThanOrEqual(2);
      writeFileSync(path.join(dir, 'attendance-and-no-call-no-show.questions.json'), JSON.stringify({ sections: { '2. Scope': ['does this apply to my salaried leads'] } }));
      await ingestKnowledge(t.db, dir);
      const rows = await chunksOf('attendance-and-no-call-no-show.md');
      for (const r of rows) expect({ section: r.section, has: r.questions.includes('does this apply to my salaried leads') }).toEqual({ section: r.section, has: r.section?.startsWith('2. Scope › ') ?? false });
    });

    it('warns about a heading the document does not have and stores nothing for it', async () => {
      const warnings: Array<{ obj: object; msg?: string }> = [];
      const logger = { info: () => undefined, debug: () => undefined, warn: (obj: object, msg?: string) => { warnings.push({ obj, msg }); } };
      writeFileSync(path.join(dir, SIDE), JSON.stringify({ sections: { '9. Renamed heading': ['anything'] } }));
      await ingestKnowledge(t.db, dir, { logger });
      expect(warnings).toEqual([{ obj: { sourcePath: 'pto-and-leave.md', headings: ['9. Renamed heading'] }, msg: expect.stringContaining('headings the document does not have') }]);
      expect((await chunksOf('pto-and-leave.md')).every((r) => r.questions.length === 0)).toBe(true);
    });

    it.each([
      ['not JSON', '{"sections": {"x": ["a"', /not JSON/],
      ['the wrong shape', JSON.stringify({ sections: { '1. Purpose': 'not a list' } }), /expected \{ "sections"/],
      // Valid JSON, but over the 1 MiB limit: refused before it is read or parsed.
      ['over 1 MiB', JSON.stringify({ sections: { '1. Purpose': Array.from({ length: 4000 }, (_, i) => `question ${i} ${'x'.repeat(280)}`) } }), /at most 1048576 \(1 MiB\)/],
    ])('fails with KnowledgeReadError naming a questions file that is %s, changing nothing', async (_what, text, reason) => {
      await ingestKnowledge(t.db, dir);
      const before = await snapshot(t.db);
      appendFileSync(path.join(dir, 'accommodations.md'), '\nA changed paragraph.\n');
      writeFileSync(path.join(dir, SIDE), text);
      const run = ingestKnowledge(t.db, dir);
      await expect(run).rejects.toBeInstanceOf(KnowledgeReadError);
      await expect(run).rejects.toMatchObject({ path: path.join(dir, SIDE) });
      await expect(run).rejects.toThrow(reason);
      expect(await snapshot(t.db)).toEqual(before);
    });
  });

  it('serialises concurrent runs: one adds, the other finds everything unchanged', async () => {
    const [a, b] = await Promise.all([ingestKnowledge(t.db, dir), ingestKnowledge(t.db, dir)]);
    expect([a.added, b.added].sort()).toEqual([0, 10]);
    expect([a.unchanged, b.unchanged].sort()).toEqual([0, 10]);
  });
});

describe.each(testDbKinds)('knowledge base schema on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t.dispose();
  });

  async function newDocument(sourcePath: string) {
    return t.db.insertInto('knowledge_documents')
      .values({ source_path: sourcePath, title: 'T', content_hash: 'a'.repeat(64), byte_size: 1 })
      .returningAll().executeTakeFirstOrThrow();
  }

  it('applies the defaults and enforces the named constraints', async () => {
    const d = await newDocument('a.md');
    expect(d).toMatchObject({ chunk_count: 0, metadata: {}, topic: null });
    expect(d.ingested_at).toBeInstanceOf(Date);
    await expect(newDocument('a.md')).rejects.toThrow(/uq_knowledge_documents_source_path/);
    await expect(t.db.insertInto('knowledge_documents').values({ source_path: 'b.md', title: 'T', content_hash: 'not-hex', byte_size: 1 }).execute())
      .rejects.toThrow(/chk_knowledge_documents_content_hash/);
    const chunk = { document_id: d.id, chunk_index: 0, section: '1. Purpose', content: 'Slipped on a wet floor', word_count: 5 };
    await t.db.insertInto('knowledge_chunks').values(chunk).execute();
    await expect(t.db.insertInto('knowledge_chunks').values(chunk).execute()).rejects.toThrow(/uq_knowledge_chunks_document_index/);
    await expect(t.db.insertInto('knowledge_chunks').values({ ...chunk, document_id: '00000000-0000-0000-0000-000000000000' }).execute())
      .rejects.toThrow(/fk_knowledge_chunks_document/);
  });

  it('generates the weighted tsvector and refuses writes to it', async () => {
    const d = await newDocument('tsv.md');
    const row = await t.db.insertInto('knowledge_chunks')
      .values({ document_id: d.id, chunk_index: 0, section: '5. No-call/no-show', content: 'Someone slipped on the wet floors.', word_count: 6 })
      .returning('tsv').executeTakeFirstOrThrow();
    expect(row.tsv).toMatch(/'show':\d+A/);
    expect(row.tsv).toMatch(/'slip':\d+B/);
    await expect(sql`insert into knowledge_chunks (document_id, chunk_index, content, word_count, tsv) values (${d.id}, 1, 'x', 1, ''::tsvector)`.execute(t.db))
      .rejects.toThrow(/tsv/);
  });

  it('has the GIN index and the comments, and migrates down and up', async () => {
    const idx = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef from pg_indexes where tablename like 'knowledge_%'`.execute(t.db);
    const defs = new Map(idx.rows.map((r) => [r.indexname, r.indexdef]));
    expect(defs.get('idx_knowledge_chunks_tsv')).toMatch(/USING gin \(tsv\)/);
    expect(defs.get('uq_knowledge_chunks_document_index')).toMatch(/\(document_id, chunk_index\)/);
    const comment = await sql<{ c: string }>`select obj_description('knowledge_chunks'::regclass, 'pg_class') as c`.execute(t.db);
    expect(comment.rows[0]?.c).toMatch(/Passages of a knowledge document/);

    // Down step by step until the knowledge migration is undone (later migrations go first), then up.
    const undone: string[] = [];
    while (!undone.some((m) => m.includes('20261124090000_knowledge_base'))) {
      const ran = await migrateDown(t.db, 1);
      expect(ran).toHaveLength(1);
      undone.push(...ran);
    }
    const left = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name like 'knowledge_%'`.execute(t.db);
    expect(left.rows[0]?.n).toBe(0);
    await migrateToLatest(t.db);
    await newDocument('after-redo.md');
  });
});
