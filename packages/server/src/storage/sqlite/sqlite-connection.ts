/**
 * Opening a connection to the server's SQLite file with the settings every connection that
 * writes must share: WAL, `synchronous=FULL` (the durability promise, database.ts), foreign
 * keys, a busy timeout, and — when a checkpoint thread runs — only a backstop automatic
 * checkpoint (wal-checkpointer.ts). The server's own connection and the writer thread's
 * (sqlite-writer.ts) both open through here.
 */
import BetterSqlite3 from 'better-sqlite3';
import { BACKSTOP_CHECKPOINT_PAGES } from './wal-checkpointer.ts';

export interface SqliteSettings {
  /** How long a writer waits for another connection's lock before failing, in ms. */
  readonly busyTimeoutMs: number;
  /** Whether a checkpoint thread copies the log back (then commits checkpoint only as a backstop). */
  readonly checkpointThread: boolean;
}

export function openSqliteConnection(path: string, settings: SqliteSettings): BetterSqlite3.Database {
  const sqlite = new BetterSqlite3(path);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.trunc(settings.busyTimeoutMs)}`);
    if (settings.checkpointThread) sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  } catch (e) {
    sqlite.close();
    throw e;
  }
  return sqlite;
}
