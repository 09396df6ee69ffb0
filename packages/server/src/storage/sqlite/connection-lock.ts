/**
 * Who holds the server's SQLite connection: Kysely's queries (through {@link LockedSqliteDialect})
 * and the mailbox group commits (mailbox-store.ts), which hold it for a whole batch — on the
 * writer thread too, so that the event loop's own statements wait for a batch asynchronously
 * instead of meeting the writer thread's lock in SQLite's busy handler, which sleeps on the event
 * loop (sqlite-writer.ts).
 *
 * Kysely's own connection mutex is only reached several `await`s deep, so a batch that waited
 * for it was handed to the writer thread only after every microtask queued before its turn — and
 * the group commit answers the last batch's callers right after asking for the next one
 * (group-commit.ts): about a thousand answers (pushes, `sent` frames) under bench:server, for
 * which the writer thread sat idle, p50 4.7 ms a batch against 13–19 ms to write one
 * (docs/benchmarks.md). A free lock is taken here at once, in the caller's own call, so the next
 * batch is on its way before the first answer runs. Batches on the writer thread share the lock
 * (the thread is given two at a time), and waiters are served in arrival order, so back-to-back
 * batches cannot starve the event loop's statements, nor they the batches.
 *
 * @example
 * ```ts
 * const lock = new ConnectionLock();
 * const db = new Kysely<Schema>({ dialect: new LockedSqliteDialect({ database: sqlite }, lock) });
 * await lock.run(() => writer.write(ops)); // db's queries wait until the batch has committed
 * ```
 */
import { type DatabaseConnection, SqliteDialect, type SqliteDialectConfig, SqliteDriver } from 'kysely';

export class ConnectionLock {
  /** How many hold it: none, one alone, or any number together ({@link share}). */
  #holders = 0;
  #shared = false;
  readonly #waiters: { readonly shared: boolean; readonly go: () => void }[] = [];

  /**
   * Runs `fn` holding the lock alone, and releases it once `fn`'s promise settles. If the lock is
   * free, `fn` is called before `run` returns; otherwise after everyone who asked before.
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#holding(false, fn);
  }

  /**
   * {@link run}, but together with others that share it: mailbox batches on the writer thread,
   * which queues them and writes them one after another. A call joins those holding it at once,
   * unless someone is waiting: then it waits behind them, so that sharers cannot keep the lock
   * from the event loop's statements for good.
   */
  share<T>(fn: () => Promise<T>): Promise<T> {
    return this.#holding(true, fn);
  }

  /** Resolves once the lock is this caller's (alone); {@link release} gives it back. */
  acquire(): Promise<void> {
    return this.#take(false) ? Promise.resolve() : this.#wait(false);
  }

  /**
   * Gives back one hold; the last one hands the lock to the longest waiter (and to the sharers
   * right behind it, if it shares).
   */
  release(): void {
    if (--this.#holders > 0) return;
    const next = this.#waiters.shift();
    if (next === undefined) return;
    this.#holders = 1;
    this.#shared = next.shared;
    next.go();
    while (next.shared && this.#waiters[0]?.shared) {
      this.#holders++;
      this.#waiters.shift()?.go();
    }
  }

  #take(shared: boolean): boolean {
    const free = this.#holders === 0 || (shared && this.#shared && this.#waiters.length === 0);
    if (!free) return false;
    this.#holders++;
    this.#shared = shared;
    return true;
  }

  #wait(shared: boolean): Promise<void> {
    return new Promise((go) => this.#waiters.push({ shared, go }));
  }

  #holding<T>(shared: boolean, fn: () => Promise<T>): Promise<T> {
    const call = (): Promise<T> => {
      let result: Promise<T>;
      try {
        result = fn();
      } catch (e) {
        this.release();
        return Promise.reject(e);
      }
      return result.finally(() => this.release());
    };
    return this.#take(shared) ? call() : this.#wait(shared).then(call);
  }
}

/** Kysely's SQLite dialect whose queries hold a {@link ConnectionLock} for as long as they hold the connection. */
export class LockedSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #lock: ConnectionLock;

  constructor(config: SqliteDialectConfig, lock: ConnectionLock) {
    super(config);
    this.#config = config;
    this.#lock = lock;
  }

  override createDriver(): SqliteDriver {
    return new LockedSqliteDriver(this.#config, this.#lock);
  }
}

class LockedSqliteDriver extends SqliteDriver {
  readonly #lock: ConnectionLock;

  constructor(config: SqliteDialectConfig, lock: ConnectionLock) {
    super(config);
    this.#lock = lock;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#lock.acquire();
    try {
      return await super.acquireConnection();
    } catch (e) {
      this.#lock.release();
      throw e;
    }
  }

  override async releaseConnection(): Promise<void> {
    try {
      await super.releaseConnection();
    } finally {
      this.#lock.release();
    }
  }
}
