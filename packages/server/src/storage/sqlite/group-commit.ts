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
 * loop, and a writer thread). One batch is written at a time. A writer off the event loop (the
 * thread, PostgreSQL) is handed the next batch as soon as the last one's outcomes are back, and
 * writes it while the event loop answers the last one's callers (pushes, answers to the sends):
 * under bench:server, waiting for those answers first left the writer thread idle ~40% of the
 * time (p50 9.7 ms between batches of 1,024 operations written in 10 ms). A writer that queues
 * batches itself and writes them in order (the thread) is given the next one while it writes the
 * last, so it does not wait for the event loop to take each batch's outcomes and hand over the
 * next: under bench:server that wait was p50 8–11 ms between batches written in 13–19 ms, the event
 * loop being busy answering the batch before. Batches still commit, and their callers are
 * answered, in order.
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
import { translateError } from '../driver-errors.ts';
import { StorageError } from '../errors.ts';

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
  /**
   * Writes off the event loop (a thread, a database server): the next batch may be handed over
   * as soon as the last one's outcomes are back, before its callers are answered.
   */
  readonly overlaps?: boolean;
  /**
   * Also takes the next batch while it writes one, and writes them one after another in the
   * order it was given them (implies `overlaps`): it is then given up to two at a time.
   */
  readonly pipelined?: boolean;
}

interface InFlight<Op, R> {
  readonly batch: readonly Pending<Op, R>[];
  readonly written: Promise<Outcome<R>[] | StorageError>;
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
    const pipelined = this.#writer.pipelined === true;
    const overlaps = pipelined || this.#writer.overlaps === true;
    const inFlight: InFlight<Op, R>[] = [];
    this.#start(inFlight);
    for (let next = inFlight.shift(); next !== undefined; next = inFlight.shift()) {
      const outcomes = await next.written;
      if (!overlaps) {
        this.#settle(next.batch, outcomes);
        // Between batches, a turn of the event loop: a batch written synchronously (SQLite on the
        // event loop) resolves in microtasks alone, and callers that queue again as they resolve
        // would otherwise keep every timer and socket waiting for as long as they go on.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // A writer off the event loop has the next batch before this one's callers are answered,
      // so that it writes while they run (it still writes one batch at a time; a pipelined one
      // is handed two and writes them in turn).
      while (inFlight.length < (pipelined ? 2 : 1) && this.#start(inFlight)) {}
      if (overlaps) this.#settle(next.batch, outcomes);
    }
    this.#flushing = false;
  }

  /** Hands the writer the next batch, if anything is queued; whether it did. */
  #start(inFlight: InFlight<Op, R>[]): boolean {
    const batch = this.#take();
    if (batch.length === 0) return false;
    inFlight.push({ batch, written: this.#write(batch) });
    return true;
  }

  #take(): Pending<Op, R>[] {
    return this.#queue.splice(0, this.#maxBatch);
  }

  /** Writes `batch`; its outcomes, or the error that failed all of it. */
  async #write(batch: readonly Pending<Op, R>[]): Promise<Outcome<R>[] | StorageError> {
    const started = performance.now();
    try {
      const outcomes = await this.#writer.write(batch.map((item) => item.op));
      this.#onBatch(batch.length, (performance.now() - started) / 1000);
      return outcomes;
    } catch (error) {
      return translateError(error, 'dependency');
    }
  }

  #settle(batch: readonly Pending<Op, R>[], outcomes: Outcome<R>[] | StorageError): void {
    if (!Array.isArray(outcomes)) {
      for (const item of batch) item.reject(outcomes);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i];
      if (o?.ok) item.resolve(o.value);
      else item.reject(o?.error ?? new StorageError('dependency', 'no outcome for an operation'));
    });
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
