/**
 * The two SQL backends and the few places where they differ. Everything else — schema, queries,
 * stores — is written once against Kysely and runs unchanged on both.
 */
import type { ColumnDataType, ColumnDefinitionBuilder } from 'kysely';

/** `sqlite` is the embedded default (better-sqlite3); `postgres` is for deployments at scale (pg). */
export type Dialect = 'sqlite' | 'postgres';

/** Byte strings: SQLite's `blob`, PostgreSQL's `bytea`. */
export function bytesType(dialect: Dialect): ColumnDataType {
  return dialect === 'sqlite' ? 'blob' : 'bytea';
}

/**
 * An auto-incrementing 64-bit integer primary key: values only ever increase and are never
 * reused, even after the newest row is deleted. SQLite: `integer primary key autoincrement` (a
 * rowid alias; `AUTOINCREMENT` is what rules out reuse). PostgreSQL: `bigint generated always as
 * identity`, so that an explicit value cannot be inserted past the sequence. Either way, inserts
 * leave the column out and read the value back with `RETURNING`.
 *
 * @example
 * ```ts
 * const seq = serialPrimaryKey(dialect);
 * db.schema.createTable('t').addColumn('seq', seq.type, seq.build)
 * ```
 */
export function serialPrimaryKey(dialect: Dialect): {
  readonly type: ColumnDataType;
  readonly build: (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
} {
  return dialect === 'sqlite'
    ? { type: 'integer', build: (c) => c.notNull().primaryKey().autoIncrement() }
    : { type: 'bigint', build: (c) => c.notNull().primaryKey().generatedAlwaysAsIdentity() };
}

/**
 * Whether row locks (`FOR UPDATE`, `SKIP LOCKED`) exist. PostgreSQL needs them because
 * transactions on different pool connections run concurrently; SQLite has no such clauses and
 * needs none, because Kysely runs every query and transaction on its single connection in turn.
 */
export function hasRowLocks(dialect: Dialect): boolean {
  return dialect === 'postgres';
}
