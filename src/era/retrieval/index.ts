/**
 * The knowledge base ERA answers from: Markdown policy documents chunked and ingested into Postgres,
 * and retrieval of the passages that answer a manager's question (Postgres full-text, BM25-ranked).
 */
export { type Chunk, chunkMarkdown, type ChunkOptions, DEFAULT_CHUNK_OPTIONS, SECTION_SEPARATOR } from './chunker';
export { isKnowledgeTopic, KNOWLEDGE_TOPICS, type KnowledgeTopic, parseDocument, type ParsedDocument } from './document';
export { KnowledgeDirNotFoundError, KnowledgeReadError } from './errors';
export { CHUNKER_VERSION, ingestKnowledge, type IngestLogger, type IngestOptions, type IngestSummary } from './ingest';
export { createFullTextRetriever, type FullTextRetrieverOptions, type RetrievedPassage, type RetrieveOptions, type Retriever } from './retriever';
export { createIndexRetriever, type IndexRetrieverOptions, TOPIC_EVIDENCE_PASSAGES, TOPIC_GUESS_MIN_SIMILARITY, topicOfBestPassage, topicSimilarities } from './index-retriever';
export { analyse } from './analyzer';
export { countWords, splitSentences } from './text';
export { CONTEXT_FULL_WORDS, CONTEXT_WEIGHT, contextWeightFor, EXPANSION_WEIGHT, expandQuery, expandWithContext } from './expansion';
export { similarityOf } from './similarity';
export { type ChunkMeta, DEFAULT_DOCUMENT_WEIGHT, KnowledgeIndex, type KnowledgeRow, type RankedHit } from './knowledge-index';
export { type Bm25Params, DEFAULT_BM25, LexicalIndex } from './lexical-index';
export { averageSimilarity, toSearchResults } from './search-results';
export {
  figuresOf,
  type FollowUp,
  loadFollowUps,
  loadQualityQuestions,
  missLines,
  passageAnswers,
  percent,
  qualityTable,
  type QualityFigures,
  type QualityQuestion,
  type QualitySplit,
  type QuestionOutcome,
  runQuality,
  splitOf,
  thresholdFigures,
  type ThresholdFigures,
} from './quality';
