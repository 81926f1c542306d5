/** Best practices (spec 002): the practices the analysis found, their source sessions, and the per-model figures. */
import { z } from 'zod';
import { pagedMeta, paging } from './common';

const name = (what: string) => z.string().trim().min(1, `${what} is 1-100 characters`).max(100, `${what} is 1-100 characters`).optional();

export const practicesQuery = z
  .object({
    ...paging,
    model: name('model'),
    category: name('category'),
    /** Effectiveness from 0 to 100. */
    minEffectiveness: z.coerce.number({ invalid_type_error: 'minEffectiveness is a number from 0 to 100' }).min(0, 'minEffectiveness is a number from 0 to 100').max(100, 'minEffectiveness is a number from 0 to 100').optional(),
    status: z.enum(['active', 'archived', 'all'], { message: 'status is active, archived or all' }).default('active'),
  })
  .strict();
export type PracticesQuery = z.input<typeof practicesQuery>;

export const practiceSource = z.object({
  /** Null for a tester when the session is another tester's (it counts, but is not theirs to open). */
  sessionId: z.string().nullable(),
  contributionScore: z.number(),
});

export const practiceRow = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  category: z.string(),
  model: z.string(),
  effectivenessScore: z.number(),
  sampleCount: z.number().int(),
  examplePrompt: z.string(),
  keyInsights: z.array(z.string()),
  tags: z.array(z.string()),
  status: z.enum(['active', 'archived']),
  generatedBy: z.enum(['claude', 'offline']),
  lastAnalyzedAt: z.string(),
  sources: z.array(practiceSource),
});
export type PracticeRow = z.infer<typeof practiceRow>;

export const modelStat = z.object({ model: z.string(), totalPractices: z.number().int(), avgEffectiveness: z.number(), lastUpdated: z.string().nullable() });
export type ModelStat = z.infer<typeof modelStat>;

export const practicesResponse = pagedMeta.extend({
  rows: z.array(practiceRow),
  facets: z.object({ models: z.array(z.string()), categories: z.array(z.string()) }),
  /** model_performance_stats, every model. */
  stats: z.array(modelStat),
});
export type PracticesResponse = z.infer<typeof practicesResponse>;
