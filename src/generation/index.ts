/**
 * Training-data generation (spec 001): the plan and seeds (plan/), generating a conversation with Claude,
 * jobs (jobs/), exports (exports/), and promoting a tuning session. This file is the folder's whole API.
 */
export { GenerationFileError, SeedImportError, formatPath, type FileIssue } from './errors';
export { planFileSchema, TIERS, type PlanFile, type PlannedConversation, type PlanTemplate, type Tier } from './plan/plan-schema';
export { seedFileSchema, type SeedFile, type TrainingPair } from './plan/seed-schema';
export { importPlan, importPlanData, conversationRows, templateRows, type PlanImportCounts, type PlanImportResult } from './plan/plan-import';
export { importSeeds, type SeedImportOptions, type SeedImportProgress, type SeedImportSummary } from './plan/seed-import';
export { computeQuality, countWords, READY_THRESHOLD, type ConversationQuality } from './plan/quality';
export { loadJsonFile } from './plan/load-json';
export { parsePlanFilter, planFilterWhere, GENERATABLE_STATUSES, type PlanFilter, type GenerationFilter } from './plan/plan-filter';
export {
  planOverview, conversationDetail, qualityOverview, moveReview, ConversationNotFoundError, ReviewMoveError, type PlanRow, type ReviewMove,
} from './plan/catalog';
export { fineTuningJsonl, qualityReportCsv, QUALITY_COLUMNS, type FineTuningFormat, type AnthropicExample, type OpenAiExample } from './exports/exports';
export { exportConversationSeed, ConversationExportError } from './exports/conversation-export';
export {
  generateConversation, GenerationError, retryAfterMsOf, validateGenerated, prepareGeneration, generationRequest,
  type GenerateOptions, type GenerationErrorKind, type GenerationResult, type GeneratorDeps,
} from './generator';
export { buildGenerationPrompt, fillTemplate, fromWireFormat, GENERATED_CONVERSATION_SCHEMA, jsonSchemaOf, UnfilledPlaceholderError } from './generation-prompt';
export * from './jobs';
export {
  promoteSession, PromoteError, isActionableNote, splitSentences, MAX_PROMOTED_TURNS,
  type PromoteDeps, type PromoteOptions, type PromoteResult, type PromoteErrorKind,
} from './promote';
export { conversationMatrix, conversationsByIds, matrixFacets, matrixSummary, type MatrixFilter, type MatrixSortField, type MatrixSummary } from './plan/matrix';
export { annotatedConversation, type AnnotatedConversation, type AnnotatedTurn } from './plan/conversation-view';
export { bulkQualityAction, qualityDashboard, type BulkQualityAction, type QualityDashboard } from './plan/quality-dashboard';
