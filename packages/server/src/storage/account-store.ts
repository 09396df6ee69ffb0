/**
 * Accounts: an account is its public identity — no phone number, e-mail address or username —
 * and always starts with the device that proved possession of the identity key.
 */
import {
  type AccountId,
  accountIdOf,
  type DeviceId,
  encodeIdentity,
  PUBLIC_IDENTITY_BYTES,
  type PublicIdentity,
} from '@parley/protocol';
import { accountIdOfKey, accountKey, fromColumn, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { credentialColumns, type DeviceCredentials } from './device-store.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';

export interface AccountRecord {
  readonly accountId: AccountId;
  readonly identity: PublicIdentity;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
}

export interface AccountStore {
  /**
   * Creates the account of `identity` together with its first device and that device's
   * credentials, atomically. Throws `account-exists` if the identity already has an account, and
   * `usage` (creating nothing) for a malformed identity or a device key that is not 32 bytes.
   */
  createAccount(
    identity: PublicIdentity,
    firstDevice: { readonly deviceId: DeviceId } & DeviceCredentials,
  ): Promise<AccountRecord>;
  /** The account, or `null` if there is none. */
  getAccount(account: AccountId): Promise<AccountRecord | null>;
  /** Deletes the account and everything of it (devices, prekeys). `false` if there was none. */
  deleteAccount(account: AccountId): Promise<boolean>;
  /** How many devices the account has (0 for an unknown account). */
  countDevices(account: AccountId): Promise<number>;
}

export interface AccountStoreOptions {
  /** The clock, in milliseconds since the Unix epoch. Default `Date.now`. */
  readonly now?: () => number;
}

function decodeIdentity(bytes: Uint8Array): PublicIdentity {
  return { signingKey: bytes.slice(0, 32), agreementKey: bytes.slice(32, 64), certificate: bytes.slice(64, 128) };
}

/** {@link AccountStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlAccountStore implements AccountStore {
  readonly #database: Database;
  readonly #now: () => number;

  constructor(database: Database, options: AccountStoreOptions = {}) {
    this.#database = database;
    this.#now = options.now ?? Date.now;
  }

  async createAccount(
    identity: PublicIdentity,
    firstDevice: { readonly deviceId: DeviceId } & DeviceCredentials,
  ): Promise<AccountRecord> {
    const encoded = encodeIdentity(identity);
    if (encoded.length !== PUBLIC_IDENTITY_BYTES) throw new StorageError('usage', 'malformed public identity');
    const credentials = credentialColumns(firstDevice);
    const accountId = accountIdOf(identity);
    const key = accountKey(accountId);
    const createdAt = this.#now();
    return storageOp('account-exists', () =>
      this.#database.db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('accounts')
          .values({ account_id: key, identity: toColumn(encoded), created_at: createdAt })
          .onConflict((oc) => oc.column('account_id').doNothing())
          .executeTakeFirst();
        if (inserted.numInsertedOrUpdatedRows === 0n)
          throw new StorageError('account-exists', 'account already exists');
        await trx
          .insertInto('devices')
          .values({
            account_id: key,
            device_id: firstDevice.deviceId,
            ...credentials,
            created_at: createdAt,
            last_seen_at: createdAt,
          })
          .execute();
        return { accountId, identity: decodeIdentity(encoded), createdAt };
      }),
    );
  }

  async getAccount(account: AccountId): Promise<AccountRecord | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('accounts')
        .select(['account_id', 'identity', 'created_at'])
        .where('account_id', '=', accountKey(account))
        .executeTakeFirst();
      if (row === undefined) return null;
      return {
        accountId: accountIdOfKey(row.account_id),
        identity: decodeIdentity(fromColumn(row.identity)),
        createdAt: row.created_at,
      };
    });
  }

  async deleteAccount(account: AccountId): Promise<boolean> {
    return storageOp('dependency', async () => {
      // Devices and prekeys go with it: every child table references its parent ON DELETE CASCADE.
      const result = await this.#database.db
        .deleteFrom('accounts')
        .where('account_id', '=', accountKey(account))
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async countDevices(account: AccountId): Promise<number> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountKey(account))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }
}
