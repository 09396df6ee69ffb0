/**
 * Devices of an account. Nothing in Parley assumes one device per person; an account holds up to
 * a configurable number of devices (default {@link DEFAULT_MAX_DEVICES}). The linking flow that
 * decides who may add one lives above this store.
 */
import { type AccountId, type DeviceId, deviceId } from '@parley/protocol';
import { accountKey } from './column-values.ts';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { lockAccount } from './locks.ts';

export const DEFAULT_MAX_DEVICES = 6;

export interface DeviceRecord {
  readonly deviceId: DeviceId;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** When the device last authenticated (see {@link DeviceStore.touch}). */
  readonly lastSeenAt: number;
}

export interface DeviceStore {
  /**
   * Adds a device to an existing account. Throws `not-found` for an unknown account,
   * `device-exists` if the id is taken and `device-limit` if the account is full.
   */
  addDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord>;
  /** The device, or `null` if there is none. */
  getDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord | null>;
  /** The account's devices by ascending id (empty for an unknown account). */
  listDevices(account: AccountId): Promise<DeviceRecord[]>;
  /** Removes a device and its prekeys. `false` if there was none. */
  removeDevice(account: AccountId, device: DeviceId): Promise<boolean>;
  /** Records that the device was seen now (or at `at`). `false` if there is no such device. */
  touch(account: AccountId, device: DeviceId, at?: number): Promise<boolean>;
}

export interface DeviceStoreOptions {
  /** The most devices one account may have. Default {@link DEFAULT_MAX_DEVICES}. */
  readonly maxDevices?: number;
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
}

/** {@link DeviceStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlDeviceStore implements DeviceStore {
  readonly #database: Database;
  readonly #maxDevices: number;
  readonly #now: () => number;

  constructor(database: Database, options: DeviceStoreOptions = {}) {
    const maxDevices = options.maxDevices ?? DEFAULT_MAX_DEVICES;
    if (!Number.isInteger(maxDevices) || maxDevices < 1) {
      throw new StorageError('usage', 'maxDevices must be a positive integer');
    }
    this.#database = database;
    this.#maxDevices = maxDevices;
    this.#now = options.now ?? Date.now;
  }

  async addDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord> {
    const key = accountKey(account);
    const now = this.#now();
    const { dialect } = this.#database;
    return storageOp('device-exists', () =>
      this.#database.db.transaction().execute(async (trx) => {
        // The lock makes "count, then insert" atomic against concurrent additions.
        if (!(await lockAccount(trx, dialect, key))) throw new StorageError('not-found', 'account not found');
        const inserted = await trx
          .insertInto('devices')
          .values({ account_id: key, device_id: device, created_at: now, last_seen_at: now })
          .onConflict((oc) => oc.columns(['account_id', 'device_id']).doNothing())
          .executeTakeFirst();
        if (inserted.numInsertedOrUpdatedRows === 0n) throw new StorageError('device-exists', 'device already exists');
        const { n } = await trx
          .selectFrom('devices')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', key)
          .executeTakeFirstOrThrow();
        // Throwing rolls the insert back.
        if (Number(n) > this.#maxDevices) throw new StorageError('device-limit', 'account has too many devices');
        return { deviceId: device, createdAt: now, lastSeenAt: now };
      }),
    );
  }

  async getDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices')
        .select(['device_id', 'created_at', 'last_seen_at'])
        .where('account_id', '=', accountKey(account))
        .where('device_id', '=', device)
        .executeTakeFirst();
      return row === undefined ? null : toRecord(row);
    });
  }

  async listDevices(account: AccountId): Promise<DeviceRecord[]> {
    return storageOp('dependency', async () => {
      const rows = await this.#database.db
        .selectFrom('devices')
        .select(['device_id', 'created_at', 'last_seen_at'])
        .where('account_id', '=', accountKey(account))
        .orderBy('device_id')
        .execute();
      return rows.map(toRecord);
    });
  }

  async removeDevice(account: AccountId, device: DeviceId): Promise<boolean> {
    return storageOp('dependency', async () => {
      const result = await this.#database.db
        .deleteFrom('devices')
        .where('account_id', '=', accountKey(account))
        .where('device_id', '=', device)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async touch(account: AccountId, device: DeviceId, at: number = this.#now()): Promise<boolean> {
    return storageOp('dependency', async () => {
      const result = await this.#database.db
        .updateTable('devices')
        .set({ last_seen_at: at })
        .where('account_id', '=', accountKey(account))
        .where('device_id', '=', device)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }
}

function toRecord(row: { device_id: number; created_at: number; last_seen_at: number }): DeviceRecord {
  return { deviceId: deviceId(row.device_id), createdAt: row.created_at, lastSeenAt: row.last_seen_at };
}
