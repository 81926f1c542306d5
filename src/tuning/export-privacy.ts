/**
 * Spec 004's privacy for the session CSV, wherever it goes (the signed download, the OneDrive upload,
 * the size on the file-consent card): REDACT_PII always, and an anonymize mode when the tester asked
 * for one (`/export … anonymize`). One place decides, so the three cannot disagree.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db';
import { type AnonymizeMode, createAnonymizer, type PiiKind, rememberKnownTesters } from '../privacy';

/** The deployment's privacy settings for exports. */
export interface ExportPrivacy {
  /** REDACT_PII: the kinds redacted from every export's text. */
  redact: readonly PiiKind[];
  /** The pseudonym key (ANONYMIZE_SECRET, else the export signing secret). */
  anonymizeSecret: string;
}

/** A text cell as the export writes it. */
export type ExportText = (value: string) => string;

/**
 * What to apply to every text cell of an export made with MODE (null: none), or undefined when the text
 * goes out as stored (no mode, nothing to redact). With a mode, every tester the database knows is
 * learnt first, so their ids, e-mails and names are scrubbed wherever they appear in the text.
 */
export async function exportTextFilter(db: Kysely<Database>, privacy: ExportPrivacy | undefined, mode: AnonymizeMode | null): Promise<ExportText | undefined> {
  const anonymizer = createAnonymizer({ anonymize: mode, secret: privacy?.anonymizeSecret ?? '', redact: privacy?.redact ?? [] });
  if (!anonymizer.changesText) return undefined;
  await rememberKnownTesters(db, anonymizer);
  return (value) => anonymizer.text(value);
}

/** A mode read from a value that round-tripped through a client (a card's context): null unless valid. */
export function anonymizeModeOf(value: unknown): AnonymizeMode | null {
  return value === 'strip' || value === 'pseudonymize' ? value : null;
}
