/** /export's service side: which session, whether it has anything to export, and the file-consent upload. */
import type { Kysely } from 'kysely';
import type { Database, Session } from '../../db';
import type { AnonymizeMode } from '../privacy';
import { EmptySessionError } from './errors';
import { exportFileName } from './export-csv';
import { anonymizeModeOf } from './export-privacy';
import { ExportUploadError } from './export-upload';
import { resolveTesterSession } from './sessions';
import { sessionStats } from './stats';

export interface SessionExport {
  session: Session;
  turns: number;
  notes: number;
  fileName: string;
  /** How tester identities are anonymised in the file; null: as stored. */
  anonymize: AnonymizeMode | null;
}

/**
 * The tester's session to export (REF, or the open or latest one), anonymised with ANONYMIZE when given.
 * Throws EmptySessionError when it has no turns.
 */
export async function prepareSessionExport(db: Kysely<Database>, testerId: string, ref: string | null, anonymize: AnonymizeMode | null = null): Promise<SessionExport> {
  const session = await resolveTesterSession(db, testerId, ref ?? undefined);
  const stats = await sessionStats(db, session.id);
  if (stats.totalTurns === 0) throw new EmptySessionError(session.id);
  return { session, turns: stats.totalTurns, notes: stats.totalImprovements, fileName: exportFileName(session.id, session.session_start, anonymize), anonymize };
}

/**
 * The tester accepted the file-consent card: the session named in its context (which round-trips through
 * the client, so it is checked to still be the tester's) is streamed to the upload URL Teams gave, anonymised
 * as the context says (anything but a known mode: as stored, which is what the tester may download anyway).
 */
export async function uploadConsentedCsv(
  db: Kysely<Database>,
  testerId: string,
  consent: { sessionId: unknown; uploadUrl: string | undefined; anonymize?: unknown },
  upload: (sessionId: string, uploadUrl: string, anonymize: AnonymizeMode | null) => Promise<void>,
): Promise<void> {
  const session = await resolveTesterSession(db, testerId, typeof consent.sessionId === 'string' ? consent.sessionId : '-');
  if (!consent.uploadUrl) throw new ExportUploadError('file consent accepted without an upload URL');
  await upload(session.id, consent.uploadUrl, anonymizeModeOf(consent.anonymize));
}
