/**
 * A {@link RecordStore} in one SQLite file (better-sqlite3), the Node client's default.
 *
 * Layout: one table `records(kind TEXT, id TEXT, value BLOB, PRIMARY KEY (kind, id)) WITHOUT
 * ROWID`, so a record lives in the primary-key b-tree itself and `list` is a range scan in id
 * order. `PRAGMA user_version` holds the schema version and `PRAGMA application_id` marks the file
 * as Parley's; a file of a newer schema, or someone else's database, is refused as
 * `store-corrupt` rather than written to.
 *
 * Durability (what a resolved `commit` survives): WAL journal with `synchronous=FULL`, so every
 * commit fsyncs the write-ahead log before it returns; a resolved commit survives `kill -9` and —
 * on a disk that honours fsync — power loss, like the server's SQLite (server/src/storage).
 * `secure_delete` overwrites the bytes of deleted and replaced records in the database file (old
 * copies can remain in the WAL until the next checkpoint, and on the medium itself).
 *
 * Ordering: ids are printable ASCII (names.ts), for which SQLite's BINARY collation (UTF-8 bytes)
 * and JS string order (UTF-16 code units) agree, so `ORDER BY id` lists exactly what
 * {@link MemoryRecordStore} lists.
 *
 * Privacy on disk: `open` creates missing directories with mode 0700 and the database with mode
 * 0600; SQLite creates the `-wal` and `-shm` files with the database file's mode. Values are
 * whatever the caller gives; wrap this store in an `EncryptedRecordStore` for encryption at rest.
 *
 * Concurrency: SQLite's file locks keep a second process from corrupting the file; a writer waits
 * up to `busyTimeoutMs` for another's lock. Calls are synchronous under the hood (better-sqlite3):
 * each one blocks the event loop for its duration, fsync included.
 *
 * @example
 * ```ts
 * const store = await SqliteRecordStore.open(join(profileDir, 'store.sqlite'));
 * await store.commit([{ kind: 'message', id: '0001k3', value: sealed }]);
 * await store.close();
 * ```
 */
import { chmodSync, closeSync, existsSync, fchmodSync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ClientError } from '../../errors.ts';
import { checkId, checkKind, checkListOptions, checkWrites, closedError } from '../../store/names.ts';
import type { ListOptions, RecordStore, RecordWrite, StoredRecord } from '../../store/record-store.ts';

/** The schema this code writes; a file with a larger `user_version` is refused. */
export const SQLITE_SCHEMA_VERSION = 1;
/** `PRAGMA application_id` of a Parley store: 'Prly' in ASCII. */
export const SQLITE_APPLICATION_ID = 0x50726c79;

export interface SqliteOpenOptions {
  /** How long a call waits for another process's lock before failing. Default 5000. */
  readonly busyTimeoutMs?: number;
}

interface Row {
  readonly id: string;
  readonly value: Uint8Array;
}

/** Owner-only modes: directories we create, the database and its WAL/SHM files. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export class SqliteRecordStore implements RecordStore {
  readonly #db: BetterSqlite3.Database;
  readonly #get: BetterSqlite3.Statement<[string, string], Uint8Array>;
  readonly #list: Record<'asc' | 'ascAfter' | 'desc' | 'descAfter', BetterSqlite3.Statement<unknown[], Row>>;
  readonly #apply: (writes: readonly RecordWrite[]) => void;
  #closed = false;

  /**
   * Opens (creating if needed) the store at `path`: parent directories with mode 0700, the file
   * with mode 0600, the schema checked or created. Throws `ClientError`: `store-corrupt` when the
   * file is not a Parley store or has a newer schema, `usage` when it cannot be created or opened.
   */
  static async open(path: string, options: SqliteOpenOptions = {}): Promise<SqliteRecordStore> {
    if (typeof path !== 'string' || path === '' || path === ':memory:' || path.startsWith('file:')) {
      throw new ClientError('usage', 'The local store needs a file path (use MemoryRecordStore for memory).');
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!(Number.isSafeInteger(busyTimeoutMs) && busyTimeoutMs >= 0)) {
      throw new ClientError('usage', 'busyTimeoutMs must be a non-negative integer.');
    }
    createPrivateFile(path);
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new BetterSqlite3(path);
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
        throw new ClientError('internal', 'The local store could not switch to write-ahead logging.');
      }
      db.pragma('synchronous = FULL');
      db.pragma('secure_delete = ON');
      migrate(db);
      const store = new SqliteRecordStore(db);
      for (const suffix of ['-wal', '-shm']) tightenMode(path + suffix);
      return store;
    } catch (e) {
      db?.close();
      throw storeError(e);
    }
  }

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#get = db.prepare<[string, string], Uint8Array>('SELECT value FROM records WHERE kind = ? AND id = ?').pluck();
    const select = 'SELECT id, value FROM records WHERE kind = ?';
    this.#list = {
      asc: db.prepare(`${select} ORDER BY id ASC LIMIT ?`),
      ascAfter: db.prepare(`${select} AND id > ? ORDER BY id ASC LIMIT ?`),
      desc: db.prepare(`${select} ORDER BY id DESC LIMIT ?`),
      descAfter: db.prepare(`${select} AND id < ? ORDER BY id DESC LIMIT ?`),
    };
    const put = db.prepare<[string, string, Uint8Array], void>(
      'INSERT INTO records (kind, id, value) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET value = excluded.value',
    );
    const del = db.prepare<[string, string], void>('DELETE FROM records WHERE kind = ? AND id = ?');
    const apply = db.transaction((writes: readonly RecordWrite[]) => {
      for (const w of writes) {
        if (w.value === null) del.run(w.kind, w.id);
        else put.run(w.kind, w.id, w.value);
      }
    });
    // IMMEDIATE takes the write lock up front, so the batch waits (busy_timeout) rather than fails.
    this.#apply = (writes) => apply.immediate(writes);
  }

  async get(kind: string, id: string): Promise<Uint8Array | undefined> {
    this.#checkOpen();
    checkKind(kind);
    checkId(id);
    const value = this.#run(() => this.#get.get(kind, id));
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async list(kind: string, options?: ListOptions): Promise<StoredRecord[]> {
    this.#checkOpen();
    checkKind(kind);
    const { after, limit, reverse } = checkListOptions(options);
    if (limit === 0) return [];
    const sqlLimit = limit ?? -1; // SQLite: a negative LIMIT means no limit.
    const rows = this.#run(() =>
      after === undefined
        ? this.#list[reverse ? 'desc' : 'asc'].all(kind, sqlLimit)
        : this.#list[reverse ? 'descAfter' : 'ascAfter'].all(kind, after, sqlLimit),
    );
    // better-sqlite3 returns Buffers; hand out plain Uint8Array copies.
    return rows.map((r) => ({ id: r.id, value: new Uint8Array(r.value) }));
  }

  async commit(writes: readonly RecordWrite[]): Promise<void> {
    this.#checkOpen();
    checkWrites(writes);
    if (writes.length === 0) return;
    this.#run(() => this.#apply(writes));
  }

  /** Closes the database (checkpointing the WAL when this is the last connection). Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#run(() => this.#db.close());
  }

  #checkOpen(): void {
    if (this.#closed) throw closedError();
  }

  #run<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw storeError(e);
    }
  }
}

/** Creates or checks the schema in one IMMEDIATE transaction, so two first openers cannot race. */
function migrate(db: BetterSqlite3.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const objects = db.prepare<[], number>('SELECT count(*) FROM sqlite_schema').pluck().get() ?? 0;
    if (version === 0 && applicationId === 0 && objects === 0) {
      db.exec(
        'CREATE TABLE records (kind TEXT NOT NULL, id TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID',
      );
      db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      return;
    }
    if (applicationId !== SQLITE_APPLICATION_ID) {
      throw new ClientError('store-corrupt', 'This file is not a Parley store. Check the profile path.');
    }
    if (version > SQLITE_SCHEMA_VERSION) {
      throw new ClientError(
        'store-corrupt',
        'The local store was written by a newer version of Parley. Update Parley and try again.',
      );
    }
    const table = db
      .prepare<[], number>("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'records'")
      .pluck()
      .get();
    if (version !== SQLITE_SCHEMA_VERSION || table !== 1) {
      throw new ClientError('store-corrupt', 'The local store is damaged: its schema is missing or unknown.');
    }
  }).immediate();
}

/**
 * Makes sure `path` exists as an owner-only file (and its missing parent directories owner-only),
 * before SQLite opens it: SQLite then gives the WAL and SHM files the same mode.
 */
function createPrivateFile(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE });
    const fd = openSync(path, 'a', FILE_MODE);
    try {
      if ((fstatSync(fd).mode & 0o777) !== FILE_MODE) fchmodSync(fd, FILE_MODE);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new ClientError(
      'usage',
      'The local store file cannot be created or opened. Check the profile path and its permissions.',
      { cause: e },
    );
  }
}

/** Removes group/other access from a file SQLite created, if it exists (best effort). */
function tightenMode(path: string): void {
  try {
    if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, FILE_MODE);
  } catch {
    // Best effort: the file may have just been removed by another connection's checkpoint.
  }
}

/** Maps driver failures to `ClientError`s; the driver's error stays as `cause` (no values in it). */
function storeError(e: unknown): unknown {
  if (e instanceof ClientError || !(e instanceof BetterSqlite3.SqliteError)) return e;
  const code = e.code;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new ClientError('store-corrupt', 'The local store file is damaged or is not a Parley store.', { cause: e });
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM') {
    return new ClientError(
      'store-io',
      'The local store file cannot be opened for writing. Check the profile path and its permissions.',
      { cause: e },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new ClientError(
      'store-busy',
      'Another Parley process kept the local store locked for too long. Close it and try again.',
      { cause: e },
    );
  }
  if (code === 'SQLITE_FULL') {
    return new ClientError('store-io', 'The disk is full, so the local store could not be written. Free some space.', {
      cause: e,
    });
  }
  return new ClientError('store-io', 'The local store could not be read or written. Check the disk and try again.', {
    cause: e,
  });
}
