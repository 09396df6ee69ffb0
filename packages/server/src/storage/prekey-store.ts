/**
 * The prekey directory (docs/protocol-identities.md §3.2; PQXDH §3.2): what each device publishes so that
 * others can start sessions with it while it is offline. Signatures are checked by whoever
 * fetches a bundle (and by the HTTP layer on upload), never relied on from storage.
 */
import type { AccountId, DeviceId, KemPreKeyPublic, OneTimePreKeyPublic, SignedPreKeyPublic } from '@parley/protocol';
import type { Transaction } from 'kysely';
import { accountKey, flag, toColumn } from './column-values.ts';
import type { Database } from './database.ts';
import { storageOp } from './driver-errors.ts';
import { StorageError } from './errors.ts';
import { deleteExpired } from './expiry.ts';
import { lockDevice } from './locks.ts';
import type { DeviceKey, Schema } from './schema.ts';
import { type BundleKeys, takeBundleKeys } from './take-bundle-keys.ts';

export type { BundleKeys } from './take-bundle-keys.ts';

/** Remaining one-time keys, so that a device knows when to upload more. */
export interface PreKeyCounts {
  /** One-time X25519 prekeys. */
  readonly oneTime: number;
  /** One-time ML-KEM prekeys (the last-resort key is not counted). */
  readonly kem: number;
}

/**
 * Every write throws `not-found` for an unknown device; uploads are all-or-nothing batches.
 */
export interface PreKeyStore {
  /** Sets the device's signed prekey, replacing the previous one. */
  setSignedPreKey(account: AccountId, device: DeviceId, key: SignedPreKeyPublic): Promise<void>;
  /** Adds one-time X25519 prekeys. Throws `duplicate-prekey` (adding none) if any id is taken. */
  addOneTimePreKeys(account: AccountId, device: DeviceId, keys: readonly OneTimePreKeyPublic[]): Promise<void>;
  /**
   * Adds one-time ML-KEM prekeys (`lastResort` false; `usage` otherwise). Throws
   * `duplicate-prekey` (adding none) if any id is taken, by a one-time or the last-resort key.
   */
  addKemPreKeys(account: AccountId, device: DeviceId, keys: readonly KemPreKeyPublic[]): Promise<void>;
  /**
   * Sets the device's last-resort ML-KEM prekey (`lastResort` true; `usage` otherwise), replacing
   * the previous one. Throws `duplicate-prekey` if a one-time KEM prekey has its id.
   */
  setLastResortKemPreKey(account: AccountId, device: DeviceId, key: KemPreKeyPublic): Promise<void>;
  /** Remaining one-time keys of the device, or `null` for an unknown device. */
  counts(account: AccountId, device: DeviceId): Promise<PreKeyCounts | null>;
  /**
   * Hands out the keys of one bundle, atomically: the signed prekey, one one-time X25519 prekey
   * if any is left, and one one-time ML-KEM prekey if any is left, else the last-resort one. The
   * one-time keys returned are deleted, and no two calls — concurrent or not — ever get the same
   * one. `null` for an unknown device or one without a signed prekey or any KEM prekey (nothing
   * is consumed then).
   */
  takeBundleKeys(account: AccountId, device: DeviceId, options?: TakeBundleOptions): Promise<BundleKeys | null>;
  /**
   * How many bundles of the device carried its last-resort KEM prekey (ever; it only grows), or
   * `null` for an unknown device: the owner compares it with what it saw last to notice a drain.
   */
  lastResortServed(account: AccountId, device: DeviceId): Promise<number | null>;
  /**
   * Registers hashes of prekey grants the device gave out, valid until `expiresAt` (a hash
   * registered again takes the new expiry). Expired grants of the device are dropped first;
   * throws `prekey-grants-full` (adding none) if the device would hold more than
   * {@link MAX_PREKEY_GRANTS} unexpired ones, `not-found` for an unknown device.
   */
  addPreKeyGrants(
    account: AccountId,
    device: DeviceId,
    hashes: readonly Uint8Array[],
    expiresAt: number,
    now: number,
  ): Promise<void>;
  /** Whether the device registered this grant hash and it has not expired at `now`. */
  hasPreKeyGrant(account: AccountId, device: DeviceId, hash: Uint8Array, now: number): Promise<boolean>;
  /** Deletes every grant expired at or before `now`; returns how many. */
  purgeExpiredGrants(now: number): Promise<number>;
}

/** The most unexpired prekey grants one device holds (one per live invitation). */
export const MAX_PREKEY_GRANTS = 1000;

export interface TakeBundleOptions {
  /**
   * `false`: hand out no one-time key (the signed prekey and the last-resort KEM key only),
   * consuming nothing; for a requester over its one-time budget. Default `true`.
   */
  readonly oneTime?: boolean;
}

/** Rows per INSERT: keeps the bound parameters far below SQLite's and PostgreSQL's limits. */
const BATCH_ROWS = 500;

/** {@link PreKeyStore} over Kysely, for SQLite and PostgreSQL alike. */
export class SqlPreKeyStore implements PreKeyStore {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async setSignedPreKey(account: AccountId, device: DeviceId, key: SignedPreKeyPublic): Promise<void> {
    await this.#write(account, device, async (trx, owner) => {
      await trx
        .insertInto('signed_prekeys')
        .values({
          ...owner,
          key_id: key.id,
          public_key: toColumn(key.publicKey),
          created_at: key.createdAt,
          signature: toColumn(key.signature),
        })
        .onConflict((oc) =>
          oc.columns(['account_id', 'device_id']).doUpdateSet((eb) => ({
            key_id: eb.ref('excluded.key_id'),
            public_key: eb.ref('excluded.public_key'),
            created_at: eb.ref('excluded.created_at'),
            signature: eb.ref('excluded.signature'),
          })),
        )
        .execute();
    });
  }

  async addOneTimePreKeys(account: AccountId, device: DeviceId, keys: readonly OneTimePreKeyPublic[]): Promise<void> {
    await this.#write(account, device, async (trx, owner) => {
      let added = 0n;
      for (let i = 0; i < keys.length; i += BATCH_ROWS) {
        const rows = keys
          .slice(i, i + BATCH_ROWS)
          .map((k) => ({ ...owner, key_id: k.id, public_key: toColumn(k.publicKey) }));
        const result = await trx
          .insertInto('one_time_prekeys')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        added += result.numInsertedOrUpdatedRows ?? 0n;
      }
      if (added !== BigInt(keys.length)) throw duplicatePreKey();
    });
  }

  async addKemPreKeys(account: AccountId, device: DeviceId, keys: readonly KemPreKeyPublic[]): Promise<void> {
    if (keys.some((k) => k.lastResort)) throw new StorageError('usage', 'last-resort key passed as one-time key');
    await this.#write(account, device, async (trx, owner) => {
      let added = 0n;
      for (let i = 0; i < keys.length; i += BATCH_ROWS) {
        const rows = keys.slice(i, i + BATCH_ROWS).map((k) => ({ ...owner, ...kemRow(k) }));
        const result = await trx
          .insertInto('kem_prekeys')
          .values(rows)
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        added += result.numInsertedOrUpdatedRows ?? 0n;
      }
      if (added !== BigInt(keys.length)) throw duplicatePreKey();
    });
  }

  async setLastResortKemPreKey(account: AccountId, device: DeviceId, key: KemPreKeyPublic): Promise<void> {
    if (!key.lastResort) throw new StorageError('usage', 'one-time key passed as last-resort key');
    await this.#write(account, device, async (trx, owner) => {
      await trx
        .deleteFrom('kem_prekeys')
        .where('account_id', '=', owner.account_id)
        .where('device_id', '=', owner.device_id)
        .where('last_resort', '=', flag(true))
        .execute();
      const result = await trx
        .insertInto('kem_prekeys')
        .values({ ...owner, ...kemRow(key) })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (result.numInsertedOrUpdatedRows === 0n) throw duplicatePreKey();
    });
  }

  async counts(account: AccountId, device: DeviceId): Promise<PreKeyCounts | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices as d')
        .where('d.account_id', '=', accountKey(account))
        .where('d.device_id', '=', device)
        .select((eb) => [
          eb
            .selectFrom('one_time_prekeys as o')
            .whereRef('o.account_id', '=', 'd.account_id')
            .whereRef('o.device_id', '=', 'd.device_id')
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('one_time'),
          eb
            .selectFrom('kem_prekeys as k')
            .whereRef('k.account_id', '=', 'd.account_id')
            .whereRef('k.device_id', '=', 'd.device_id')
            .where('k.last_resort', '=', flag(false))
            .select((e) => e.fn.countAll<number>().as('n'))
            .as('kem'),
        ])
        .executeTakeFirst();
      return row === undefined ? null : { oneTime: Number(row.one_time), kem: Number(row.kem) };
    });
  }

  async takeBundleKeys(
    account: AccountId,
    device: DeviceId,
    options: TakeBundleOptions = {},
  ): Promise<BundleKeys | null> {
    const { db, dialect } = this.#database;
    const owner = { account_id: accountKey(account), device_id: device };
    const oneTime = options.oneTime ?? true;
    return storageOp('dependency', () =>
      db.transaction().execute((trx) => takeBundleKeys(trx, dialect, owner, { oneTime })),
    );
  }

  async lastResortServed(account: AccountId, device: DeviceId): Promise<number | null> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('devices')
        .select('last_resort_served')
        .where('account_id', '=', accountKey(account))
        .where('device_id', '=', device)
        .executeTakeFirst();
      return row === undefined ? null : Number(row.last_resort_served);
    });
  }

  async addPreKeyGrants(
    account: AccountId,
    device: DeviceId,
    hashes: readonly Uint8Array[],
    expiresAt: number,
    now: number,
  ): Promise<void> {
    await this.#write(account, device, async (trx, owner) => {
      await trx
        .deleteFrom('prekey_grants')
        .where('account_id', '=', owner.account_id)
        .where('device_id', '=', owner.device_id)
        .where('expires_at', '<=', now)
        .execute();
      for (let i = 0; i < hashes.length; i += BATCH_ROWS) {
        const rows = hashes
          .slice(i, i + BATCH_ROWS)
          .map((h) => ({ ...owner, grant_hash: toColumn(h), expires_at: expiresAt }));
        await trx
          .insertInto('prekey_grants')
          .values(rows)
          .onConflict((oc) =>
            oc
              .columns(['account_id', 'device_id', 'grant_hash'])
              .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })),
          )
          .execute();
      }
      const { n } = await trx
        .selectFrom('prekey_grants')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', owner.account_id)
        .where('device_id', '=', owner.device_id)
        .executeTakeFirstOrThrow();
      if (Number(n) > MAX_PREKEY_GRANTS) {
        throw new StorageError('prekey-grants-full', 'the device holds the most prekey grants it may');
      }
    });
  }

  async hasPreKeyGrant(account: AccountId, device: DeviceId, hash: Uint8Array, now: number): Promise<boolean> {
    return storageOp('dependency', async () => {
      const row = await this.#database.db
        .selectFrom('prekey_grants')
        .select('expires_at')
        .where('account_id', '=', accountKey(account))
        .where('device_id', '=', device)
        .where('grant_hash', '=', toColumn(hash))
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    });
  }

  purgeExpiredGrants(now: number): Promise<number> {
    return deleteExpired(this.#database, 'prekey_grants', now);
  }

  /** Runs `write` in a transaction, after checking (and on PostgreSQL locking) the device. */
  async #write(
    account: AccountId,
    device: DeviceId,
    write: (trx: Transaction<Schema>, owner: DeviceKey) => Promise<void>,
  ): Promise<void> {
    const owner: DeviceKey = { account_id: accountKey(account), device_id: device };
    const { db, dialect } = this.#database;
    await storageOp('duplicate-prekey', () =>
      db.transaction().execute(async (trx) => {
        if (!(await lockDevice(trx, dialect, owner))) throw new StorageError('not-found', 'device not found');
        await write(trx, owner);
      }),
    );
  }
}

function kemRow(k: KemPreKeyPublic) {
  return {
    key_id: k.id,
    public_key: toColumn(k.publicKey),
    created_at: k.createdAt,
    signature: toColumn(k.signature),
    last_resort: flag(k.lastResort),
  };
}

function duplicatePreKey(): StorageError {
  return new StorageError('duplicate-prekey', 'prekey id already in use');
}
