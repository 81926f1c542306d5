/** Sessions and one session: the tuning chat's data. */
import { z } from 'zod';
import { day, multi, pagedMeta, paging, sortOf } from './common';

export const SESSION_SORTS = ['start', 'tester', 'version', 'turns', 'notes', 'similarity', 'processing'] as const;

export const sessionsQuery = z
  .object({
    ...paging,
    sort: sortOf(SESSION_SORTS, 'start:desc'),
    tester: multi,
    version: multi,
    from: day,
    to: day,
  })
  .strict();
export type SessionsQuery = z.input<typeof sessionsQuery>;

/**
 * The judge's 1-5 scores from the tuning loop (spec 000 metrics): a turn's own, or a session's means
 * over its judged turns. Null when nothing is judged (judge offline, or not yet); the pages show them
 * only when present.
 */
export const turnScores = z.object({
  professionalism: z.number().nullable(),
  empathy: z.number().nullable(),
  clarity: z.number().nullable(),
});
export type TurnScores = z.infer<typeof turnScores>;

export const sessionRow = z.object({
  id: z.string(),
  start: z.string(),
  end: z.string().nullable(),
  testerId: z.string().nullable(),
  testerName: z.string().nullable(),
  promptVersion: z.string().nullable(),
  branch: z.string().nullable(),
  turns: z.number().int(),
  notes: z.number().int(),
  notesByCategory: z.record(z.string(), z.number().int()),
  avgSimilarity: z.number().nullable(),
  avgProcessingMs: z.number().nullable(),
  scores: turnScores.nullable().optional(),
});
export type SessionRow = z.infer<typeof sessionRow>;

export const sessionsResponse = pagedMeta.extend({
  rows: z.array(sessionRow),
  facets: z.object({
    /** Admins only: every tester with a session. */
    testers: z.array(z.object({ id: z.string(), name: z.string().nullable() })),
    versions: z.array(z.string()),
  }),
});
export type SessionsResponse = z.infer<typeof sessionsResponse>;

export const turnSource = z.object({ chunkId: z.string(), title: z.string(), similarity: z.number(), text: z.string() });
export const turnNote = z.object({ id: z.string(), text: z.string(), category: z.string().nullable(), at: z.string(), source: z.string().nullable() });

export const sessionTurn = z.object({
  id: z.string(),
  number: z.number().int(),
  at: z.string(),
  userMessage: z.string(),
  eraResponse: z.string(),
  processingMs: z.number().nullable(),
  avgSimilarity: z.number().nullable(),
  confidence: z.number().nullable(),
  template: z.string().nullable(),
  sources: z.array(turnSource),
  notes: z.array(turnNote),
  topic: z.object({ id: z.string(), label: z.string(), confidence: z.number(), corrected: z.boolean() }).nullable(),
  scores: turnScores.nullable().optional(),
});
export type SessionTurn = z.infer<typeof sessionTurn>;

export const sessionDetailResponse = z.object({ session: sessionRow, turns: z.array(sessionTurn) });
export type SessionDetailResponse = z.infer<typeof sessionDetailResponse>;
