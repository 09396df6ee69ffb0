/**
 * `ServerApi` against a real `parley-server` process: every call of the API, the chunked uploads,
 * and how failures map to `ClientError` codes.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  accountIdOf,
  type DeviceId,
  deviceId,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  publicIdentity,
  sameIdentity,
  signedPreKeyPublic,
  utf8,
  verifyBundle,
} from '@parley/protocol';
import { startServer, useTestServer } from '@parley/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.ts';
import { type DeviceAuth, ServerApi } from '../src/net/index.ts';
import { failureOf } from './client-kit.ts';

const server = useTestServer();
let api: ServerApi;

beforeAll(() => {
  api = new ServerApi(server.url);
});

interface Device {
  readonly identity: IdentityKeyPair;
  readonly auth: DeviceAuth;
}

async function newDevice(on: ServerApi = api, device: DeviceId = deviceId(1)): Promise<Device> {
  const identity = generateIdentity(env);
  const keys = generateEd25519(env);
  const { accountId } = await on.register(identity, device, keys);
  return { identity, auth: { account: accountId, device, devicePrivateKey: keys.privateKey } };
}

/** A device with a signed prekey and a last-resort KEM prekey: enough for bundles. */
async function publishedDevice(): Promise<Device> {
  const d = await newDevice();
  await api.putSignedPreKey(d.auth, signedPreKeyPublic(generateSignedPreKey(env, d.identity, 1)));
  await api.putLastResortKemPreKey(d.auth, kemPreKeyPublic(generateKemPreKey(env, d.identity, 1, true)));
  return d;
}

/** A fetch that counts requests per "METHOD path". */
function countingFetch(): { fetch: typeof fetch; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    fetch: (input, init) => {
      const key = `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return fetch(input, init);
    },
  };
}

describe('accounts', () => {
  it('registers an account whose id is the identity signing key', async () => {
    const identity = generateIdentity(env);
    const result = await api.register(identity, deviceId(3), generateEd25519(env));
    expect(result).toEqual({ accountId: accountIdOf(publicIdentity(identity)), deviceId: 3 });
    const again = await failureOf(api.register(identity, deviceId(3), generateEd25519(env)));
    expect(again).toMatchObject({ code: 'server-error', status: 409, serverCode: 'conflict' });
  });

  it('deletes an account; its device then cannot authenticate', async () => {
    const d = await newDevice();
    await api.deleteAccount(d.auth);
    const e = await failureOf(api.preKeyCounts(d.auth));
    expect(e).toMatchObject({ code: 'server-error', status: 401, serverCode: 'unauthorized' });
  });

  it('a private server refuses registrations without the right key', async () => {
    const priv = await startServer(['--registration-key', 'open sesame']);
    try {
      const privateApi = new ServerApi(priv.url);
      const register = (key?: string) =>
        privateApi.register(generateIdentity(env), deviceId(1), generateEd25519(env), key);
      const missing = await failureOf(register());
      expect(missing).toMatchObject({ code: 'registration-refused', status: 403 });
      expect(missing.message).not.toContain('sesame');
      expect(await failureOf(register('open sesame!'))).toMatchObject({ code: 'registration-refused' });
      expect((await register('open sesame')).deviceId).toBe(1);
    } finally {
      await priv.stop();
    }
  }, 60_000);
});

describe('prekeys', () => {
  it('uploads in chunks the server accepts, counts them, and hands out verifiable bundles', async () => {
    const counting = countingFetch();
    const chunked = new ServerApi(server.url, { fetch: counting.fetch });
    const d = await newDevice();
    await chunked.putSignedPreKey(d.auth, signedPreKeyPublic(generateSignedPreKey(env, d.identity, 7)));
    const oneTime = generateOneTimePreKeys(env, 1, 600).map(oneTimePreKeyPublic);
    await chunked.addOneTimePreKeys(d.auth, oneTime);
    const kem = Array.from({ length: 60 }, (_, i) =>
      kemPreKeyPublic(generateKemPreKey(env, d.identity, 100 + i, false)),
    );
    await chunked.addKemPreKeys(d.auth, kem);
    await chunked.putLastResortKemPreKey(d.auth, kemPreKeyPublic(generateKemPreKey(env, d.identity, 1, true)));
    expect(counting.counts.get('POST /v1/devices/self/one-time-prekeys')).toBe(2);
    expect(counting.counts.get('POST /v1/devices/self/kem-prekeys')).toBe(2);
    // One challenge per authenticated request.
    expect(counting.counts.get('POST /v1/challenges')).toBe(6);
    expect(await chunked.preKeyCounts(d.auth)).toEqual({ oneTime: 600, kem: 60, lastResortServed: 0 });

    const bundle = await api.fetchBundle(d.auth.account, d.auth.device);
    const pinned = publicIdentity(d.identity);
    expect(sameIdentity(verifyBundle(env, bundle, pinned), pinned)).toBe(true);
    expect(bundle.deviceId).toBe(1);
    expect(bundle.signedPreKey.id).toBe(7);
    expect(bundle.oneTimePreKey).not.toBeNull();
    expect(bundle.kemPreKey.lastResort).toBe(false);
    expect(await api.preKeyCounts(d.auth)).toEqual({ oneTime: 599, kem: 59, lastResortServed: 0 });
  }, 30_000);

  it('refuses to send a last-resort key as a one-time one and vice versa', async () => {
    const d = await newDevice();
    const lastResort = kemPreKeyPublic(generateKemPreKey(env, d.identity, 1, true));
    const oneTime = kemPreKeyPublic(generateKemPreKey(env, d.identity, 2, false));
    expect(await failureOf(api.addKemPreKeys(d.auth, [lastResort]))).toMatchObject({ code: 'usage' });
    expect(await failureOf(api.putLastResortKemPreKey(d.auth, oneTime))).toMatchObject({ code: 'usage' });
  });

  it('an unknown device has no bundle: server-error 404', async () => {
    const e = await failureOf(api.fetchBundle(accountIdOf(publicIdentity(generateIdentity(env))), deviceId(1)));
    expect(e).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
  });

  it('maps 429 to rate-limited with the Retry-After delay (30 bundles per requester in a burst)', async () => {
    const d = await publishedDevice();
    // Earlier tests of this file spent some of this requester's (loopback's) budget.
    let refused: unknown = null;
    for (let i = 0; i <= 30 && refused === null; i++) {
      refused = await api.fetchBundle(d.auth.account, d.auth.device).then(
        () => null,
        (e: unknown) => e,
      );
    }
    const e = await failureOf(Promise.reject(refused));
    expect(e.code).toBe('rate-limited');
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(e.retryAfterMs).toBeLessThanOrEqual(60_000);
  }, 30_000);
});

describe('mailboxes', () => {
  it('creates, delivers idempotently, reads in order, acknowledges and deletes', async () => {
    const d = await newDevice();
    const sender = generateEd25519(env);
    const recipient = generateEd25519(env);
    const id = await api.createMailbox(d.auth, recipient.publicKey, sender.publicKey);
    expect(id.length).toBe(16);
    const mailbox = { id, recipientPrivateKey: recipient.privateKey };

    const first = await api.deliver(id, sender.privateKey, utf8('one'));
    expect(first.duplicate).toBe(false);
    expect(await api.deliver(id, sender.privateKey, utf8('one'))).toEqual({ seq: first.seq, duplicate: true });
    const second = await api.deliver(id, sender.privateKey, utf8('two'));
    expect(second.duplicate).toBe(false);

    const all = await api.readMailbox(mailbox);
    expect(all.map((m) => new TextDecoder().decode(m.envelope))).toEqual(['one', 'two']);
    expect(all[0]?.receivedAt).toBeGreaterThan(Date.now() - 60_000);
    expect((await api.readMailbox(mailbox, first.seq)).map((m) => m.seq)).toEqual([second.seq]);
    expect(await api.readMailbox(mailbox, 0, 1)).toHaveLength(1);

    expect(await api.ackMailbox(mailbox, [first.seq])).toBe(1);
    expect(await api.ackMailbox(mailbox, [first.seq])).toBe(0);
    expect(await api.ackMailbox(mailbox, [])).toBe(0);
    expect((await api.readMailbox(mailbox)).map((m) => m.seq)).toEqual([second.seq]);

    // A wrong sender key is answered as an unknown mailbox (a prober learns nothing); a wrong owner key is 401.
    const forged = await failureOf(api.deliver(id, generateEd25519(env).privateKey, utf8('x')));
    expect(forged).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
    const stranger = { id, recipientPrivateKey: generateEd25519(env).privateKey };
    expect(await failureOf(api.readMailbox(stranger))).toMatchObject({ status: 401, serverCode: 'unauthorized' });

    await api.deleteMailbox(mailbox);
    expect(await failureOf(api.readMailbox(mailbox))).toMatchObject({ code: 'server-error', status: 401 });
    const gone = await failureOf(api.deliver(id, sender.privateKey, utf8('three')));
    expect(gone).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
  });

  it('a malformed mailbox id or key is a usage error, not a crash', async () => {
    const e = await failureOf(api.deliver(new Uint8Array(5), generateEd25519(env).privateKey, utf8('x')));
    expect(e.code).toBe('usage');
  });
});

describe('contact addresses', () => {
  it('creates an address, takes requests, lists, deletes them, manages tokens, and is revoked', async () => {
    const d = await newDevice();
    const owner = generateEd25519(env);
    const id = await api.createAddress(d.auth, owner.publicKey);
    expect(id.length).toBe(16);
    const address = { id, ownerPrivateKey: owner.privateKey };

    const { seq } = await api.postRequest(id, utf8('hello, it is me'));
    expect(await api.postRequest(id, utf8('hello, it is me'))).toEqual({ seq });
    const token = env.random(32);
    await api.addTokens(address, [createHash('sha256').update(token).digest()]);
    const withToken = await api.postRequest(id, utf8('with a token'), token);
    expect(withToken.seq).toBeGreaterThan(seq);

    const listed = await api.listRequests(address);
    expect(listed.map((r) => new TextDecoder().decode(r.request))).toEqual(['hello, it is me', 'with a token']);
    expect((await api.listRequests(address, seq)).map((r) => r.seq)).toEqual([withToken.seq]);
    expect(await api.deleteRequests(address, [seq])).toBe(1);
    expect((await api.listRequests(address, 0, 10)).map((r) => r.seq)).toEqual([withToken.seq]);
    expect(await api.removeTokens(address, [createHash('sha256').update(token).digest()])).toBe(1);

    const stranger = { id, ownerPrivateKey: generateEd25519(env).privateKey };
    expect(await failureOf(api.listRequests(stranger))).toMatchObject({ status: 401, serverCode: 'unauthorized' });

    await api.deleteAddress(address);
    const revoked = await failureOf(api.postRequest(id, utf8('too late')));
    expect(revoked).toMatchObject({ code: 'server-error', status: 404, serverCode: 'not-found' });
  });
});

describe('failures', () => {
  it('a server that is not there is server-unreachable, naming only its origin', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const e = await failureOf(new ServerApi(`http://127.0.0.1:${closed}/some/path`).challenge());
    expect(e.code).toBe('server-unreachable');
    expect(e.message).toBe(
      `Cannot reach the server at http://127.0.0.1:${closed}. Check the address and that it is running.`,
    );
  });

  it('a server that does not answer in time is server-unreachable', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => {
      sockets.push(socket); // accepted, never answered
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const started = Date.now();
      const e = await failureOf(new ServerApi(`http://127.0.0.1:${port}`, { timeoutMs: 300 }).challenge());
      expect(e.code).toBe('server-unreachable');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a malformed answer is server-error, also for bundle bytes that do not decode', async () => {
    const answering =
      (status: number, body: string): typeof fetch =>
      async () =>
        new Response(body, { status, headers: { 'content-type': 'application/json' } });
    const bad = (status: number, body: string) =>
      new ServerApi('http://127.0.0.1:1', { fetch: answering(status, body) });
    expect(await failureOf(bad(201, '{"challenge":"!!"}').challenge())).toMatchObject({ code: 'server-error' });
    expect(await failureOf(bad(201, 'not json').challenge())).toMatchObject({ code: 'server-error' });
    const account = accountIdOf(publicIdentity(generateIdentity(env)));
    const garbage = await failureOf(bad(200, '{"bundle":"AAAA"}').fetchBundle(account, deviceId(1)));
    expect(garbage).toMatchObject({ code: 'server-error', status: 200 });
    const teapot = await failureOf(bad(418, '{"error":{"code":"I am <b>a teapot</b>"}}').challenge());
    expect(teapot).toMatchObject({ code: 'server-error', status: 418, serverCode: undefined });
    const limited = await failureOf(
      new ServerApi('http://127.0.0.1:1', {
        fetch: async () => new Response('{}', { status: 429, headers: { 'retry-after': '7' } }),
      }).challenge(),
    );
    expect(limited).toMatchObject({ code: 'rate-limited', retryAfterMs: 7000 });
  });

  it('refuses addresses that are not http(s) URLs', () => {
    expect(() => new ServerApi('ftp://example.org')).toThrow(ClientError);
    expect(() => new ServerApi('not a url')).toThrow(ClientError);
  });
});
