/**
 * Mailbox writes on a thread of their own (SQLite in a file). Every delivery and acknowledgement
 * is a write in a group commit (group-commit.ts); on the event loop, the batch's statements and
 * above all its `COMMIT` — the write-ahead log written and fsynced — held up everything else:
 * under bench:server, `BEGIN`/`COMMIT` alone were ~46% of the event loop at full load, even with
 * batches of ~800 operations. A `SqliteWriter` runs each batch on a worker thread with its own
 * connection to the same file instead, so the event loop parses frames and pushes messages while
 * the log is fsynced. Each batch is one `BEGIN IMMEDIATE … COMMIT` there, with the same
 * statements and rules as on the event loop (mailbox-ops.ts), and a batch's operations are
 * answered only after its commit returned: durability is unchanged.
 *
 * The event loop's own connection still runs everything else (accounts, prekeys, challenges,
 * mailbox creation, reads). The mailbox store holds that connection while a batch is written
 * here (mailbox-store.ts), so those statements wait for the batch asynchronously rather than
 * meeting this thread's lock in SQLite's busy handler, which would sleep on the event loop.
 *
 * The group commit gives the thread its next batch while it writes the last (`pipelined`):
 * batches queue on the thread's port and are written, and answered, in the order they were
 * posted, so the thread does not wait for the event loop between batches.
 *
 * If the thread dies, the batches in flight fail (`dependency`: nothing of the one being written
 * is stored, its transaction never committed) and the next batch starts a new thread.
 *
 * @example
 * ```ts
 * const writer = new SqliteWriter('/var/lib/parley/parley.sqlite', settings);
 * const commits = new GroupCommit(writer);
 * await writer.close();
 * ```
 */
import { Worker } from 'node:worker_threads';
import { StorageError } from '../errors.ts';
import type { MailboxOp, MailboxOpResult } from '../mailbox-ops.ts';
import type { BatchWriter, Outcome } from './group-commit.ts';
import type { SqliteSettings } from './sqlite-connection.ts';
import { decodeOutcomes, encodeOps, type Refusal } from './writer-batch.ts';

/** The worker's script: registers tsx, then loads sqlite-writer-thread.ts. */
const WORKER_URL = new URL('./sqlite-writer-thread.mjs', import.meta.url);

/**
 * What the thread answers for one batch (see sqlite-writer-thread.ts), its outcomes packed
 * (writer-batch.ts); first it says `'ready'`.
 */
export type WriterReply =
  | { readonly results: ArrayBuffer; readonly refusals: readonly Refusal[] }
  | { readonly failed: true };

export interface WriterData {
  readonly path: string;
  readonly settings: SqliteSettings;
}

interface Waiter {
  resolve(outcomes: Outcome<MailboxOpResult>[]): void;
  reject(error: unknown): void;
}

export class SqliteWriter implements BatchWriter<MailboxOp, MailboxOpResult> {
  /** Batches queue on the thread (its port) and are written in the order they were posted. */
  readonly pipelined = true;
  readonly #data: WriterData;
  #worker: Worker | null = null;
  /** The batches posted and not yet answered, oldest first: the thread answers them in order. */
  readonly #inFlight: Waiter[] = [];
  #idle: Promise<void> = Promise.resolve();
  #closed = false;
  #ready: Promise<void> = Promise.resolve();

  constructor(path: string, settings: SqliteSettings) {
    this.#data = { path, settings };
    this.#start(); // now, so that the first delivery does not wait for the thread to load
  }

  /** Resolves once the thread has opened its connection; rejects if it could not. */
  ready(): Promise<void> {
    return this.#ready;
  }

  write(ops: readonly MailboxOp[]): Promise<Outcome<MailboxOpResult>[]> {
    if (this.#closed) return Promise.reject(new StorageError('dependency', 'the database is closed'));
    let batch: ArrayBuffer;
    try {
      batch = encodeOps(ops);
    } catch (e) {
      return Promise.reject(e);
    }
    const written = new Promise<Outcome<MailboxOpResult>[]>((resolve, reject) => {
      this.#inFlight.push({ resolve, reject });
    });
    this.#idle = written.then(
      () => {},
      () => {},
    );
    const worker = this.#start();
    worker.ref(); // an answer is awaited: keep the process alive until it comes
    worker.postMessage(batch, [batch]); // moved, not copied: `batch` is detached here
    return written;
  }

  /** Waits for the batches in flight, then stops the thread and closes its connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#idle;
    const worker = this.#worker;
    this.#worker = null;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    const timeout = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timeout);
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(WORKER_URL, { workerData: this.#data });
    worker.unref(); // an idle writer does not keep the process alive (see write)
    let opened = () => {};
    this.#ready = new Promise<void>((resolve, reject) => {
      opened = resolve;
      worker.once('error', reject);
      worker.once('exit', () => reject(new StorageError('dependency', 'the database writer stopped')));
    });
    this.#ready.catch(() => {}); // a thread that never came up fails its first batch instead
    worker.on('message', (reply: WriterReply | 'ready') => {
      if (reply === 'ready') return opened();
      const waiter = this.#inFlight.shift();
      if (this.#inFlight.length === 0) worker.unref();
      if (waiter === undefined) return;
      if ('failed' in reply) {
        waiter.reject(new StorageError('dependency', 'database operation failed'));
        return;
      }
      try {
        waiter.resolve(decodeOutcomes(reply.results, reply.refusals));
      } catch (e) {
        waiter.reject(e);
      }
    });
    const fail = () => {
      if (this.#worker === worker) this.#worker = null;
      for (const waiter of this.#inFlight.splice(0)) {
        waiter.reject(new StorageError('dependency', 'the database writer stopped'));
      }
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.#worker = worker;
    return worker;
  }
}
