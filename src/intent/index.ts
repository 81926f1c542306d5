/**
 * Prompt capture (spec/004): every tester message gets a predicted topic (rules, then a small Claude
 * call), stored with its outcome and any human correction, and exported for review and retraining.
 */
export {
  INTENT_TOPICS,
  INTENT_IDS,
  OTHER_INTENT,
  isIntentId,
  intentLabel,
  parseIntentId,
  type IntentId,
  type IntentTopic,
} from './topics';
export { InvalidIntentError, PredictionNotFoundError, InvalidExportOptionError } from './errors';
export { INTENT_RULES, isSmallTalk, matchRules, ruleHitNames, type IntentRule, type RuleMatch } from './rules';
export {
  createIntentClassifier,
  parseClassifierReply,
  FALLBACK_CONFIDENCE,
  GUESS_CONFIDENCE,
  type ClassifyContext,
  type IntentClassifier,
  type IntentClassifierDeps,
  type IntentPrediction,
} from './classifier';
export {
  logPrediction,
  recordOutcome,
  correctIntent,
  findPredictionForTurn,
  type LogPredictionInput,
  type PredictionInput,
  type CorrectIntentInput,
} from './prompt-log';
export { createPromptCapture, type PromptCapture, type PromptCaptureDeps, type TurnTopic } from './capture';
export {
  retrainingExport,
  reviewExport,
  DEFAULT_HIGH_CONFIDENCE,
  DEFAULT_REVIEW_THRESHOLD,
  type RetrainingRecord,
  type RetrainingExportOptions,
  type ReviewRecord,
  type ReviewExportOptions,
} from './exports';
export { loadTopicMessages, rulesOnly, TOPIC_SPLITS, type TopicPredictor, topicReport, topicTable, type TopicFigures, type TopicMessage, type TopicReport } from './quality';
export { topicsForTurns, type TurnTopicView } from './turn-topics';
export {
  decideTopic,
  DEFAULT_TOPIC_MODEL_OPTIONS,
  featuresOf,
  loadTopicModel,
  RETRIEVAL_EVIDENCE_WEIGHT,
  serialiseTopicModel,
  SHIPPED_TOPIC_MODEL_FILE,
  shippedTopicModel,
  type TopicDecision,
  type TopicExample,
  type TopicModel,
  TopicModelError,
  type TopicModelOptions,
  topicProbabilities,
  trainTopicModel,
} from './topic-model';
export { loadSectionTopics, passageTopic, SECTION_TOPICS_FILE, type SectionTopics, shippedSectionTopics, topicOfSection } from './section-topics';
export { OUT_OF_SCOPE_FILE, shippedTrainingSources, TRAINING_SPLITS, trainingExamples, type TrainingSources } from './topic-training';
