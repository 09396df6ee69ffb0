/**
 * Group commit: write operations that arrive while a transaction is being written are queued and
 * then written together, in one transaction per batch, so one commit (one fsync on SQLite) covers
 * many of them. Each operation's promise settles only after the transaction holding it has
 * committed, so "resolved" still means "on disk" — batching changes the cost, not the promise.
 *
 * An operation may refuse with a {@link StorageError} other than `dependency` (an unknown or full
 * mailbox, say): that fails it alone, and the rest of its batch commits. Such a refusal must be
 * decided before the operation writes anything, since its writes are not rolled back separately.
 * Any other error — the database failing — fails every operation of the batch, none of which is
 * stored.
 *
 * Operations are data; a {@link BatchWriter} writes a batch of them in one transaction wherever
 * that runs (mailbox-store.ts has three: a Kysely transaction, SQLite's connection on the event
 * loop, and a writer thread). One batch is written at a time.
 *
 * @example
 * ```ts
 * const commits = new GroupCommit<number, number>({
 *   write: (ids) => database.db.transaction().execute((trx) =>
 *     applyEachAsync(ids, async (id) => Number((await trx.deleteFrom('t').where('id', '=', id).executeTakeFirst()).numDeletedRows)),
 *   ),
 * });
 * const deleted = await commits.run(1);
 * ```
 */
import { translateError } from './driver-errors.ts';
import { StorageError } from './errors.ts';

/** The most operations written in one group-commit transaction. */
export const MAX_BATCH = 1024;

/** What became of one operation of a committed batch. */
export type Outcome<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: StorageError };

export interface BatchWriter<Op, R> {
  /**
   * Writes `ops` in one transaction and returns their outcomes in order once it has committed,
   * or throws (nothing of the batch stored).
   */
  write(ops: readonly Op[]): Promise<Outcome<R>[]>;
}

interface Pending<Op, R> {
  readonly op: Op;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export interface GroupCommitOptions {
  /** The most operations in one batch (default {@link MAX_BATCH}). */
  readonly maxBatch?: number;
  /** Called after each batch that committed: its size, and how long writing it took. */
  readonly onBatch?: (operations: number, seconds: number) => void;
}

export class GroupCommit<Op, R> {
  readonly #writer: BatchWriter<Op, R>;
  readonly #maxBatch: number;
  readonly #onBatch: (operations: number, seconds: number) => void;
  readonly #queue: Pending<Op, R>[] = [];
  #flushing = false;

  constructor(writer: BatchWriter<Op, R>, options: GroupCommitOptions = {}) {
    this.#writer = writer;
    this.#maxBatch = options.maxBatch ?? MAX_BATCH;
    this.#onBatch = options.onBatch ?? (() => {});
  }

  /** Writes `op` in the next batch's transaction; settles once that transaction committed. */
  run(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // After the current I/O callbacks: whatever else arrived with them joins the batch.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    for (let first = true; this.#queue.length > 0; first = false) {
      // Between batches, a turn of the event loop: a batch written synchronously (SQLite on the
      // event loop) resolves in microtasks alone, and callers that queue again as they resolve
      // would otherwise keep every timer and socket waiting for as long as they go on.
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.#queue.splice(0, this.#maxBatch);
      let outcomes: Outcome<R>[];
      const started = performance.now();
      try {
        outcomes = await this.#writer.write(batch.map((item) => item.op));
        this.#onBatch(batch.length, (performance.now() - started) / 1000);
      } catch (error) {
        const failed = translateError(error, 'dependency');
        for (const item of batch) item.reject(failed);
        continue;
      }
      batch.forEach((item, i) => {
        const o = outcomes[i];
        if (o?.ok) item.resolve(o.value);
        else item.reject(o?.error ?? new StorageError('dependency', 'no outcome for an operation'));
      });
    }
    this.#flushing = false;
  }
}

/**
 * Applies each operation in order, synchronously, inside a transaction the caller holds: an
 * operation's own refusal becomes its outcome; any other error is thrown, failing the batch.
 */
export function applyEach<Op, R>(ops: readonly Op[], apply: (op: Op) => R): Outcome<R>[] {
  return ops.map((op) => {
    try {
      return { ok: true, value: apply(op) };
    } catch (error) {
      return refusal(error);
    }
  });
}

/** {@link applyEach} for operations that run asynchronously (a Kysely transaction), one at a time. */
export async function applyEachAsync<Op, R>(ops: readonly Op[], apply: (op: Op) => Promise<R>): Promise<Outcome<R>[]> {
  const outcomes: Outcome<R>[] = [];
  for (const op of ops) {
    try {
      outcomes.push({ ok: true, value: await apply(op) });
    } catch (error) {
      outcomes.push(refusal(error));
    }
  }
  return outcomes;
}

/** An operation's own refusal (its outcome), or rethrown: an error that fails the whole batch. */
function refusal(error: unknown): Outcome<never> {
  if (!StorageError.is(error) || error.code === 'dependency') throw error;
  return { ok: false, error };
}
