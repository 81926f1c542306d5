/** Downloads from the training pages: one conversation in the seed structure, the quality report CSV. */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db';
import { ConversationExportError, exportConversationSeed, qualityReportCsv } from '../../generation';
import { ApiError, FileAnswer } from './http';

/** GET /training/conversations/:number/export — re-importable with `gen seed import`. */
export async function exportConversation(db: Kysely<Database>, number: number): Promise<FileAnswer> {
  try {
    const seed = await exportConversationSeed(db, number);
    const key = seed.training_pairs[0]?.id.replace(/_turn\d+$/, '') ?? `conversation_${String(number)}`;
    return new FileAnswer('application/json; charset=utf-8', `${key}.json`, `${JSON.stringify(seed, null, 2)}\n`);
  } catch (err) {
    if (err instanceof ConversationExportError) throw new ApiError(err.kind === 'not_found' ? 404 : 409, `Conversation ${String(number)} cannot be exported: ${err.message}.`);
    throw err;
  }
}

/** GET /quality/report.csv — the same report as `gen export quality`. */
export async function qualityReport(db: Kysely<Database>): Promise<FileAnswer> {
  const chunks: string[] = [];
  for await (const chunk of qualityReportCsv(db)) chunks.push(typeof chunk === 'string' ? chunk : String(chunk));
  return new FileAnswer('text/csv; charset=utf-8', 'quality-report.csv', chunks.join(''));
}
