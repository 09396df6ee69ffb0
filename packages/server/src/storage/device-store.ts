/**
 * Devices of an account. Nothing in Parley assumes one device per person; an account holds up to
 * a configurable number of devices (default {@link DEFAULT_MAX_DEVICES}). The linking flow that
 * decides who may add one lives above this store.
 */
import { type AccountId, type DeviceId, deviceId } from '@parley/protocol';
import { accountKey, fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { lockAccount } from './locks.ts';
import type { DevicesTable } from './schema.ts';

export const DEFAULT_MAX_DEVICES = 6;

/** An Ed25519 public key. */
const DEVICE_KEY_BYTES = 32;

/**
 * What a device authenticates with. Storage keeps both as given: it checks the key's length but
 * never the certificate, which whoever authenticates the device verifies against the identity.
 */
export interface DeviceCredentials {
  /** The device's Ed25519 public key (32 bytes). */
  readonly deviceKey: Uint8Array;
  /** The encoded device certificate, signed by the account's identity key. */
  readonly certificate: Uint8Array;
}

export interface DeviceRecord {
  readonly deviceId: DeviceId;
  /** The device's Ed25519 public key (32 bytes). */
  readonly deviceKey: Uint8Array;
  /** The encoded device certificate, as stored. */
  readonly certificate: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  /** When the device last authenticated (see {@link DeviceStore.touch}). */
  readonly lastSeenAt: number;
}

/** The columns a {@link DeviceRecord} is read from. */
const DEVICE_COLUMNS = ['device_id', 'device_key', 'certificate', 'created_at', 'last_seen_at'] as const;

type DeviceRow = Pick<DevicesTable, (typeof DEVICE_COLUMNS)[number]>;

export interface DeviceStore {
  /**
   * Adds a device to an existing account. Throws `not-found` for an unknown account,
   * `device-exists` if the id is taken, `device-limit` if the account is full and `usage` if the
   * device key is not 32 bytes.
   */
  addDevice(account: AccountId, device: DeviceId, credentials: DeviceCredentials): Promise<DeviceRecord>;
  /** The device, or `null` if there is none. */
  getDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord | null>;
  /** The account's devices by ascending id (empty for an unknown account). */
  listDevices(account: AccountId): Promise<DeviceRecord[]>;
  /** Removes a device and its prekeys. `false` if there was none. */
  removeDevice(account: AccountId, device: DeviceId): Promise<boolean>;
  /**
   * Removes a device and its prekeys and grants unless it is the account's only one (`last-device`:
   * an account is deleted, not emptied), atomically with that check. `false` if there was none.
   */
  removeDeviceUnlessLast(account: AccountId, device: DeviceId): Promise<boolean>;
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

  async addDevice(account: AccountId, device: DeviceId, credentials: DeviceCredentials): Promise<DeviceRecord> {
    const key = accountKey(account);
    const columns = credentialColumns(credentials);
    const now = this.#now();
    const { dialect } = this.#database;
    return storageOp('device-exists', () =>
      this.#database.db.transaction().execute(async (trx) => {
        // The lock makes "count, then insert" atomic against concurrent additions.
        if (!(await lockAccount(trx, dialect, key))) throw new StorageError('not-found', 'account not found');
        const inserted = await trx
          .insertInto('devices')
          .values({ account_id: key, device_id: device, ...columns, created_at: now, last_seen_at: now })
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
        return toRecord({ device_id: device, ...columns, created_at: now, last_seen_at: now });
      }),
    );
  }

  async getDevice(account: AccountId, device: DeviceId): Promise<DeviceRecord | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices')
        .select(DEVICE_COLUMNS)
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
        .select(DEVICE_COLUMNS)
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

  async removeDeviceUnlessLast(account: AccountId, device: DeviceId): Promise<boolean> {
    const key = accountKey(account);
    const { dialect } = this.#database;
    return storageOp('dependency', () =>
      this.#database.db.transaction().execute(async (trx) => {
        // The lock orders this against additions and other removals: two devices removing each
        // other at once cannot leave the account with none.
        if (!(await lockAccount(trx, dialect, key))) return false;
        const ids = await trx.selectFrom('devices').select('device_id').where('account_id', '=', key).execute();
        if (!ids.some((d) => Number(d.device_id) === device)) return false;
        if (ids.length === 1) throw new StorageError('last-device', 'an account keeps at least one device');
        await trx.deleteFrom('devices').where('account_id', '=', key).where('device_id', '=', device).execute();
        return true;
      }),
    );
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

/**
 * The credentials' column values, after checking them: throws `usage` unless the device key is
 * 32 bytes and both are byte strings (the certificate may have any length; storage never reads it).
 */
export function credentialColumns(credentials: DeviceCredentials): Pick<DevicesTable, 'device_key' | 'certificate'> {
  const { deviceKey, certificate } = credentials;
  if (!(deviceKey instanceof Uint8Array) || deviceKey.length !== DEVICE_KEY_BYTES) {
    throw new StorageError('usage', 'device key must be 32 bytes');
  }
  if (!(certificate instanceof Uint8Array)) throw new StorageError('usage', 'device certificate must be bytes');
  // Copies (`Buffer#slice` would not copy): what is checked is what is stored, whatever the caller
  // does with its buffers meanwhile.
  return { device_key: toColumn(new Uint8Array(deviceKey)), certificate: toColumn(new Uint8Array(certificate)) };
}

function toRecord(row: DeviceRow): DeviceRecord {
  return {
    deviceId: deviceId(row.device_id),
    deviceKey: fromColumn(row.device_key),
    certificate: fromColumn(row.certificate),
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}
