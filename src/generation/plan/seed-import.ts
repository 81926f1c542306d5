/**
 * US-TRAIN-007: imports annotated seed conversations from JSON files. Each file is validated whole,
 * then written in ONE transaction: its conversations (is_seed_example, 'approved'), their turns,
 * emotional context, response strategies, one response_breakdowns row per sentence, and computed
 * quality metrics. A bad file changes nothing; a conversation already in the database (same
 * conversation_id or number) is skipped, except a still-empty 'planned' row from the plan, which
 * is the slot the seed fills.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../../db';
import { GenerationFileError, SeedImportError } from '../errors';
import { loadJsonFile } from './load-json';
import { seedFileSchema } from './seed-schema';
import { groupByConversation, writeConversation } from './seed-write';

export { groupByConversation, writeConversation, type ConversationRowOverrides, type SeedConversationGroup } from './seed-write';

/** Progress after each file, for a CLI line or a log event. */
export interface SeedImportProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  status: 'imported' | 'failed';
  conversationsImported: number;
  conversationsSkipped: number;
  turns: number;
  sentences: number;
  error?: Error;
}

export interface SeedImportSummary {
  files: number;
  filesFailed: number;
  conversationsImported: number;
  conversationsSkipped: number;
  turnsImported: number;
  sentencesImported: number;
  imported: string[];
  skipped: { conversationId: string; file: string; reason: string }[];
  failed: { file: string; error: GenerationFileError | SeedImportError }[];
}

export interface SeedImportOptions {
  onProgress?: (progress: SeedImportProgress) => void;
}

type Trx = Transaction<Database>;

/** Why an existing row blocks this conversation, or null when the seed may take its place. */
async function blocker(trx: Trx, conversationId: string, number: number): Promise<{ reason: string | null; fillId: string | null }> {
  const rows = await trx.selectFrom('training_conversations').select(['id', 'conversation_id', 'conversation_number', 'generation_status'])
    .where((eb) => eb.or([eb('conversation_id', '=', conversationId), eb('conversation_number', '=', number)])).execute();
  if (rows.length === 0) return { reason: null, fillId: null };
  const same = rows.find((r) => r.conversation_id === conversationId);
  const other = rows.find((r) => r.conversation_id !== conversationId);
  if (other) return { reason: `conversation number ${number} already belongs to ${other.conversation_id}`, fillId: null };
  if (same && same.generation_status === 'planned') {
    const turn = await trx.selectFrom('training_turns').select('id').where('conversation_id', '=', same.id).executeTakeFirst();
    if (!turn) return { reason: null, fillId: same.id };
  }
  return { reason: `${conversationId} is already in the database (${same?.generation_status ?? 'unknown status'})`, fillId: null };
}

/**
 * Imports each seed FILE in its own transaction and returns a summary. A file that fails validation
 * or a write is recorded in `failed` (its error names the file and JSON path) and leaves no rows;
 * the other files are still imported. Conversations already present are skipped, so re-running is
 * safe.
 */
export async function importSeeds(db: Kysely<Database>, files: string[], options: SeedImportOptions = {}): Promise<SeedImportSummary> {
  const summary: SeedImportSummary = {
    files: files.length, filesFailed: 0, conversationsImported: 0, conversationsSkipped: 0,
    turnsImported: 0, sentencesImported: 0, imported: [], skipped: [], failed: [],
  };
  for (const [i, file] of files.entries()) {
    const progress: SeedImportProgress = {
      file, fileIndex: i + 1, fileCount: files.length, status: 'imported',
      conversationsImported: 0, conversationsSkipped: 0, turns: 0, sentences: 0,
    };
    const imported: string[] = [];
    const skipped: SeedImportSummary['skipped'] = [];
    try {
      const seed = await loadJsonFile(file, seedFileSchema);
      await db.transaction().execute(async (trx) => {
        for (const group of groupByConversation(seed)) {
          const meta = group.pairs[0].pair.conversation_metadata;
          const { reason, fillId } = await blocker(trx, group.id, meta.conversation_number);
          if (reason) {
            skipped.push({ conversationId: group.id, file, reason });
            continue;
          }
          const written = await writeConversation(trx, file, seed, group, fillId);
          imported.push(group.id);
          progress.turns += written.turns;
          progress.sentences += written.sentences;
        }
      });
      progress.conversationsImported = imported.length;
      progress.conversationsSkipped = skipped.length;
      summary.imported.push(...imported);
      summary.skipped.push(...skipped);
      summary.conversationsImported += imported.length;
      summary.conversationsSkipped += skipped.length;
      summary.turnsImported += progress.turns;
      summary.sentencesImported += progress.sentences;
    } catch (err) {
      if (!(err instanceof GenerationFileError || err instanceof SeedImportError)) throw err;
      // The transaction rolled back: nothing of this file counts.
      progress.status = 'failed';
      progress.turns = 0;
      progress.sentences = 0;
      progress.error = err;
      summary.filesFailed += 1;
      summary.failed.push({ file, error: err });
    }
    options.onProgress?.(progress);
  }
  return summary;
}
