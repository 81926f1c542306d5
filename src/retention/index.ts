/** Retention and archive of tuning sessions and their records (spec 000, spec 004), and restore. */
export { ArchiveSchemaError, RestoreError, RetentionBusyError, RetentionError } from './errors';
export { ARCHIVED_TABLES, checkedColumnLists } from './archive-tables';
export { countRetention, DEFAULT_BATCH_SESSIONS, runRetention, type RetentionCounts, type RetentionOptions, type RetentionResult } from './retention';
export { restoreArchivedSession } from './restore';
export { runRetentionExclusive, startRetentionSchedule, RETENTION_LEASE, type RetentionSchedule } from './schedule';
