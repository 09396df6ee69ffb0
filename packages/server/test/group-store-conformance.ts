/**
 * The group and key-package stores' conformance suite (issue 20), run against every backend like
 * storage-conformance.ts: storage-sqlite.test.ts and storage-postgres.test.ts call
 * {@link runGroupStoreConformance} with a function that opens their database.
 */
import { type AccountId, deviceId, MAX_ONE_TIME_KEY_PACKAGES } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlAccountStore } from '../src/storage/account-store.ts';
import type { Database } from '../src/storage/database.ts';
import { SqlDeviceStore } from '../src/storage/device-store.ts';
import { type GroupRetention, type NewGroupEntry, SqlGroupStore } from '../src/storage/group-store.ts';
import { SqlKeyPackageStore } from '../src/storage/key-package-store.ts';
import { bytes, deviceCredentials, expectStorageError, firstDevice, randomIdentity, T0 } from './storage-fixtures.ts';

const D1 = deviceId(1);
const D2 = deviceId(2);
const DAY = 24 * 3600_000;

const app = (n = 40): NewGroupEntry => ({ kind: 'application', message: bytes(n) });
const commit = (nextWriteKey = bytes(32)): NewGroupEntry => ({ kind: 'commit', message: bytes(100), nextWriteKey });

export function runGroupStoreConformance(name: string, open: () => Promise<Database>): void {
  describe(`group store conformance: ${name}`, () => {
    let database: Database;
    let groups: SqlGroupStore;
    const retention: GroupRetention = { ttlMs: 10 * DAY, maxEntries: 20, maxBytes: 1_000_000, idleMs: 40 * DAY };

    beforeAll(async () => {
      database = await open();
      groups = new SqlGroupStore(database, { retention });
    });
    afterAll(async () => {
      await database?.close();
    });

    async function newGroup(): Promise<{ id: Uint8Array; key: Uint8Array }> {
      const id = bytes(16);
      const key = bytes(32);
      await groups.createGroup(id, key, T0);
      return { id, key };
    }

    it('creates a group at epoch 0 with its write key, once', async () => {
      const { id, key } = await newGroup();
      expect(await groups.access(id, 0)).toEqual({
        epoch: 0,
        trimmedSeq: 0,
        oldestEpoch: 0,
        key: { writeKey: key, firstSeq: 1 },
      });
      await expectStorageError(groups.createGroup(id, bytes(32), T0), 'group-exists');
      expect((await groups.access(id, 0))?.key?.writeKey).toEqual(key);
      expect(await groups.access(bytes(16), 0)).toBeNull();
      expect((await groups.access(id, 1))?.key).toBeNull();
    });

    it('appends entries with per-group seqs; a commit moves the epoch and registers the next key', async () => {
      const { id } = await newGroup();
      const a = app();
      expect(await groups.post(id, 0, a, T0 + 1)).toEqual({ ok: true, seq: 1, epoch: 0 });
      const next = bytes(32);
      expect(await groups.post(id, 0, commit(next), T0 + 2)).toEqual({ ok: true, seq: 2, epoch: 1 });
      expect(await groups.post(id, 1, app(), T0 + 3)).toEqual({ ok: true, seq: 3, epoch: 1 });
      expect((await groups.access(id, 1))?.key).toEqual({ writeKey: next, firstSeq: 3 });
      expect(await groups.access(id, 0)).toMatchObject({ epoch: 1, oldestEpoch: 0 });
      const epoch0 = await groups.read(id, 0, 0, 100);
      expect(epoch0.map((e) => [e.seq, e.epoch, e.kind])).toEqual([
        [1, 0, 'application'],
        [2, 0, 'commit'],
      ]);
      expect(epoch0[0]).toEqual({
        seq: 1,
        epoch: 0,
        kind: 'application',
        message: a.message,
        nextWriteKey: null,
        receivedAt: T0 + 1,
      });
      expect(epoch0[1]?.nextWriteKey).toEqual(next);
      expect((await groups.read(id, 1, 0, 100)).map((e) => e.seq)).toEqual([3]);
      expect((await groups.read(id, 0, 1, 100)).map((e) => e.seq)).toEqual([2]);
      expect((await groups.read(id, 0, 0, 1)).map((e) => e.seq)).toEqual([1]);
    });

    it('refuses a post with an old epoch as stale, naming the current one; an unknown group is not-found', async () => {
      const { id } = await newGroup();
      await groups.post(id, 0, commit(), T0);
      await groups.post(id, 1, commit(), T0);
      expect(await groups.post(id, 0, app(), T0)).toEqual({ ok: false, reason: 'stale-epoch', epoch: 2 });
      expect(await groups.post(id, 1, commit(), T0)).toEqual({ ok: false, reason: 'stale-epoch', epoch: 2 });
      expect((await groups.read(id, 1, 0, 100)).length).toBe(1);
      await expectStorageError(groups.post(bytes(16), 0, app(), T0), 'not-found');
    });

    it('accepts exactly one of many commits racing for one epoch', async () => {
      const { id } = await newGroup();
      const keys = Array.from({ length: 8 }, () => bytes(32));
      const results = await Promise.all(keys.map((k) => groups.post(id, 0, commit(k), T0)));
      const won = results.filter((r) => r.ok);
      expect(won).toEqual([{ ok: true, seq: 1, epoch: 1 }]);
      expect(results.filter((r) => !r.ok)).toEqual(Array(7).fill({ ok: false, reason: 'stale-epoch', epoch: 1 }));
      const winner = keys[results.findIndex((r) => r.ok)];
      expect((await groups.access(id, 1))?.key?.writeKey).toEqual(winner);
      expect(await groups.read(id, 0, 0, 100)).toHaveLength(1);
    });

    // Two processes of a cluster: separate connection pools on one database. SQLite is one
    // process's alone (a second connection in the same process would wait in the busy handler on
    // the event loop), so this runs on PostgreSQL.
    it.runIf(name === 'postgres')(
      'accepts exactly one commit per epoch from two connection pools at once',
      async () => {
        const second = await open();
        try {
          const other = new SqlGroupStore(second, { retention });
          const { id } = await newGroup();
          for (let epoch = 0; epoch < 5; epoch++) {
            const results = await Promise.all(
              Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? groups : other).post(id, epoch, commit(), T0)),
            );
            expect(results.filter((r) => r.ok)).toHaveLength(1);
            expect(results.filter((r) => !r.ok)).toEqual(
              Array(5).fill({ ok: false, reason: 'stale-epoch', epoch: epoch + 1 }),
            );
          }
          const all = (await Promise.all([0, 1, 2, 3, 4].map((e) => groups.read(id, e, 0, 100)))).flat();
          expect(all.map((e) => [e.seq, e.epoch])).toEqual([0, 1, 2, 3, 4].map((e) => [e + 1, e]));
        } finally {
          await second.close();
        }
      },
    );

    it('orders application messages racing a commit before it or refuses them, never after it in the old epoch', async () => {
      const { id } = await newGroup();
      // 19 posts: under the retention's 20 entries whatever order they land in (21 could trim
      // the oldest when the commit lands last, and the read below would miss them).
      const posts = [
        ...Array.from({ length: 9 }, () => groups.post(id, 0, app(), T0)),
        groups.post(id, 0, commit(), T0),
        ...Array.from({ length: 9 }, () => groups.post(id, 0, app(), T0)),
      ];
      const results = await Promise.all(posts);
      const commitSeq = (results[9] as { seq: number }).seq;
      for (const r of results) if (r.ok && r.epoch === 0) expect(r.seq).toBeLessThan(commitSeq);
      const epoch0 = await groups.read(id, 0, 0, 100);
      expect(epoch0.at(-1)).toMatchObject({ seq: commitSeq, kind: 'commit' });
      expect(epoch0.map((e) => e.seq)).toEqual(Array.from({ length: commitSeq }, (_, i) => i + 1));
    });

    it('drops the oldest entries past the size bound, records how far, and keeps the newest', async () => {
      const { id } = await newGroup();
      for (let i = 0; i < 5; i++) await groups.post(id, 0, app(), T0);
      await groups.post(id, 0, commit(), T0);
      for (let i = 0; i < 15; i++) await groups.post(id, 1, app(), T0);
      // 21 entries > 20: down to 18 (90%), so seqs 1-3 went.
      const access = await groups.access(id, 1);
      expect(access).toMatchObject({ epoch: 1, trimmedSeq: 3, oldestEpoch: 0 });
      expect((await groups.read(id, 0, 0, 100)).map((e) => e.seq)).toEqual([4, 5, 6]);
      for (let i = 0; i < 3; i++) await groups.post(id, 1, app(), T0);
      // Epoch 0's entries all went: its write key with them; the current epoch's stays.
      expect(await groups.access(id, 0)).toMatchObject({ trimmedSeq: 6, oldestEpoch: 1, key: null });
      expect((await groups.access(id, 1))?.key).not.toBeNull();
    });

    it('drops the oldest entries past the byte bound', async () => {
      const small = new SqlGroupStore(database, { retention: { ...retention, maxBytes: 1000 } });
      const id = bytes(16);
      await small.createGroup(id, bytes(32), T0);
      for (let i = 0; i < 4; i++) await small.post(id, 0, app(300), T0);
      // 1200 > 1000: keep at most 900 bytes, so the first went.
      expect((await small.read(id, 0, 0, 100)).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect((await small.access(id, 0))?.trimmedSeq).toBe(1);
      // A message larger than the bound on its own is kept (the newest always is).
      await small.post(id, 0, app(2000), T0);
      expect((await small.read(id, 0, 0, 100)).map((e) => e.seq)).toEqual([5]);
    });

    it('purges entries past the TTL and groups idle past their time', async () => {
      const { id } = await newGroup();
      await groups.post(id, 0, app(), T0);
      await groups.post(id, 0, commit(), T0 + DAY);
      await groups.post(id, 1, app(), T0 + 5 * DAY);
      const idle = await newGroup();
      const { entries } = await groups.purgeExpired(T0 + 10 * DAY + 1);
      expect(entries).toBeGreaterThanOrEqual(1);
      expect((await groups.read(id, 0, 0, 100)).map((e) => e.seq)).toEqual([2]);
      expect((await groups.access(id, 1))?.trimmedSeq).toBe(1);
      await groups.touch(id, T0 + 30 * DAY);
      const purged = await groups.purgeExpired(T0 + 45 * DAY);
      expect(purged.groups).toBeGreaterThanOrEqual(1);
      expect(await groups.access(idle.id, 0)).toBeNull();
      // Read within its idle time: kept, its entries gone by age.
      expect(await groups.access(id, 1)).toMatchObject({ epoch: 1, trimmedSeq: 3, oldestEpoch: 1 });
      expect(await groups.read(id, 1, 0, 100)).toEqual([]);
    });
  });

  describe(`key package store conformance: ${name}`, () => {
    let database: Database;
    let accounts: SqlAccountStore;
    let devices: SqlDeviceStore;
    let store: SqlKeyPackageStore;

    beforeAll(async () => {
      database = await open();
      accounts = new SqlAccountStore(database, { now: () => T0 });
      devices = new SqlDeviceStore(database, { now: () => T0 });
      store = new SqlKeyPackageStore(database);
    });
    afterAll(async () => {
      await database?.close();
    });

    async function newAccount(twoDevices = false): Promise<AccountId> {
      const { identity, account } = randomIdentity();
      await accounts.createAccount(identity, firstDevice(D1));
      if (twoDevices) await devices.addDevice(account, D2, deviceCredentials());
      return account;
    }

    it('stores one-time key packages once each and replaces the last-resort one', async () => {
      const account = await newAccount();
      const kps = [bytes(300), bytes(300)];
      await store.upload(account, D1, kps, bytes(300), T0);
      await store.upload(account, D1, kps, null, T0);
      expect(await store.counts(account, D1)).toEqual({ oneTime: 2, lastResort: true, lastResortServed: 0 });
      const last = bytes(300);
      await store.upload(account, D1, [], last, T0);
      expect(await store.counts(account, D1)).toEqual({ oneTime: 2, lastResort: true, lastResortServed: 0 });
      expect(await store.counts(account, D2)).toBeNull();
      await expectStorageError(store.upload(account, D2, kps, null, T0), 'not-found');
    });

    it('hands out one per device, one-time ones first, then the last resort (counted)', async () => {
      const account = await newAccount(true);
      const [a, b] = [bytes(200), bytes(200)];
      const last = bytes(200);
      await store.upload(account, D1, [a], last, T0);
      await store.upload(account, D2, [b], null, T0);
      expect(await store.take(account, { oneTime: true })).toEqual([
        { deviceId: D1, keyPackage: a, lastResort: false },
        { deviceId: D2, keyPackage: b, lastResort: false },
      ]);
      expect(await store.take(account, { oneTime: true })).toEqual([
        { deviceId: D1, keyPackage: last, lastResort: true },
      ]);
      expect(await store.counts(account, D1)).toEqual({ oneTime: 0, lastResort: true, lastResortServed: 1 });
      expect(await store.take(randomIdentity().account, { oneTime: true })).toEqual([]);
    });

    it('serves the last resort without consuming one-time ones when told to', async () => {
      const account = await newAccount();
      const last = bytes(200);
      await store.upload(account, D1, [bytes(200)], last, T0);
      expect(await store.take(account, { oneTime: false })).toEqual([
        { deviceId: D1, keyPackage: last, lastResort: true },
      ]);
      expect((await store.counts(account, D1))?.oneTime).toBe(1);
    });

    it('never hands the same one-time key package to two concurrent fetches', async () => {
      const account = await newAccount();
      const kps = Array.from({ length: 20 }, () => bytes(100));
      await store.upload(account, D1, kps, null, T0);
      const got = (await Promise.all(Array.from({ length: 30 }, () => store.take(account, { oneTime: true })))).flat();
      const hex = got.map((g) => Buffer.from(g.keyPackage).toString('hex'));
      expect(new Set(hex).size).toBe(hex.length);
      expect(hex.length).toBeLessThanOrEqual(20);
      expect(got.every((g) => !g.lastResort)).toBe(true);
      expect((await store.counts(account, D1))?.oneTime).toBe(20 - hex.length);
    });

    it('refuses an upload past the bound, storing nothing of it', async () => {
      const account = await newAccount();
      await store.upload(
        account,
        D1,
        Array.from({ length: MAX_ONE_TIME_KEY_PACKAGES }, () => bytes(40)),
        null,
        T0,
      );
      await expectStorageError(store.upload(account, D1, [bytes(40)], bytes(40), T0), 'key-packages-full');
      expect(await store.counts(account, D1)).toEqual({
        oneTime: MAX_ONE_TIME_KEY_PACKAGES,
        lastResort: false,
        lastResortServed: 0,
      });
    });

    it('deletes a device’s key packages with the device', async () => {
      const account = await newAccount(true);
      await store.upload(account, D2, [bytes(40)], bytes(40), T0);
      await devices.removeDevice(account, D2);
      expect(await store.take(account, { oneTime: true })).toEqual([]);
    });
  });
}
