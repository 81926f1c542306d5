import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  averageSimilarity,
  chunkMarkdown,
  KNOWLEDGE_TOPICS,
  parseDocument,
  type RetrievedPassage,
  toSearchResults,
} from '../src/era/retrieval';

const KNOWLEDGE_DIR = path.resolve(__dirname, '../examples/era/knowledge');

/** `n` distinct sentences of `words` words each ("P3w0 p3w1 … p3w9."), so overlaps and splits can be located. */
function sentences(n: number, words = 10, tag = 's'): string {
  return Array.from({ length: n }, (_, i) => {
    const ws = Array.from({ length: words }, (_, w) => `${tag}${i}w${w}`);
    ws[0] = ws[0]!.charAt(0).toUpperCase() + ws[0]!.slice(1);
    return `${ws.join(' ')}.`;
  }).join(' ');
}
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe('chunkMarkdown', () => {
  it('keeps the heading path below the title as the section and leaves the title out', () => {
    const md = ['# Attendance Policy', '', '## 3. Reporting', '', '### 3.2 Timing', '', 'Call two hours ahead.'].join('\n');
    const chunks = chunkMarkdown(md);
    expect(chunks).toEqual([{ index: 0, section: '3. Reporting › 3.2 Timing', content: 'Call two hours ahead.', wordCount: 4 }]);
  });

  it('makes each section its own chunk by default, so a passage is exactly one section', () => {
    const md = ['# T', '## 5. No-call', '### 5.1 Definition', 'Missing a shift without calling.', '### 5.2 First occurrence', 'A final written warning.', '## 6. Other', 'Separate.'].join('\n\n');
    const chunks = chunkMarkdown(md);
    expect(chunks.map((c) => c.section)).toEqual(['5. No-call › 5.1 Definition', '5. No-call › 5.2 First occurrence', '6. Other']);
    expect(chunks.map((c) => c.content)).toEqual(['Missing a shift without calling.', 'A final written warning.', 'Separate.']);
  });

  it('with packSiblings, packs small sibling subsections under their parent, keeping their headings as text', () => {
    const md = ['# T', '## 5. No-call', '### 5.1 Definition', 'Missing a shift without calling.', '### 5.2 First occurrence', 'A final written warning.', '## 6. Other', 'Separate.'].join('\n\n');
    const chunks = chunkMarkdown(md, { packSiblings: true });
    expect(chunks.map((c) => c.section)).toEqual(['5. No-call', '6. Other']);
    expect(chunks[0]!.content).toBe('5.1 Definition\n\nMissing a shift without calling.\n\n5.2 First occurrence\n\nA final written warning.');
  });

  it('never packs across top-level sections, so a section path stays meaningful', () => {
    const md = ['## 1. Purpose', 'Short.', '## 2. Scope', 'Also short.'].join('\n\n');
    expect(chunkMarkdown(md).map((c) => [c.section, c.content])).toEqual([['1. Purpose', 'Short.'], ['2. Scope', 'Also short.']]);
  });

  it('splits a long section at paragraphs, within the size limits, with the previous last sentence as overlap', () => {
    const paragraphs = Array.from({ length: 6 }, (_, p) => sentences(8, 10, `p${p}x`));
    const md = ['# T', '## 4. Long', ...paragraphs].join('\n\n');
    const chunks = chunkMarkdown(md, { targetWords: 150, maxWords: 200, overlapWords: 15 });
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) {
      expect(c.section).toBe('4. Long');
      expect(c.wordCount).toBeLessThanOrEqual(200);
      expect(c.wordCount).toBe(words(c.content));
    }
    for (let i = 1; i < chunks.length; i += 1) {
      const previousLastSentence = chunks[i - 1]!.content.split(/(?<=\.)\s+/).pop()!;
      expect(chunks[i]!.content.startsWith(previousLastSentence)).toBe(true);
    }
    // Every paragraph survives whole, in order.
    const joined = chunks.map((c) => c.content).join('\n\n');
    for (const p of paragraphs) expect(joined).toContain(p);
  });

  it('splits one oversized paragraph between sentences, never inside one', () => {
    const paragraph = sentences(60, 12, 'q');
    const chunks = chunkMarkdown(`## Big\n\n${paragraph}`, { targetWords: 100, maxWords: 150, overlapWords: 12 });
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(c.wordCount).toBeLessThanOrEqual(150);
      expect(c.content).toMatch(/^Q\d+w0 /);
      expect(c.content).toMatch(/\.$/);
    }
  });

  it('does not end a sentence at a.m., e.g., Dr. and similar abbreviations', () => {
    // One oversized paragraph: 95 words, then the sentence, then 100 words. The first chunk reaches its
    // 100-word target inside the sentence, so a sentence split at "Dr." or "e.g." would cut it there.
    const sentence = 'Ask Dr. Lee or see e.g. Section 4 before 7 a.m. Monday.';
    const md = `${sentences(19, 5, 'a')} ${sentence} ${sentences(10, 10, 'b')}`;
    const chunks = chunkMarkdown(md, { targetWords: 100, maxWords: 150, overlapWords: 20 });
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.content.endsWith(sentence)).toBe(true);
    expect(chunks[1]!.content).toContain(`${sentence}\n\nB0w0 `);
  });

  it('chunks a document without headings by size, with a null section and overlap', () => {
    const md = Array.from({ length: 5 }, (_, p) => sentences(10, 10, `n${p}x`)).join('\n\n');
    const chunks = chunkMarkdown(md, { targetWords: 120, maxWords: 220, overlapWords: 10 });
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.section === null)).toBe(true);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    expect(chunks[1]!.content.startsWith(chunks[0]!.content.split(/(?<=\.)\s+/).pop()!)).toBe(true);
  });

  it('does not repeat an overlap across a heading', () => {
    const md = ['## A', sentences(30, 10, 'a'), '## B', 'Fresh start here.'].join('\n\n');
    const chunks = chunkMarkdown(md, { targetWords: 100, maxWords: 150, overlapWords: 20 });
    expect(chunks[chunks.length - 1]).toMatchObject({ section: 'B', content: 'Fresh start here.' });
  });

  it('keeps lists together and ignores headings inside code fences', () => {
    const md = ['## Points', '- Tardy: 0.5 point\n- Absent: 1 point', '```\n# not a heading\n```'].join('\n\n');
    const [chunk] = chunkMarkdown(md);
    expect(chunk!.section).toBe('Points');
    expect(chunk!.content).toBe('- Tardy: 0.5 point\n- Absent: 1 point\n\n```\n# not a heading\n```');
  });

  it('returns nothing for an empty document, and rejects impossible sizes', () => {
    expect(chunkMarkdown('')).toEqual([]);
    expect(chunkMarkdown('# Only a title\n\n')).toEqual([]);
    expect(() => chunkMarkdown('x', { targetWords: 300, maxWords: 200 })).toThrow(RangeError);
    expect(() => chunkMarkdown('x', { overlapWords: 500 })).toThrow(RangeError);
  });

  it('is deterministic', () => {
    const md = readFileSync(path.join(KNOWLEDGE_DIR, 'pto-and-leave.md'), 'utf8');
    expect(chunkMarkdown(md)).toEqual(chunkMarkdown(md));
  });
});

describe('the knowledge documents', () => {
  const files = readdirSync(KNOWLEDGE_DIR).filter((f) => f.endsWith('.md')).sort();

  it('are the ten topic documents, one per topic id', () => {
    expect(files).toEqual([
      'accommodations.md', 'attendance-and-no-call-no-show.md', 'harassment-and-complaints.md', 'pay-and-timekeeping.md',
      'progressive-discipline.md', 'pto-and-leave.md', 'scheduling-and-shift-swaps.md', 'standards-of-conduct.md',
      'termination-and-resignation.md', 'workplace-safety.md',
    ]);
    const topics = files.map((f) => parseDocument(readFileSync(path.join(KNOWLEDGE_DIR, f), 'utf8')).topic);
    expect([...topics].sort()).toEqual([...KNOWLEDGE_TOPICS].sort());
  });

  it.each(files)('%s has a title, a topic line, 600–1,500 words and chunks within the limits', (file) => {
    const text = readFileSync(path.join(KNOWLEDGE_DIR, file), 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^# \S/);
    expect(lines[1]).toMatch(/^Topic: [a-z]+$/);
    expect(words(text)).toBeGreaterThanOrEqual(600);
    expect(words(text)).toBeLessThanOrEqual(1500);
    const parsed = parseDocument(text);
    expect(parsed.body).not.toMatch(/^Topic:/m);
    for (const c of chunkMarkdown(parsed.body)) expect(c.wordCount).toBeLessThanOrEqual(350);
  });
});

describe('parseDocument', () => {
  it('reads the title and topic and drops the topic line from the body', () => {
    const parsed = parseDocument('# Pay Policy\nTopic: Pay\n\n## 1. Purpose\n\nTopic: not metadata here');
    expect(parsed).toEqual({ title: 'Pay Policy', topic: 'pay', body: '# Pay Policy\n\n## 1. Purpose\n\nTopic: not metadata here' });
  });

  it('gives nulls when there is no title or topic', () => {
    expect(parseDocument('Just text.\n\n## 1. A')).toEqual({ title: null, topic: null, body: 'Just text.\n\n## 1. A' });
  });
});

describe('search results', () => {
  const passage = (similarity: number, id: string): RetrievedPassage => ({
    chunkId: id, documentId: 'd', documentTitle: 'Attendance Policy', sourcePath: 'a.md', topic: 'attendance', section: '5. No-call', text: `text ${id}`, similarity,
  });

  it('maps passages to the spec JSON and averages their similarity', () => {
    const passages = [passage(0.8, 'c1'), passage(0.4, 'c2')];
    expect(toSearchResults(passages)).toEqual({
      results: [
        { chunk_id: 'c1', document_title: 'Attendance Policy', chunk_text: 'text c1', similarity: 0.8 },
        { chunk_id: 'c2', document_title: 'Attendance Policy', chunk_text: 'text c2', similarity: 0.4 },
      ],
    });
    expect(averageSimilarity(passages)).toBeCloseTo(0.6, 10);
  });

  it('gives an empty result list and a null average for no passages', () => {
    expect(toSearchResults([])).toEqual({ results: [] });
    expect(averageSimilarity([])).toBeNull();
  });
});
