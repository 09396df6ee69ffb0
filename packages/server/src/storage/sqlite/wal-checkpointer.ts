/**
 * SQLite checkpoints off the event loop. In WAL mode a commit appends to the write-ahead log;
 * a *checkpoint* copies the log back into the database file, fsyncing both. By default SQLite
 * runs one inside whichever commit takes the log past 1000 pages, so better-sqlite3 ran it on the
 * server's event loop and every connection waited (about 15-20% of delivered msgs/s under
 * bench:server). With a checkpointer, a thread of its own runs passive checkpoints on its own
 * connection every 100 ms, which never block the writer, and the server's connection keeps an
 * automatic checkpoint only as a backstop, at 10,000 pages (about 40 MB of log).
 *
 * Durability is unchanged: a commit is durable when its log frames are fsynced (synchronous=FULL),
 * whoever checkpoints them later; a crash mid-checkpoint is recovered from the log.
 *
 * @example
 * ```ts
 * const checkpointer = startCheckpointer('/var/lib/parley/parley.sqlite');
 * await checkpointer.stop();
 * ```
 */
import { Worker } from 'node:worker_threads';

/** How often the thread checkpoints. */
export const CHECKPOINT_INTERVAL_MS = 100;
/** The automatic checkpoint left on the server's own connection, in pages, as a backstop. */
export const BACKSTOP_CHECKPOINT_PAGES = 10_000;

export interface Checkpointer {
  /** Stops the thread after its current checkpoint; resolves once it has exited. */
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = CHECKPOINT_INTERVAL_MS): Checkpointer {
  const worker = new Worker(new URL('./checkpoint-thread.mjs', import.meta.url), { workerData: { path, intervalMs } });
  worker.unref(); // it never keeps the process alive
  // A thread that fails leaves the backstop checkpoints on the server's connection.
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        worker.postMessage('stop');
        const timeout = setTimeout(() => void worker.terminate(), 5000);
        await exited;
        clearTimeout(timeout);
      })();
      return stopping;
    },
  };
}
