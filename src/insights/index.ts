/**
 * The tuning loop (issue 10): per-turn metrics and the LLM judge, prompt suggestions, replays of
 * recorded sessions on a candidate prompt, version comparisons, the LLM-ready bundle and the judge's
 * calibration. No Teams here: long work reports progress through listeners and takes an AbortSignal.
 */
export { InsightsError, InsightsRefusal, RubricFileError, InsightsNotFoundError, CandidateError, InsightsStateError, InsightsFileError } from './errors';
export { METRICS_VERSION, MAX_STRUCTURED_WORDS, needsEscalation, programmaticMetrics, wordCount, type MetricsInput, type ProgrammaticMetrics } from './metrics';
export { backfillMetrics, metricsOfTurn, recordTurnMetrics, storeTurnMetrics, type BackfillResult } from './metrics-store';
export { describeSelection, type TurnSelection } from './turn-selection';
export { loadRubric, parseRubric, type Rubric } from './rubric';
export { JUDGE_OUTPUT_SCHEMA, judgeRequest, readJudgeAnswer, type JudgeContext, type JudgeReading } from './judge-request';
export { latestJudgements, storeJudgement, type JudgeScores, type JudgementInput } from './judgements';
export { createJudge, loadJudgeContext, type Judge, type JudgeDeps, type JudgeOutcome } from './judge';
export { createJudgeQueue, type JudgeQueue, type JudgeQueueOptions, type JudgeTask } from './judge-queue';
export { collectOpenBatches, submitBatch, type ApplyOutcome, type ApplyResult, type BatchDeps, type BatchItem, type BatchProgress } from './batches';
export { applyJudgingResult, countJudged, DEFAULT_JUDGING_BATCH_SIZE, judgeInBatches, judgingCustomId } from './judge-batch';
export { rescoreTurns, type RescoreDeps, type RescoreOptions, type RescoreProgress, type RescoreResult } from './rescore';
export { improvementNotes, isPositiveNote, loadSessionData, resolveSessionRef, type LabelledNote, type SessionData, type SessionTurnData } from './session-data';
export { annotatedPatch, applyEdits, type AppliedEdits, type NoteNamer } from './patch';
export { readSuggesterAnswer, SUGGEST_OUTPUT_SCHEMA, suggestRequest, type SuggesterAnswer } from './suggest-request';
export { DIGEST_LABEL, notesDigest } from './digest';
export {
  createSuggestion, getSuggestion, produceSuggestion, resumeSuggestions, suggestForSession, suggestionPatchFile, suggestionView,
  type PromptFile, type SuggestDeps,
} from './suggest';
export { contentVersion, resolveCandidate, type Candidate, type CandidateSpec } from './candidate';
export { diffJson, retrievalDiff, type RetrievalDiff } from './retrieval-diff';
export {
  cancelReplay, claimReplay, createReplays, getReplay, orphanedReplays, releaseReplay, retryReplay, sessionsWithNotesSince, REPLAY_LEASE_MS,
  type CreateReplaysInput,
} from './replay-store';
export { type ReplayPassage, type ReplayRetriever } from './replay-turn';
export {
  runReplay, scoreAndCompare, type JudgeSessions, type ReplayDeps, type ReplayOutcome, type ReplayProgress, type ReplayRunResult, type RunReplayOptions,
} from './replay';
export {
  compareReplays, compareVersions, JUDGE_METRICS, METRIC_NAMES, metricAverages, writeComparisons, type Aggregate, type Comparison, type MetricDelta, type MetricName, type TurnPair,
} from './compare';
export { runReplaysInBatches, type BatchReplayDeps } from './replay-batch';
export { buildBundle, promptTextAt, type Bundle, type BundleFormat, type BundleOptions } from './bundle';
export { AUC_SCORES, CATEGORY_CHECKS, calibrationReport, cohenKappa, rocAuc, type AucScore, type CalibrationItem, type CalibrationReport, type CategoryAgreement } from './calibration';
export { loadCalibrationItems, loadCalibrationSet, readCalibrationSet, type CalibrationSet } from './calibration-data';
export * from './practices';
export { progressOf, replayNotifyOf, ReplayRunner, type ReplayNotify, type ReplayRunEvents } from './replay-runner';
export {
  cancelTesterReplay, candidateSpecOf, lastReplayableSuggestion, MAX_REPLAY_SESSIONS, retryTesterReplay, setReplayNotify, startTesterReplays, testerReplay, testerSuggestion,
  type StartReplaysInput,
} from './teams-loop';
export { bundleSubject, comparisonSubject, createInsightsDownloadHandler, patchSubject, type InsightsDownloadDeps } from './export-http';
