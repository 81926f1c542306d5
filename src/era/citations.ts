/**
 * Citations: which numbered passages an answer cites ([1], [2], [1, 3]), the Teams entity that carries
 * the AI-generated label and a citation per cited passage, and the answer's confidence.
 *
 * Teams' limits (bot messages with AI-generated content): at most 20 citations; a citation's name is
 * at most 80 characters, its abstract at most 160, at most 3 keywords of at most 28 characters each.
 */
import type { EraPassage } from './types';

export const MAX_CITATIONS = 20;
const NAME_MAX = 80;
const ABSTRACT_MAX = 160;
const KEYWORD_MAX = 28;

/** The passage numbers an answer cites, in order of first use, limited to passages that exist. */
export function citedNumbers(text: string, passageCount: number): number[] {
  const seen: number[] = [];
  for (const m of text.matchAll(/\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]/g)) {
    for (const part of (m[1] ?? '').split(',')) {
      const n = Number.parseInt(part.trim(), 10);
      if (n >= 1 && n <= passageCount && !seen.includes(n)) seen.push(n);
    }
  }
  return seen.slice(0, MAX_CITATIONS);
}

/**
 * Rewrites "[1, 3]" groups as "[1][3]": Teams renders a citation pill per "[n]" marker, so each
 * position must stand alone.
 */
export function normaliseMarkers(text: string): string {
  return text.replace(/\[(\d{1,2}(?:\s*,\s*\d{1,2})+)\]/g, (_m, group: string) =>
    group
      .split(',')
      .map((n) => `[${n.trim()}]`)
      .join(''),
  );
}

/** Shortens text to at most `max` characters at a word boundary, marked with "…" (never mid-word). */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  // A single word longer than the limit is the one case cut inside a word.
  return `${(space > 0 ? cut.slice(0, space) : cut).replace(/[\s,;:.–—-]+$/, '')}…`;
}

export interface TeamsCitation {
  '@type': 'Claim';
  position: number;
  appearance: { '@type': 'DigitalDocument'; name: string; abstract: string; keywords?: string[] };
}

export interface AiMessageEntity {
  type: 'https://schema.org/Message';
  '@type': 'Message';
  '@context': 'https://schema.org';
  '@id': '';
  additionalType: ['AIGeneratedContent'];
  citation?: TeamsCitation[];
}

/** The entity marking a message as AI-generated, with a citation for each cited passage. */
export function aiMessageEntity(text: string, passages: EraPassage[]): AiMessageEntity {
  const byNumber = new Map(passages.map((p) => [p.n, p]));
  const citation = citedNumbers(text, passages.length)
    .map((n) => byNumber.get(n))
    .filter((p): p is EraPassage => p !== undefined)
    .map<TeamsCitation>((p) => ({
      '@type': 'Claim',
      position: p.n,
      appearance: {
        '@type': 'DigitalDocument',
        name: clip(p.title, NAME_MAX),
        abstract: clip(p.section ? `${p.section}: ${p.text}` : p.text, ABSTRACT_MAX),
        ...(p.section ? { keywords: [clip(p.section, KEYWORD_MAX)] } : {}),
      },
    }));
  return {
    type: 'https://schema.org/Message',
    '@type': 'Message',
    '@context': 'https://schema.org',
    '@id': '',
    additionalType: ['AIGeneratedContent'],
    ...(citation.length > 0 ? { citation } : {}),
  };
}

/**
 * Confidence in [0, 1] of an answer grounded in retrieved passages:
 *   0.6 × the mean similarity of the passages it cites (of all retrieved ones when it cites none)
 * + 0.3 when it cites at least one passage
 * + 0.1 × the share of its paragraphs that carry a citation.
 * Retrieval quality dominates; citing, and citing throughout, add the rest. No passages: 0.
 */
export function confidenceScore(text: string, passages: Array<EraPassage & { similarity: number }>): number {
  if (passages.length === 0) return 0;
  const cited = citedNumbers(text, passages.length);
  const used = cited.length > 0 ? passages.filter((p) => cited.includes(p.n)) : passages;
  const meanSimilarity = used.reduce((sum, p) => sum + p.similarity, 0) / used.length;
  const paragraphs = text.split(/\n\s*\n/).filter((p) => p.trim().length > 40);
  const citedShare = paragraphs.length === 0 ? 0 : paragraphs.filter((p) => /\[\d{1,2}\]/.test(p)).length / paragraphs.length;
  const score = 0.6 * meanSimilarity + (cited.length > 0 ? 0.3 : 0) + 0.1 * citedShare;
  return Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
}
