/** Placeholder: filled by the issue-3 work. Frozen in time: never import application code here. */
import type { Kysely } from 'kysely';

export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
