/**
 * Existence checks that also serialise writers. On PostgreSQL the parent row is locked
 * `FOR NO KEY UPDATE` until the transaction ends, so two writers that must see each other's
 * effect — two device additions racing for the last slot, two last-resort key replacements — run
 * one after the other, while inserts of child rows (whose foreign-key checks take only
 * `FOR KEY SHARE`) and bundle fetches are not blocked. On SQLite transactions already run one at a
 * time (see `hasRowLocks`).
 */
import type { Transaction } from 'kysely';
import { type Dialect, hasRowLocks } from './dialect.ts';
import type { DeviceKey, Schema } from './schema.ts';

/** Whether the account exists, locking it for the rest of the transaction. */
export async function lockAccount(trx: Transaction<Schema>, dialect: Dialect, account: Uint8Array): Promise<boolean> {
  const row = await trx
    .selectFrom('accounts')
    .select('account_id')
    .where('account_id', '=', account)
    .$if(hasRowLocks(dialect), (q) => q.forNoKeyUpdate())
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the device exists, locking it for the rest of the transaction. */
export async function lockDevice(trx: Transaction<Schema>, dialect: Dialect, device: DeviceKey): Promise<boolean> {
  const row = await trx
    .selectFrom('devices')
    .select('device_id')
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .$if(hasRowLocks(dialect), (q) => q.forNoKeyUpdate())
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the mailbox exists, locking it for the rest of the transaction (serialises enqueues). */
export async function lockMailbox(trx: Transaction<Schema>, dialect: Dialect, mailbox: Uint8Array): Promise<boolean> {
  const row = await trx
    .selectFrom('mailboxes')
    .select('mailbox_id')
    .where('mailbox_id', '=', mailbox)
    .$if(hasRowLocks(dialect), (q) => q.forNoKeyUpdate())
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the contact address exists, locking it for the rest of the transaction. */
export async function lockAddress(trx: Transaction<Schema>, dialect: Dialect, address: Uint8Array): Promise<boolean> {
  const row = await trx
    .selectFrom('contact_addresses')
    .select('address_id')
    .where('address_id', '=', address)
    .$if(hasRowLocks(dialect), (q) => q.forNoKeyUpdate())
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Locks every one of `mailboxes` that exists, in one statement and in the order of their ids
 * (PostgreSQL locks the rows as the sorted result is produced). A batch of enqueues and
 * acknowledgements takes its mailboxes this way first: two batches of different processes of a
 * cluster (docs/server.md "A cluster") then wait for each other in one order, instead of each
 * holding a mailbox the other needs (a deadlock, which PostgreSQL breaks after a second by
 * failing one of them). No-op where there are no row locks (SQLite: one writer at a time).
 */
export async function lockMailboxesInOrder(
  trx: Transaction<Schema>,
  dialect: Dialect,
  mailboxes: readonly Uint8Array[],
): Promise<void> {
  if (!hasRowLocks(dialect) || mailboxes.length === 0) return;
  await trx
    .selectFrom('mailboxes')
    .select('mailbox_id')
    .where('mailbox_id', 'in', mailboxes)
    .orderBy('mailbox_id')
    .forNoKeyUpdate()
    .execute();
}
