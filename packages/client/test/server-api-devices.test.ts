/**
 * The device calls of `ServerApi` (issue 18) against a real in-process server: adding, listing and
 * removing devices of our account, publishing and fetching the signed device list, and how each
 * refusal reaches the caller (`serverCode` says which 409 it was; a stale list comes back).
 */
import {
  certifyDevice,
  type DeviceCertificate,
  type DeviceId,
  deviceId,
  type Ed25519KeyPair,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  type IdentityKeyPair,
  openDeviceList,
  publicIdentity,
  signDeviceList,
} from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DeviceAuth, ServerApi } from '../src/net/index.ts';
import { failureOf } from './client-kit.ts';

const server = useInProcessServer();
let api: ServerApi;

beforeAll(() => {
  api = new ServerApi(server.url);
});

interface Account {
  readonly identity: IdentityKeyPair;
  readonly first: { readonly auth: DeviceAuth; readonly cert: DeviceCertificate };
}

async function newAccount(): Promise<Account> {
  const identity = generateIdentity(env);
  const keys = generateEd25519(env);
  const { accountId } = await api.register(identity, deviceId(1), keys);
  return {
    identity,
    first: {
      auth: { account: accountId, device: deviceId(1), devicePrivateKey: keys.privateKey },
      cert: certifyDevice(env, identity, deviceId(1), keys.publicKey),
    },
  };
}

/** A new device of `account` (not yet added): its certificate and how it would authenticate. */
function newDevice(account: Account, id: number): { cert: DeviceCertificate; auth: DeviceAuth; keys: Ed25519KeyPair } {
  const keys = generateEd25519(env);
  return {
    keys,
    cert: certifyDevice(env, account.identity, deviceId(id), keys.publicKey),
    auth: { account: account.first.auth.account, device: deviceId(id), devicePrivateKey: keys.privateKey },
  };
}

function listOf(account: Account, version: number, certs: DeviceCertificate[]): Uint8Array {
  const devices = [...certs].sort((a, b) => a.deviceId - b.deviceId);
  return signDeviceList(env, account.identity, { version, issuedAt: env.now(), devices });
}

const ids = (devices: readonly { deviceId: DeviceId }[]) => devices.map((d) => d.deviceId);

describe('devices of our account', () => {
  it('adds a device that can then act for the account, lists and removes it', async () => {
    const alice = await newAccount();
    const phone = newDevice(alice, 2);
    expect(await api.addDevice(alice.first.auth, phone.cert)).toBe(2);
    const listed = await api.listDevices(phone.auth);
    expect(ids(listed)).toEqual([1, 2]);
    for (const d of listed) expect(d.lastSeenAt).toBeGreaterThanOrEqual(d.createdAt);

    await api.removeDevice(alice.first.auth, deviceId(2));
    // The removed device's proofs are refused from then on.
    expect(await failureOf(api.listDevices(phone.auth))).toMatchObject({ status: 401, refusal: 'not-owner' });
    expect(ids(await api.listDevices(alice.first.auth))).toEqual([1]);
  });

  it('names each refusal: device-exists, device-limit, last-device, an unknown device, a foreign certificate', async () => {
    const alice = await newAccount();
    await api.addDevice(alice.first.auth, newDevice(alice, 2).cert);
    expect(await failureOf(api.addDevice(alice.first.auth, newDevice(alice, 2).cert))).toMatchObject({
      code: 'server-error',
      status: 409,
      serverCode: 'device-exists',
      refusal: 'conflict',
    });
    for (const id of [3, 4, 5, 6]) await api.addDevice(alice.first.auth, newDevice(alice, id).cert);
    expect(await failureOf(api.addDevice(alice.first.auth, newDevice(alice, 7).cert))).toMatchObject({
      status: 409,
      serverCode: 'device-limit',
    });
    const mallory = await newAccount();
    expect(await failureOf(api.addDevice(alice.first.auth, newDevice(mallory, 8).cert))).toMatchObject({
      status: 400,
      refusal: 'refused',
    });
    expect(await failureOf(api.removeDevice(alice.first.auth, deviceId(9)))).toMatchObject({
      status: 404,
      refusal: 'gone',
    });

    const bob = await newAccount();
    const last = await failureOf(api.removeDevice(bob.first.auth, deviceId(1)));
    expect(last).toMatchObject({ status: 409, serverCode: 'last-device', refusal: 'conflict' });
    // The message is the client's own sentence, naming nothing of the account.
    expect(last.message).not.toContain(bob.first.auth.account);
  });
});

describe('device lists', () => {
  it('publishes a list that anyone fetches, byte for byte, and that opens against the identity', async () => {
    const alice = await newAccount();
    expect(await api.getDeviceList(alice.first.auth.account)).toBeNull();
    const phone = newDevice(alice, 2);
    await api.addDevice(alice.first.auth, phone.cert);
    const v1 = listOf(alice, 1, [alice.first.cert, phone.cert]);
    expect(await api.putDeviceList(alice.first.auth, v1)).toEqual({ outcome: 'stored' });

    const stranger = new ServerApi(server.url);
    const fetched = await stranger.getDeviceList(alice.first.auth.account);
    expect(fetched).toEqual(v1);
    const opened = openDeviceList(env, fetched as Uint8Array, publicIdentity(alice.identity));
    expect(opened.devices.map((d) => d.deviceId)).toEqual([1, 2]);
    // A retry of the same publication is no change.
    expect(await api.putDeviceList(phone.auth, v1)).toEqual({ outcome: 'stored' });
  });

  it('answers a stale (rolled back or forked) list with the stored one', async () => {
    const alice = await newAccount();
    const v2 = listOf(alice, 2, [alice.first.cert]);
    expect(await api.putDeviceList(alice.first.auth, v2)).toEqual({ outcome: 'stored' });
    const older = await api.putDeviceList(alice.first.auth, listOf(alice, 1, [alice.first.cert]));
    expect(older).toEqual({ outcome: 'stale', current: v2 });
    // The same version with other content (another issuedAt): a fork, refused the same way.
    const forked = signDeviceList(env, alice.identity, { version: 2, issuedAt: 1, devices: [alice.first.cert] });
    expect(forked).not.toEqual(v2);
    expect(await api.putDeviceList(alice.first.auth, forked)).toEqual({ outcome: 'stale', current: v2 });
    expect(await api.getDeviceList(alice.first.auth.account)).toEqual(v2);
  });

  it('refuses a list naming a device the server does not have, and one it cannot verify', async () => {
    const alice = await newAccount();
    const ghost = newDevice(alice, 5);
    const refused = await failureOf(
      api.putDeviceList(alice.first.auth, listOf(alice, 1, [alice.first.cert, ghost.cert])),
    );
    expect(refused).toMatchObject({ status: 409, serverCode: 'unknown-device', refusal: 'conflict' });
    const mallory = await newAccount();
    const foreign = listOf(mallory, 1, [mallory.first.cert]);
    expect(await failureOf(api.putDeviceList(alice.first.auth, foreign))).toMatchObject({ status: 400 });
    expect(await api.getDeviceList(alice.first.auth.account)).toBeNull();
  });
});
