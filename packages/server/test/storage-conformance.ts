/**
 * The storage conformance suite: one set of tests that every backend must pass. Each backend's
 * test file calls {@link runStorageConformance} with a function that opens its database; every
 * call must open the same database, so that persistence across close and reopen can be checked.
 * Tests share that database and stay independent by using fresh random accounts.
 */
import { type AccountId, type DeviceId, deviceId } from '@parley/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlAccountStore } from '../src/storage/account-store.ts';
import { SqlChallengeStore } from '../src/storage/challenge-store.ts';
import { accountKey } from '../src/storage/column-values.ts';
import { SqlContactAddressStore } from '../src/storage/contact-address-store.ts';
import type { Database } from '../src/storage/database.ts';
import { SqlDeviceListStore } from '../src/storage/device-list-store.ts';
import { DEFAULT_MAX_DEVICES, type DeviceCredentials, SqlDeviceStore } from '../src/storage/device-store.ts';
import { StorageError } from '../src/storage/errors.ts';
import { type EnqueueResult, SqlMailboxStore } from '../src/storage/mailbox-store.ts';
import { migrations } from '../src/storage/migrations.ts';
import { MAX_PREKEY_GRANTS, SqlPreKeyStore } from '../src/storage/prekey-store.ts';
import { runChallengeStoreConformance } from './challenge-conformance.ts';
import {
  bytes,
  deviceCredentials,
  expectStorageError,
  firstDevice,
  kemPreKey,
  kemPreKeys,
  mailboxKeys,
  oneTimePreKeys,
  ownerKey,
  randomIdentity,
  signedPreKey,
  T0,
} from './storage-fixtures.ts';
import { EXPECTED_SCHEMA, logicalSchema, referencedTables } from './storage-schema.ts';

const D1 = deviceId(1);
const D2 = deviceId(2);

/** Rows left anywhere for the account, table by table. */
async function rowsOf(database: Database, account: AccountId): Promise<Record<string, number>> {
  const key = accountKey(account);
  const out: Record<string, number> = {};
  for (const table of ['accounts', 'devices', 'signed_prekeys', 'one_time_prekeys', 'kem_prekeys'] as const) {
    const { n } = await database.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', key)
      .executeTakeFirstOrThrow();
    out[table] = Number(n);
  }
  return out;
}

export function runStorageConformance(name: string, open: () => Promise<Database>): void {
  describe(`storage conformance: ${name}`, () => {
    let database: Database;
    let accounts: SqlAccountStore;
    let devices: SqlDeviceStore;
    let prekeys: SqlPreKeyStore;
    const now = () => T0;

    beforeAll(async () => {
      database = await open();
      accounts = new SqlAccountStore(database, { now });
      devices = new SqlDeviceStore(database, { now });
      prekeys = new SqlPreKeyStore(database);
    });
    afterAll(async () => {
      await database?.close();
    });

    /** A new account with its first device, and optionally more devices. */
    async function newAccount(...more: DeviceId[]): Promise<AccountId> {
      const { identity, account } = randomIdentity();
      await accounts.createAccount(identity, firstDevice(D1));
      for (const d of more) await devices.addDevice(account, d, deviceCredentials());
      return account;
    }

    /** A device with a full set of keys: signed, `oneTime` one-time, `kem` one-time KEM, last resort. */
    async function publish(account: AccountId, device: DeviceId, oneTime: number, kem: number): Promise<void> {
      await prekeys.setSignedPreKey(account, device, signedPreKey(1));
      await prekeys.addOneTimePreKeys(account, device, oneTimePreKeys(100, oneTime));
      await prekeys.addKemPreKeys(account, device, kemPreKeys(200, kem));
      await prekeys.setLastResortKemPreKey(account, device, kemPreKey(999, true));
    }

    describe('database', () => {
      it('has the committed logical schema', async () => {
        expect(await logicalSchema(database)).toEqual(EXPECTED_SCHEMA);
      });

      it('allows at most one last-resort KEM prekey per device in the schema itself', async () => {
        const account = await newAccount();
        await prekeys.setLastResortKemPreKey(account, D1, kemPreKey(1, true));
        const { publicKey, signature } = kemPreKey(2, true);
        const row = {
          account_id: accountKey(account),
          device_id: D1,
          created_at: T0,
          public_key: publicKey,
          signature,
        };
        const insert = (keyId: number, lastResort: 0 | 1) =>
          database.db
            .insertInto('kem_prekeys')
            .values({ ...row, key_id: keyId, last_resort: lastResort })
            .execute();
        await expect(insert(2, 1)).rejects.toThrow();
        await insert(3, 0);
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 0, kem: 1 });
      });

      it('applies migrations once however often it is opened', async () => {
        const again = await open();
        try {
          const count = async (d: Database) => {
            const { rows } = await sql<{ n: number | string }>`select count(*) as n from kysely_migration`.execute(
              d.db,
            );
            return Number(rows[0]?.n);
          };
          expect(await count(again)).toBe(Object.keys(migrations(database.dialect)).length);
          expect(await count(database)).toBe(Object.keys(migrations(database.dialect)).length);
          expect(await logicalSchema(again)).toEqual(EXPECTED_SCHEMA);
        } finally {
          await again.close();
        }
      });

      it('keeps data across close and reopen', async () => {
        const first = await open();
        const { identity, account } = randomIdentity();
        const device = firstDevice(D1);
        const linked = deviceCredentials();
        let challenge: Uint8Array;
        try {
          await new SqlAccountStore(first, { now }).createAccount(identity, device);
          await new SqlDeviceStore(first, { now }).addDevice(account, D2, linked);
          ({ challenge } = await new SqlChallengeStore(first).issue(60_000));
          const store = new SqlPreKeyStore(first);
          await store.setSignedPreKey(account, D1, signedPreKey(1));
          await store.addOneTimePreKeys(account, D1, oneTimePreKeys(1, 3));
          await store.setLastResortKemPreKey(account, D1, kemPreKey(9, true));
        } finally {
          await first.close();
        }
        const second = await open();
        try {
          expect((await new SqlAccountStore(second).getAccount(account))?.identity).toEqual(identity);
          expect(await new SqlDeviceStore(second).listDevices(account)).toEqual([
            { ...device, createdAt: T0, lastSeenAt: T0 },
            { deviceId: D2, ...linked, createdAt: T0, lastSeenAt: T0 },
          ]);
          const challenges = new SqlChallengeStore(second);
          expect(await challenges.consume(challenge)).toBe(true);
          expect(await challenges.consume(challenge)).toBe(false);
          const store = new SqlPreKeyStore(second);
          expect(await store.counts(account, D1)).toEqual({ oneTime: 3, kem: 0 });
          expect((await store.takeBundleKeys(account, D1))?.oneTimePreKey?.id).toBe(1);
        } finally {
          await second.close();
        }
      });
    });

    describe('accounts', () => {
      it('creates an account with its first device and reads it back', async () => {
        const { identity, account } = randomIdentity();
        const device = firstDevice(D1);
        const created = await accounts.createAccount(identity, device);
        expect(created).toEqual({ accountId: account, identity, createdAt: T0 });
        expect(await accounts.getAccount(account)).toEqual(created);
        expect(await accounts.countDevices(account)).toBe(1);
        const record = { deviceId: D1, deviceKey: device.deviceKey, certificate: device.certificate };
        expect(await devices.listDevices(account)).toEqual([{ ...record, createdAt: T0, lastSeenAt: T0 }]);
        expect(await devices.getDevice(account, D1)).toEqual({ ...record, createdAt: T0, lastSeenAt: T0 });
      });

      it('refuses an account id that is not canonical base64url', async () => {
        const { account } = randomIdentity();
        const noisy = `${account.slice(0, 10)}!${account.slice(10)}` as AccountId;
        await expectStorageError(accounts.getAccount(noisy), 'usage');
      });

      it('returns null and zero for an unknown account', async () => {
        const { account } = randomIdentity();
        expect(await accounts.getAccount(account)).toBeNull();
        expect(await accounts.countDevices(account)).toBe(0);
        expect(await accounts.deleteAccount(account)).toBe(false);
      });

      it('refuses a second account for the same identity, with a message that names nothing', async () => {
        const { identity, account } = randomIdentity();
        const device = firstDevice(D1);
        await accounts.createAccount(identity, device);
        const error = await expectStorageError(accounts.createAccount(identity, firstDevice(D2)), 'account-exists');
        expect(error.message).not.toContain(account);
        expect(String(error)).not.toContain(account);
        // The failed attempt changed nothing: the first device and its credentials are still it.
        expect(await devices.listDevices(account)).toEqual([{ ...device, createdAt: T0, lastSeenAt: T0 }]);
      });

      it('creates at most one account when the same identity registers concurrently', async () => {
        const { identity, account } = randomIdentity();
        const attempts = Array.from({ length: 5 }, () => firstDevice(D1));
        const results = await Promise.allSettled(attempts.map((device) => accounts.createAccount(identity, device)));
        const winners = attempts.filter((_, i) => results[i]?.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const r of results)
          if (r.status === 'rejected') expect(StorageError.is(r.reason, 'account-exists')).toBe(true);
        // The device that was stored is the winner's, credentials and all.
        expect(await devices.listDevices(account)).toEqual([{ ...winners[0], createdAt: T0, lastSeenAt: T0 }]);
      });

      it('rejects a malformed identity', async () => {
        const { identity } = randomIdentity();
        await expectStorageError(
          accounts.createAccount({ ...identity, certificate: new Uint8Array(63) }, firstDevice(D1)),
          'usage',
        );
      });

      it('rejects a first device key that is not 32 bytes, creating nothing', async () => {
        const { identity, account } = randomIdentity();
        for (const deviceKey of [bytes(31), bytes(33), new Uint8Array(0)]) {
          await expectStorageError(accounts.createAccount(identity, { ...firstDevice(D1), deviceKey }), 'usage');
        }
        expect(await rowsOf(database, account)).toMatchObject({ accounts: 0, devices: 0 });
        await accounts.createAccount(identity, firstDevice(D1));
        expect(await accounts.countDevices(account)).toBe(1);
      });

      it('deletes the account and every row of it, and nothing else', async () => {
        const account = await newAccount(D2);
        const other = await newAccount();
        await publish(account, D1, 3, 2);
        await publish(account, D2, 3, 2);
        await publish(other, D1, 3, 2);
        expect(await rowsOf(database, account)).toEqual({
          accounts: 1,
          devices: 2,
          signed_prekeys: 2,
          one_time_prekeys: 6,
          kem_prekeys: 6,
        });

        expect(await accounts.deleteAccount(account)).toBe(true);
        expect(await rowsOf(database, account)).toEqual({
          accounts: 0,
          devices: 0,
          signed_prekeys: 0,
          one_time_prekeys: 0,
          kem_prekeys: 0,
        });
        expect(await accounts.getAccount(account)).toBeNull();
        expect(await prekeys.counts(account, D1)).toBeNull();
        expect(await prekeys.takeBundleKeys(account, D1)).toBeNull();
        expect(await accounts.deleteAccount(account)).toBe(false);
        expect(await prekeys.counts(other, D1)).toEqual({ oneTime: 3, kem: 2 });
      });
    });

    describe('devices', () => {
      it('adds, lists, touches and removes devices', async () => {
        const account = await newAccount();
        const later = new SqlDeviceStore(database, { now: () => T0 + 5 });
        const seventh = deviceCredentials();
        expect(await later.addDevice(account, deviceId(7), seventh)).toEqual({
          deviceId: deviceId(7),
          ...seventh,
          createdAt: T0 + 5,
          lastSeenAt: T0 + 5,
        });
        const second = deviceCredentials();
        await devices.addDevice(account, D2, second);
        expect((await devices.listDevices(account)).map((d) => d.deviceId)).toEqual([1, 2, 7]);

        expect(await devices.touch(account, D2, T0 + 60_000)).toBe(true);
        expect(await devices.getDevice(account, D2)).toEqual({
          deviceId: D2,
          ...second,
          createdAt: T0,
          lastSeenAt: T0 + 60_000,
        });
        expect(await later.touch(account, D1)).toBe(true);
        expect((await devices.getDevice(account, D1))?.lastSeenAt).toBe(T0 + 5);

        expect(await devices.removeDevice(account, D2)).toBe(true);
        expect(await devices.removeDevice(account, D2)).toBe(false);
        expect(await devices.getDevice(account, D2)).toBeNull();
        expect(await devices.touch(account, D2)).toBe(false);
        expect(await accounts.countDevices(account)).toBe(2);
      });

      it('takes the largest u32 device id', async () => {
        const account = await newAccount();
        const max = deviceId(0xffffffff);
        await devices.addDevice(account, max, deviceCredentials());
        expect((await devices.listDevices(account)).map((d) => d.deviceId)).toEqual([1, max]);
      });

      it('refuses unknown accounts and taken ids', async () => {
        const { account: unknown } = randomIdentity();
        await expectStorageError(devices.addDevice(unknown, D1, deviceCredentials()), 'not-found');
        expect(await devices.listDevices(unknown)).toEqual([]);
        const account = await newAccount();
        const [original] = await devices.listDevices(account);
        await expectStorageError(devices.addDevice(account, D1, deviceCredentials()), 'device-exists');
        // The taken id keeps its credentials: a second addition does not overwrite them.
        expect(await devices.getDevice(account, D1)).toEqual(original);
      });

      it(`holds at most ${DEFAULT_MAX_DEVICES} devices by default`, async () => {
        const account = await newAccount();
        for (let d = 2; d <= DEFAULT_MAX_DEVICES; d++)
          await devices.addDevice(account, deviceId(d), deviceCredentials());
        await expectStorageError(devices.addDevice(account, deviceId(100), deviceCredentials()), 'device-limit');
        expect(await accounts.countDevices(account)).toBe(DEFAULT_MAX_DEVICES);
      });

      it('holds at most the configured number, and frees a slot on removal', async () => {
        const limited = new SqlDeviceStore(database, { maxDevices: 2, now });
        const account = await newAccount();
        await limited.addDevice(account, D2, deviceCredentials());
        await expectStorageError(limited.addDevice(account, deviceId(3), deviceCredentials()), 'device-limit');
        await limited.removeDevice(account, D1);
        await limited.addDevice(account, deviceId(3), deviceCredentials());
        expect((await limited.listDevices(account)).map((d) => d.deviceId)).toEqual([2, 3]);
        expect(() => new SqlDeviceStore(database, { maxDevices: 0 })).toThrow(StorageError);
      });

      it('never exceeds the limit under concurrent additions', async () => {
        const account = await newAccount();
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => devices.addDevice(account, deviceId(10 + i), deviceCredentials())),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(DEFAULT_MAX_DEVICES - 1);
        for (const r of results)
          if (r.status === 'rejected') expect(StorageError.is(r.reason, 'device-limit')).toBe(true);
        expect(await accounts.countDevices(account)).toBe(DEFAULT_MAX_DEVICES);
      });

      it('stores each device its own credentials, byte for byte, and hands out copies', async () => {
        const account = await newAccount();
        const backing = bytes(40);
        const credentials: DeviceCredentials[] = [
          deviceCredentials(),
          // The certificate is opaque to storage: any length is kept as given.
          { deviceKey: bytes(32), certificate: bytes(7) },
          // A key that is a view into a larger buffer.
          { deviceKey: backing.subarray(4, 36), certificate: bytes(110) },
        ];
        const expected = credentials.map((c, i) => ({
          deviceId: deviceId(10 + i),
          deviceKey: new Uint8Array(c.deviceKey),
          certificate: new Uint8Array(c.certificate),
          createdAt: T0,
          lastSeenAt: T0,
        }));
        for (const [i, c] of credentials.entries()) await devices.addDevice(account, deviceId(10 + i), c);

        // Changing the caller's buffers afterwards changes nothing stored.
        backing.fill(0);
        expect((await devices.listDevices(account)).slice(1)).toEqual(expected);
        for (const record of expected) expect(await devices.getDevice(account, record.deviceId)).toEqual(record);

        // Records are copies: changing one changes neither the database nor the next record.
        const record = await devices.getDevice(account, deviceId(10));
        record?.deviceKey.fill(0);
        record?.certificate.fill(0);
        expect(await devices.getDevice(account, deviceId(10))).toEqual(expected[0]);
      });

      it('rejects a device key that is not 32 bytes, adding nothing', async () => {
        const account = await newAccount();
        for (const deviceKey of [bytes(31), bytes(64), new Uint8Array(0)]) {
          await expectStorageError(devices.addDevice(account, D2, { ...deviceCredentials(), deviceKey }), 'usage');
        }
        expect(await devices.getDevice(account, D2)).toBeNull();
        expect(await accounts.countDevices(account)).toBe(1);
      });

      it('removes a device together with its prekeys', async () => {
        const account = await newAccount(D2);
        await publish(account, D2, 4, 4);
        await devices.removeDevice(account, D2);
        expect(await prekeys.counts(account, D2)).toBeNull();
        expect(await rowsOf(database, account)).toMatchObject({
          signed_prekeys: 0,
          one_time_prekeys: 0,
          kem_prekeys: 0,
        });
      });
    });

    describe('removing devices, the last one kept', () => {
      it('removes a device, its prekeys and grants, and never the last one', async () => {
        const account = await newAccount(D2);
        await publish(account, D2, 2, 2);
        await prekeys.addPreKeyGrants(account, D2, [bytes(32)], T0 + 1000, T0);
        expect(await devices.removeDeviceUnlessLast(account, D2)).toBe(true);
        expect(await devices.removeDeviceUnlessLast(account, D2)).toBe(false);
        expect(await rowsOf(database, account)).toMatchObject({ devices: 1, signed_prekeys: 0, one_time_prekeys: 0 });
        const { n } = await database.db
          .selectFrom('prekey_grants')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('account_id', '=', accountKey(account))
          .executeTakeFirstOrThrow();
        expect(Number(n)).toBe(0);
        await expectStorageError(devices.removeDeviceUnlessLast(account, D1), 'last-device');
        expect(await devices.getDevice(account, D1)).not.toBeNull();
        const { account: unknown } = randomIdentity();
        expect(await devices.removeDeviceUnlessLast(unknown, D1)).toBe(false);
      });

      it('leaves one device when two remove each other at once', async () => {
        const account = await newAccount(D2);
        const results = await Promise.allSettled([
          devices.removeDeviceUnlessLast(account, D1),
          devices.removeDeviceUnlessLast(account, D2),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results)
          if (r.status === 'rejected') expect(StorageError.is(r.reason, 'last-device')).toBe(true);
        expect(await accounts.countDevices(account)).toBe(1);
      });
    });

    describe('device lists', () => {
      /** An account with devices 1 and 2, and what a list naming them carries. */
      async function withDevices() {
        const account = await newAccount(D2);
        const named = (await devices.listDevices(account)).map((d) => ({
          deviceId: d.deviceId,
          deviceKey: d.deviceKey,
        }));
        return { account, named };
      }

      it('stores a list, serves it byte for byte and replaces it only with a greater version', async () => {
        const lists = new SqlDeviceListStore(database, { now });
        const { account, named } = await withDevices();
        expect(await lists.getDeviceList(account)).toBeNull();
        const v1 = bytes(300);
        expect(await lists.putDeviceList(account, { version: 1, list: v1, devices: named })).toEqual({
          outcome: 'stored',
        });
        expect(await lists.getDeviceList(account)).toEqual({ version: 1, list: v1, updatedAt: T0 });
        // A retry of the same bytes changes nothing.
        expect(await lists.putDeviceList(account, { version: 1, list: v1, devices: named })).toEqual({
          outcome: 'unchanged',
        });
        const v5 = bytes(410);
        const later = new SqlDeviceListStore(database, { now: () => T0 + 9 });
        expect(await later.putDeviceList(account, { version: 5, list: v5, devices: named.slice(1) })).toEqual({
          outcome: 'stored',
        });
        const current = { version: 5, list: v5, updatedAt: T0 + 9 };
        // An older version (rollback) and the same version with other bytes (a fork) are refused.
        for (const version of [4, 1, 5]) {
          expect(await lists.putDeviceList(account, { version, list: bytes(300), devices: named })).toEqual({
            outcome: 'stale',
            current,
          });
        }
        expect(await lists.getDeviceList(account)).toEqual(current);
        // Lists of two accounts are independent.
        const other = await withDevices();
        expect(await lists.getDeviceList(other.account)).toBeNull();
      });

      it('refuses a list naming a device the account does not have, or with another key', async () => {
        const lists = new SqlDeviceListStore(database, { now });
        const { account, named } = await withDevices();
        const ghost = [...named, { deviceId: deviceId(3), deviceKey: bytes(32) }];
        await expectStorageError(
          lists.putDeviceList(account, { version: 1, list: bytes(9), devices: ghost }),
          'unknown-device',
        );
        const swapped = [{ deviceId: D1, deviceKey: bytes(32) }];
        await expectStorageError(
          lists.putDeviceList(account, { version: 1, list: bytes(9), devices: swapped }),
          'unknown-device',
        );
        expect(await lists.getDeviceList(account)).toBeNull();
        const { account: unknown } = randomIdentity();
        await expectStorageError(
          lists.putDeviceList(unknown, { version: 1, list: bytes(9), devices: [] }),
          'not-found',
        );
        for (const version of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
          await expectStorageError(lists.putDeviceList(account, { version, list: bytes(9), devices: named }), 'usage');
        }
      });

      it('keeps versions growing under concurrent publications', async () => {
        const lists = new SqlDeviceListStore(database, { now });
        const { account, named } = await withDevices();
        const versions = [3, 1, 4, 2, 5, 9, 6, 8, 7];
        await Promise.all(
          versions.map((version) => lists.putDeviceList(account, { version, list: bytes(64), devices: named })),
        );
        expect((await lists.getDeviceList(account))?.version).toBe(9);
      });

      it('stores a copy, hands out copies and is deleted with the account', async () => {
        const lists = new SqlDeviceListStore(database, { now });
        const { account, named } = await withDevices();
        const list = bytes(200);
        const kept = new Uint8Array(list);
        await lists.putDeviceList(account, { version: 7, list, devices: named });
        list.fill(0);
        const stored = await lists.getDeviceList(account);
        expect(stored?.list).toEqual(kept);
        stored?.list.fill(1);
        expect((await lists.getDeviceList(account))?.list).toEqual(kept);
        await accounts.deleteAccount(account);
        expect(await lists.getDeviceList(account)).toBeNull();
      });
    });

    describe('prekeys', () => {
      it('refuses every write for an unknown device', async () => {
        const account = await newAccount();
        const { account: unknown } = randomIdentity();
        for (const [a, d] of [
          [account, D2],
          [unknown, D1],
        ] as const) {
          await expectStorageError(prekeys.setSignedPreKey(a, d, signedPreKey(1)), 'not-found');
          await expectStorageError(prekeys.addOneTimePreKeys(a, d, oneTimePreKeys(1, 2)), 'not-found');
          await expectStorageError(prekeys.addKemPreKeys(a, d, kemPreKeys(1, 2)), 'not-found');
          await expectStorageError(prekeys.setLastResortKemPreKey(a, d, kemPreKey(1, true)), 'not-found');
          expect(await prekeys.counts(a, d)).toBeNull();
          expect(await prekeys.takeBundleKeys(a, d)).toBeNull();
        }
      });

      it('counts one-time keys per device, not the last-resort key', async () => {
        const account = await newAccount(D2);
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 0, kem: 0 });
        await publish(account, D1, 5, 3);
        await prekeys.addOneTimePreKeys(account, D1, []);
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 5, kem: 3 });
        expect(await prekeys.counts(account, D2)).toEqual({ oneTime: 0, kem: 0 });
      });

      it('stores large uploads in full', async () => {
        const account = await newAccount();
        await prekeys.addOneTimePreKeys(account, D1, oneTimePreKeys(1, 1234));
        await prekeys.addKemPreKeys(account, D1, kemPreKeys(1, 123));
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 1234, kem: 123 });
      });

      it('rejects a batch with a taken or repeated id as a whole', async () => {
        const account = await newAccount();
        await prekeys.addOneTimePreKeys(account, D1, oneTimePreKeys(1, 3));
        await expectStorageError(prekeys.addOneTimePreKeys(account, D1, oneTimePreKeys(3, 3)), 'duplicate-prekey');
        const repeated = [...oneTimePreKeys(10, 2), ...oneTimePreKeys(11, 1)];
        await expectStorageError(prekeys.addOneTimePreKeys(account, D1, repeated), 'duplicate-prekey');
        await prekeys.addKemPreKeys(account, D1, kemPreKeys(1, 2));
        await expectStorageError(prekeys.addKemPreKeys(account, D1, kemPreKeys(2, 2)), 'duplicate-prekey');
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 3, kem: 2 });
      });

      it('keeps KEM key ids unique across one-time and last-resort keys', async () => {
        const account = await newAccount();
        await prekeys.addKemPreKeys(account, D1, kemPreKeys(1, 2));
        const lastResort = kemPreKey(50, true);
        await prekeys.setLastResortKemPreKey(account, D1, lastResort);
        await expectStorageError(prekeys.setLastResortKemPreKey(account, D1, kemPreKey(2, true)), 'duplicate-prekey');
        await expectStorageError(prekeys.addKemPreKeys(account, D1, [kemPreKey(50, false)]), 'duplicate-prekey');
        // The failed replacement rolled back: the old last-resort key is still there.
        await prekeys.setSignedPreKey(account, D1, signedPreKey(1));
        await prekeys.takeBundleKeys(account, D1);
        await prekeys.takeBundleKeys(account, D1);
        expect((await prekeys.takeBundleKeys(account, D1))?.kemPreKey).toEqual(lastResort);
      });

      it('refuses a key of the wrong kind', async () => {
        const account = await newAccount();
        await expectStorageError(prekeys.addKemPreKeys(account, D1, [kemPreKey(1, true)]), 'usage');
        await expectStorageError(prekeys.setLastResortKemPreKey(account, D1, kemPreKey(1, false)), 'usage');
      });

      it('replaces the signed prekey and the last-resort KEM prekey', async () => {
        const account = await newAccount();
        await publish(account, D1, 0, 0);
        const spk = signedPreKey(2, T0 + 1);
        const lastResort = kemPreKey(1000, true, T0 + 1);
        await prekeys.setSignedPreKey(account, D1, spk);
        await prekeys.setLastResortKemPreKey(account, D1, lastResort);
        expect(await prekeys.takeBundleKeys(account, D1)).toEqual({
          signedPreKey: spk,
          oneTimePreKey: null,
          kemPreKey: lastResort,
        });
        expect(await rowsOf(database, account)).toMatchObject({ signed_prekeys: 1, kem_prekeys: 1 });
        // Setting the same key again is allowed (idempotent retry of an upload).
        await prekeys.setLastResortKemPreKey(account, D1, lastResort);
      });
    });

    describe('bundles', () => {
      it('hands out one-time keys in id order, then the last-resort KEM key forever', async () => {
        const account = await newAccount();
        const spk = signedPreKey(1);
        const otks = oneTimePreKeys(100, 2);
        const kems = kemPreKeys(200, 2);
        const lastResort = kemPreKey(999, true);
        await prekeys.setSignedPreKey(account, D1, spk);
        await prekeys.addOneTimePreKeys(account, D1, [...otks].reverse());
        await prekeys.addKemPreKeys(account, D1, kems);
        await prekeys.setLastResortKemPreKey(account, D1, lastResort);

        expect(await prekeys.takeBundleKeys(account, D1)).toEqual({
          signedPreKey: spk,
          oneTimePreKey: otks[0],
          kemPreKey: kems[0],
        });
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 1, kem: 1 });
        expect(await prekeys.takeBundleKeys(account, D1)).toEqual({
          signedPreKey: spk,
          oneTimePreKey: otks[1],
          kemPreKey: kems[1],
        });
        for (let i = 0; i < 3; i++) {
          expect(await prekeys.takeBundleKeys(account, D1)).toEqual({
            signedPreKey: spk,
            oneTimePreKey: null,
            kemPreKey: lastResort,
          });
        }
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 0, kem: 0 });
      });

      it('withholds one-time keys when asked, and counts every bundle served with the last-resort key', async () => {
        const account = await newAccount(D2);
        const spk = signedPreKey(1);
        const lastResort = kemPreKey(999, true);
        await prekeys.setSignedPreKey(account, D1, spk);
        await prekeys.addOneTimePreKeys(account, D1, oneTimePreKeys(100, 1));
        await prekeys.addKemPreKeys(account, D1, kemPreKeys(200, 1));
        await prekeys.setLastResortKemPreKey(account, D1, lastResort);
        expect(await prekeys.lastResortServed(account, D1)).toBe(0);
        const withheld = { signedPreKey: spk, oneTimePreKey: null, kemPreKey: lastResort };
        expect(await prekeys.takeBundleKeys(account, D1, { oneTime: false })).toEqual(withheld);
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 1, kem: 1 });
        expect(await prekeys.lastResortServed(account, D1)).toBe(1);
        expect((await prekeys.takeBundleKeys(account, D1))?.kemPreKey.lastResort).toBe(false);
        expect(await prekeys.lastResortServed(account, D1)).toBe(1);
        expect(await prekeys.takeBundleKeys(account, D1)).toEqual(withheld);
        expect(await prekeys.lastResortServed(account, D1)).toBe(2);
        expect(await prekeys.lastResortServed(account, D2)).toBe(0);
        expect(await prekeys.lastResortServed(account, deviceId(9))).toBeNull();
      });

      it('keeps prekey grants per device until they expire, bounded, and deletes them with the account', async () => {
        const account = await newAccount(D2);
        const [g1, g2] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
        await prekeys.addPreKeyGrants(account, D1, [g1], T0 + 100, T0);
        expect(await prekeys.hasPreKeyGrant(account, D1, g1, T0 + 99)).toBe(true);
        expect(await prekeys.hasPreKeyGrant(account, D1, g1, T0 + 100)).toBe(false);
        expect(await prekeys.hasPreKeyGrant(account, D2, g1, T0)).toBe(false);
        expect(await prekeys.hasPreKeyGrant(account, D1, g2, T0)).toBe(false);
        // Registering again sets the new expiry.
        await prekeys.addPreKeyGrants(account, D1, [g1, g2], T0 + 200, T0);
        expect(await prekeys.hasPreKeyGrant(account, D1, g1, T0 + 150)).toBe(true);
        await expectStorageError(prekeys.addPreKeyGrants(account, deviceId(9), [g1], T0 + 1, T0), 'not-found');
        // The bound counts unexpired grants only, and a refused batch adds none of its grants.
        const many = Array.from({ length: MAX_PREKEY_GRANTS - 1 }, (_, i) => {
          const h = new Uint8Array(32);
          new DataView(h.buffer).setUint32(0, i + 10);
          return h;
        });
        await prekeys.addPreKeyGrants(account, D1, many.slice(0, -1), T0 + 300, T0);
        const extra = new Uint8Array(32).fill(9);
        await expectStorageError(
          prekeys.addPreKeyGrants(account, D1, [many.at(-1) ?? extra, extra], T0 + 300, T0),
          'prekey-grants-full',
        );
        expect(await prekeys.hasPreKeyGrant(account, D1, extra, T0)).toBe(false);
        // Once the first two expired, there is room again.
        await prekeys.addPreKeyGrants(account, D1, [extra], T0 + 300, T0 + 250);
        expect(await prekeys.hasPreKeyGrant(account, D1, extra, T0 + 250)).toBe(true);
        // The periodic purge deletes what expired, whatever device it belongs to.
        await prekeys.addPreKeyGrants(account, D2, [g1], T0 + 260, T0);
        expect(await prekeys.purgeExpiredGrants(T0 + 260)).toBe(1);
        expect(await prekeys.hasPreKeyGrant(account, D1, extra, T0 + 250)).toBe(true);
        expect(await accounts.deleteAccount(account)).toBe(true);
        expect(await prekeys.hasPreKeyGrant(account, D1, extra, T0 + 250)).toBe(false);
      });

      it('hands out nothing without a signed prekey or any KEM prekey', async () => {
        const account = await newAccount(D2);
        await prekeys.addOneTimePreKeys(account, D1, oneTimePreKeys(1, 2));
        await prekeys.addKemPreKeys(account, D1, kemPreKeys(1, 2));
        expect(await prekeys.takeBundleKeys(account, D1)).toBeNull();
        await prekeys.setSignedPreKey(account, D2, signedPreKey(1));
        await prekeys.addOneTimePreKeys(account, D2, oneTimePreKeys(1, 2));
        expect(await prekeys.takeBundleKeys(account, D2)).toBeNull();
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 2, kem: 2 });
        expect(await prekeys.counts(account, D2)).toEqual({ oneTime: 2, kem: 0 });
      });

      it("hands out only the requested device's keys", async () => {
        const account = await newAccount(D2);
        await publish(account, D1, 1, 1);
        await publish(account, D2, 1, 1);
        await prekeys.takeBundleKeys(account, D1);
        expect((await prekeys.takeBundleKeys(account, D1))?.oneTimePreKey).toBeNull();
        expect(await prekeys.counts(account, D2)).toEqual({ oneTime: 1, kem: 1 });
      });

      // Races are timing-dependent, so the scenario runs for several rounds.
      it.each([1, 2, 3, 4, 5])('never hands out a one-time key twice under concurrent fetches (round %i)', async () => {
        const account = await newAccount();
        await publish(account, D1, 10, 5);
        const bundles = await Promise.all(Array.from({ length: 20 }, () => prekeys.takeBundleKeys(account, D1)));

        const oneTime = bundles.map((b) => b?.oneTimePreKey?.id).filter((id) => id !== undefined);
        expect(new Set(oneTime).size).toBe(10);
        expect(oneTime).toHaveLength(10);
        expect(bundles.filter((b) => b !== null && b.oneTimePreKey === null)).toHaveLength(10);

        const kem = bundles.map((b) => b?.kemPreKey);
        const oneTimeKem = kem.filter((k) => k?.lastResort === false).map((k) => k?.id);
        expect(new Set(oneTimeKem).size).toBe(5);
        expect(oneTimeKem).toHaveLength(5);
        expect(kem.filter((k) => k?.lastResort === true && k.id === 999)).toHaveLength(15);
        expect(await prekeys.counts(account, D1)).toEqual({ oneTime: 0, kem: 0 });
      });
    });

    describe('mailboxes', () => {
      let clock = T0;
      let mailboxes: SqlMailboxStore;
      const limits = { ttlMs: 60_000, maxMessages: 100 };
      beforeAll(() => {
        mailboxes = new SqlMailboxStore(database, { now: () => clock });
      });

      /** A new mailbox, with `n` distinct envelopes enqueued; their seqs and envelopes. */
      async function filled(n: number): Promise<{ id: Uint8Array; envelopes: Uint8Array[]; seqs: number[] }> {
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const envelopes = Array.from({ length: n }, (_, i) => bytes(10 + i));
        const seqs: number[] = [];
        const options = { ...limits, maxMessages: Math.max(n, limits.maxMessages) };
        for (const envelope of envelopes) seqs.push((await mailboxes.enqueue(id, envelope, options)).seq);
        return { id, envelopes, seqs };
      }

      /** Rows stored for the mailbox (expired, unpurged ones included). */
      async function stored(id: Uint8Array): Promise<number> {
        const { n } = await database.db
          .selectFrom('mailbox_messages')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('mailbox_id', '=', id)
          .executeTakeFirstOrThrow();
        return Number(n);
      }

      /** The mailbox's stored count (migration 0002), which the bound check reads. */
      async function storedCount(id: Uint8Array): Promise<number> {
        const { message_count } = await database.db
          .selectFrom('mailboxes')
          .select('message_count')
          .where('mailbox_id', '=', id)
          .executeTakeFirstOrThrow();
        return Number(message_count);
      }

      it('keeps each mailbox’s stored count with every insert and delete, whoever makes it', async () => {
        const later = 5_000_000_000_000; // beyond every other test's messages
        clock = later;
        await mailboxes.purgeExpired();
        const a = await filled(4);
        const b = await filled(2);
        const check = async () => {
          expect(await storedCount(a.id)).toBe(await stored(a.id));
          expect(await storedCount(b.id)).toBe(await stored(b.id));
        };
        await check();
        expect(await storedCount(a.id)).toBe(4);
        // A duplicate stores nothing; an acknowledgement deletes; another mailbox's seqs do not.
        await mailboxes.enqueue(a.id, a.envelopes[0] as Uint8Array, { ttlMs: 60_000, maxMessages: 100 });
        await mailboxes.ack(a.id, [a.seqs[0] ?? 0, ...b.seqs]);
        await check();
        expect(await storedCount(a.id)).toBe(3);
        // Rows written directly, as an operator's script would, are counted too.
        await database.db
          .insertInto('mailbox_messages')
          .values({
            mailbox_id: b.id,
            digest: bytes(32),
            envelope: bytes(8),
            received_at: later,
            expires_at: later + 1,
          })
          .execute();
        await check();
        // An expired copy sent again replaces the old row; purging removes the rest.
        const { mailboxId: c } = await mailboxes.createMailbox(mailboxKeys());
        const envelope = bytes(20);
        await mailboxes.enqueue(c, envelope, { ttlMs: 1, maxMessages: 100 });
        clock = later + 10;
        await mailboxes.enqueue(c, envelope, { ttlMs: 60_000, maxMessages: 100 });
        expect(await storedCount(c)).toBe(1);
        expect(await stored(c)).toBe(1);
        await mailboxes.purgeExpired(); // b's direct row has expired
        await check();
        expect(await storedCount(b.id)).toBe(2);
        // The bound still holds once the count reaches it (the exact count decides there).
        const full = await filled(3);
        await expectStorageError(
          mailboxes.enqueue(full.id, bytes(10), { ttlMs: 60_000, maxMessages: 3 }),
          'mailbox-full',
        );
        expect(await storedCount(full.id)).toBe(3);
        expect(await mailboxes.deleteMailbox(a.id)).toBe(true);
        expect(await stored(a.id)).toBe(0);
      });

      it('links a mailbox or contact address to no account or device in the schema itself', async () => {
        const schema = await logicalSchema(database);
        expect(Object.keys(schema.mailboxes ?? {}).sort()).toEqual([
          'created_at',
          'mailbox_id',
          // How many messages it stores: what counting its rows in mailbox_messages tells anyway.
          'message_count',
          'recipient_key',
          'sender_key',
        ]);
        expect(Object.keys(schema.mailbox_messages ?? {}).sort()).toEqual([
          'digest',
          'envelope',
          'expires_at',
          'mailbox_id',
          'received_at',
          'seq',
        ]);
        expect(await referencedTables(database, 'mailboxes')).toEqual([]);
        expect(await referencedTables(database, 'mailbox_messages')).toEqual(['mailboxes']);
        expect(Object.keys(schema.contact_addresses ?? {}).sort()).toEqual(['address_id', 'created_at', 'owner_key']);
        expect(Object.keys(schema.contact_requests ?? {}).sort()).toEqual([
          'address_id',
          'body',
          'digest',
          'expires_at',
          'received_at',
          'seq',
        ]);
        expect(Object.keys(schema.contact_tokens ?? {}).sort()).toEqual(['address_id', 'created_at', 'token_hash']);
        expect(await referencedTables(database, 'contact_addresses')).toEqual([]);
        expect(await referencedTables(database, 'contact_requests')).toEqual(['contact_addresses']);
        expect(await referencedTables(database, 'contact_tokens')).toEqual(['contact_addresses']);
      });

      it('creates, reads and deletes a mailbox, its messages with it', async () => {
        clock = T0;
        const keys = mailboxKeys();
        const { mailboxId } = await mailboxes.createMailbox(keys);
        expect(mailboxId).toBeInstanceOf(Uint8Array);
        expect(mailboxId).toHaveLength(16);
        const record = await mailboxes.getMailbox(mailboxId);
        expect(record).toEqual({ mailboxId, ...keys, createdAt: T0 });
        // Records are copies: changing one changes nothing stored.
        record?.recipientKey.fill(0);
        expect((await mailboxes.getMailbox(mailboxId))?.recipientKey).toEqual(keys.recipientKey);
        const other = await mailboxes.createMailbox(mailboxKeys());
        expect(other.mailboxId).not.toEqual(mailboxId);

        await mailboxes.enqueue(mailboxId, bytes(100), limits);
        await mailboxes.enqueue(mailboxId, bytes(100), limits);
        await mailboxes.enqueue(other.mailboxId, bytes(100), limits);
        expect(await mailboxes.count(mailboxId)).toBe(2);
        expect(await stored(mailboxId)).toBe(2);

        expect(await mailboxes.deleteMailbox(mailboxId)).toBe(true);
        expect(await mailboxes.getMailbox(mailboxId)).toBeNull();
        expect(await mailboxes.count(mailboxId)).toBeNull();
        expect(await stored(mailboxId)).toBe(0);
        expect(await mailboxes.fetch(mailboxId, { limit: 10 })).toEqual([]);
        expect(await mailboxes.deleteMailbox(mailboxId)).toBe(false);
        await expectStorageError(mailboxes.enqueue(mailboxId, bytes(10), limits), 'not-found');
        expect(await mailboxes.count(other.mailboxId)).toBe(1);
      });

      it('treats unknown and malformed mailbox ids as unknown', async () => {
        for (const id of [bytes(16), bytes(15), bytes(17), new Uint8Array(0)]) {
          expect(await mailboxes.getMailbox(id)).toBeNull();
          expect(await mailboxes.count(id)).toBeNull();
          expect(await mailboxes.deleteMailbox(id)).toBe(false);
          expect(await mailboxes.fetch(id, { limit: 10 })).toEqual([]);
          expect(await mailboxes.ack(id, [1, 2])).toBe(0);
          await expectStorageError(mailboxes.enqueue(id, bytes(10), limits), 'not-found');
        }
      });

      it('takes ids from the injected source, and refuses bad keys, a bad source or bad arguments', async () => {
        const fixed = bytes(16);
        const seeded = new SqlMailboxStore(database, { random: () => fixed });
        const keys = mailboxKeys();
        const { mailboxId } = await seeded.createMailbox(keys);
        expect(mailboxId).toEqual(fixed);
        expect(mailboxId).not.toBe(fixed);
        // The same id twice means a broken source: refused, never a shared mailbox.
        await expectStorageError(seeded.createMailbox(mailboxKeys()), 'dependency');
        expect((await seeded.getMailbox(fixed))?.senderKey).toEqual(keys.senderKey);
        await expectStorageError(
          new SqlMailboxStore(database, { random: () => bytes(15) }).createMailbox(mailboxKeys()),
          'usage',
        );

        for (const key of [bytes(31), bytes(33), new Uint8Array(0)]) {
          await expectStorageError(mailboxes.createMailbox({ ...mailboxKeys(), recipientKey: key }), 'usage');
          await expectStorageError(mailboxes.createMailbox({ ...mailboxKeys(), senderKey: key }), 'usage');
        }

        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expectStorageError(mailboxes.enqueue(mailboxId, bytes(10), { ...limits, ttlMs: bad }), 'usage');
          await expectStorageError(mailboxes.enqueue(mailboxId, bytes(10), { ...limits, maxMessages: bad }), 'usage');
        }
        await expectStorageError(mailboxes.enqueue(mailboxId, new Uint8Array(0), limits), 'usage');
        for (const limit of [0, 1001, 1.5, -1]) {
          await expectStorageError(mailboxes.fetch(mailboxId, { limit }), 'usage');
        }
        await expectStorageError(mailboxes.fetch(mailboxId, { limit: 10, afterSeq: -1 }), 'usage');
        await expectStorageError(mailboxes.ack(mailboxId, [1.5]), 'usage');
        expect(await mailboxes.count(mailboxId)).toBe(0);
      });

      it('delivers many messages in enqueue order, byte for byte', async () => {
        clock = T0;
        const { id, envelopes, seqs } = await filled(60);
        const { mailboxId: other } = await mailboxes.createMailbox(mailboxKeys());
        // Interleaved deliveries to another mailbox change nothing about this one's order.
        for (let i = 0; i < 5; i++) await mailboxes.enqueue(other, bytes(20), limits);
        const last = await mailboxes.enqueue(id, envelopes[0]?.slice().reverse() ?? bytes(1), limits);

        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Number.MAX_VALUE);
        expect(last.seq).toBeGreaterThan(seqs.at(-1) ?? Number.MAX_VALUE);
        const fetched = await mailboxes.fetch(id, { limit: 1000 });
        expect(fetched).toEqual([
          ...envelopes.map((envelope, i) => ({ seq: seqs[i], envelope, receivedAt: T0 })),
          { seq: last.seq, envelope: envelopes[0]?.slice().reverse(), receivedAt: T0 },
        ]);
        // Fetching removes nothing.
        expect(await mailboxes.count(id)).toBe(61);
        expect(await mailboxes.fetch(id, { limit: 1 })).toEqual(fetched.slice(0, 1));
      });

      it('pages through a mailbox with afterSeq', async () => {
        clock = T0;
        const { id, envelopes, seqs } = await filled(10);
        const pages: Uint8Array[][] = [];
        let after = 0;
        for (;;) {
          const page = await mailboxes.fetch(id, { afterSeq: after, limit: 3 });
          if (page.length === 0) break;
          pages.push(page.map((m) => m.envelope));
          after = page.at(-1)?.seq ?? Number.MAX_SAFE_INTEGER;
        }
        expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
        expect(pages.flat()).toEqual(envelopes);
        expect((await mailboxes.fetch(id, { afterSeq: seqs[4] ?? 0, limit: 100 })).map((m) => m.seq)).toEqual(
          seqs.slice(5),
        );
        expect(await mailboxes.fetch(id, { afterSeq: seqs.at(-1) ?? 0, limit: 100 })).toEqual([]);
      });

      it('stores a resent envelope once, even in a full mailbox', async () => {
        clock = T0;
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const envelope = bytes(200);
        const first = await mailboxes.enqueue(id, envelope, { ttlMs: 60_000, maxMessages: 2 });
        expect(first.duplicate).toBe(false);
        clock = T0 + 10;
        // A copy of the bytes (and a view into a larger buffer) is the same envelope.
        const view = new Uint8Array([1, ...envelope, 2]).subarray(1, 201);
        expect(first.receivedAt).toBe(T0);
        expect(await mailboxes.enqueue(id, view, { ttlMs: 1, maxMessages: 2 })).toEqual({
          seq: first.seq,
          duplicate: true,
          receivedAt: T0,
        });
        await mailboxes.enqueue(id, bytes(200), { ttlMs: 60_000, maxMessages: 2 });
        expect(await mailboxes.enqueue(id, envelope, { ttlMs: 60_000, maxMessages: 2 })).toEqual({
          seq: first.seq,
          duplicate: true,
          receivedAt: T0,
        });
        // The duplicate changed nothing: not the time received, not the expiry.
        expect(await mailboxes.count(id)).toBe(2);
        expect((await mailboxes.fetch(id, { limit: 10 }))[0]).toEqual({ seq: first.seq, envelope, receivedAt: T0 });
        clock = T0 + 59_999;
        expect(await mailboxes.count(id)).toBe(2);

        // The same bytes in another mailbox are another message.
        const { mailboxId: other } = await mailboxes.createMailbox(mailboxKeys());
        const there = await mailboxes.enqueue(other, envelope, limits);
        expect(there.duplicate).toBe(false);
        expect(there.seq).not.toBe(first.seq);

        // Once acknowledged, the same envelope is still the same message until it would have
        // expired (issue 16: a redelivery is not stored again), and a new one after that.
        expect(await mailboxes.ack(id, [first.seq])).toBe(1);
        expect(await mailboxes.enqueue(id, envelope, limits)).toEqual({
          seq: first.seq,
          duplicate: true,
          receivedAt: T0,
        });
        expect(await mailboxes.fetch(id, { limit: 10 })).not.toContainEqual(expect.objectContaining({ envelope }));
        clock = T0 + 60_000;
        const again = await mailboxes.enqueue(id, envelope, limits);
        expect(again.duplicate).toBe(false);
        expect(again.seq).toBeGreaterThan(there.seq);
      });

      it('totals the unexpired messages of all mailboxes', async () => {
        clock = T0 + 10;
        const beforeLater = await mailboxes.total(); // what other tests left, as at the end
        clock = T0;
        const before = await mailboxes.total();
        const a = await filled(3);
        await filled(2);
        expect(await mailboxes.total()).toBe(before + 5);
        expect(await mailboxes.ack(a.id, [a.seqs[0] ?? 0])).toBe(1);
        await mailboxes.enqueue(a.id, bytes(12), { ttlMs: 10, maxMessages: 10 });
        expect(await mailboxes.total()).toBe(before + 5);
        clock = T0 + 10; // the last one has expired, and counts no more
        expect(await mailboxes.total()).toBe(beforeLater + 4);
      });

      it('refuses a message beyond maxMessages, storing nothing', async () => {
        clock = T0;
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const options = { ttlMs: 60_000, maxMessages: 3 };
        const seqs: number[] = [];
        for (let i = 0; i < 3; i++) seqs.push((await mailboxes.enqueue(id, bytes(10), options)).seq);
        const refused = bytes(10);
        const error = await expectStorageError(mailboxes.enqueue(id, refused, options), 'mailbox-full');
        expect(error.message).not.toContain(Buffer.from(id).toString('hex'));
        expect(await mailboxes.count(id)).toBe(3);
        expect(await stored(id)).toBe(3);
        // A higher limit lets it in; an acknowledgement frees a slot.
        await mailboxes.enqueue(id, refused, { ...options, maxMessages: 4 });
        await expectStorageError(mailboxes.enqueue(id, bytes(10), { ...options, maxMessages: 4 }), 'mailbox-full');
        expect(await mailboxes.ack(id, [seqs[0] ?? 0])).toBe(1);
        await mailboxes.enqueue(id, bytes(10), { ...options, maxMessages: 4 });
        expect(await mailboxes.count(id)).toBe(4);
      });

      it("acknowledges only the given mailbox's messages", async () => {
        clock = T0;
        const mine = await filled(5);
        const theirs = await filled(3);
        // Another mailbox's seqs delete nothing, from either mailbox.
        expect(await mailboxes.ack(mine.id, theirs.seqs)).toBe(0);
        expect(await mailboxes.ack(theirs.id, [mine.seqs[0] ?? 0])).toBe(0);
        expect(await mailboxes.count(theirs.id)).toBe(3);
        expect(await mailboxes.count(mine.id)).toBe(5);

        expect(await mailboxes.ack(mine.id, [])).toBe(0);
        const [a = 0, b = 0, c = 0] = mine.seqs;
        expect(await mailboxes.ack(mine.id, [a, c, c, ...theirs.seqs, 0, Number.MAX_SAFE_INTEGER])).toBe(2);
        expect(await mailboxes.ack(mine.id, [a, c])).toBe(0);
        expect((await mailboxes.fetch(mine.id, { limit: 10 })).map((m) => m.seq)).toEqual([b, ...mine.seqs.slice(3)]);
        expect((await mailboxes.fetch(theirs.id, { limit: 10 })).map((m) => m.seq)).toEqual(theirs.seqs);
      });

      it('acknowledges large batches in full', async () => {
        clock = T0;
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        // Stored directly: 1200 enqueues one by one would only make the test slow.
        const rows = Array.from({ length: 1200 }, () => ({
          mailbox_id: id,
          digest: bytes(32),
          envelope: bytes(8),
          received_at: T0,
          expires_at: T0 + 60_000,
        }));
        const inserted = await database.db.insertInto('mailbox_messages').values(rows).returning('seq').execute();
        const seqs = inserted.map((r) => r.seq).sort((a, b) => a - b);
        expect(await mailboxes.count(id)).toBe(1200);
        expect(await mailboxes.ack(id, seqs.slice(0, 1100))).toBe(1100);
        expect((await mailboxes.fetch(id, { limit: 1000 })).map((m) => m.seq)).toEqual(seqs.slice(1100));
      });

      it('expires messages on the injected clock', async () => {
        // Far beyond every other test's messages: purge those first.
        const later = 4_000_000_000_000;
        clock = later;
        await mailboxes.purgeExpired();
        expect(await mailboxes.purgeExpired()).toBe(0);

        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const short = bytes(30);
        const options = { ttlMs: 1000, maxMessages: 2 };
        const s = await mailboxes.enqueue(id, short, options);
        clock = later + 500;
        const long = bytes(30);
        const l = await mailboxes.enqueue(id, long, { ...options, ttlMs: 60_000 });
        await expectStorageError(mailboxes.enqueue(id, bytes(30), options), 'mailbox-full');

        clock = later + 999;
        expect((await mailboxes.fetch(id, { limit: 10 })).map((m) => m.seq)).toEqual([s.seq, l.seq]);
        expect(await mailboxes.purgeExpired()).toBe(0);

        // From the moment it expires, a message is invisible and takes no slot, purged or not.
        clock = later + 1000;
        expect(await mailboxes.fetch(id, { limit: 10 })).toEqual([
          { seq: l.seq, envelope: long, receivedAt: later + 500 },
        ]);
        expect(await mailboxes.count(id)).toBe(1);
        const third = await mailboxes.enqueue(id, bytes(30), options);
        expect(third.duplicate).toBe(false);
        await expectStorageError(mailboxes.enqueue(id, bytes(30), options), 'mailbox-full');
        expect(await stored(id)).toBe(3);

        // An expired envelope sent again is a new message, not a duplicate of the expired one.
        clock = later + 5000;
        expect(await mailboxes.count(id)).toBe(1);
        const resent = await mailboxes.enqueue(id, short, options);
        expect(resent.duplicate).toBe(false);
        expect(resent.seq).toBeGreaterThan(third.seq);
        expect((await mailboxes.fetch(id, { limit: 10 })).map((m) => m.seq)).toEqual([l.seq, resent.seq]);

        // The purge deletes exactly the expired rows (here: the third message), and nothing else.
        expect(await stored(id)).toBe(3);
        expect(await mailboxes.purgeExpired()).toBe(1);
        expect(await mailboxes.purgeExpired()).toBe(0);
        expect(await stored(id)).toBe(2);
        expect(await mailboxes.count(id)).toBe(2);
        expect(await mailboxes.getMailbox(id)).not.toBeNull();
      });

      // Races are timing-dependent, so the scenario runs for several rounds.
      it.each([1, 2, 3])('orders concurrent enqueues into one mailbox (round %i)', async () => {
        clock = T0;
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const envelopes = Array.from({ length: 20 }, () => bytes(64));
        const results = await Promise.all(envelopes.map((e) => mailboxes.enqueue(id, e, limits)));
        expect(results.every((r) => !r.duplicate)).toBe(true);
        expect(new Set(results.map((r) => r.seq)).size).toBe(20);

        const fetched = await mailboxes.fetch(id, { limit: 1000 });
        const bySeq = [...results.keys()].sort((i, j) => (results[i]?.seq ?? 0) - (results[j]?.seq ?? 0));
        expect(fetched.map((m) => m.seq)).toEqual(bySeq.map((i) => results[i]?.seq));
        expect(fetched.map((m) => m.envelope)).toEqual(bySeq.map((i) => envelopes[i]));
      });

      it.each([1, 2, 3])('keeps the limit and idempotency under concurrent enqueues (round %i)', async () => {
        clock = T0;
        const { mailboxId: id } = await mailboxes.createMailbox(mailboxKeys());
        const options = { ttlMs: 60_000, maxMessages: 10 };
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () => mailboxes.enqueue(id, bytes(8), options)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
        for (const r of results)
          if (r.status === 'rejected') expect(StorageError.is(r.reason, 'mailbox-full')).toBe(true);
        expect(await mailboxes.count(id)).toBe(10);

        const { mailboxId: other } = await mailboxes.createMailbox(mailboxKeys());
        const envelope = bytes(64);
        const same = await Promise.all(Array.from({ length: 10 }, () => mailboxes.enqueue(other, envelope, options)));
        expect(same.filter((r) => !r.duplicate)).toHaveLength(1);
        expect(new Set(same.map((r) => r.seq)).size).toBe(1);
        expect(await mailboxes.count(other)).toBe(1);
      });

      it('commits concurrent enqueues together, each with its own outcome (group commit)', async () => {
        clock = T0;
        const { mailboxId: a } = await mailboxes.createMailbox(mailboxKeys());
        const { mailboxId: b } = await mailboxes.createMailbox(mailboxKeys());
        const unknown = bytes(16);
        const calls = Array.from({ length: 30 }, (_, i) =>
          mailboxes.enqueue([a, b, unknown][i % 3] as Uint8Array, bytes(32), limits),
        );
        const results = await Promise.allSettled(calls);
        results.forEach((r, i) => {
          if (i % 3 === 2) expect(r.status === 'rejected' && StorageError.is(r.reason, 'not-found')).toBe(true);
          else expect(r.status).toBe('fulfilled');
        });
        expect(await mailboxes.count(a)).toBe(10);
        expect(await mailboxes.count(b)).toBe(10);
      });

      it('commits concurrent acknowledgements and enqueues together, each with its own result', async () => {
        clock = T0;
        const { id, seqs } = await filled(6);
        const calls = [
          mailboxes.ack(id, [seqs[0] ?? 0, seqs[1] ?? 0]),
          mailboxes.enqueue(id, bytes(32), limits),
          mailboxes.ack(id, [seqs[1] ?? 0, seqs[2] ?? 0]),
          mailboxes.ack(bytes(16), [seqs[3] ?? 0]),
          mailboxes.enqueue(id, bytes(32), limits),
          mailboxes.ack(id, [seqs[5] ?? 0]),
        ];
        const [a1, e1, a2, a3, e2, a4] = await Promise.all(calls);
        // In call order within the batch: the second ack finds seqs[1] already gone.
        expect([a1, a2, a3, a4]).toEqual([2, 1, 0, 1]);
        expect((e2 as { seq: number }).seq).toBeGreaterThan((e1 as { seq: number }).seq);
        // Six, less four acknowledged, plus two new.
        expect(await mailboxes.count(id)).toBe(4);
      });

      it('refuses every enqueue into a full mailbox in one batch, answers copies as duplicates, and counts again after an ack', async () => {
        clock = T0;
        const full = await filled(3);
        const other = await filled(1);
        const at3 = { ttlMs: 60_000, maxMessages: 3 };
        const at4 = { ...at3, maxMessages: 4 };
        // Issued in one turn: one group commit, in this order.
        const calls: Promise<EnqueueResult | number>[] = [
          mailboxes.enqueue(full.id, bytes(20), at3),
          mailboxes.enqueue(full.id, full.envelopes[1] as Uint8Array, at3),
          mailboxes.enqueue(other.id, bytes(20), at3),
          mailboxes.enqueue(full.id, bytes(21), at3),
          mailboxes.enqueue(full.id, bytes(22), at4),
          mailboxes.enqueue(full.id, bytes(23), at4),
          mailboxes.ack(full.id, [full.seqs[0] ?? 0]),
          mailboxes.enqueue(full.id, bytes(24), at4),
          mailboxes.enqueue(full.id, bytes(25), at4),
          mailboxes.enqueue(full.id, full.envelopes[2] as Uint8Array, at4),
        ];
        const outcomes = (await Promise.allSettled(calls)).map((r) => {
          if (r.status === 'rejected') return StorageError.is(r.reason) ? r.reason.code : String(r.reason);
          if (typeof r.value === 'number') return `acked ${r.value}`;
          return r.value.duplicate ? `duplicate of ${r.value.seq}` : 'stored';
        });
        expect(outcomes).toEqual([
          'mailbox-full',
          `duplicate of ${full.seqs[1]}`, // a copy of a waiting envelope, even when full
          'stored', // another mailbox
          'mailbox-full',
          'stored', // a higher bound has room: counted again, and let in
          'mailbox-full', // full at that bound too, now
          'acked 1', // frees a slot…
          'stored', // …which the next enqueue takes
          'mailbox-full',
          `duplicate of ${full.seqs[2]}`,
        ]);
        expect(await mailboxes.count(full.id)).toBe(4);
        expect(await stored(full.id)).toBe(4);
      });

      it('keeps mailboxes and messages across close and reopen', async () => {
        const keys = mailboxKeys();
        const envelopes = [bytes(50), bytes(60)];
        const first = await open();
        let id: Uint8Array;
        let seqs: number[];
        try {
          const store = new SqlMailboxStore(first, { now: () => T0 });
          ({ mailboxId: id } = await store.createMailbox(keys));
          seqs = [];
          for (const e of envelopes) seqs.push((await store.enqueue(id, e, limits)).seq);
        } finally {
          await first.close();
        }
        const second = await open();
        try {
          const store = new SqlMailboxStore(second, { now: () => T0 + 1 });
          expect(await store.getMailbox(id)).toEqual({ mailboxId: id, ...keys, createdAt: T0 });
          expect(await store.fetch(id, { limit: 10 })).toEqual(
            envelopes.map((envelope, i) => ({ seq: seqs[i], envelope, receivedAt: T0 })),
          );
          // Seqs keep increasing after a reopen, and the duplicate check still knows the old ones.
          expect(await store.enqueue(id, envelopes[0] ?? bytes(1), limits)).toMatchObject({
            seq: seqs[0],
            duplicate: true,
          });
          expect((await store.enqueue(id, bytes(70), limits)).seq).toBeGreaterThan(seqs[1] ?? Number.MAX_VALUE);
        } finally {
          await second.close();
        }
      });
    });

    describe('contact addresses', () => {
      let clock = T0;
      let addresses: SqlContactAddressStore;
      const limits = { ttlMs: 60_000, maxRequests: 100 };
      beforeAll(() => {
        addresses = new SqlContactAddressStore(database, { now: () => clock });
      });

      /** A new address, with `n` distinct request bodies added; their seqs and bodies. */
      async function filled(n: number): Promise<{ id: Uint8Array; bodies: Uint8Array[]; seqs: number[] }> {
        const { addressId: id } = await addresses.createAddress(ownerKey());
        const bodies = Array.from({ length: n }, (_, i) => bytes(10 + i));
        const seqs: number[] = [];
        for (const body of bodies) seqs.push((await addresses.addRequest(id, body, limits)).seq);
        return { id, bodies, seqs };
      }

      /** Rows stored for the address in a table (expired, unpurged requests included). */
      async function stored(table: 'contact_requests' | 'contact_tokens', id: Uint8Array): Promise<number> {
        const { n } = await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('address_id', '=', id)
          .executeTakeFirstOrThrow();
        return Number(n);
      }

      it('creates, reads and revokes an address, its requests and tokens with it', async () => {
        clock = T0;
        const key = ownerKey();
        const { addressId } = await addresses.createAddress(key);
        expect(addressId).toBeInstanceOf(Uint8Array);
        expect(addressId).toHaveLength(16);
        const record = await addresses.getAddress(addressId);
        expect(record).toEqual({ addressId, ownerKey: key, createdAt: T0 });
        // Records are copies: changing one changes nothing stored.
        record?.ownerKey.fill(0);
        expect((await addresses.getAddress(addressId))?.ownerKey).toEqual(key);

        const other = await filled(1);
        expect(other.id).not.toEqual(addressId);
        const token = bytes(32);
        await addresses.addTokens(other.id, [token]);
        await addresses.addRequest(addressId, bytes(100), limits);
        await addresses.addRequest(addressId, bytes(100), limits);
        await addresses.addTokens(addressId, [token, bytes(32)]);
        expect(await stored('contact_requests', addressId)).toBe(2);
        expect(await stored('contact_tokens', addressId)).toBe(2);

        expect(await addresses.revokeAddress(addressId)).toBe(true);
        expect(await addresses.getAddress(addressId)).toBeNull();
        expect(await stored('contact_requests', addressId)).toBe(0);
        expect(await stored('contact_tokens', addressId)).toBe(0);
        expect(await addresses.listRequests(addressId, { limit: 10 })).toEqual([]);
        expect(await addresses.hasToken(addressId, token)).toBe(false);
        expect(await addresses.revokeAddress(addressId)).toBe(false);
        await expectStorageError(addresses.addRequest(addressId, bytes(10), limits), 'not-found');
        await expectStorageError(addresses.addTokens(addressId, [bytes(32)]), 'not-found');
        // Another address keeps everything, including the same token.
        expect(await addresses.listRequests(other.id, { limit: 10 })).toHaveLength(1);
        expect(await addresses.hasToken(other.id, token)).toBe(true);
      });

      it('treats unknown and malformed ids as unknown, and refuses bad keys, sources or arguments', async () => {
        for (const id of [bytes(16), bytes(15), bytes(17), new Uint8Array(0)]) {
          expect(await addresses.getAddress(id)).toBeNull();
          expect(await addresses.revokeAddress(id)).toBe(false);
          expect(await addresses.listRequests(id, { limit: 10 })).toEqual([]);
          expect(await addresses.deleteRequests(id, [1, 2])).toBe(0);
          expect(await addresses.hasToken(id, bytes(32))).toBe(false);
          expect(await addresses.removeTokens(id, [bytes(32)])).toBe(0);
          await expectStorageError(addresses.addRequest(id, bytes(10), limits), 'not-found');
          await expectStorageError(addresses.addTokens(id, [bytes(32)]), 'not-found');
          await expectStorageError(addresses.addTokens(id, []), 'not-found');
        }

        const fixed = bytes(16);
        const seeded = new SqlContactAddressStore(database, { random: () => fixed });
        const key = ownerKey();
        expect((await seeded.createAddress(key)).addressId).toEqual(fixed);
        // The same id twice means a broken source: refused, never a shared address.
        await expectStorageError(seeded.createAddress(ownerKey()), 'dependency');
        expect((await seeded.getAddress(fixed))?.ownerKey).toEqual(key);
        await expectStorageError(
          new SqlContactAddressStore(database, { random: () => bytes(17) }).createAddress(ownerKey()),
          'usage',
        );
        for (const bad of [bytes(31), bytes(33), new Uint8Array(0)]) {
          await expectStorageError(addresses.createAddress(bad), 'usage');
        }

        for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expectStorageError(addresses.addRequest(fixed, bytes(10), { ...limits, ttlMs: bad }), 'usage');
          await expectStorageError(addresses.addRequest(fixed, bytes(10), { ...limits, maxRequests: bad }), 'usage');
        }
        await expectStorageError(addresses.addRequest(fixed, new Uint8Array(0), limits), 'usage');
        for (const limit of [0, 1001, 1.5, -1]) {
          await expectStorageError(addresses.listRequests(fixed, { limit }), 'usage');
        }
        await expectStorageError(addresses.listRequests(fixed, { limit: 10, afterSeq: -1 }), 'usage');
        await expectStorageError(addresses.deleteRequests(fixed, [1.5]), 'usage');
        for (const hash of [bytes(31), bytes(33), new Uint8Array(0)]) {
          await expectStorageError(addresses.addTokens(fixed, [bytes(32), hash]), 'usage');
          await expectStorageError(addresses.removeTokens(fixed, [hash]), 'usage');
          await expectStorageError(addresses.hasToken(fixed, hash), 'usage');
        }
        // The refused token batch stored nothing, not even its valid hashes.
        expect(await stored('contact_tokens', fixed)).toBe(0);
        expect(await stored('contact_requests', fixed)).toBe(0);
      });

      it('lists requests in the order added, byte for byte, and pages with afterSeq', async () => {
        clock = T0;
        const { id, bodies, seqs } = await filled(10);
        const other = await filled(3);
        // Interleaved requests to another address change nothing about this one's order.
        const last = await addresses.addRequest(id, bytes(50), limits);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Number.MAX_VALUE);
        expect(last.seq).toBeGreaterThan(other.seqs.at(-1) ?? Number.MAX_VALUE);

        const all = await addresses.listRequests(id, { limit: 1000 });
        expect(all.slice(0, 10)).toEqual(bodies.map((body, i) => ({ seq: seqs[i], body, receivedAt: T0 })));
        expect(all.map((r) => r.seq)).toEqual([...seqs, last.seq]);

        const pages: number[][] = [];
        let after = 0;
        for (;;) {
          const page = await addresses.listRequests(id, { afterSeq: after, limit: 4 });
          if (page.length === 0) break;
          pages.push(page.map((r) => r.seq));
          after = page.at(-1)?.seq ?? Number.MAX_SAFE_INTEGER;
        }
        expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
        expect(pages.flat()).toEqual([...seqs, last.seq]);
        // Listing removes nothing.
        expect(await addresses.listRequests(id, { limit: 1000 })).toEqual(all);
      });

      it('stores a resent body once, even at a full address', async () => {
        clock = T0;
        const { addressId: id } = await addresses.createAddress(ownerKey());
        const body = bytes(200);
        const options = { ttlMs: 60_000, maxRequests: 2 };
        const first = await addresses.addRequest(id, body, options);
        expect(first.duplicate).toBe(false);
        clock = T0 + 10;
        // A view into a larger buffer with the same bytes is the same request.
        const view = new Uint8Array([1, ...body, 2]).subarray(1, 201);
        expect(await addresses.addRequest(id, view, { ttlMs: 1, maxRequests: 2 })).toEqual({
          seq: first.seq,
          duplicate: true,
        });
        await addresses.addRequest(id, bytes(200), options);
        expect(await addresses.addRequest(id, body, options)).toEqual({ seq: first.seq, duplicate: true });
        // The duplicate changed nothing: not the time received, not the expiry.
        expect((await addresses.listRequests(id, { limit: 10 }))[0]).toEqual({ seq: first.seq, body, receivedAt: T0 });
        clock = T0 + 59_999;
        expect(await addresses.listRequests(id, { limit: 10 })).toHaveLength(2);

        // Once deleted, the same body is a new request again; at another address it is one anyway.
        const { addressId: other } = await addresses.createAddress(ownerKey());
        expect((await addresses.addRequest(other, body, limits)).duplicate).toBe(false);
        expect(await addresses.deleteRequests(id, [first.seq])).toBe(1);
        const again = await addresses.addRequest(id, body, options);
        expect(again.duplicate).toBe(false);
        expect(again.seq).toBeGreaterThan(first.seq);
      });

      it('refuses a request beyond maxRequests with address-full, storing nothing', async () => {
        clock = T0;
        const { addressId: id } = await addresses.createAddress(ownerKey());
        const options = { ttlMs: 60_000, maxRequests: 3 };
        const seqs: number[] = [];
        for (let i = 0; i < 3; i++) seqs.push((await addresses.addRequest(id, bytes(10), options)).seq);
        const error = await expectStorageError(addresses.addRequest(id, bytes(10), options), 'address-full');
        expect(error.message).not.toContain(Buffer.from(id).toString('hex'));
        expect(await stored('contact_requests', id)).toBe(3);
        // A deletion frees a slot.
        expect(await addresses.deleteRequests(id, [seqs[0] ?? 0])).toBe(1);
        await addresses.addRequest(id, bytes(10), options);
        await expectStorageError(addresses.addRequest(id, bytes(10), options), 'address-full');
        expect(await stored('contact_requests', id)).toBe(3);
      });

      it("deletes only the given address's requests", async () => {
        clock = T0;
        const mine = await filled(5);
        const theirs = await filled(3);
        expect(await addresses.deleteRequests(mine.id, theirs.seqs)).toBe(0);
        expect(await addresses.deleteRequests(theirs.id, mine.seqs)).toBe(0);
        expect(await addresses.deleteRequests(mine.id, [])).toBe(0);
        const [a = 0, b = 0, c = 0] = mine.seqs;
        expect(await addresses.deleteRequests(mine.id, [a, c, c, ...theirs.seqs, 0, Number.MAX_SAFE_INTEGER])).toBe(2);
        expect(await addresses.deleteRequests(mine.id, [a, c])).toBe(0);
        expect((await addresses.listRequests(mine.id, { limit: 10 })).map((r) => r.seq)).toEqual([
          b,
          ...mine.seqs.slice(3),
        ]);
        expect((await addresses.listRequests(theirs.id, { limit: 10 })).map((r) => r.seq)).toEqual(theirs.seqs);
      });

      it('adds, checks and removes token hashes per address', async () => {
        clock = T0;
        const { addressId: id } = await addresses.createAddress(ownerKey());
        const { addressId: other } = await addresses.createAddress(ownerKey());
        const [t1, t2, t3] = [bytes(32), bytes(32), bytes(32)] as const;
        await addresses.addTokens(id, []);
        // Repeats within a batch and hashes already stored are ignored.
        await addresses.addTokens(id, [t1, t2, new Uint8Array(t1)]);
        await addresses.addTokens(id, [t2, t3]);
        expect(await stored('contact_tokens', id)).toBe(3);
        await addresses.addTokens(other, [t1]);
        for (const t of [t1, t2, t3]) expect(await addresses.hasToken(id, t)).toBe(true);
        expect(await addresses.hasToken(other, t2)).toBe(false);
        expect(await addresses.hasToken(id, bytes(32))).toBe(false);

        // Removing applies to this address only, and counts what was there.
        expect(await addresses.removeTokens(other, [t2, t3])).toBe(0);
        expect(await addresses.removeTokens(id, [])).toBe(0);
        expect(await addresses.removeTokens(id, [t1, t2, t2, bytes(32)])).toBe(2);
        expect(await addresses.removeTokens(id, [t1])).toBe(0);
        expect(await addresses.hasToken(id, t1)).toBe(false);
        expect(await addresses.hasToken(id, t3)).toBe(true);
        expect(await addresses.hasToken(other, t1)).toBe(true);

        // Large batches are stored and removed in full.
        const many = Array.from({ length: 1200 }, () => bytes(32));
        await addresses.addTokens(id, many);
        expect(await stored('contact_tokens', id)).toBe(1201);
        expect(await addresses.removeTokens(id, many)).toBe(1200);
      });

      it('expires requests on the injected clock, and purges only expired ones', async () => {
        // Far beyond every other test's requests: purge those first.
        const later = 4_000_000_000_000;
        clock = later;
        await addresses.purgeExpired();
        expect(await addresses.purgeExpired()).toBe(0);

        const { addressId: id } = await addresses.createAddress(ownerKey());
        const options = { ttlMs: 1000, maxRequests: 2 };
        const short = bytes(30);
        const s = await addresses.addRequest(id, short, options);
        clock = later + 500;
        const long = bytes(30);
        const l = await addresses.addRequest(id, long, { ...options, ttlMs: 60_000 });
        await expectStorageError(addresses.addRequest(id, bytes(30), options), 'address-full');
        clock = later + 999;
        expect((await addresses.listRequests(id, { limit: 10 })).map((r) => r.seq)).toEqual([s.seq, l.seq]);
        expect(await addresses.purgeExpired()).toBe(0);

        // From the moment it expires, a request is invisible and takes no slot, purged or not.
        clock = later + 1000;
        expect(await addresses.listRequests(id, { limit: 10 })).toEqual([
          { seq: l.seq, body: long, receivedAt: later + 500 },
        ]);
        // An expired body sent again is a new request, not a duplicate of the expired one.
        const resent = await addresses.addRequest(id, short, options);
        expect(resent).toEqual({ seq: resent.seq, duplicate: false });
        expect(resent.seq).toBeGreaterThan(l.seq);
        await expectStorageError(addresses.addRequest(id, bytes(30), options), 'address-full');

        clock = later + 5000;
        expect(await stored('contact_requests', id)).toBe(2);
        expect(await addresses.purgeExpired()).toBe(1);
        expect(await addresses.purgeExpired()).toBe(0);
        expect((await addresses.listRequests(id, { limit: 10 })).map((r) => r.seq)).toEqual([l.seq]);
        expect(await addresses.getAddress(id)).not.toBeNull();
      });

      // Races are timing-dependent, so the scenario runs for several rounds.
      it.each([1, 2, 3])('orders concurrent requests to one address (round %i)', async () => {
        clock = T0;
        const { addressId: id } = await addresses.createAddress(ownerKey());
        const bodies = Array.from({ length: 20 }, () => bytes(64));
        const results = await Promise.all(bodies.map((b) => addresses.addRequest(id, b, limits)));
        expect(results.every((r) => !r.duplicate)).toBe(true);
        expect(new Set(results.map((r) => r.seq)).size).toBe(20);

        const listed = await addresses.listRequests(id, { limit: 1000 });
        const bySeq = [...results.keys()].sort((i, j) => (results[i]?.seq ?? 0) - (results[j]?.seq ?? 0));
        expect(listed.map((r) => r.seq)).toEqual(bySeq.map((i) => results[i]?.seq));
        expect(listed.map((r) => r.body)).toEqual(bySeq.map((i) => bodies[i]));

        // Concurrent requests keep the limit, too.
        const { addressId: small } = await addresses.createAddress(ownerKey());
        const settled = await Promise.allSettled(
          Array.from({ length: 20 }, () => addresses.addRequest(small, bytes(8), { ...limits, maxRequests: 10 })),
        );
        expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
        for (const r of settled)
          if (r.status === 'rejected') expect(StorageError.is(r.reason, 'address-full')).toBe(true);
      });

      it('keeps addresses, requests and tokens across close and reopen', async () => {
        const key = ownerKey();
        const token = bytes(32);
        const bodies = [bytes(50), bytes(60)];
        const first = await open();
        let id: Uint8Array;
        let seqs: number[];
        try {
          const store = new SqlContactAddressStore(first, { now: () => T0 });
          ({ addressId: id } = await store.createAddress(key));
          await store.addTokens(id, [token]);
          seqs = [];
          for (const b of bodies) seqs.push((await store.addRequest(id, b, limits)).seq);
        } finally {
          await first.close();
        }
        const second = await open();
        try {
          const store = new SqlContactAddressStore(second, { now: () => T0 + 1 });
          expect(await store.getAddress(id)).toEqual({ addressId: id, ownerKey: key, createdAt: T0 });
          expect(await store.hasToken(id, token)).toBe(true);
          expect(await store.listRequests(id, { limit: 10 })).toEqual(
            bodies.map((body, i) => ({ seq: seqs[i], body, receivedAt: T0 })),
          );
          // Seqs keep increasing after a reopen, and the duplicate check still knows the old ones.
          expect(await store.addRequest(id, bodies[0] ?? bytes(1), limits)).toEqual({ seq: seqs[0], duplicate: true });
          expect((await store.addRequest(id, bytes(70), limits)).seq).toBeGreaterThan(seqs[1] ?? Number.MAX_VALUE);
        } finally {
          await second.close();
        }
      });
    });

    runChallengeStoreConformance('challenges', {
      make: (options) => new SqlChallengeStore(database, options),
      // How many rows the table holds for these challenges (consumed and purged ones are gone).
      stored: async (...list) => {
        const { n } = await database.db
          .selectFrom('auth_challenges')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('challenge', 'in', list)
          .executeTakeFirstOrThrow();
        return Number(n);
      },
    });
  });
}
