/** Training-data generation: the dataset plan, its templates, and the seed-conversation import. */
export { GenerationFileError, SeedImportError, formatPath, type FileIssue } from './errors';
export { planFileSchema, TIERS, type PlanFile, type PlannedConversation, type PlanTemplate, type Tier } from './plan-schema';
export { seedFileSchema, type SeedFile, type TrainingPair } from './seed-schema';
export { importPlan, importPlanData, conversationRows, templateRows, type PlanImportCounts, type PlanImportResult } from './plan-import';
export { importSeeds, type SeedImportOptions, type SeedImportProgress, type SeedImportSummary } from './seed-import';
export { computeQuality, countWords, READY_THRESHOLD, type ConversationQuality } from './quality';
export { loadJsonFile } from './load-json';
export { fineTuningJsonl, qualityReportCsv, QUALITY_COLUMNS, type FineTuningFormat, type AnthropicExample, type OpenAiExample } from './exports';
export {
  generateConversation, GenerationError, GENERATABLE_STATUSES, retryAfterMsOf, validateGenerated,
  type GenerateOptions, type GenerationErrorKind, type GenerationResult, type GeneratorDeps,
} from './generator';
export { buildGenerationPrompt, fillTemplate, fromWireFormat, GENERATED_CONVERSATION_SCHEMA, jsonSchemaOf, UnfilledPlaceholderError } from './generation-prompt';
export { runJob, type RunAnyJobDeps } from './run-job';
export { runBatchJob, cancelJobBatch, customIdFor, DEFAULT_BATCH_POLL_MS, type BatchDeps, type RunBatchJobDeps } from './batch-jobs';
export {
  createJob,
  runDirectJob,
  pauseJob,
  resumeJob,
  cancelJob,
  jobProgress,
  controlOf,
  listJobs,
  claimNextItem,
  JobError,
  DEFAULT_JOB_OPTIONS,
  DEFAULT_LEASE_MS,
  type Generate,
  type GenerateResult,
  type JobOptions,
  type JobMode,
  type BatchState,
  type CreateJobInput,
  type JobStatus,
  type JobProgress,
  type JobSummary,
  type RunJobDeps,
  type StopReason,
} from './jobs';
export { exportConversationSeed, ConversationExportError } from './conversation-export';
export {
  promoteSession, PromoteError, isActionableNote, splitSentences, MAX_PROMOTED_TURNS,
  type PromoteDeps, type PromoteOptions, type PromoteResult, type PromoteErrorKind,
} from './promote';
export {
  startGenerationJob, estimateGeneration, testerUuid, JobStartError, ESTIMATE_SECONDS_PER_CONVERSATION,
  type JobEstimate, type StartJobInput,
} from './start-job';
export {
  conversationDetail, moveReview, parsePlanArgs, planOverview, qualityOverview,
  ConversationNotFoundError, ReviewMoveError, type PlanFilter, type ReviewMove,
} from './catalog';
export { conversationMatrix, conversationsByIds, matrixFacets, matrixSummary, type MatrixFilter, type MatrixSortField, type MatrixSummary } from './matrix';
export { annotatedConversation, type AnnotatedConversation, type AnnotatedTurn } from './conversation-view';
export { bulkQualityAction, qualityDashboard, type BulkQualityAction, type QualityDashboard } from './quality-dashboard';
