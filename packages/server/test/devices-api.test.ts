/**
 * Devices and device lists through the HTTP app on a real database (issue 18; docs/server.md
 * "Devices"): adding a device with a certificate of the account's identity, listing and removing
 * devices, and publishing and fetching the signed device list — with each refusal the linking
 * flow and peers rely on.
 */
import {
  certifyDevice,
  type DeviceCertificate,
  deviceId,
  encodeDeviceCertificate,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  oneTimePreKeyPublic,
  signDeviceList,
  signedPreKeyPublic,
} from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { toB64url } from '../src/wire-json.ts';
import { authorization, errorCode, type Registration, registered, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
let app: Hono;

beforeAll(async () => {
  server = await testServer();
  app = server.app();
});
afterAll(() => server.close());

/** An authenticated request as device `r`. */
async function as(r: Registration, method: string, path: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const auth = await authorization(app, r, { method, path, ...(text === undefined ? {} : { body: text }) });
  return app.request(path, {
    method,
    headers: { authorization: auth, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(text === undefined ? {} : { body: text }),
  });
}

interface NewDevice {
  readonly cert: DeviceCertificate;
  /** As a registration, to authenticate as the device once added. */
  readonly r: Registration;
}

/** A device key certified by `identity` as device `id` (not yet added). */
function certified(identity: IdentityKeyPair, id: number): NewDevice {
  const deviceKeys = generateEd25519(env);
  const cert = certifyDevice(env, identity, deviceId(id), deviceKeys.publicKey);
  return { cert, r: { identity, deviceKeys, device: id, body: {} } };
}

/** The registered first device's own certificate (as the linking device holds it). */
function ownCert(r: Registration): DeviceCertificate {
  return certifyDevice(env, r.identity, deviceId(r.device), r.deviceKeys.publicKey);
}

const addBody = (cert: DeviceCertificate) => ({ deviceCertificate: toB64url(encodeDeviceCertificate(cert)) });

async function add(by: Registration, id: number): Promise<NewDevice> {
  const d = certified(by.identity, id);
  const res = await as(by, 'POST', '/v1/accounts/self/devices', addBody(d.cert));
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ deviceId: id });
  return d;
}

/** The device's signed and one-time prekeys stored, counted in the database. */
async function prekeyRows(r: Registration, device: number): Promise<number> {
  let n = 0;
  for (const table of ['signed_prekeys', 'one_time_prekeys'] as const) {
    const rows = await server.database.db
      .selectFrom(table)
      .select('key_id')
      .where('account_id', '=', Buffer.from(r.identity.signing.publicKey))
      .where('device_id', '=', device)
      .execute();
    n += rows.length;
  }
  return n;
}

const reasonOf = async (res: Response) => ((await res.json()) as { reason?: string }).reason;

function listOf(identity: IdentityKeyPair, version: number, certs: DeviceCertificate[]): Uint8Array {
  const devices = [...certs].sort((a, b) => a.deviceId - b.deviceId);
  return signDeviceList(env, identity, { version, issuedAt: 1_700_000_000_000 + version, devices });
}

const put = (r: Registration, list: Uint8Array) =>
  as(r, 'PUT', '/v1/accounts/self/device-list', { deviceList: toB64url(list) });

const fetchList = (a: Hono, r: Registration) =>
  a.request(`/v1/accounts/${toB64url(r.identity.signing.publicKey)}/device-list`);

describe('POST /v1/accounts/self/devices', () => {
  it('adds a device certified by the account, which can then authenticate and is listed', async () => {
    const first = await registered(app);
    const second = await add(first, 2);
    const res = await as(second.r, 'GET', '/v1/accounts/self/devices');
    expect(res.status).toBe(200);
    const { devices } = (await res.json()) as {
      devices: { deviceId: number; createdAt: number; lastSeenAt: number }[];
    };
    expect(devices.map((d) => d.deviceId)).toEqual([1, 2]);
    for (const d of devices) {
      expect(Object.keys(d).sort()).toEqual(['createdAt', 'deviceId', 'lastSeenAt']);
      expect(d.lastSeenAt).toBeGreaterThanOrEqual(d.createdAt);
    }
  });

  it('refuses a certificate of another identity, a malformed one, and an unauthenticated caller', async () => {
    const first = await registered(app);
    const foreign = certified(generateIdentity(env), 2);
    const refused = await as(first, 'POST', '/v1/accounts/self/devices', addBody(foreign.cert));
    expect(refused.status).toBe(400);
    expect(await errorCode(refused)).toBe('bad-request');
    const garbage = { deviceCertificate: toB64url(new Uint8Array(110).fill(7)) };
    expect((await as(first, 'POST', '/v1/accounts/self/devices', garbage)).status).toBe(400);
    const short = { deviceCertificate: toB64url(new Uint8Array(109)) };
    expect((await as(first, 'POST', '/v1/accounts/self/devices', short)).status).toBe(400);
    const anonymous = await app.request('/v1/accounts/self/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(addBody(certified(first.identity, 3).cert)),
    });
    expect(anonymous.status).toBe(401);
    // Nothing was added by any of them.
    const { devices } = (await (await as(first, 'GET', '/v1/accounts/self/devices')).json()) as { devices: unknown[] };
    expect(devices).toHaveLength(1);
  });

  it('refuses a taken device id (device-exists) and a seventh device (device-limit)', async () => {
    const first = await registered(app);
    await add(first, 2);
    const again = await as(first, 'POST', '/v1/accounts/self/devices', addBody(certified(first.identity, 2).cert));
    expect(again.status).toBe(409);
    expect(await reasonOf(again)).toBe('device-exists');
    for (const id of [3, 4, 5, 6]) await add(first, id);
    const seventh = await as(first, 'POST', '/v1/accounts/self/devices', addBody(certified(first.identity, 7).cert));
    expect(seventh.status).toBe(409);
    const body = (await seventh.json()) as { reason: string; error: { code: string } };
    expect(body.error.code).toBe('conflict');
    expect(body.reason).toBe('device-limit');
  });
});

describe('DELETE /v1/accounts/self/devices/:device', () => {
  it('removes a device and its prekeys; its proofs are refused from then on', async () => {
    const first = await registered(app);
    const second = await add(first, 2);
    // The second device publishes a signed prekey and one-time keys, which go with it.
    const spk = signedPreKeyPublic(generateSignedPreKey(env, first.identity, 1));
    const spkBody = {
      id: spk.id,
      publicKey: toB64url(spk.publicKey),
      createdAt: spk.createdAt,
      signature: toB64url(spk.signature),
    };
    expect((await as(second.r, 'PUT', '/v1/devices/self/signed-prekey', spkBody)).status).toBe(204);
    const otk = generateOneTimePreKeys(env, 1, 3).map(oneTimePreKeyPublic);
    const keys = { keys: otk.map((k) => ({ id: k.id, publicKey: toB64url(k.publicKey) })) };
    expect((await as(second.r, 'POST', '/v1/devices/self/one-time-prekeys', keys)).status).toBe(204);
    expect(await prekeyRows(first, 2)).toBe(4);
    expect((await as(first, 'DELETE', '/v1/accounts/self/devices/2')).status).toBe(204);
    // Its proofs no longer authenticate anything: not reading, not creating mailboxes.
    expect((await as(second.r, 'GET', '/v1/accounts/self/devices')).status).toBe(401);
    const box = {
      recipientKey: toB64url(generateEd25519(env).publicKey),
      senderKey: toB64url(generateEd25519(env).publicKey),
    };
    expect((await as(second.r, 'POST', '/v1/mailboxes', box)).status).toBe(401);
    expect((await as(second.r, 'GET', '/v1/devices/self/prekey-counts')).status).toBe(401);
    expect(await prekeyRows(first, 2)).toBe(0);
    const { devices } = (await (await as(first, 'GET', '/v1/accounts/self/devices')).json()) as {
      devices: { deviceId: number }[];
    };
    expect(devices.map((d) => d.deviceId)).toEqual([1]);
  });

  it('answers 404 for an unknown device and refuses to remove the last one', async () => {
    const first = await registered(app);
    const unknown = await as(first, 'DELETE', '/v1/accounts/self/devices/9');
    expect(unknown.status).toBe(404);
    expect((await as(first, 'DELETE', '/v1/accounts/self/devices/x')).status).toBe(404);
    expect((await as(first, 'DELETE', '/v1/accounts/self/devices/0')).status).toBe(404);
    const last = await as(first, 'DELETE', '/v1/accounts/self/devices/1');
    expect(last.status).toBe(409);
    expect(await reasonOf(last)).toBe('last-device');
    // Still there and still working.
    expect((await as(first, 'GET', '/v1/accounts/self/devices')).status).toBe(200);
  });

  it('lets a device remove itself while another remains', async () => {
    const first = await registered(app);
    const second = await add(first, 2);
    expect((await as(second.r, 'DELETE', '/v1/accounts/self/devices/2')).status).toBe(204);
    expect((await as(second.r, 'GET', '/v1/accounts/self/devices')).status).toBe(401);
    expect((await as(first, 'GET', '/v1/accounts/self/devices')).status).toBe(200);
  });
});

describe('the device list', () => {
  it('is published by a device and served to anyone, byte for byte', async () => {
    const first = await registered(app);
    const second = await add(first, 2);
    expect((await fetchList(app, first)).status).toBe(404); // none published yet
    const v1 = listOf(first.identity, 1, [ownCert(first), second.cert]);
    expect((await put(second.r, v1)).status).toBe(204);
    const res = await fetchList(app, first);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deviceList: toB64url(v1) });
    // Publishing the very same list again (a retry) is no change.
    expect((await put(first, v1)).status).toBe(204);
  });

  it('refuses an older or a forked version (rollback), answering with the stored list', async () => {
    const first = await registered(app);
    const second = await add(first, 2);
    const v1 = listOf(first.identity, 1, [ownCert(first)]);
    const v2 = listOf(first.identity, 2, [ownCert(first), second.cert]);
    expect((await put(first, v2)).status).toBe(204);
    for (const stale of [v1, listOf(first.identity, 2, [ownCert(first)])]) {
      const res = await put(first, stale);
      expect(res.status).toBe(409);
      const body = (await res.json()) as { reason: string; deviceList: string; error: { code: string } };
      expect(body.error.code).toBe('conflict');
      expect(body.reason).toBe('stale');
      expect(body.deviceList).toBe(toB64url(v2));
    }
    expect(await (await fetchList(app, first)).json()).toEqual({ deviceList: toB64url(v2) });
    const v3 = listOf(first.identity, 3, [second.cert]);
    expect((await put(first, v3)).status).toBe(204);
    expect(await (await fetchList(app, first)).json()).toEqual({ deviceList: toB64url(v3) });
  });

  it('refuses a bad signature, another account’s list and bytes that are no list', async () => {
    const first = await registered(app);
    const good = listOf(first.identity, 1, [ownCert(first)]);
    const tampered = good.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    const other = await registered(app);
    const foreign = listOf(other.identity, 1, [ownCert(other)]);
    for (const bad of [tampered, foreign, new Uint8Array(good.length)]) {
      const res = await put(first, bad);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe('bad-request');
    }
    const tooShort = await as(first, 'PUT', '/v1/accounts/self/device-list', {
      deviceList: toB64url(new Uint8Array(8)),
    });
    expect(tooShort.status).toBe(400);
    expect((await fetchList(app, first)).status).toBe(404);
  });

  it('refuses a list naming a device the server does not have, or with another key', async () => {
    const first = await registered(app);
    const ghost = certified(first.identity, 5); // certified by the identity, never added
    const res = await put(first, listOf(first.identity, 1, [ownCert(first), ghost.cert]));
    expect(res.status).toBe(409);
    expect(await reasonOf(res)).toBe('unknown-device');
    // Device 1 exists, but the server knows another key for it.
    const swapped = certified(first.identity, 1);
    const res2 = await put(first, listOf(first.identity, 1, [swapped.cert]));
    expect(res2.status).toBe(409);
    expect(await reasonOf(res2)).toBe('unknown-device');
    expect((await fetchList(app, first)).status).toBe(404);
  });

  it('answers 404 for an unknown or malformed account, and budgets fetches per requester', async () => {
    const budgeted = server.app({
      deviceOptions: { listsPerRequester: new RateLimiter({ perMinute: 1 / 60, burst: 2 }), requesterOf: () => 'one' },
    });
    const stranger = generateIdentity(env);
    expect((await budgeted.request(`/v1/accounts/${toB64url(stranger.signing.publicKey)}/device-list`)).status).toBe(
      404,
    );
    expect((await budgeted.request('/v1/accounts/not-an-account/device-list')).status).toBe(404);
    const limited = await budgeted.request(`/v1/accounts/${toB64url(stranger.signing.publicKey)}/device-list`);
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('rate-limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('is deleted with the account', async () => {
    const first = await registered(app);
    expect((await put(first, listOf(first.identity, 1, [ownCert(first)]))).status).toBe(204);
    expect((await as(first, 'DELETE', '/v1/accounts/self')).status).toBe(204);
    expect((await fetchList(app, first)).status).toBe(404);
  });
});
