export * from './schema';
export { connectDatabase, DatabaseUnreachableError, maskUrl, pingDatabase, type DatabaseHandle, type DatabaseTarget } from './connect';
export { migrateToLatest, migrateDown, appliedMigrations, MigrationError } from './migrate';
export { isDatabaseUnavailable } from './errors';
