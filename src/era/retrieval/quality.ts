/**
 * The retrieval quality suite (issue 12): manager questions labelled with the section that answers
 * them, run through any Retriever, scored at section level (top 1, top 3) and document level (top 3),
 * per document and per split. Used by `npm run quality` and by bot-tests/knowledge-quality.test.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SECTION_SEPARATOR } from './chunker';
import type { RetrievedPassage, Retriever } from './retriever';

/**
 * Which part of a quality set an item belongs to: tuned on, or kept aside as a check. `holdout2` and
 * `holdout3` are fresh checks written blind on 2026-12-02 (their own files) by people who saw only the
 * policies: holdout2 before document expansion was tuned, holdout3 (half short, half long messages)
 * after holdout2 had been evaluated once, as the final check of the similarity fitted since. `tune2`
 * (written the same way, larger) joined the tuning data for the second round; `holdout4`, written
 * with it and never looked at until that round was frozen, is that round's final check.
 */
export const QUALITY_SPLITS = ['tune', 'holdout', 'holdout2', 'holdout3', 'tune2', 'holdout4', 'holdout5'] as const;
export type QualitySplit = (typeof QUALITY_SPLITS)[number];

const answerSchema = z.object({ document: z.string().min(1), section: z.string().min(1) });
const questionSchema = z.object({
  id: z.string().min(1),
  split: z.enum(QUALITY_SPLITS),
  question: z.string().min(1),
  answers: z.array(answerSchema),
  note: z.string().optional(),
});
const fileSchema = z.object({ questions: z.array(questionSchema).min(1) });

/** One labelled question; `answers` empty means nothing in the policies answers it. */
export type QualityQuestion = z.infer<typeof questionSchema>;

/** The split a text belongs to by the sets' fixed rule: sha256 of the text below 0.4 of 2^32 is held out. */
export function splitOf(text: string): 'tune' | 'holdout' {
  const fraction = Number.parseInt(createHash('sha256').update(text).digest('hex').slice(0, 8), 16) / 2 ** 32;
  return fraction < 0.4 ? 'holdout' : 'tune';
}

/** Reads and validates a retrieval question file (examples/era/quality/retrieval-questions.json). */
export function loadQualityQuestions(file: string): QualityQuestion[] {
  const parsed = fileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.questions;
}

const followUpSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['dependent', 'switch']),
  first: z.string().min(1),
  followUp: z.string().min(1),
  answers: z.array(answerSchema).min(1),
});
const followUpFileSchema = z.object({ conversations: z.array(followUpSchema).min(1) });

/**
 * A two-message conversation of the follow-up set (examples/era/quality/retrieval-followups.json): the
 * follow-up, sent after ERA answered the first message, and the sections that answer the follow-up.
 * `dependent` follow-ups need the first message to make sense; `switch` ones move to another policy.
 */
export type FollowUp = z.infer<typeof followUpSchema> & { split: 'tune' | 'holdout' };

/** Reads the follow-up set; each conversation's split is splitOf(its follow-up). */
export function loadFollowUps(file: string): FollowUp[] {
  const parsed = followUpFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.conversations.map((c) => ({ ...c, split: splitOf(`${c.first}\n${c.followUp}`) }));
}

/** Whether a passage comes from the labelled section: its heading path holds it, or it holds the heading as a line. */
export function passageAnswers(p: Pick<RetrievedPassage, 'sourcePath' | 'section' | 'text'>, a: { document: string; section: string }): boolean {
  if (p.sourcePath !== a.document) return false;
  if (p.section?.split(SECTION_SEPARATOR).includes(a.section)) return true;
  return p.text.split('\n').some((line) => line.replace(/^#+\s*/, '').trim() === a.section);
}

/** What retrieval gave for one question. Ranks are 1-based; null when not in the passages returned. */
export interface QuestionOutcome {
  question: QualityQuestion;
  sectionRank: number | null;
  documentRank: number | null;
  /** Similarity of the first passage, or null when nothing was returned. */
  topSimilarity: number | null;
  /** Similarity of the best passage from a right section. */
  rightSimilarity: number | null;
  passages: RetrievedPassage[];
}

/** Runs every question through the retriever (topK passages, no similarity floor). */
export async function runQuality(retriever: Retriever, questions: readonly QualityQuestion[], topK = 5): Promise<QuestionOutcome[]> {
  const outcomes: QuestionOutcome[] = [];
  for (const question of questions) {
    const passages = await retriever.retrieve(question.question, { topK, minSimilarity: 0 });
    const sectionIndex = passages.findIndex((p) => question.answers.some((a) => passageAnswers(p, a)));
    const documentIndex = passages.findIndex((p) => question.answers.some((a) => a.document === p.sourcePath));
    outcomes.push({
      question,
      sectionRank: sectionIndex >= 0 ? sectionIndex + 1 : null,
      documentRank: documentIndex >= 0 ? documentIndex + 1 : null,
      topSimilarity: passages[0]?.similarity ?? null,
      rightSimilarity: sectionIndex >= 0 ? (passages[sectionIndex]?.similarity ?? null) : null,
      passages,
    });
  }
  return outcomes;
}

/** Hit counts of a group of answerable questions. */
export interface QualityFigures {
  questions: number;
  sectionTop1: number;
  sectionTop3: number;
  documentTop3: number;
}

const within = (rank: number | null, k: number): boolean => rank !== null && rank <= k;

/** Counts the hits of answerable outcomes (unanswerable ones are left out). */
export function figuresOf(outcomes: readonly QuestionOutcome[]): QualityFigures {
  const answerable = outcomes.filter((o) => o.question.answers.length > 0);
  return {
    questions: answerable.length,
    sectionTop1: answerable.filter((o) => within(o.sectionRank, 1)).length,
    sectionTop3: answerable.filter((o) => within(o.sectionRank, 3)).length,
    documentTop3: answerable.filter((o) => within(o.documentRank, 3)).length,
  };
}

/** A share as a percentage with one decimal. */
export const percent = (n: number, of: number): string => (of === 0 ? '—' : `${((100 * n) / of).toFixed(1)}%`);

/** The primary document of a question (its first answer), or '(no answer)'. */
const documentOf = (o: QuestionOutcome): string => o.question.answers[0]?.document ?? '(no answer)';

/** The per-document table of one split, as Markdown. */
export function qualityTable(outcomes: readonly QuestionOutcome[]): string {
  const docs = [...new Set(outcomes.filter((o) => o.question.answers.length > 0).map(documentOf))].sort();
  const rows = [...docs.map((d) => [d, figuresOf(outcomes.filter((o) => documentOf(o) === d))] as const), ['all', figuresOf(outcomes)] as const];
  const lines = ['| document | questions | section top-1 | section top-3 | document top-3 |', '|---|---|---|---|---|'];
  for (const [name, f] of rows) {
    lines.push(`| ${name} | ${f.questions} | ${percent(f.sectionTop1, f.questions)} | ${percent(f.sectionTop3, f.questions)} | ${percent(f.documentTop3, f.questions)} |`);
  }
  return lines.join('\n');
}

/** Lines describing each question whose right section is not in the top 3. */
export function missLines(outcomes: readonly QuestionOutcome[]): string[] {
  return outcomes
    .filter((o) => o.question.answers.length > 0 && !within(o.sectionRank, 3))
    .map((o) => {
      const got = o.passages.slice(0, 3).map((p) => `${p.sourcePath.replace(/\.md$/, '')} › ${p.section ?? '—'} (${p.similarity.toFixed(2)})`);
      return `${o.question.id} "${o.question.question}" wants ${o.question.answers.map((a) => a.section).join(' | ')}; got ${got.join('; ') || 'nothing'}`;
    });
}

/** How a similarity threshold separates answerable from unanswerable questions. */
export interface ThresholdFigures {
  threshold: number;
  /** Answerable questions whose right passage (in the top k) is at or above the threshold. */
  answerableKept: number;
  answerable: number;
  /** Unanswerable questions whose best passage falls below the threshold (the canned answer). */
  unanswerableRefused: number;
  unanswerable: number;
}

/** Applies a threshold to the outcomes. */
export function thresholdFigures(outcomes: readonly QuestionOutcome[], threshold: number): ThresholdFigures {
  const answerable = outcomes.filter((o) => o.question.answers.length > 0);
  const unanswerable = outcomes.filter((o) => o.question.answers.length === 0);
  return {
    threshold,
    answerableKept: answerable.filter((o) => o.rightSimilarity !== null && o.rightSimilarity >= threshold).length,
    answerable: answerable.length,
    unanswerableRefused: unanswerable.filter((o) => (o.topSimilarity ?? 0) < threshold).length,
    unanswerable: unanswerable.length,
  };
}
