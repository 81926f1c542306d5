/** What the bot needs, passed in from src/index.ts (tests pass real-but-local parts). */
import type { TurnContext } from 'botbuilder';
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import type { Config } from '../config';
import type { EraResponder } from '../era';
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
}

/** Streams a session's CSV into a Teams file-consent upload URL. */
export type CsvUploader = (sessionId: string, uploadUrl: string) => Promise<void>;
/** The exact byte size of a session's CSV. */
export type CsvSizer = (sessionId: string) => Promise<number>;

export type BotConfig = Pick<
  Config,
  'promptPath' | 'historyTurns' | 'maxMessageChars' | 'maxNoteChars' | 'testerAllowlist' | 'anthropic'
>;

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
}
