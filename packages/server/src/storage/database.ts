/**
 * Opening the server's database: the embedded SQLite default or PostgreSQL, chosen by URL, with
 * every migration applied before the handle is returned.
 *
 * Durability (what an acknowledged write survives):
 * - SQLite runs in WAL mode with `synchronous=FULL`: every commit fsyncs the write-ahead log
 *   before it returns, so a committed transaction survives `kill -9` of the server and — on a
 *   disk that honours fsync — power loss. (`NORMAL` would survive `kill -9` but could lose the
 *   last commits on power loss.)
 * - PostgreSQL commits are durable under its defaults (`fsync=on`, `synchronous_commit=on`); the
 *   guarantee is the cluster's configuration, which the operator owns.
 *
 * @example
 * ```ts
 * const database = await openDatabase('sqlite:/var/lib/parley/parley.db');
 * const accounts = new SqlAccountStore(database);
 * await database.close();
 * ```
 */
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Dialect } from './dialect.ts';
import { StorageError } from './errors.ts';
import { migrations } from './migrations.ts';
import type { Schema } from './schema.ts';
import { ConnectionLock, LockedSqliteDialect } from './sqlite/connection-lock.ts';
import { openSqliteConnection } from './sqlite/sqlite-connection.ts';
import { SqliteWriter } from './sqlite/sqlite-writer.ts';
import { startCheckpointer } from './sqlite/wal-checkpointer.ts';
import { cachingStatements } from './statement-cache.ts';

/** An open database: the typed query builder, which backend it is, and how to close it. */
export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: Dialect;
  /**
   * SQLite: the connection under `db`, for the hot batches that run synchronously on it (see
   * group-commit.ts), and its `lock`, which `db`'s queries take and a mailbox batch holds while
   * it is written, on the writer thread too (connection-lock.ts); the connection only while
   * holding the lock. `null` on PostgreSQL.
   */
  readonly sqlite: { readonly connection: BetterSqlite3.Database; readonly lock: ConnectionLock } | null;
  /** SQLite in a file, if asked for: the thread that writes mailbox batches (sqlite-writer.ts). */
  readonly writer: SqliteWriter | null;
  /** Closes the connection (SQLite) or ends the pool (PostgreSQL). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Where the data lives: `sqlite:PATH` (`sqlite::memory:` for a throw-away database;
 * `sqlite://PATH` is accepted too), `postgres://…` / `postgresql://…` (a libpq-style connection
 * URL), or `{ sqlitePath }`.
 */
export type DatabaseTarget = string | { readonly sqlitePath: string };

export interface OpenOptions {
  /** SQLite: how long a writer waits for another process's lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** PostgreSQL: the most connections the pool opens. Default 10. */
  readonly poolSize?: number;
  /** PostgreSQL: how long to wait for a new connection before failing. Default 10000. */
  readonly connectTimeoutMs?: number;
  /**
   * SQLite in a file: checkpoint the write-ahead log on a thread of its own rather than inside
   * commits on the event loop (see wal-checkpointer.ts). Default false. The server turns it on.
   */
  readonly checkpointThread?: boolean;
  /**
   * SQLite in a file: write mailbox batches (deliveries and acknowledgements) on a thread of
   * their own, with its own connection (see sqlite-writer.ts). Default false. The server turns
   * it on.
   */
  readonly writerThread?: boolean;
}

type Parsed = { readonly dialect: 'sqlite'; readonly path: string } | { readonly dialect: 'postgres'; url: string };

function parseTarget(target: DatabaseTarget): Parsed {
  if (typeof target !== 'string') return { dialect: 'sqlite', path: target.sqlitePath };
  if (/^postgres(ql)?:\/\//i.test(target)) return { dialect: 'postgres', url: target };
  const sqlite = /^sqlite:(?:\/\/)?(.+)$/i.exec(target);
  if (sqlite?.[1]) return { dialect: 'sqlite', path: sqlite[1] };
  throw new StorageError('usage', 'database URL must start with sqlite: or postgres://');
}

/** Opens (creating if needed) and migrates the database at `target`. */
export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  const parsed = parseTarget(target);
  let db: Kysely<Schema>;
  let sqlite: Database['sqlite'] = null;
  try {
    if (parsed.dialect === 'sqlite') {
      sqlite = { connection: openSqliteConnection(parsed.path, sqliteSettings(options)), lock: new ConnectionLock() };
      const database = cachingStatements(sqlite.connection);
      db = new Kysely<Schema>({ dialect: new LockedSqliteDialect({ database }, sqlite.lock) });
    } else db = openPostgres(parsed.url, options);
  } catch (e) {
    throw new StorageError('dependency', 'could not open the database', { cause: e });
  }
  await migrate(db, parsed.dialect);
  const inFile = parsed.dialect === 'sqlite' && parsed.path !== ':memory:';
  const checkpointer = inFile && options.checkpointThread === true ? startCheckpointer(parsed.path) : null;
  const writer =
    inFile && options.writerThread === true ? new SqliteWriter(parsed.path, sqliteSettings(options)) : null;
  let closing: Promise<void> | undefined;
  return {
    db,
    dialect: parsed.dialect,
    sqlite,
    writer,
    close: () => {
      closing ??= (async () => {
        await writer?.close();
        await checkpointer?.stop();
        await db.destroy();
      })();
      return closing;
    },
  };
}

function sqliteSettings(options: OpenOptions) {
  return { busyTimeoutMs: options.busyTimeoutMs ?? 5000, checkpointThread: options.checkpointThread === true };
}

/**
 * pg returns `bigint` (int8) columns and `count(*)` as strings, because they may exceed 2^53.
 * Ours never do (u32 ids, millisecond timestamps, row counts), so this pool — and only this pool,
 * not pg's global parser table — reads them as numbers, as better-sqlite3 does.
 */
function numericInt8(): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  types.setTypeParser(pg.types.builtins.INT8, Number);
  return types;
}

function openPostgres(url: string, options: OpenOptions): Kysely<Schema> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // pg waits forever by default; a server that drops packets would hang startup and requests.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    types: numericInt8(),
  });
  // An idle connection that drops is discarded by the pool and replaced on the next query, which
  // reports any lasting failure itself; without a listener the 'error' event would crash Node.
  pool.on('error', () => {});
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Applies pending migrations. Kysely records them in `kysely_migration` and serialises
 * concurrent migrators through `kysely_migration_lock`, so opening the same database twice, or
 * from two servers at once, applies each migration exactly once. A database migrated by a newer
 * server (one with migrations this build does not know) is refused.
 */
async function migrate(db: Kysely<Schema>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations(dialect) } });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    await db.destroy().catch(() => {});
    throw new StorageError('dependency', 'could not migrate the database', { cause: error });
  }
}
