/** The /practices card: best practices, most effective first, with the filters used and what a refresh did. */
import practicesTemplate from './practices.json';
import { type CardJson, expand } from './render';

export interface PracticeCardItem {
  title: string;
  description: string;
  category: string;
  model: string;
  effectivenessScore: number;
  sampleCount: number;
  keyInsights: string[];
  tags: string[];
  generatedBy: 'claude' | 'offline';
}

export interface PracticesCardInput {
  practices: PracticeCardItem[];
  total: number;
  page: number;
  pageSize: number;
  /** The filters as the tester gave them ('' for none). */
  filters: string;
  /** What a refresh did, or why something was refused. */
  notice?: { text: string; kind: 'good' | 'attention' } | null;
}

const clip = (t: string, n: number): string => (t.length > n ? `${t.slice(0, n - 1)}…` : t);

/** The card. Descriptions and insights are clipped so a page stays within Teams' card size. */
export function practicesCard(input: PracticesCardInput): CardJson {
  const pages = Math.max(1, Math.ceil(input.total / input.pageSize));
  return expand(practicesTemplate, {
    title: 'Best practices',
    subtitle: `${input.total} practice(s)${input.filters ? ` matching \`${clip(input.filters, 80)}\`` : ''}, most effective first · page ${input.page} of ${pages}`,
    notice: input.notice?.text ?? '',
    noticeColor: input.notice?.kind === 'attention' ? 'Attention' : 'Good',
    practices: input.practices.map((p) => ({
      title: clip(p.title, 200),
      facts: `${p.category} · ${p.model} · effectiveness ${p.effectivenessScore.toFixed(1)}/100 · ${p.sampleCount} repl${p.sampleCount === 1 ? 'y' : 'ies'}`,
      label: p.generatedBy === 'offline' ? 'Offline extraction (no ANTHROPIC_API_KEY): written from the pattern\'s features, not by Claude' : '',
      description: clip(p.description, 600),
      insights: p.keyInsights.slice(0, 5).map((i) => `- ${clip(i, 200)}`).join('\n'),
      tags: p.tags.length ? p.tags.slice(0, 8).map((t) => `#${t}`).join(' ') : '',
    })),
    empty: input.filters
      ? 'No practice matches these filters.'
      : 'No best practices yet: they come from replies with judge scores and Looks good / thumbs up. An admin can run `/practices refresh`.',
    footer: '`/practices leave` or `/practices tone` searches; `model=… category=… min=60 page=2` filter; `/practices refresh` (admins) runs the analysis now.',
  });
}
