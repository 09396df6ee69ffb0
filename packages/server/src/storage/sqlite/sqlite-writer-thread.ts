/**
 * The body of the SQLite writer thread (sqlite-writer.ts): its own connection to the database
 * file, on which each message — a batch of mailbox operations, packed (writer-batch.ts) — is
 * written in one `BEGIN IMMEDIATE … COMMIT`, answered with the operations' outcomes (packed too)
 * once it has committed, or with `{failed: true}` if it rolled back. It says `'ready'` once its
 * connection is open; `'stop'` closes the connection and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Kysely, SqliteDialect } from 'kysely';
import { mailboxQueries, writeBatchOnSqlite } from '../mailbox-ops.ts';
import type { Schema } from '../schema.ts';
import { openSqliteConnection } from './sqlite-connection.ts';
import type { WriterData, WriterReply } from './sqlite-writer.ts';
import { decodeOps, encodeOutcomes } from './writer-batch.ts';

const { path, settings } = workerData as WriterData;
const sqlite = openSqliteConnection(path, settings);
// Kysely only compiles here (the same SQL as on the event loop); statements run on `sqlite`.
const queries = mailboxQueries(new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) }));
const port = parentPort;
port?.postMessage('ready');

port?.on('message', (message: ArrayBuffer | 'stop') => {
  if (message === 'stop') {
    sqlite.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = encodeOutcomes(writeBatchOnSqlite(sqlite, queries, decodeOps(message)));
  } catch {
    reply = { failed: true };
  }
  if ('results' in reply) port.postMessage(reply, [reply.results]);
  else port.postMessage(reply);
});
