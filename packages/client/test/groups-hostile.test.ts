/**
 * A hostile group delivery service (docs/client.md §4.12): the server replays application
 * messages and old commits among the real entries, and reorders an epoch's messages. MLS
 * authenticates every message to its epoch and generation (RFC 9420 §6.3, §9): replays are
 * refused by the engine and change nothing, reordered texts are each shown once. A server can
 * withhold; it cannot make a member show a text twice or move to an epoch it forged.
 */
import { fromBase64url } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { expect, it } from 'vitest';
import { ParleyClient } from '../src/client.ts';
import { listGroups, stateOf, writeKey } from '../src/flows/groups/group-context.ts';
import { applyEntries } from '../src/flows/groups/group-log.ts';
import { GroupApi, type GroupApiLike, type GroupEntry } from '../src/net/group-api.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { failureOf, KeptStore, meet, newClient, received } from './client-kit.ts';
import { contextOf } from './devices-kit.ts';

const server = useInProcessServer();

/**
 * Wraps the real service in its own seq space (real seq × 10): after each real entry it serves a
 * copy of it and every commit it served before (each with a seq of its own), and it serves each
 * page in reverse order of its application messages.
 */
function hostile(url: string): GroupApiLike {
  const real = new GroupApi(url);
  const commits: GroupEntry[] = [];
  return {
    createGroup: (...a) => real.createGroup(...a),
    uploadKeyPackages: (...a) => real.uploadKeyPackages(...a),
    keyPackageCounts: (...a) => real.keyPackageCounts(...a),
    fetchKeyPackages: (...a) => real.fetchKeyPackages(...a),
    async post(id, key, post) {
      const r = await real.post(id, key, post);
      return r.status === 'posted' ? { ...r, seq: r.seq * 10 } : r;
    },
    async read(id, key, options = {}) {
      const after = options.after === undefined ? undefined : Math.floor(options.after / 10);
      const r = await real.read(id, key, { ...options, ...(after === undefined ? {} : { after }) });
      if (r.status !== 'ok') return r;
      const apps = r.entries.filter((e) => e.kind === 'application').reverse();
      const ordered = [...apps, ...r.entries.filter((e) => e.kind === 'commit')];
      const out: GroupEntry[] = [];
      for (const [i, e] of ordered.entries()) {
        const base = r.entries[i]?.seq ?? e.seq; // reordered bytes under the page's own seqs
        out.push({ ...e, seq: base * 10 });
        out.push({ ...e, seq: base * 10 + 1 });
        for (const [k, c] of commits.entries()) out.push({ ...c, seq: base * 10 + 2 + k, epoch: e.epoch });
      }
      for (const e of r.entries) if (e.kind === 'commit') commits.push(e);
      return { status: 'ok', entries: out.filter((e) => options.after === undefined || e.seq > options.after) };
    },
  };
}

it('replayed texts and commits, and reordered texts, change nothing and show each text once', async () => {
  const alice = await newClient(server.url, 'Alice');
  const carol = await newClient(server.url, 'Carol');
  const bob = await ParleyClient.create(
    new KeptStore(),
    { ...nodeClientOptions('bob'), groupApi: hostile },
    { server: server.url, displayName: 'Bob' },
  );
  await meet(alice, bob);
  await meet(alice, carol);
  await alice.createGroup({ name: 'Replays' });
  await alice.addToGroup('Replays', ['Bob']);
  await bob.sync();
  await alice.send('Replays', 'one');
  await alice.send('Replays', 'two');
  expect((await received(bob)).sort()).toEqual(['one', 'two']);
  // A commit, then texts in the new epoch, with the old commits replayed among them.
  await alice.addToGroup('Replays', ['Carol']);
  await alice.send('Replays', 'three');
  await bob.sync();
  expect(await received(bob)).toEqual(['three']);
  expect((await bob.groups())[0]).toMatchObject({ members: 3, epoch: 2, status: 'active' });
  // Bob still talks in the real epoch: everyone reads him.
  await bob.send('Replays', 'from bob');
  expect(await received(alice)).toEqual(['from bob']);
  await carol.sync();
  expect(await received(carol)).toEqual(['three', 'from bob']);
  await Promise.all([alice.close(), bob.close(), carol.close()]);
}, 60_000);

it('a removed member fed the log past its removal (a server that leaks it) decrypts nothing of it', async () => {
  const alice = await newClient(server.url, 'Alice');
  const carol = await newClient(server.url, 'Carol');
  await meet(alice, carol);
  await alice.createGroup({ name: 'Leak' });
  await alice.addToGroup('Leak', ['Carol']);
  await carol.sync();
  const cctx = contextOf(carol);
  const before = (await listGroups(cctx))[0];
  if (before === undefined) throw new Error('no group');
  await alice.removeFromGroup('Leak', 'Carol');
  await alice.send('Leak', 'not for carol');
  await carol.sync();
  const removed = (await listGroups(cctx))[0];
  expect(removed?.status).toBe('removed');
  // Everything of the new epoch, read with Alice's key, handed to Carol's states before and after.
  const actx = contextOf(alice);
  const ag = (await listGroups(actx))[0];
  if (ag === undefined || removed === undefined) throw new Error('no group');
  const read = await new GroupApi(server.url).read(fromBase64url(ag.id), await writeKey(stateOf(ag)));
  if (read.status !== 'ok') throw new Error('rejoin');
  expect(read.entries.map((e) => e.kind)).toEqual(['application']);
  for (const g of [before, { ...removed, status: 'active' as const }]) {
    const applied = await applyEntries(cctx, { ...g, cursor: 0 }, stateOf(g), read.entries);
    expect(applied.writes).toEqual([]);
    expect(applied.events).toEqual([]);
  }
  // And she cannot post: her last key is refused (the server moved on), the client says she is out.
  expect((await failureOf(carol.send('Leak', 'hello?'))).code).toBe('not-in-group');
  await Promise.all([alice.close(), carol.close()]);
}, 60_000);

it('a key package the server substitutes (another account’s) or garbles is refused before anything is posted', async () => {
  const swap = new Map<string, string>();
  let garble = false;
  const lying = (url: string): GroupApiLike => {
    const real = new GroupApi(url);
    return {
      createGroup: (...a) => real.createGroup(...a),
      post: (...a) => real.post(...a),
      read: (...a) => real.read(...a),
      uploadKeyPackages: (...a) => real.uploadKeyPackages(...a),
      keyPackageCounts: (...a) => real.keyPackageCounts(...a),
      async fetchKeyPackages(account) {
        const got = await real.fetchKeyPackages((swap.get(account) ?? account) as typeof account);
        return garble ? got.map((k) => ({ ...k, keyPackage: k.keyPackage.slice(0, 40) })) : got;
      },
    };
  };
  const alice = await ParleyClient.create(
    new KeptStore(),
    { ...nodeClientOptions('alice'), groupApi: lying },
    { server: server.url, displayName: 'Alice' },
  );
  const bob = await newClient(server.url, 'Bob');
  const mallory = await newClient(server.url, 'Mallory');
  await meet(alice, bob);
  await mallory.sync();
  await alice.createGroup({ name: 'Checked' });
  swap.set(bob.profile.accountId, mallory.profile.accountId);
  expect((await failureOf(alice.addToGroup('Checked', ['Bob']))).code).toBe('bad-message');
  swap.clear();
  garble = true;
  expect((await failureOf(alice.addToGroup('Checked', ['Bob']))).code).toBe('bad-message');
  expect((await alice.groups())[0]).toMatchObject({ members: 1, epoch: 0 });
  garble = false;
  expect(await alice.addToGroup('Checked', ['Bob'])).toMatchObject({ members: 2, epoch: 1 });
  await Promise.all([alice.close(), bob.close(), mallory.close()]);
}, 60_000);
