/**
 * The latest device list of each account (issue 18; protocol §14.1; docs/server.md "Devices").
 * The list is signed by the account's identity, and whoever stores one has verified it first:
 * storage keeps its bytes and its version, and enforces the two rules the server owes its peers —
 * a list only ever moves to a greater version (no rollback, no fork under one version), and it
 * names only devices the account has, with the keys the account registered for them.
 *
 * @example
 * ```ts
 * const lists = new SqlDeviceListStore(database);
 * const result = await lists.putDeviceList(account, { version: 2, list: bytes, devices });
 * if (result.outcome === 'stale') answerWith(result.current.list);
 * ```
 */
import { type AccountId, type DeviceId, deviceId } from '@parley/protocol';
import { accountKey, fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { lockAccount } from './locks.ts';

export interface StoredDeviceList {
  /** The list's version (≥ 1). */
  readonly version: number;
  /** The encoded signed list, as published. */
  readonly list: Uint8Array;
  /** When it was stored, in milliseconds since the Unix epoch. */
  readonly updatedAt: number;
}

/** A list to store, with what the caller read out of it after verifying it. */
export interface DeviceListUpdate {
  readonly version: number;
  readonly list: Uint8Array;
  /** Every device the list names, with the device key its certificate carries. */
  readonly devices: readonly { readonly deviceId: DeviceId; readonly deviceKey: Uint8Array }[];
}

/**
 * - `stored`: the list is the account's latest now;
 * - `unchanged`: the very same bytes were already stored (a retried publication);
 * - `stale`: its version is not greater than the stored list's (`current`), which stays.
 */
export type PutDeviceListResult =
  | { readonly outcome: 'stored' }
  | { readonly outcome: 'unchanged' }
  | { readonly outcome: 'stale'; readonly current: StoredDeviceList };

export interface DeviceListStore {
  /** The account's latest list, or `null` if it never published one (or does not exist). */
  getDeviceList(account: AccountId): Promise<StoredDeviceList | null>;
  /**
   * Stores `update` as the account's list if its version is greater than the stored one's,
   * atomically with the check that the account has every device it names with the same key.
   * Throws `not-found` for an unknown account, `unknown-device` if a named device is missing or
   * has another key, and `usage` for a version that is not a positive safe integer.
   */
  putDeviceList(account: AccountId, update: DeviceListUpdate): Promise<PutDeviceListResult>;
}

export interface DeviceListStoreOptions {
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** {@link DeviceListStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlDeviceListStore implements DeviceListStore {
  readonly #database: Database;
  readonly #now: () => number;

  constructor(database: Database, options: DeviceListStoreOptions = {}) {
    this.#database = database;
    this.#now = options.now ?? Date.now;
  }

  async getDeviceList(account: AccountId): Promise<StoredDeviceList | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('device_lists')
        .select(['version', 'list', 'updated_at'])
        .where('account_id', '=', accountKey(account))
        .executeTakeFirst();
      return row === undefined
        ? null
        : { version: Number(row.version), list: fromColumn(row.list), updatedAt: Number(row.updated_at) };
    });
  }

  async putDeviceList(account: AccountId, update: DeviceListUpdate): Promise<PutDeviceListResult> {
    const { version } = update;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new StorageError('usage', 'device list version must be a positive integer');
    }
    if (!(update.list instanceof Uint8Array)) {
      throw new StorageError('usage', 'device list must be bytes');
    }
    const key = accountKey(account);
    // Copied: what was checked is what is stored, whatever the caller does with its buffer meanwhile.
    const list = new Uint8Array(update.list);
    const now = this.#now();
    const { dialect } = this.#database;
    return storageOp('dependency', () =>
      this.#database.db.transaction().execute(async (trx): Promise<PutDeviceListResult> => {
        // The lock orders this against device additions and removals of the account.
        if (!(await lockAccount(trx, dialect, key))) throw new StorageError('not-found', 'account not found');
        const row = await trx
          .selectFrom('device_lists')
          .select(['version', 'list', 'updated_at'])
          .where('account_id', '=', key)
          .executeTakeFirst();
        if (row !== undefined) {
          const current = {
            version: Number(row.version),
            list: fromColumn(row.list),
            updatedAt: Number(row.updated_at),
          };
          if (version === current.version && sameBytes(current.list, list)) return { outcome: 'unchanged' };
          if (version <= current.version) return { outcome: 'stale', current };
        }
        const have = await trx
          .selectFrom('devices')
          .select(['device_id', 'device_key'])
          .where('account_id', '=', key)
          .execute();
        const keys = new Map(have.map((d) => [Number(d.device_id), fromColumn(d.device_key)]));
        for (const d of update.devices) {
          const known = keys.get(deviceId(d.deviceId));
          if (known === undefined || !sameBytes(known, d.deviceKey)) {
            throw new StorageError('unknown-device', 'the list names a device the account does not have');
          }
        }
        const values = { version, list: toColumn(list), updated_at: now };
        await trx
          .insertInto('device_lists')
          .values({ account_id: key, ...values })
          .onConflict((oc) => oc.column('account_id').doUpdateSet(values))
          .execute();
        return { outcome: 'stored' };
      }),
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
