/** Typed errors of retention and restore. */
import { AppError } from '../errors';

/** Base of the retention folder's errors: what went wrong, in words an operator can act on. */
export class RetentionError extends AppError {
  constructor(readonly userMessage: string, options?: { cause?: unknown }) {
    super(userMessage, options);
  }
}

/** An archive table no longer matches its source table (a column was added to one only). */
export class ArchiveSchemaError extends RetentionError {}

/** The session to restore is not in the archive (or the id is ambiguous, or it is live). */
export class RestoreError extends RetentionError {}

/** Another run holds the retention lease. */
export class RetentionBusyError extends RetentionError {}
