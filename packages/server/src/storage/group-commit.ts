/**
 * Group commit: write operations that arrive while a transaction is being written are queued and
 * then run together, in one transaction per batch, so one commit (one fsync on SQLite) covers
 * many of them. Each operation's promise settles only after the transaction holding it has
 * committed, so "resolved" still means "on disk" — batching changes the cost, not the promise.
 *
 * An operation may refuse with a {@link StorageError} other than `dependency` (an unknown or full
 * mailbox, say): that fails it alone, and the rest of its batch commits. Such a refusal must be
 * decided before the operation writes anything, since its writes are not rolled back separately.
 * Any other error — the database failing — fails every operation of the batch, none of which is
 * stored.
 *
 * Every operation comes in two forms that must do the same: one for a Kysely transaction, and
 * one that runs synchronously on SQLite's connection. On SQLite the whole batch runs in one
 * synchronous transaction, with no turn of the event loop between statements: through Kysely's
 * asynchronous path each statement cost about as much again as SQLite's own work (a store-level
 * measurement: ~60 µs against ~25 µs per delivery and acknowledgement). The batch still waits
 * for Kysely's connection first, so it never runs inside another transaction.
 *
 * @example
 * ```ts
 * const commits = new GroupCommit(database);
 * const n = await commits.run({
 *   inTransaction: (trx) => ackQuery.execute(trx, [id, seq]).then((r) => Number(r.numAffectedRows)),
 *   inSqlite: (sqlite) => sqlite.prepare(ackQuery.sql).run(ackQuery.parameters([id, seq])).changes,
 * });
 * ```
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Transaction } from 'kysely';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import type { Schema } from './schema.ts';

/** The most operations written in one group-commit transaction. */
export const MAX_BATCH = 1024;

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** One operation of a batch, in both forms (see the module comment). */
export interface BatchOp<T> {
  /** Inside the batch's Kysely transaction (PostgreSQL). */
  readonly inTransaction: (trx: Transaction<Schema>) => Promise<T>;
  /** Synchronously on SQLite's connection, inside the batch's transaction. */
  readonly inSqlite: (sqlite: BetterSqlite3.Database) => T;
}

interface Pending {
  readonly op: BatchOp<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommit {
  readonly #database: Database;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  #flushing = false;

  constructor(database: Database, maxBatch = MAX_BATCH) {
    this.#database = database;
    this.#maxBatch = maxBatch;
  }

  /** Runs `op` inside the next batch's transaction; settles once that transaction committed. */
  run<T>(op: BatchOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // After the current I/O callbacks: whatever else arrived with them joins the batch.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      let outcomes: Outcome[];
      try {
        outcomes = await storageOp('dependency', () => this.#write(batch));
      } catch (error) {
        for (const item of batch) item.reject(error);
        continue;
      }
      batch.forEach((item, i) => {
        const o = outcomes[i];
        if (o?.ok) item.resolve(o.value);
        else item.reject(o?.error);
      });
    }
    this.#flushing = false;
  }

  /** One transaction for the batch; throws (rolled back) if any operation fails the whole batch. */
  async #write(batch: readonly Pending[]): Promise<Outcome[]> {
    const { db, sqlite } = this.#database;
    if (sqlite !== null) {
      return db.connection().execute(async () =>
        // IMMEDIATE: the write lock from the start, so no other connection's writer can make
        // this transaction fail halfway (a deferred one would upgrade after its first read).
        sqlite.transaction(() => batch.map((item) => outcomeOf(() => item.op.inSqlite(sqlite)))).immediate(),
      );
    }
    return db.transaction().execute(async (trx) => {
      const outcomes: Outcome[] = [];
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: await item.op.inTransaction(trx) });
        } catch (error) {
          outcomes.push(refusal(error));
        }
      }
      return outcomes;
    });
  }
}

function outcomeOf(work: () => unknown): Outcome {
  try {
    return { ok: true, value: work() };
  } catch (error) {
    return refusal(error);
  }
}

/** An operation's own refusal (its outcome), or rethrown: an error that fails the whole batch. */
function refusal(error: unknown): Outcome {
  if (!StorageError.is(error) || error.code === 'dependency') throw error;
  return { ok: false, error };
}
