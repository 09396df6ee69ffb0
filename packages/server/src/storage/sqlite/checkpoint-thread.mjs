// The body of the SQLite checkpoint thread (wal-checkpointer.ts): its own connection to the
// database file, checkpointing the write-ahead log every `intervalMs` until told to stop. Plain
// JavaScript, so that the thread starts without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const { path, intervalMs } = workerData;
const db = new BetterSqlite3(path, { fileMustExist: true });
// The checkpoint fsyncs the log before copying it and the database file after: a copied page is
// durable in the file before the log may be reused.
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 1000');

const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting for, or blocking, the writer.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing: the next tick tries again, and the writer's own backstop still applies.
  }
}, intervalMs);

parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
