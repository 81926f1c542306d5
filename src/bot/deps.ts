/** What the bot needs, passed in from src/index.ts (tests pass real-but-local parts). */
import type { TurnContext } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Config } from '../config';
import type { EraResponder } from '../era';
import type { CallLogEntry } from '../llm';
import type { JobsDeps } from './job-commands';
import type { Logger } from '../logger';

/** The prompt under tuning: its text per turn, its version per session. */
export interface PromptProvider {
  readonly path: string;
  read(): Promise<{ text: string; sha256: string }>;
  version(): Promise<{ version: string; branch: string | null }>;
}

/** Name and email of a Teams user, looked up from the roster. */
export interface MemberInfo {
  name: string | null;
  email: string | null;
}

/** Looks up the sender in the conversation roster (TeamsInfo.getMember in Teams). */
export interface MemberDirectory {
  lookup(context: TurnContext): Promise<MemberInfo | null>;
}

/** Signs short-lived download links for a session's CSV. */
export interface ExportLinks {
  create(sessionId: string, testerId: string): { url: string; expiresAt: Date };
  /** A link to a prompt-capture export; testerId '*' means every tester's rows (admins). */
  createPrompts(mode: 'retraining' | 'review', parameter: number, testerId: string): { url: string; expiresAt: Date };
}

/** Streams a session's CSV into a Teams file-consent upload URL. */
export type CsvUploader = (sessionId: string, uploadUrl: string) => Promise<void>;
/** The exact byte size of a session's CSV. */
export type CsvSizer = (sessionId: string) => Promise<number>;

export type BotConfig = Pick<
  Config,
  'promptPath' | 'historyTurns' | 'maxMessageChars' | 'maxNoteChars' | 'testerAllowlist' | 'anthropic' | 'streamUpdateIntervalMs' | 'adminAllowlist'
>;

/** A passage found for a question. */
export interface RetrievedPassageLike {
  chunkId: string;
  documentTitle: string;
  section: string | null;
  text: string;
  similarity: number;
}

/** Finds the policy passages for a question (top k above the minimum similarity). */
export interface PassageRetriever {
  retrieve(query: string): Promise<RetrievedPassageLike[]>;
}

/** One model call, for the call log. */
export type ModelCallEntry = CallLogEntry;

/** Records model calls; never throws. */
export interface CallRecorder {
  record(entry: ModelCallEntry): Promise<void>;
}

export interface IntentPrediction {
  intent: string;
  confidence: number;
  source: string;
  ruleName?: string | null;
}

/** The prompt-capture side of a turn: prediction, outcome, correction. Implementations never throw from capture. */
export interface IntentCapture {
  topics: Array<{ id: string; label: string }>;
  classify(text: string, ctx: { sessionId: string; testerId: string }): Promise<IntentPrediction>;
  logPrediction(entry: {
    testerId: string;
    sessionId: string;
    /** Null when ERA failed and no turn was stored (then executionError says why). */
    turnId: string | null;
    messageIndex: number | null;
    prompt: string;
    prediction: IntentPrediction;
    executionError?: string | null;
  }): Promise<unknown>;
  recordOutcome(turnId: string, wasSuccessful: boolean): Promise<unknown>;
  /** The turn's topic as the card shows it, null when none was captured. */
  topicOf(turnId: string): Promise<{ id: string; label: string; confidence: number; source: string; corrected: boolean } | null>;
  /** Stores a tester's correction. Throws InvalidNoteError-like domain errors for an unknown topic. */
  correct(turnId: string, correctedIntent: string, correctedBy: string): Promise<unknown>;
}

export interface BotDeps {
  db: Kysely<Database>;
  config: BotConfig;
  logger: Logger;
  era: EraResponder;
  prompt: PromptProvider;
  members: MemberDirectory;
  exportLinks: ExportLinks;
  uploadCsv: CsvUploader;
  csvSize: CsvSizer;
  /** Policy retrieval; absent: ERA answers without passages. */
  retriever?: PassageRetriever;
  /** The call log; absent: calls are not logged. */
  calls?: CallRecorder;
  /** Intent capture; absent: no topics. */
  intent?: IntentCapture;
  /** Training-data generation jobs; absent: /generate says it is not set up. */
  jobs?: JobsDeps;
  /** `/dashboard`: the text with a sign-in link to the dashboard tab for this tester. */
  dashboard?: (tester: { id: string; name: string | null; email: string | null }) => Promise<string>;
  /** Turns a tuning session into a training conversation (/promote). */
  promote?: (sessionId: string, testerId: string, isAdmin: boolean) => Promise<{ conversationKey: string; conversationNumber: number; turns: number; rewritten: number; flaggedForReview: boolean }>;
}
