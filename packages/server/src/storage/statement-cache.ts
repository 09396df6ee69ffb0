/**
 * A prepared-statement cache for SQLite. Kysely's SQLite driver calls `prepare(sql)` for every
 * query it runs, and better-sqlite3 compiles the SQL anew each time (7.5% of the server's time
 * under bench:server). The queries the stores build have a handful of distinct SQL texts — values
 * are always bound parameters — so this hands Kysely the same compiled statement for the same
 * text. Bounded, least recently used out first: texts that vary (an `in (?, ?, …)` list of
 * different lengths) cannot grow it without limit.
 *
 * Reusing a statement is safe here because Kysely runs one query at a time on SQLite's single
 * connection, and runs it to completion (`all` or `run`) before the next.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept compiled. */
export const MAX_CACHED_STATEMENTS = 256;

export function cachingStatements(sqlite: BetterSqlite3.Database, max = MAX_CACHED_STATEMENTS): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql: string): SqliteStatement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (statements.size >= max) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
      } else {
        statements.delete(sql); // re-inserted below: Map order is recency order
      }
      statements.set(sql, statement);
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
