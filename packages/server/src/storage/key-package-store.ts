/**
 * MLS key packages (RFC 9420 §10), published per device like prekeys (issue 20): one-time ones,
 * each handed out once, and at most one last-resort one per device, handed out whenever the
 * one-time ones have run out (or the requester is over its budget) — as RFC 9420 §16.8 allows
 * ("last resort" KeyPackages, RFC 9420 §10 and draft-ietf-mls-extensions). Key packages are
 * opaque to the server: whoever adds the device checks its signature and credential.
 *
 * A fetch takes one key package for every device of an account in one transaction; one-time ones
 * are consumed with `DELETE … WHERE digest = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)` as
 * one-time prekeys are (take-bundle-keys.ts), so two concurrent fetches never get the same one.
 */
import type { AccountId, DeviceId } from '@parley/protocol';
import { MAX_ONE_TIME_KEY_PACKAGES } from '@parley/protocol';
import type { Transaction } from 'kysely';
import { accountKey, flag, fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { type Dialect, hasRowLocks } from './dialect.ts';
import { sha256 } from './digest.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { lockDevice } from './locks.ts';
import type { DeviceKey, Schema } from './schema.ts';

export interface KeyPackageCounts {
  /** One-time key packages left. */
  readonly oneTime: number;
  /** Whether the device has a last-resort key package. */
  readonly lastResort: boolean;
  /** How many fetches got the last-resort one (ever): the owner notices a drain. */
  readonly lastResortServed: number;
}

export interface DeviceKeyPackage {
  readonly deviceId: DeviceId;
  readonly keyPackage: Uint8Array;
  readonly lastResort: boolean;
}

export interface KeyPackageStore {
  /**
   * Adds one-time key packages (one already stored is not stored twice) and, if given, replaces
   * the last-resort one, atomically. Throws `key-packages-full` (storing nothing) past
   * MAX_ONE_TIME_KEY_PACKAGES one-time ones, `not-found` for an unknown device.
   */
  upload(
    account: AccountId,
    device: DeviceId,
    oneTime: readonly Uint8Array[],
    lastResort: Uint8Array | null,
    now: number,
  ): Promise<void>;
  /** The device's counts, or null for an unknown device. */
  counts(account: AccountId, device: DeviceId): Promise<KeyPackageCounts | null>;
  /**
   * One key package for each device of the account that has any, by ascending device id: a
   * one-time one (consumed) while any is left and `oneTime` allows, else the last-resort one
   * (counted). Empty for an unknown account.
   */
  take(account: AccountId, options: { readonly oneTime: boolean }): Promise<DeviceKeyPackage[]>;
}

export class SqlKeyPackageStore implements KeyPackageStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async upload(
    account: AccountId,
    device: DeviceId,
    oneTime: readonly Uint8Array[],
    lastResort: Uint8Array | null,
    now: number,
  ): Promise<void> {
    const owner: DeviceKey = { account_id: accountKey(account), device_id: device };
    const { db, dialect } = this.#database;
    await storageOp('dependency', () =>
      db.transaction().execute(async (trx) => {
        if (!(await lockDevice(trx, dialect, owner))) throw new StorageError('not-found', 'device not found');
        if (lastResort !== null) {
          await trx
            .deleteFrom('key_packages')
            .where('account_id', '=', owner.account_id)
            .where('device_id', '=', owner.device_id)
            .where('last_resort', '=', flag(true))
            .execute();
          await trx
            .insertInto('key_packages')
            .values(row(owner, lastResort, true, now))
            .onConflict((oc) =>
              oc.columns(['account_id', 'device_id', 'digest']).doUpdateSet({ last_resort: flag(true) }),
            )
            .execute();
        }
        if (oneTime.length > 0) {
          await trx
            .insertInto('key_packages')
            .values(oneTime.map((k) => row(owner, k, false, now)))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        const { n } = await trx
          .selectFrom('key_packages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', owner.account_id)
          .where('device_id', '=', owner.device_id)
          .where('last_resort', '=', flag(false))
          .executeTakeFirstOrThrow();
        if (Number(n) > MAX_ONE_TIME_KEY_PACKAGES) {
          throw new StorageError('key-packages-full', 'the device holds the most key packages it may');
        }
      }),
    );
  }

  async counts(account: AccountId, device: DeviceId): Promise<KeyPackageCounts | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices as d')
        .where('d.account_id', '=', accountKey(account))
        .where('d.device_id', '=', device)
        .select((eb) => [
          'd.key_package_last_resort_served',
          eb
            .selectFrom('key_packages as k')
            .whereRef('k.account_id', '=', 'd.account_id')
            .whereRef('k.device_id', '=', 'd.device_id')
            .where('k.last_resort', '=', flag(false))
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('one_time'),
          eb
            .selectFrom('key_packages as l')
            .whereRef('l.account_id', '=', 'd.account_id')
            .whereRef('l.device_id', '=', 'd.device_id')
            .where('l.last_resort', '=', flag(true))
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('last_resort'),
        ])
        .executeTakeFirst();
      if (row === undefined) return null;
      return {
        oneTime: Number(row.one_time),
        lastResort: Number(row.last_resort) > 0,
        lastResortServed: Number(row.key_package_last_resort_served),
      };
    });
  }

  async take(account: AccountId, options: { readonly oneTime: boolean }): Promise<DeviceKeyPackage[]> {
    const key = accountKey(account);
    const { db, dialect } = this.#database;
    return storageOp('dependency', () =>
      db.transaction().execute(async (trx) => {
        const devices = await trx
          .selectFrom('devices')
          .select('device_id')
          .where('account_id', '=', key)
          .orderBy('device_id')
          .execute();
        const out: DeviceKeyPackage[] = [];
        for (const { device_id } of devices) {
          const owner: DeviceKey = { account_id: key, device_id: Number(device_id) };
          const taken = options.oneTime ? await takeOneTime(trx, dialect, owner) : null;
          if (taken !== null) {
            out.push({ deviceId: owner.device_id as DeviceId, keyPackage: taken, lastResort: false });
            continue;
          }
          const last = await trx
            .selectFrom('key_packages')
            .select('key_package')
            .where('account_id', '=', owner.account_id)
            .where('device_id', '=', owner.device_id)
            .where('last_resort', '=', flag(true))
            .executeTakeFirst();
          if (last === undefined) continue;
          await trx
            .updateTable('devices')
            .set((eb) => ({ key_package_last_resort_served: eb('key_package_last_resort_served', '+', 1) }))
            .where('account_id', '=', owner.account_id)
            .where('device_id', '=', owner.device_id)
            .execute();
          out.push({
            deviceId: owner.device_id as DeviceId,
            keyPackage: fromColumn(last.key_package),
            lastResort: true,
          });
        }
        return out;
      }),
    );
  }
}

function row(owner: DeviceKey, keyPackage: Uint8Array, lastResort: boolean, now: number) {
  return {
    ...owner,
    digest: toColumn(sha256(keyPackage)),
    key_package: toColumn(keyPackage),
    last_resort: flag(lastResort),
    created_at: now,
  };
}

/** The device's oldest one-time key package, deleted; null if none is left (or all are being taken). */
async function takeOneTime(trx: Transaction<Schema>, dialect: Dialect, owner: DeviceKey): Promise<Uint8Array | null> {
  const taken = await trx
    .deleteFrom('key_packages')
    .where('account_id', '=', owner.account_id)
    .where('device_id', '=', owner.device_id)
    .where('digest', '=', (eb) =>
      eb
        .selectFrom('key_packages as next')
        .select('next.digest')
        .where('next.account_id', '=', owner.account_id)
        .where('next.device_id', '=', owner.device_id)
        .where('next.last_resort', '=', flag(false))
        .orderBy('next.created_at')
        .orderBy('next.digest')
        .limit(1)
        .$if(hasRowLocks(dialect), (q) => q.forUpdate().skipLocked()),
    )
    .returning('key_package')
    .executeTakeFirst();
  return taken === undefined ? null : fromColumn(taken.key_package);
}
