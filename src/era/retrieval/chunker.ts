/**
 * Splits a Markdown document into retrieval chunks of a few hundred words along its structure:
 * headings first, then paragraphs, then sentences. Small sibling sections under the same top-level
 * heading are packed together (their headings kept as lines of text) so that chunks carry enough
 * context to answer from; a long section is split at paragraph or sentence boundaries with a small
 * overlap, so a passage cut at a boundary still reads on from where the previous one ended.
 */
import { countWords, splitSentences } from './text';

/** Chunk sizes in words. */
export interface ChunkOptions {
  /** A chunk stops taking blocks once it has this many words. */
  targetWords: number;
  /** No chunk exceeds this, except a single sentence longer than it that cannot be split well. */
  maxWords: number;
  /** Words of trailing sentences repeated at the start of the next chunk of the same section. */
  overlapWords: number;
  /**
   * Pack small sibling sections of one top-level section into a chunk (version 1's behaviour). Off by
   * default: a chunk is then one section, so retrieval can rank the section that answers a question
   * rather than a bundle of them, and a passage's heading says exactly what it is.
   */
  packSiblings: boolean;
}

/** One chunk of a document. */
export interface Chunk {
  /** Position in the document, from 0. */
  index: number;
  /** Heading path below the title, e.g. "3. Reporting › 3.2 Timing"; null before the first heading. */
  section: string | null;
  content: string;
  wordCount: number;
}

export const DEFAULT_CHUNK_OPTIONS: Readonly<ChunkOptions> = Object.freeze({ targetWords: 220, maxWords: 350, overlapWords: 30, packSiblings: false });

/** Separator of heading levels in `Chunk.section`. */
export const SECTION_SEPARATOR = ' › ';

interface Block {
  /** Headings above the block, outermost first (the document title excluded). */
  path: string[];
  text: string;
  words: number;
}

const HEADING = /^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/;
const FENCE = /^[ \t]*(```|~~~)/;

/** Splits Markdown into blocks (paragraphs, lists, code) with their heading path. */
function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const headings: Array<string | undefined> = [];
  let titleSeen = false;
  let lines: string[] = [];
  let inFence = false;

  const flush = () => {
    const text = lines.join('\n').trim();
    lines = [];
    if (text === '') return;
    blocks.push({ path: headings.filter((h): h is string => h !== undefined), text, words: countWords(text) });
  };

  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      flush();
      const [, hashes = '', title = ''] = heading;
      const level = hashes.length;
      const text = title.trim();
      // The first level-1 heading is the document title, stored apart from the chunks.
      if (level === 1 && !titleSeen) {
        titleSeen = true;
        headings.length = 0;
        continue;
      }
      headings.length = level;
      headings[level - 1] = text;
      continue;
    }
    if (!inFence && line.trim() === '') flush();
    else lines.push(line);
  }
  flush();
  return blocks;
}

/** Breaks a block longer than maxWords into pieces of whole sentences, about targetWords each. */
function splitLongBlock(block: Block, options: ChunkOptions): Block[] {
  if (block.words <= options.maxWords) return [block];
  const pieces: Block[] = [];
  let sentences: string[] = [];
  let words = 0;
  const push = () => {
    if (sentences.length === 0) return;
    const text = sentences.join(' ');
    pieces.push({ path: block.path, text, words: countWords(text) });
    sentences = [];
    words = 0;
  };
  for (const sentence of splitSentences(block.text).flatMap((s) => splitOverlongSentence(s, options.maxWords))) {
    const n = countWords(sentence);
    if (words > 0 && (words >= options.targetWords || words + n > options.maxWords)) push();
    sentences.push(sentence);
    words += n;
  }
  push();
  return pieces;
}

/** A run-on "sentence" over maxWords is cut at word boundaries: the only mid-sentence split there is. */
function splitOverlongSentence(sentence: string, maxWords: number): string[] {
  const words = sentence.split(/\s+/).filter(Boolean);
  if (words.length <= maxWords) return [sentence];
  const parts: string[] = [];
  for (let i = 0; i < words.length; i += maxWords) parts.push(words.slice(i, i + maxWords).join(' '));
  return parts;
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((h, i) => h === b[i]);
}

function commonPrefix(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (const [i, part] of a.entries()) {
    if (part !== b[i]) break;
    out.push(part);
  }
  return out;
}

/** The trailing whole sentences of text that fit in `words` words (at least the last sentence's tail). */
function overlapOf(text: string, words: number): string {
  if (words <= 0) return '';
  const sentences = splitSentences(text);
  const picked: string[] = [];
  let n = 0;
  for (const sentence of [...sentences].reverse()) {
    const count = countWords(sentence);
    if (n + count > words) break;
    picked.unshift(sentence);
    n += count;
  }
  if (picked.length > 0) return picked.join(' ');
  // The last sentence alone is longer than the overlap: repeat its tail, marked as cut.
  const tail = (sentences[sentences.length - 1] ?? '').split(/\s+/).filter(Boolean).slice(-words);
  return tail.length > 0 ? `…${tail.join(' ')}` : '';
}

/** Renders packed blocks: the common heading path is the section, deeper headings become text lines. */
function render(blocks: Block[], overlap: string, index: number): Chunk {
  const section = blocks.map((b) => b.path).reduce(commonPrefix);
  const parts: string[] = overlap ? [overlap] : [];
  let previous: string[] = section;
  for (const block of blocks) {
    const shared = commonPrefix(previous, block.path).length;
    parts.push(...block.path.slice(Math.max(shared, section.length)));
    parts.push(block.text);
    previous = block.path;
  }
  const content = parts.join('\n\n');
  return { index, section: section.length > 0 ? section.join(SECTION_SEPARATOR) : null, content, wordCount: countWords(content) };
}

/**
 * Chunks a Markdown document. Pure: the same text and options always give the same chunks.
 * The first level-1 heading is treated as the title and left out of the chunks.
 */
export function chunkMarkdown(markdown: string, options: Partial<ChunkOptions> = {}): Chunk[] {
  const o: ChunkOptions = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  if (o.targetWords < 1 || o.maxWords < o.targetWords || o.overlapWords < 0 || o.overlapWords >= o.targetWords) {
    throw new RangeError(`Invalid chunk sizes: ${JSON.stringify(o)}`);
  }
  const blocks = parseBlocks(markdown).flatMap((b) => splitLongBlock(b, o));
  const chunks: Chunk[] = [];
  let current: Block[] = [];
  let words = 0;
  let overlap = '';

  for (const block of blocks) {
    const first = current[0];
    const last = current.at(-1);
    if (first && last) {
      // Pack only within one section (or, with packSiblings, one top-level section).
      const sameTop = samePath(last.path, block.path) || (o.packSiblings && commonPrefix(first.path, block.path).length > 0);
      if (!sameTop || words >= o.targetWords || words + block.words > o.maxWords) {
        chunks.push(render(current, overlap, chunks.length));
        // Overlap only continues the same section: a new heading starts fresh.
        overlap = samePath(last.path, block.path) ? overlapOf(last.text, o.overlapWords) : '';
        current = [];
        words = countWords(overlap);
      }
    }
    if (current.length === 0 && overlap && words + block.words > o.maxWords) {
      // The overlap would push this chunk over the maximum: the chunk starts clean instead.
      overlap = '';
      words = 0;
    }
    current.push(block);
    words += block.words;
  }
  if (current.length > 0) chunks.push(render(current, overlap, chunks.length));
  return chunks;
}
