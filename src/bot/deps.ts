/** What the bot needs, passed in from src/app.ts (tests pass real-but-local parts). */
import type Anthropic from '@anthropic-ai/sdk';
import type { TurnContext } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Config } from '../config';
import type { EraResponder } from '../era';
import type { JobRunner } from '../generation';
import type { AnalysisResult } from '../insights';
import type { Pricing } from '../llm';
import type { Logger } from '../logger';
import type { ReplayRunner, SuggestDeps } from '../insights';
import type { AnonymizeMode } from '../privacy';
import type { CallRecorder, IntentCapture, PassageRetriever, PromptProvider, TurnJudge } from '../tuning';

export type { CallRecorder, IntentCapture, IntentPrediction, PassageRetriever, PromptProvider, RetrievedPassageLike, TopicView } from '../tuning';

/** Name and email of a Teams user, looked up from the roster. */
export interface MemberInfo {
  name: string | null;
  email: string | null;
}

/** Looks up the sender in the conversation roster (TeamsInfo.getMember in Teams). */
export interface MemberDirectory {
  lookup(context: TurnContext): Promise<MemberInfo | null>;
}

/**
 * Signs short-lived download links for a session's CSV and the prompt-capture exports; with an anonymize
 * mode the mode is signed into the link, so its holder cannot drop it.
 */
export interface ExportLinks {
  create(sessionId: string, testerId: string, anonymize: AnonymizeMode | null): { url: string; expiresAt: Date };
  /** A link to a prompt-capture export; testerId '*' means every tester's rows (admins). */
  createPrompts(mode: 'retraining' | 'review', parameter: number, testerId: string, anonymize: AnonymizeMode | null): { url: string; expiresAt: Date };
}

/** Streams a session's CSV (anonymised as asked; REDACT_PII always) into a Teams file-consent upload URL. */
export type CsvUploader = (sessionId: string, uploadUrl: string, anonymize: AnonymizeMode | null) => Promise<void>;
/** The exact byte size of a session's CSV as the upload would send it. */
export type CsvSizer = (sessionId: string, anonymize: AnonymizeMode | null) => Promise<number>;

export type BotConfig = Pick<
  Config,
  'promptPath' | 'historyTurns' | 'maxMessageChars' | 'maxNoteChars' | 'testerAllowlist' | 'anthropic' | 'streamUpdateIntervalMs' | 'streaming' | 'fileConsent' | 'adminAllowlist'
>;

/** Training-data generation jobs from Teams. */
export interface JobsDeps {
  runner: JobRunner;
  pricing: Pricing;
  model: string;
  /** False without an API key: generation needs Claude. */
  online: boolean;
  /** The generation client (null offline): cancels a batch-mode job's batch at Anthropic. */
  client: Anthropic | null;
}

/** A signed download link and when it stops working. */
export interface SignedLink {
  url: string;
  expiresAt: Date;
}

/** The tuning loop in Teams (issue 10): scores on the reply card, /suggest, replays, the bundle. */
export interface InsightsDeps {
  /** 'offline' without an API key: no judge scores, and the cards say so. */
  judgeMode: 'claude' | 'offline';
  suggest: SuggestDeps;
  replays: ReplayRunner;
  links: {
    /** The .patch of one of the tester's suggestions. */
    patch(suggestionId: string, testerId: string): SignedLink;
    /** The LLM-ready bundle of one of the tester's sessions. */
    bundle(sessionId: string, format: 'markdown' | 'json', testerId: string): SignedLink;
    /** The comparison card's full view: every metric and every turn of the tester's replays, as text. */
    comparison(replayIds: readonly string[], testerId: string): SignedLink;
  };
}

/** /promote: a tuning session becomes a training conversation. */
export type Promoter = (
  sessionId: string,
  testerId: string,
  isAdmin: boolean,
) => Promise<{ conversationKey: string; conversationNumber: number; turns: number; rewritten: number; flaggedForReview: boolean }>;

/** Best practices: runs the analysis now (under its lease) for REQUESTED_BY. */
export interface PracticesRunner {
  analyze(requestedBy: string): Promise<AnalysisResult>;
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
  /** `/dashboard`: the text with a sign-in link to the dashboard tab for this tester; absent: not set up. */
  dashboard?: (tester: { id: string; name: string | null; email: string | null }) => Promise<string>;
  /** Turns a tuning session into a training conversation (/promote). */
  promote?: Promoter;
  /** /practices refresh; absent: it says the analysis is not set up. */
  practices?: PracticesRunner;
  /** The judge's queue: each stored turn is scored after its reply is sent. Absent: no judge scores. */
  judge?: TurnJudge;
  /** The tuning loop's commands and cards; absent: /suggest and /replay say it is not set up. */
  insights?: InsightsDeps;
}
