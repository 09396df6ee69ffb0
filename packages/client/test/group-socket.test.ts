/**
 * `GroupSocket` against a real server (in-process): it follows a group's log from a cursor, hands
 * entries to the handler once each and in order, goes on into the next epoch when the handler
 * follows with the next key after a commit, catches up after the server went away and came back,
 * and reports a group whose key the server refuses.
 */
import { type DeviceId, deviceId, defaultEnv as env, generateEd25519, generateIdentity } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { GroupApi, type GroupEntry, GroupSocket, type GroupWriteKey, ServerApi } from '../src/net/index.ts';

const server = useInProcessServer();
let api: ServerApi;
let groups: GroupApi;

beforeAll(() => {
  api = new ServerApi(server.url);
  groups = new GroupApi(server.url);
});

async function newDevice(device: DeviceId = deviceId(1)) {
  const keys = generateEd25519(env);
  const { accountId } = await api.register(generateIdentity(env), device, keys);
  return { account: accountId, device, devicePrivateKey: keys.privateKey };
}

const writeKey = (epoch: number) => {
  const k = generateEd25519(env);
  return { publicKey: k.publicKey, key: { epoch, privateKey: k.privateKey } as GroupWriteKey };
};
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GroupSocket', () => {
  it('follows a log across epochs and a server restart, each entry once and in order', async () => {
    const id = env.random(16);
    const keys = [writeKey(0)];
    await groups.createGroup(await newDevice(), id, (keys[0] as { publicKey: Uint8Array }).publicKey);
    const key = (e: number) => (keys[e] as { key: GroupWriteKey }).key;
    await groups.post(id, key(0), { kind: 'application', message: bytes(10, 1) });
    const seen: GroupEntry[] = [];
    const socket = new GroupSocket(server.url, {
      onEntry: async (groupId, entry) => {
        seen.push(entry);
        // As the engine would: after a commit, the next epoch's key and on from the commit.
        if (entry.kind === 'commit') socket.follow(groupId, key(entry.epoch + 1), entry.seq);
      },
      backoff: { initialMs: 20, maxMs: 100 },
    });
    try {
      socket.follow(id, key(0), 0);
      await until(() => seen.length === 1, 'the stored entry');
      keys[1] = writeKey(1);
      await groups.post(id, key(0), {
        kind: 'commit',
        message: bytes(40, 2),
        nextWritePublicKey: (keys[1] as { publicKey: Uint8Array }).publicKey,
      });
      await groups.post(id, key(1), { kind: 'application', message: bytes(10, 3) });
      await until(() => seen.length === 3, 'the commit and the next epoch’s entry');
      await server.pause();
      await server.resume();
      await groups.post(id, key(1), { kind: 'application', message: bytes(10, 4) });
      await until(() => seen.length === 4, 'the entry posted after the restart');
      expect(seen.map((e) => [e.seq, e.epoch, e.kind])).toEqual([
        [1, 0, 'application'],
        [2, 0, 'commit'],
        [3, 1, 'application'],
        [4, 1, 'application'],
      ]);
      expect(seen[1]?.nextWriteKey).toEqual((keys[1] as { publicKey: Uint8Array }).publicKey);
      expect(seen[3]?.message).toEqual(bytes(10, 4));
    } finally {
      socket.close();
    }
  });

  it('reports a group whose key the server refuses, with its id, and goes on with the others', async () => {
    const id = env.random(16);
    const good = env.random(16);
    const k0 = writeKey(0);
    const g0 = writeKey(0);
    const by = await newDevice();
    await groups.createGroup(by, id, k0.publicKey);
    await groups.createGroup(by, good, g0.publicKey);
    await groups.post(good, g0.key, { kind: 'application', message: bytes(5, 5) });
    const errors: [string, Uint8Array | undefined][] = [];
    const seen: number[] = [];
    const socket = new GroupSocket(server.url, {
      onEntry: async (_g, entry) => {
        seen.push(entry.seq);
      },
      onError: (e, groupId) => errors.push([ClientError.is(e) ? `${e.code}:${e.serverCode}` : 'other', groupId]),
    });
    try {
      socket.follow(id, writeKey(0).key, 0);
      socket.follow(good, g0.key, 0);
      await until(() => errors.length === 1 && seen.length === 1, 'the refusal and the other group’s entry');
      expect(errors[0]?.[0]).toBe('server-error:unauthorized');
      expect(errors[0]?.[1]).toEqual(id);
    } finally {
      socket.close();
    }
  });

  it('stops a group whose handler fails until it is followed again', async () => {
    const id = env.random(16);
    const k = writeKey(0);
    await groups.createGroup(await newDevice(), id, k.publicKey);
    for (let i = 1; i <= 3; i++) await groups.post(id, k.key, { kind: 'application', message: bytes(5, i) });
    let fail = true;
    const seen: number[] = [];
    const errors: ClientError[] = [];
    const socket = new GroupSocket(server.url, {
      onEntry: async (_g, entry) => {
        if (entry.seq === 2 && fail) throw new Error('not now');
        seen.push(entry.seq);
      },
      onError: (e) => errors.push(e),
    });
    try {
      socket.follow(id, k.key, 0);
      await until(() => errors.length === 1, 'the failure');
      expect(seen).toEqual([1]);
      expect(errors[0]?.code).toBe('internal');
      fail = false;
      socket.follow(id, k.key, 1);
      await until(() => seen.length === 3, 'the rest');
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      socket.close();
    }
  });
});
