/**
 * Two processes of a cluster on one PostgreSQL (two connection pools here) writing batches that
 * touch the same mailboxes in opposite orders: each batch takes its mailboxes in the order of
 * their ids first (storage/locks.ts), so they wait for each other instead of deadlocking. Run
 * without the retry the store adds around a batch, so a deadlock would fail the test.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../src/storage/database.ts';
import { type MailboxOp, mailboxQueries, writeBatchInTransaction } from '../src/storage/mailbox-ops.ts';
import { SqlMailboxStore } from '../src/storage/mailbox-store.ts';
import { createTestDatabase, type TestDatabase } from './postgres-kit.ts';

let db: TestDatabase;
let one: Database;
let two: Database;

beforeAll(async () => {
  db = await createTestDatabase();
  one = await openDatabase(db.url);
  two = await openDatabase(db.url);
});
afterAll(async () => {
  await one?.close();
  await two?.close();
  await db?.drop();
});

const key = () => new Uint8Array(randomBytes(32));

describe('mailbox batches of two processes on PostgreSQL', () => {
  it('touching the same mailboxes in opposite orders never deadlock', async () => {
    const store = new SqlMailboxStore(one);
    const boxes = await Promise.all(
      Array.from({ length: 4 }, () => store.createMailbox({ recipientKey: key(), senderKey: key() })),
    );
    const ids = boxes.map((b) => b.mailboxId);
    const enqueue = (id: Uint8Array): MailboxOp => ({
      kind: 'enqueue',
      id,
      envelope: new Uint8Array(randomBytes(40)),
      now: Date.now(),
      ttlMs: 60_000,
      maxMessages: 10_000,
    });
    const batch = (database: Database, order: Uint8Array[]) =>
      database.db
        .transaction()
        .execute((trx) =>
          writeBatchInTransaction(trx, database.dialect, mailboxQueries(database.db), order.map(enqueue)),
        );
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.all([
        batch(one, ids),
        batch(two, [...ids].reverse()),
        batch(one, [ids[2], ids[0], ids[3], ids[1]] as Uint8Array[]),
        batch(two, [ids[1], ids[3], ids[0], ids[2]] as Uint8Array[]),
      ]);
      for (const o of outcomes.flat()) expect(o).toMatchObject({ ok: true });
    }
  }, 60_000);
});
