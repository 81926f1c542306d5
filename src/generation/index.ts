/** Training-data generation: the dataset plan, its templates, and the seed-conversation import. */
export { GenerationFileError, SeedImportError, formatPath, type FileIssue } from './errors';
export { planFileSchema, TIERS, type PlanFile, type PlannedConversation, type PlanTemplate, type Tier } from './plan-schema';
export { seedFileSchema, type SeedFile, type TrainingPair } from './seed-schema';
export { importPlan, importPlanData, conversationRows, templateRows, type PlanImportCounts, type PlanImportResult } from './plan-import';
export { importSeeds, type SeedImportOptions, type SeedImportProgress, type SeedImportSummary } from './seed-import';
export { computeQuality, countWords, READY_THRESHOLD, type ConversationQuality } from './quality';
export { loadJsonFile } from './load-json';
export { fineTuningJsonl, qualityReportCsv, QUALITY_COLUMNS, type FineTuningFormat, type AnthropicExample, type OpenAiExample } from './exports';
