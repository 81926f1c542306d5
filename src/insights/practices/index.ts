/** Best practices (spec 002): the analysis, its write-ups, its storage and the reads the API, cards and dashboard share. */
export { analyseReplies, combinedScore, clusterByFeatures, practiceKey, TOP_FRACTION, MIN_GROUP, MIN_SUPPORT, SHRINK, type AnalysisOutcome, type PracticeCandidate, type ScoredReplyInput } from './analysis';
export { FEATURES, FEATURE_IDS, jaccard, replyFeatures, type FeatureId } from './features';
export { loadReplies } from './replies';
export { OFFLINE_LABEL, PRACTICE_OUTPUT_SCHEMA, offlineWriteup, readWriteup, writeupRequest, type PracticeText } from './writeup';
export {
  getPractice, listPractices, MAX_PAGE_SIZE, modelStats, practiceFacets, practiceSources, practiceView, saveAnalysis,
  type PracticeFilter, type PracticePage, type PracticeSourceView, type PracticeView,
} from './store';
export { analyzePractices, PRACTICES_LEASE, PracticesBusyError, type AnalysisResult, type AnalyzeOptions, type PracticeChange, type PracticesDeps } from './analyze';
export { startPracticesSchedule, type PracticesSchedule } from './schedule';
