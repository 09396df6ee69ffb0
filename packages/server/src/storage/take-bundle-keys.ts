/**
 * Handing out one bundle's keys (PQXDH §3.2, "the server … deletes the one-time prekey it sent"),
 * in one transaction. One-time keys are consumed with
 *
 *   DELETE FROM t WHERE <device> AND key_id =
 *     (SELECT key_id FROM t WHERE <device> ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
 *   RETURNING …
 *
 * On PostgreSQL, concurrent fetches (on different pool connections) each lock and delete a
 * different row: a row another fetch has locked is skipped, not waited for, and a row another
 * fetch deleted meanwhile is dropped by the lock step. The price of not waiting: while every
 * remaining one-time key is locked by fetches still in flight, a fetch gets none (or the
 * last-resort KEM key) even if one of those fetches later rolls back. On SQLite the lock clauses
 * are left out; Kysely runs the whole transaction on the single connection before any other query.
 *
 * With `oneTime: false` (a requester over its one-time budget, docs/server.md, "Bundle budgets") nothing is
 * consumed: the bundle is the signed prekey and the last-resort KEM key, without a one-time X25519
 * key, which PQXDH allows (PQXDH §3.3). Every bundle that carries the last-resort key adds one to
 * the device's `last_resort_served`, in the same transaction, so that its owner can see it.
 */
import type { KemPreKeyPublic, OneTimePreKeyPublic, SignedPreKeyPublic } from '@parley/protocol';
import type { Transaction } from 'kysely';
import { flag, fromColumn, isSet } from './column-values.ts';
import { type Dialect, hasRowLocks } from './dialect.ts';
import type { DeviceKey, Schema } from './schema.ts';

/** The prekeys of one bundle; the identity and device id come from the account and device. */
export interface BundleKeys {
  readonly signedPreKey: SignedPreKeyPublic;
  /** `null` when the device has run out of one-time X25519 prekeys. */
  readonly oneTimePreKey: OneTimePreKeyPublic | null;
  /** A one-time ML-KEM prekey while any is left, then the last-resort one. */
  readonly kemPreKey: KemPreKeyPublic;
}

/** Must run inside a transaction; see the module comment. */
export async function takeBundleKeys(
  trx: Transaction<Schema>,
  dialect: Dialect,
  device: DeviceKey,
  options: { readonly oneTime: boolean } = { oneTime: true },
): Promise<BundleKeys | null> {
  const signedPreKey = await signedPreKeyOf(trx, device);
  if (signedPreKey === null) return null;
  // The KEM key before the one-time X25519 key: if there is none, nothing has been consumed.
  const oneTimeKem = options.oneTime ? await takeOneTimeKemPreKey(trx, dialect, device) : null;
  const kemPreKey = oneTimeKem ?? (await lastResortKemPreKey(trx, device));
  if (kemPreKey === null) return null;
  const oneTimePreKey = options.oneTime ? await takeOneTimePreKey(trx, dialect, device) : null;
  if (kemPreKey.lastResort) await countLastResortServed(trx, device);
  return { signedPreKey, oneTimePreKey, kemPreKey };
}

async function countLastResortServed(trx: Transaction<Schema>, device: DeviceKey): Promise<void> {
  await trx
    .updateTable('devices')
    .set((eb) => ({ last_resort_served: eb('last_resort_served', '+', 1) }))
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .execute();
}

async function signedPreKeyOf(trx: Transaction<Schema>, device: DeviceKey): Promise<SignedPreKeyPublic | null> {
  const row = await trx
    .selectFrom('signed_prekeys')
    .select(['key_id', 'public_key', 'created_at', 'signature'])
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: row.key_id,
    publicKey: fromColumn(row.public_key),
    createdAt: row.created_at,
    signature: fromColumn(row.signature),
  };
}

async function takeOneTimePreKey(
  trx: Transaction<Schema>,
  dialect: Dialect,
  device: DeviceKey,
): Promise<OneTimePreKeyPublic | null> {
  const row = await trx
    .deleteFrom('one_time_prekeys')
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .where('key_id', '=', (eb) =>
      eb
        .selectFrom('one_time_prekeys as next')
        .select('next.key_id')
        .where('next.account_id', '=', device.account_id)
        .where('next.device_id', '=', device.device_id)
        .orderBy('next.key_id')
        .limit(1)
        .$if(hasRowLocks(dialect), (q) => q.forUpdate().skipLocked()),
    )
    .returning(['key_id', 'public_key'])
    .executeTakeFirst();
  return row === undefined ? null : { id: row.key_id, publicKey: fromColumn(row.public_key) };
}

async function takeOneTimeKemPreKey(
  trx: Transaction<Schema>,
  dialect: Dialect,
  device: DeviceKey,
): Promise<KemPreKeyPublic | null> {
  const row = await trx
    .deleteFrom('kem_prekeys')
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .where('key_id', '=', (eb) =>
      eb
        .selectFrom('kem_prekeys as next')
        .select('next.key_id')
        .where('next.account_id', '=', device.account_id)
        .where('next.device_id', '=', device.device_id)
        .where('next.last_resort', '=', flag(false))
        .orderBy('next.key_id')
        .limit(1)
        .$if(hasRowLocks(dialect), (q) => q.forUpdate().skipLocked()),
    )
    .returning(['key_id', 'public_key', 'created_at', 'signature', 'last_resort'])
    .executeTakeFirst();
  return row === undefined ? null : kemPreKeyOf(row);
}

/** The last-resort key is read, never deleted: it serves every fetch once one-time keys run out. */
async function lastResortKemPreKey(trx: Transaction<Schema>, device: DeviceKey): Promise<KemPreKeyPublic | null> {
  const row = await trx
    .selectFrom('kem_prekeys')
    .select(['key_id', 'public_key', 'created_at', 'signature', 'last_resort'])
    .where('account_id', '=', device.account_id)
    .where('device_id', '=', device.device_id)
    .where('last_resort', '=', flag(true))
    .executeTakeFirst();
  return row === undefined ? null : kemPreKeyOf(row);
}

function kemPreKeyOf(row: {
  key_id: number;
  public_key: Uint8Array;
  created_at: number;
  signature: Uint8Array;
  last_resort: boolean | 0 | 1;
}): KemPreKeyPublic {
  return {
    id: row.key_id,
    publicKey: fromColumn(row.public_key),
    lastResort: isSet(row.last_resort),
    createdAt: row.created_at,
    signature: fromColumn(row.signature),
  };
}
