/**
 * The two SQL backends and the few places where they differ. Everything else — schema, queries,
 * stores — is written once against Kysely and runs unchanged on both.
 */
import type { ColumnDataType } from 'kysely';

/** `sqlite` is the embedded default (better-sqlite3); `postgres` is for deployments at scale (pg). */
export type Dialect = 'sqlite' | 'postgres';

/** Byte strings: SQLite's `blob`, PostgreSQL's `bytea`. */
export function bytesType(dialect: Dialect): ColumnDataType {
  return dialect === 'sqlite' ? 'blob' : 'bytea';
}

/**
 * Whether row locks (`FOR UPDATE`, `SKIP LOCKED`) exist. PostgreSQL needs them because
 * transactions on different pool connections run concurrently; SQLite has no such clauses and
 * needs none, because Kysely runs every query and transaction on its single connection in turn.
 */
export function hasRowLocks(dialect: Dialect): boolean {
  return dialect === 'postgres';
}
