/** The training-data matrix (spec 001 US-TRAIN-001/002/006), generation, quality (US-TRAIN-008) and jobs. */
import { z } from 'zod';
import { multi, pagedMeta, paging, sortOf } from './common';

export const MATRIX_SORTS = ['number', 'persona', 'topic', 'tier', 'status', 'quality', 'turns'] as const;
export const CONVERSATION_STATUSES = ['planned', 'in_progress', 'generated', 'reviewed', 'approved'] as const;

const quality = z.coerce.number().min(1, 'quality is between 1 and 5').max(5, 'quality is between 1 and 5').optional();

export const matrixQuery = z
  .object({
    ...paging,
    sort: sortOf(MATRIX_SORTS, 'number:asc'),
    persona: multi,
    tier: multi,
    startEmotion: multi,
    endEmotion: multi,
    status: multi,
    template: multi,
    topic: z.string().trim().max(200).optional(),
    qmin: quality,
    qmax: quality,
  })
  .strict()
  .refine((q) => q.qmin === undefined || q.qmax === undefined || q.qmin <= q.qmax, 'qmin is at most qmax');
export type MatrixQuery = z.input<typeof matrixQuery>;

export const matrixRow = z.object({
  id: z.string(),
  number: z.number().int(),
  key: z.string(),
  personaName: z.string(),
  personaType: z.string(),
  topic: z.string(),
  tier: z.string(),
  template: z.string().nullable(),
  startEmotion: z.string().nullable(),
  endEmotion: z.string().nullable(),
  turns: z.number().int(),
  status: z.string(),
  quality: z.number().nullable(),
  isSeed: z.boolean(),
});
export type MatrixRow = z.infer<typeof matrixRow>;

const counts = z.record(z.string(), z.number().int());
export const matrixResponse = pagedMeta.extend({
  rows: z.array(matrixRow),
  /** Over the whole dataset: Total, Seed, Generated, Remaining, and by tier, persona and status. */
  summary: z.object({ total: z.number().int(), seed: z.number().int(), generated: z.number().int(), remaining: z.number().int(), byTier: counts, byPersona: counts, byStatus: counts }),
  facets: z.object({ personas: z.array(z.string()), tiers: z.array(z.string()), templates: z.array(z.string()), startEmotions: z.array(z.string()), endEmotions: z.array(z.string()), statuses: z.array(z.string()) }),
});
export type MatrixResponse = z.infer<typeof matrixResponse>;

const num = z.number().nullable();
export const emotionalAnalysis = z.object({
  primary: z.string(), primaryConfidence: z.number(), secondary: z.string().nullable(), intensity: z.number(), valence: z.string(),
  indicators: z.record(z.string(), z.array(z.string())), progression: z.string().nullable(), intensityChange: num,
  riskLevel: z.string().nullable(), trustLevel: z.string().nullable(), knowledgeLevel: z.string().nullable(), engagementReadiness: z.string().nullable(),
  clientNeeds: z.array(z.object({ priority: z.number(), need: z.string(), rationale: z.string() })),
  redFlags: z.array(z.object({ flag: z.string(), implication: z.string(), handling: z.string() })),
});
export const responseStrategy = z.object({
  primary: z.string(), rationale: z.string(), secondary: z.array(z.string()), tone: z.string(), toneRationale: z.string().nullable(), pacing: z.string(),
  tactics: z.array(z.object({ name: z.string(), value: z.string() })), avoid: z.array(z.string()),
  techniques: z.array(z.object({ technique: z.string(), application: z.string(), purpose: z.string() })),
});
export const sentenceBreakdown = z.object({
  number: z.number().int(), text: z.string(), function: z.string(), emotionalPurpose: z.string(), technique: z.string(), teachesModel: z.string(),
  wordChoices: z.array(z.object({ phrase: z.string(), why: z.string() })), principle: z.string().nullable(), note: z.string().nullable(),
});
export const trainingTurn = z.object({
  number: z.number().int(), turnId: z.string(), userIntent: z.string().nullable(), userInput: z.string(), targetResponse: z.string(),
  difficulty: z.string().nullable(), learningObjective: z.string().nullable(),
  emotional: emotionalAnalysis.nullable(), strategy: responseStrategy.nullable(), sentences: z.array(sentenceBreakdown),
});
export const conversationQuality = z.object({
  overall: z.number(), empathy: z.number(), clarity: z.number(), appropriateness: z.number(), brandVoice: z.number(),
  completeEmotionalContext: z.boolean(), emotionalProgression: z.boolean(), primaryStrategy: z.boolean(), strategyRationale: z.boolean(),
  sentencesAnalyzed: z.number().int().nullable(), wordChoiceCompleteness: num, allFieldsComplete: z.boolean(), readyForTraining: z.boolean(), needsReview: z.boolean(),
  reviewerApproved: z.boolean(),
});
export const conversationDetailResponse = z.object({
  conversation: matrixRow.extend({
    personaDescription: z.string().nullable(), topicDescription: z.string().nullable(), startIntensity: num, endIntensity: num,
    arc: z.string().nullable(), sessionContext: z.string().nullable(), expectedOutcome: z.string().nullable(),
    generatedAt: z.string().nullable(), durationSeconds: num, costCents: num, reviewerNotes: z.string().nullable(), humanReviewed: z.boolean(),
  }),
  turns: z.array(trainingTurn),
  quality: conversationQuality.nullable(),
  /** Numbers of the previous and next conversation, for keyboard navigation. */
  previous: z.number().int().nullable(),
  next: z.number().int().nullable(),
});
export type ConversationDetailResponse = z.infer<typeof conversationDetailResponse>;
export type TrainingTurnView = z.infer<typeof trainingTurn>;

export const reviewRequest = z.object({ move: z.enum(['review', 'approve', 'flag']), notes: z.string().trim().max(2000).optional() }).strict();
export type ReviewRequest = z.infer<typeof reviewRequest>;
export const reviewResponse = z.object({ from: z.string(), to: z.string() });

const uuid = z.string().uuid('a conversation id is a UUID');
export const estimateRequest = z.object({ ids: z.array(uuid).min(1, 'select at least one conversation').max(100) }).strict();
export const estimateResponse = z.object({
  selected: z.number().int(), count: z.number().int(), notPlanned: z.array(z.number().int()), seconds: z.number(),
  costUsd: z.number().nullable(), batchCostUsd: z.number().nullable(), model: z.string(), online: z.boolean(),
});
export type EstimateResponse = z.infer<typeof estimateResponse>;
export const generateRequest = z.object({ ids: z.array(uuid).min(1).max(100), mode: z.enum(['direct', 'batch']).default('direct') }).strict();
export const generateResponse = z.object({ jobId: z.string(), existing: z.boolean() });

export const qualityResponse = z.object({
  averages: z.object({ n: z.number().int(), overall: num, empathy: num, clarity: num, appropriateness: num, brandVoice: num }),
  histogram: z.array(z.object({ bucket: z.string(), n: z.number().int() })),
  byStatus: z.array(z.object({ status: z.string(), n: z.number().int() })),
  trend: z.array(z.object({ day: z.string(), average: z.number(), n: z.number().int() })),
  byTemplate: z.array(z.object({ template: z.string(), average: z.number(), n: z.number().int() })),
  validation: z.object({ total: z.number().int(), complete: z.number().int(), ready: z.number().int(), needsReview: z.number().int(), failedChecks: z.number().int() }),
  needsReview: z.array(z.object({ number: z.number().int(), key: z.string(), overall: z.number(), issues: z.array(z.string()) })),
});
export type QualityResponse = z.infer<typeof qualityResponse>;
export const bulkRequest = z.object({ action: z.enum(['approve_perfect', 'flag_below_4']) }).strict();
export const bulkResponse = z.object({ changed: z.array(z.number().int()) });

export const jobView = z.object({
  id: z.string(), type: z.string(), mode: z.string(), status: z.string(), total: z.number().int(), done: z.number().int(), failed: z.number().int(),
  pending: z.number().int(), current: z.string().nullable(), etaMs: num, costUsd: z.number(), tokens: z.number().int(),
  createdAt: z.string().nullable(), startedAt: z.string().nullable(), completedAt: z.string().nullable(), error: z.string().nullable(), runningHere: z.boolean(),
});
export type JobView = z.infer<typeof jobView>;
export const jobsResponse = z.object({ jobs: z.array(jobView) });
export const JOB_ACTIONS = ['pause', 'resume', 'cancel'] as const;
export const jobActionResponse = z.object({ job: jobView });
