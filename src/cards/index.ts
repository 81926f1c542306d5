/**
 * One typed render function per card. Handlers pass domain data; formatting for display lives here.
 */
import path from 'node:path';
import type { Attachment } from 'botbuilder';
import type { SessionWelcome } from '../tuning';
import answerTemplate from './answer.json';
import exportTemplate from './export.json';
import helpTemplate from './help.json';
import { asAttachment, type CardJson, expand } from './render';
import sessionStatsTemplate from './session-stats.json';
import sessionsListTemplate from './sessions-list.json';
import welcomeTemplate from './welcome.json';

export type { CardJson };
export { asAttachment };

export interface CommandHelp {
  name: string;
  description: string;
}

/** Display of a UTC instant, e.g. "2026-11-23 21:04 UTC". */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function formatDuration(minutes: number): string {
  if (minutes < 1) return `${Math.round(minutes * 60)} s`;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  return `${Math.floor(minutes / 60)} h ${Math.round(minutes % 60)} min`;
}

export interface AnswerCardNote {
  category: string | null;
  text: string;
  source: string;
}

export interface AnswerCardInput {
  turnId: string;
  turnNumber: number;
  answer: string;
  offline: boolean;
  notes: AnswerCardNote[];
  /** A fresh nonce per render: a double click on one render stores one note. */
  submissionId: string;
  maxNoteChars: number;
  notice?: string | null;
  status?: { text: string; kind: 'good' | 'attention' } | null;
  /** What the tester typed, kept in the form when a save was refused. */
  draft?: { category: string; note: string } | null;
  /** The passages retrieved for the answer, the cited ones marked. */
  sources?: Array<{ n: number; title: string; section: string | null; similarity: number; cited: boolean }>;
  /** Set when a canned answer was used instead of Claude. */
  templateNote?: string | null;
  /** The predicted (or corrected) topic and the choices to correct it. */
  topic?: { id: string; label: string; confidence: number; source: string; corrected: boolean } | null;
  topicChoices?: Array<{ id: string; label: string }>;
  /** The turn's metrics and judge scores in one line (turnScoresLine); absent: no line. */
  scoresLine?: string | null;
}

const NOTES_SHOWN = 10;
const NOTE_PREVIEW_CHARS = 300;

function noteLabel(n: AnswerCardNote): string {
  if (n.source === 'looks_good') return '✓ Looks good';
  if (n.source === 'feedback_loop') return n.category ? `👍👎 ${n.category}` : '👍👎 feedback';
  return n.category ? n.category.charAt(0).toUpperCase() + n.category.slice(1) : 'Note';
}

/** ERA's reply: the answer, the notes so far, Improve and Looks good. */
export function answerCard(input: AnswerCardInput): CardJson {
  const shown = input.notes.slice(-NOTES_SHOWN).map((n) => ({
    label: noteLabel(n),
    text: n.source === 'looks_good' ? '' : n.text.length > NOTE_PREVIEW_CHARS ? `${n.text.slice(0, NOTE_PREVIEW_CHARS)}…` : n.text,
  }));
  return expand(answerTemplate, {
    turnId: input.turnId,
    turnNumber: input.turnNumber,
    answer: input.answer,
    offline: input.offline,
    notes: shown,
    hiddenNotes: Math.max(0, input.notes.length - NOTES_SHOWN),
    notesTitle: `Notes on this reply (${input.notes.length})`,
    submissionId: input.submissionId,
    maxNoteChars: input.maxNoteChars,
    notice: input.notice ?? '',
    status: input.status?.text ?? '',
    statusColor: input.status?.kind === 'attention' ? 'Attention' : 'Good',
    draftCategory: input.draft?.category ?? 'none',
    draftNote: input.draft?.note ?? '',
    sources: sourceLines(input.sources ?? []),
    template: input.templateNote ?? '',
    topic: input.topic ? topicLine(input.topic) : '',
    topicId: input.topic?.id ?? 'other',
    topicChoices: input.topicChoices ?? [],
    scores: input.scoresLine ? `Scores: ${input.scoresLine}` : '',
  });
}

function sourceLines(sources: NonNullable<AnswerCardInput['sources']>): Array<{ label: string }> {
  // Cited passages first; retrieved-but-uncited ones are still worth seeing when tuning retrieval.
  const ordered = [...sources.filter((s) => s.cited), ...sources.filter((s) => !s.cited)];
  return ordered.map((s) => ({
    label: `[${s.n}] ${s.title}${s.section ? ` — ${s.section}` : ''} · similarity ${s.similarity.toFixed(2)}${s.cited ? '' : ' · not cited'}`,
  }));
}

/** Who predicted a topic, in a tester's words (the stored source ids stay as they are). */
const TOPIC_SOURCE_LABELS: Readonly<Record<string, string>> = { rule: 'rule', classifier: 'Claude', model: 'topic model (offline)', fallback: 'fallback' };

function topicLine(t: NonNullable<AnswerCardInput['topic']>): string {
  return t.corrected
    ? `Topic: **${t.label}** (corrected by a tester)`
    : `Topic: **${t.label}** · ${TOPIC_SOURCE_LABELS[t.source] ?? t.source} · confidence ${t.confidence.toFixed(2)}`;
}

/** The session facts the tuning service returns, plus what the card lists around them. */
export interface WelcomeCardInput extends SessionWelcome {
  commands: CommandHelp[];
  /** Set when /new closed a session to open this one. */
  closedSessionId?: string | null;
}

/** A path as testers should read it: relative to the bot's working directory when inside it. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The card that opens a session: its id, the prompt version, the mode and the commands. */
export function welcomeCard(input: WelcomeCardInput): CardJson {
  return expand(welcomeTemplate, {
    shortId: input.sessionId.slice(0, 8),
    promptVersion: input.promptVersion,
    branch: input.branch ?? '(none)',
    promptPath: displayPath(input.promptPath),
    model: input.offline ? 'offline (no ANTHROPIC_API_KEY)' : input.model,
    offline: input.offline,
    commands: input.commands,
    replacedNote: input.closedSessionId ? `Session ${input.closedSessionId.slice(0, 8)} was closed.` : '',
  });
}

/** /help: the commands with their descriptions. */
export function helpCard(input: { commands: CommandHelp[]; promptVersion: string; mode: string }): CardJson {
  return expand(helpTemplate, input);
}

export interface StatsCardInput {
  title: string;
  id: string;
  sessionStart: Date;
  sessionEnd: Date | null;
  durationMinutes: number;
  masterPromptVersion: string | null;
  branchName: string | null;
  totalTurns: number;
  totalImprovements: number;
  turnsWithNotes: number;
  avgProcessingTimeMs: number | null;
  avgRagSimilarity: number | null;
  notesByCategory: Record<string, number>;
  /** The reply scores' averages (scoreAverageFacts); absent or empty: no section. */
  scores?: Array<{ title: string; value: string }>;
  footer: string;
}

/** A session's statistics (/stats, /end). */
export function sessionStatsCard(s: StatsCardInput): CardJson {
  return expand(sessionStatsTemplate, {
    title: s.title,
    shortId: s.id.slice(0, 8),
    status: s.sessionEnd ? 'ended' : 'open',
    started: formatUtc(s.sessionStart),
    ended: s.sessionEnd ? formatUtc(s.sessionEnd) : '—',
    duration: formatDuration(s.durationMinutes),
    promptVersion: s.masterPromptVersion ?? '(unknown)',
    branch: s.branchName ?? '(none)',
    turns: String(s.totalTurns),
    improvements: String(s.totalImprovements),
    turnsWithNotes: `${s.turnsWithNotes} of ${s.totalTurns}`,
    avgProcessing: s.avgProcessingTimeMs === null ? '—' : `${Math.round(s.avgProcessingTimeMs).toLocaleString('en-US')} ms`,
    avgSimilarity: s.avgRagSimilarity === null ? '— (no retrieval yet)' : s.avgRagSimilarity.toFixed(2),
    categories: Object.entries(s.notesByCategory).map(([name, count]) => ({ name, count: String(count) })),
    scores: s.scores ?? [],
    footer: s.footer,
  });
}

export interface SessionListItem {
  id: string;
  sessionStart: Date;
  sessionEnd: Date | null;
  totalTurns: number;
  totalImprovements: number;
  promptVersion: string | null;
}

/** The tester's recent sessions (/sessions). */
export function sessionsListCard(sessions: SessionListItem[]): CardJson {
  return expand(sessionsListTemplate, {
    sessions: sessions.map((s) => ({
      shortId: s.id.slice(0, 8),
      status: s.sessionEnd ? 'ended' : 'open',
      started: formatUtc(s.sessionStart),
      turns: String(s.totalTurns),
      improvements: String(s.totalImprovements),
      promptVersion: s.promptVersion ?? '(unknown)',
    })),
  });
}

/** The export card's line for an anonymised file. */
const ANONYMIZED_EXPORT = {
  pseudonymize: 'Anonymised: tester ids, names and e-mails replaced by pseudonyms; e-mail addresses and phone numbers redacted.',
  strip: 'Anonymised: tester ids, names and e-mails removed; e-mail addresses and phone numbers redacted.',
} as const;

/** /export: the signed download link and what the file holds. */
export function exportCard(input: {
  sessionId: string; turns: number; improvements: number; url: string; expiresAt: Date; fileName: string;
  kind?: 'csv' | 'bundle';
  /** The file's anonymisation (spec 004), said on the card; null or absent: as stored. */
  anonymize?: 'strip' | 'pseudonymize' | null;
}): CardJson {
  const bundle = input.kind === 'bundle';
  return expand(exportTemplate, {
    title: bundle ? 'LLM-ready bundle' : 'CSV export',
    holds: bundle
      ? "The prompt at the session's version, then every turn with its sources, metrics, judge scores (or why none) and notes: paste it into any LLM."
      : 'One row per note; a reply without notes has one row with empty note cells.',
    button: bundle ? 'Download bundle' : 'Download CSV',
    anonymized: input.anonymize ? ANONYMIZED_EXPORT[input.anonymize] : '',
    shortId: input.sessionId.slice(0, 8),
    turns: String(input.turns),
    improvements: String(input.improvements),
    url: input.url,
    expires: formatUtc(input.expiresAt),
    fileName: input.fileName,
  });
}

/** Attachment helpers for the bot. */
export const attach = (card: CardJson): Attachment => asAttachment(card);
export { jobCancelledCard, jobConfirmCard, jobProgressCard, progressBar, type JobProgressView } from './jobs';
export {
  comparisonCard, JUDGE_OFFLINE_TEXT, replayProgressCard, scoreAverageFacts, suggestionCard, turnScoresLine,
  type ComparisonCardInput, type ComparisonMetric, type ReplayProgressInput, type SuggestionCardInput, type TurnScores,
} from './insights';
export { practicesCard, type PracticeCardItem, type PracticesCardInput } from './practices';
