/**
 * The group engine against the server's delivery service (docs/server.md "Groups"), through the
 * client's GroupApi on an in-process server: key packages published and fetched, the log created
 * with the engine's epoch-0 write key, an add commit carrying the next key every joiner derives
 * alike, an application message, a removal — after which the removed device reads the commit
 * that removed it and nothing more, and cannot post.
 */

import { GroupApi, ServerApi } from '@parley/client';
import { deviceId, defaultEnv as env, generateEd25519, generateIdentity } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { expect, it } from 'vitest';
import { createGroupEngine } from '../src/index.ts';
import { groupId, newDevice, text, utf8 } from './kit.ts';

const server = useInProcessServer();

function must<T>(x: T | undefined): T {
  if (x === undefined) throw new Error('missing');
  return x;
}

it('the engine and the delivery service agree: create, add by fetched key packages, talk, remove, removed reads nothing', async () => {
  const engine = createGroupEngine();
  const api = new ServerApi(server.url);
  const groups = new GroupApi(server.url);
  const auth = async () => {
    const keys = generateEd25519(env);
    const { accountId } = await api.register(generateIdentity(env), deviceId(1), keys);
    return { account: accountId, device: deviceId(1), devicePrivateKey: keys.privateKey };
  };
  const [alice, bob, carol] = await Promise.all(['a', 'b', 'c'].map((n) => newDevice(engine, n)));
  const [aAuth, bAuth, cAuth] = [await auth(), await auth(), await auth()];
  // Bob and Carol publish key packages.
  const bKp = await engine.keyPackage(must(bob).identity);
  const cKp = await engine.keyPackage(must(carol).identity);
  await groups.uploadKeyPackages(bAuth, { oneTime: [bKp.public] });
  await groups.uploadKeyPackages(cAuth, { oneTime: [cKp.public] });
  const id = groupId();
  let a = await engine.createGroup({ groupId: id, self: must(alice).identity });
  const wk = async (s: typeof a) => {
    const k = await engine.writeKeyPair(s);
    return { epoch: Number(engine.epoch(s)), privateKey: k.privateKey, publicKey: k.publicKey };
  };
  const a0 = await wk(a);
  await groups.createGroup(aAuth, id, a0.publicKey);
  const fetched = [
    ...(await groups.fetchKeyPackages(bAuth.account)),
    ...(await groups.fetchKeyPackages(cAuth.account)),
  ];
  expect(fetched.map((k) => k.lastResort)).toEqual([false, false]);
  const add = await engine.commit(a, { add: fetched.map((k) => k.keyPackage) });
  const a1 = await wk(add.state);
  expect(
    await groups.post(id, a0, { kind: 'commit', message: add.commit, nextWritePublicKey: a1.publicKey }),
  ).toMatchObject({ status: 'posted', epoch: 1 });
  a = add.state;
  let b = await engine.join(must(add.welcome), bKp.private);
  let c = await engine.join(must(add.welcome), cKp.private);
  const b1 = await wk(b);
  expect(b1.publicKey).toEqual(a1.publicKey);
  const m = await engine.encrypt(b, utf8('hi all'));
  b = m.state;
  await groups.post(id, b1, { kind: 'application', message: m.message });
  const read = await groups.read(id, await wk(c), { after: 1 });
  if (read.status !== 'ok') throw new Error('rejoin?');
  const got = await engine.process(c, must(read.entries[0]).message);
  c = got.state;
  expect(got.kind === 'application' && text(got.plaintext)).toBe('hi all');
  // Alice removes Carol.
  const carolLeaf = engine.self(c);
  const rm = await engine.commit(a, { remove: [carolLeaf.leaf] });
  const a2 = await wk(rm.state);
  const c1 = await wk(c);
  expect(
    (await groups.post(id, a1, { kind: 'commit', message: rm.commit, nextWritePublicKey: a2.publicKey })).status,
  ).toBe('posted');
  a = rm.state;
  await groups.post(id, a2, { kind: 'application', message: (await engine.encrypt(a, utf8('secret'))).message });
  // Carol reads her epoch: the commit that removed her, with the next key, and nothing after.
  const cr = await groups.read(id, c1);
  if (cr.status !== 'ok') throw new Error('rejoin?');
  expect(cr.entries.map((e) => e.kind)).toEqual(['application', 'commit']);
  const processed = await engine.process(c, must(cr.entries[1]).message);
  expect(processed.kind === 'commit' && processed.removedSelf).toBe(true);
  // Carol cannot post with her last key.
  expect(await groups.post(id, c1, { kind: 'application', message: utf8('x') })).toEqual({
    status: 'stale-epoch',
    epoch: 2,
  });
  // Bob processes the removal and derives the same key the commit registered.
  const br = await groups.read(id, b1, { after: 2 });
  if (br.status !== 'ok') throw new Error('rejoin?');
  const bp = await engine.process(b, must(br.entries.at(-1)).message);
  expect((await wk(bp.state)).publicKey).toEqual(must(br.entries.at(-1)).nextWriteKey);
});
