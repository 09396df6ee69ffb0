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
 * @example
 * ```ts
 * const commits = new GroupCommit(database);
 * const n = await commits.run((trx) => trx.deleteFrom('t').where('id', '=', 1).executeTakeFirst());
 * ```
 */
import type { Transaction } from 'kysely';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import type { Schema } from './schema.ts';

/** The most operations written in one group-commit transaction. */
export const MAX_BATCH = 1024;

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface Pending {
  readonly work: (trx: Transaction<Schema>) => Promise<unknown>;
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

  /** Runs `work` inside the next batch's transaction; settles once that transaction committed. */
  run<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
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
      const outcomes: Outcome[] = [];
      try {
        await storageOp('dependency', () =>
          this.#database.db.transaction().execute(async (trx) => {
            outcomes.length = 0;
            for (const item of batch) {
              try {
                outcomes.push({ ok: true, value: await item.work(trx) });
              } catch (error) {
                if (!StorageError.is(error) || error.code === 'dependency') throw error;
                outcomes.push({ ok: false, error });
              }
            }
          }),
        );
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
}
