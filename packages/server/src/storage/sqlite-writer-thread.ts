/**
 * The body of the SQLite writer thread (sqlite-writer.ts): its own connection to the database
 * file, on which each message — a batch of mailbox operations — is written in one
 * `BEGIN IMMEDIATE … COMMIT`, answered with the operations' outcomes once it has committed, or
 * with `{failed: true}` if it rolled back. It says `'ready'` once its connection is open;
 * `'stop'` closes the connection and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kysely, SqliteDialect } from 'kysely';
import { type MailboxOp, mailboxQueries, writeBatchOnSqlite } from './mailbox-ops.ts';
import type { Schema } from './schema.ts';
import { openSqliteConnection } from './sqlite-connection.ts';
import type { WriterData, WriterReply } from './sqlite-writer.ts';

const { path, settings } = workerData as WriterData;
const sqlite = openSqliteConnection(path, settings);
// Kysely only compiles here (the same SQL as on the event loop); statements run on `sqlite`.
const queries = mailboxQueries(new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) }));
const port = parentPort;
port?.postMessage('ready');

port?.on('message', (message: readonly MailboxOp[] | 'stop') => {
  if (message === 'stop') {
    sqlite.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    const outcomes = writeBatchOnSqlite(sqlite, queries, message);
    reply = {
      outcomes: outcomes.map((o) => (o.ok ? o : { ok: false, code: o.error.code, message: o.error.message })),
    };
  } catch {
    reply = { failed: true };
  }
  port.postMessage(reply);
});
