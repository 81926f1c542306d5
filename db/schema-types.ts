/** Column types shared by every part of the schema. */
import type { ColumnType } from 'kysely';

/** A JSON value as stored in JSONB. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** JSONB column without a default: read and written as T (the drivers serialise objects). */
export type Jsonb<T> = ColumnType<T, T, T>;
/** JSONB column with a DEFAULT: optional on insert. */
export type JsonbWithDefault<T> = ColumnType<T, T | undefined, T>;
/** TIMESTAMP column (stored and read as UTC), NOT NULL DEFAULT NOW(). */
export type TimestampWithDefault = ColumnType<Date, Date | string | undefined, Date | string>;
/** TIMESTAMP column with DEFAULT NOW() but nullable. */
export type NullableTimestampWithDefault = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** TIMESTAMP column, nullable, no default. */
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
