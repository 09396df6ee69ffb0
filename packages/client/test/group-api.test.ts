/**
 * `GroupApi` against a real server (in-process, @parley/testkit): creating a group, posting with
 * the current epoch's write key (Ed25519 keys made here stand for the ones members derive from
 * the MLS exporter), one commit per epoch with the loser told the epoch it lost to, reading one
 * epoch, the subscribe frame over a real WebSocket, key packages; and answers a server must not
 * give (another epoch's entries, a 410) mapped to results or errors, never believed.
 */
import { type DeviceId, deviceId, defaultEnv as env, generateEd25519, generateIdentity } from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { type DeviceAuth, GroupApi, type GroupWriteKey, ServerApi } from '../src/net/index.ts';

const server = useInProcessServer();
let api: ServerApi;
let groups: GroupApi;

beforeAll(() => {
  api = new ServerApi(server.url);
  groups = new GroupApi(server.url);
});

async function newDevice(device: DeviceId = deviceId(1)): Promise<DeviceAuth> {
  const keys = generateEd25519(env);
  const { accountId } = await api.register(generateIdentity(env), device, keys);
  return { account: accountId, device, devicePrivateKey: keys.privateKey };
}

interface Keys {
  readonly publicKey: Uint8Array;
  readonly key: GroupWriteKey;
}
const writeKey = (epoch: number): Keys => {
  const k = generateEd25519(env);
  return { publicKey: k.publicKey, key: { epoch, privateKey: k.privateKey } };
};
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

async function newGroup(): Promise<{ id: Uint8Array; epoch0: Keys }> {
  const id = env.random(16);
  const epoch0 = writeKey(0);
  await groups.createGroup(await newDevice(), id, epoch0.publicKey);
  return { id, epoch0 };
}

describe('GroupApi', () => {
  it('creates a group, posts, commits and reads one epoch at a time', async () => {
    const { id, epoch0 } = await newGroup();
    expect(await groups.post(id, epoch0.key, { kind: 'application', message: bytes(30, 1) })).toEqual({
      status: 'posted',
      seq: 1,
      epoch: 0,
    });
    const epoch1 = writeKey(1);
    expect(
      await groups.post(id, epoch0.key, {
        kind: 'commit',
        message: bytes(80, 2),
        nextWritePublicKey: epoch1.publicKey,
      }),
    ).toEqual({ status: 'posted', seq: 2, epoch: 1 });
    await groups.post(id, epoch1.key, { kind: 'application', message: bytes(30, 3) });
    const first = await groups.read(id, epoch0.key);
    expect(first.status).toBe('ok');
    if (first.status !== 'ok') return;
    expect(first.entries.map((e) => [e.seq, e.kind])).toEqual([
      [1, 'application'],
      [2, 'commit'],
    ]);
    expect(first.entries[0]?.message).toEqual(bytes(30, 1));
    expect(first.entries[1]?.nextWriteKey).toEqual(epoch1.publicKey);
    expect(await groups.read(id, epoch1.key, { after: 2 })).toMatchObject({
      status: 'ok',
      entries: [{ seq: 3, epoch: 1, kind: 'application', nextWriteKey: null }],
    });
  });

  it('lets exactly one of two racing commits win; the other learns the epoch to catch up to', async () => {
    const { id, epoch0 } = await newGroup();
    const [a, b] = [writeKey(1), writeKey(1)];
    const results = await Promise.all(
      [a, b].map((next) =>
        groups.post(id, epoch0.key, { kind: 'commit', message: bytes(50, 9), nextWritePublicKey: next.publicKey }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['posted', 'stale-epoch']);
    expect(results.find((r) => r.status === 'stale-epoch')).toEqual({ status: 'stale-epoch', epoch: 1 });
    const winner = results[0]?.status === 'posted' ? a : b;
    expect(await groups.post(id, winner.key, { kind: 'application', message: bytes(5, 1) })).toMatchObject({
      status: 'posted',
    });
  });

  it('reports a taken group id and a wrong key as typed errors', async () => {
    const { id, epoch0 } = await newGroup();
    const taken = await groups.createGroup(await newDevice(), id, writeKey(0).publicKey).catch((e: unknown) => e);
    expect(ClientError.is(taken, 'server-error') && taken.serverCode).toBe('group-exists');
    const wrong = await groups.read(id, writeKey(0).key).catch((e: unknown) => e);
    expect(ClientError.is(wrong, 'server-error') && [wrong.status, wrong.refusal]).toEqual([401, 'not-owner']);
    expect(await groups.read(id, epoch0.key)).toEqual({ status: 'ok', entries: [] });
  });

  it('builds a subscribe frame the server accepts on a real WebSocket', async () => {
    const { id, epoch0 } = await newGroup();
    await groups.post(id, epoch0.key, { kind: 'application', message: bytes(12, 4) });
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`);
    const frames: Record<string, unknown>[] = [];
    const next = (type: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const look = () => {
          const i = frames.findIndex((f) => f.type === type);
          if (i >= 0) resolve(frames.splice(i, 1)[0] as Record<string, unknown>);
          else setTimeout(look, 10);
        };
        look();
      });
    ws.addEventListener('message', (m) => frames.push(JSON.parse(String(m.data)) as Record<string, unknown>));
    await new Promise((r) => ws.addEventListener('open', r, { once: true }));
    ws.send(JSON.stringify({ type: 'challenge', id: 1 }));
    const { challenge } = await next('challenge');
    const c = new Uint8Array(Buffer.from(challenge as string, 'base64url'));
    ws.send(JSON.stringify(groups.subscribeFrame(2, id, epoch0.key, c)));
    expect(await next('group-subscribed')).toMatchObject({ id: 2, epoch: 0 });
    expect(await next('group-message')).toMatchObject({ seq: 1, epoch: 0, kind: 'application' });
    ws.close();
  });

  it('publishes key packages, counts them and fetches one per device', async () => {
    const auth = await newDevice();
    const kps = [bytes(200, 1), bytes(200, 2)];
    await groups.uploadKeyPackages(auth, { oneTime: kps, lastResort: bytes(200, 3) });
    expect(await groups.keyPackageCounts(auth)).toEqual({ oneTime: 2, lastResort: true, lastResortServed: 0 });
    const got = await groups.fetchKeyPackages(auth.account);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ deviceId: 1, lastResort: false });
    expect(kps.map((k) => k[0])).toContain(got[0]?.keyPackage[0]);
    expect(await groups.fetchKeyPackages((await newDevice()).account)).toEqual([]);
  });
});

describe('GroupApi against a misbehaving server', () => {
  /** A fetch that answers challenges, then `answer` for the group request. */
  function serverSaying(status: number, body: unknown): typeof fetch {
    return async (input) => {
      if (String(input).endsWith('/v1/challenges'))
        return new Response(JSON.stringify({ challenge: Buffer.alloc(32, 1).toString('base64url') }), { status: 201 });
      return new Response(JSON.stringify(body), { status });
    };
  }
  const id = bytes(16, 7);
  const key = writeKey(3).key;
  const entry = { seq: 5, epoch: 3, kind: 'application', message: 'AAAA', receivedAt: 1 };

  it('maps 410 to rejoin, for reads and posts', async () => {
    const g = new GroupApi('http://127.0.0.1:1', { fetch: serverSaying(410, { reason: 'rejoin' }) });
    expect(await g.read(id, key)).toEqual({ status: 'rejoin' });
    expect(await g.post(id, key, { kind: 'application', message: bytes(3, 1) })).toEqual({ status: 'rejoin' });
  });

  it('refuses another epoch’s entries, disorder, entries before `after`, and a commit without a key', async () => {
    for (const messages of [
      [{ ...entry, epoch: 2 }],
      [entry, { ...entry, seq: 4 }],
      [{ ...entry, kind: 'commit' }],
      [{ ...entry, nextWriteKey: Buffer.alloc(32).toString('base64url') }],
    ]) {
      const g = new GroupApi('http://127.0.0.1:1', { fetch: serverSaying(200, { messages }) });
      const e = await g.read(id, key).catch((x: unknown) => x);
      expect(ClientError.is(e, 'server-error'), JSON.stringify(messages)).toBe(true);
    }
    const g = new GroupApi('http://127.0.0.1:1', { fetch: serverSaying(200, { messages: [entry] }) });
    expect(ClientError.is(await g.read(id, key, { after: 5 }).catch((x: unknown) => x), 'server-error')).toBe(true);
  });

  it('treats a 409 without a stale epoch as a conflict error, not a result', async () => {
    const g = new GroupApi('http://127.0.0.1:1', { fetch: serverSaying(409, { reason: 'stale-epoch' }) });
    const e = await g.post(id, key, { kind: 'application', message: bytes(3, 1) }).catch((x: unknown) => x);
    expect(ClientError.is(e, 'server-error') && e.status).toBe(409);
  });
});
