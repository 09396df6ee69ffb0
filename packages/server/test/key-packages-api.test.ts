/**
 * MLS key packages over HTTP (issue 20; docs/server.md "Key packages"), on SQLite and again on
 * PostgreSQL: uploads by a device (one-time ones and a last-resort one), counts for refilling,
 * fetches of one key package per device of an account — one-time ones consumed atomically under
 * concurrency, then the last resort, counted — and the per-requester budgets.
 */
import {
  certifyDevice,
  defaultEnv,
  deviceId,
  encodeDeviceCertificate,
  generateEd25519,
  MAX_KEY_PACKAGE_BYTES,
  MAX_KEY_PACKAGE_UPLOAD,
  MAX_ONE_TIME_KEY_PACKAGES,
} from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { toB64url } from '../src/wire-json.ts';
import { authorization, type Registration, registered, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
let app: Hono;
beforeAll(async () => {
  server = await testServer();
  app = server.app();
});
afterAll(async () => {
  await server.close();
});

const kp = (tag: number, n = 300) => {
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  b[0] = tag;
  return b;
};

async function upload(a: Hono, r: Registration, body: unknown): Promise<Response> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const path = '/v1/accounts/self/key-packages';
  return a.request(path, {
    method: 'PUT',
    headers: {
      authorization: await authorization(a, r, { method: 'PUT', path, body: text }),
      'content-type': 'application/json',
    },
    body: text,
  });
}

async function counts(a: Hono, r: Registration) {
  const path = '/v1/accounts/self/key-packages/counts';
  const res = await a.request(path, { headers: { authorization: await authorization(a, r, { method: 'GET', path }) } });
  expect(res.status).toBe(200);
  return res.json();
}

type Fetched = { keyPackages: { deviceId: number; keyPackage: string; lastResort: boolean }[] };
const fetchFor = (a: Hono, r: Registration) =>
  a.request(`/v1/accounts/${toB64url(r.identity.signing.publicKey)}/key-packages`);

describe('key packages', () => {
  it('uploads one-time ones and a last resort, counts them, and hands them out one-time first', async () => {
    const r = await registered(app);
    const [a, b, last] = [kp(1), kp(2), kp(3)];
    expect((await upload(app, r, { oneTime: [toB64url(a), toB64url(b)], lastResort: toB64url(last) })).status).toBe(
      204,
    );
    // The same upload again stores nothing twice.
    expect((await upload(app, r, { oneTime: [toB64url(a)] })).status).toBe(204);
    expect(await counts(app, r)).toEqual({ oneTime: 2, lastResort: true, lastResortServed: 0 });
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetchFor(app, r);
      expect(res.status).toBe(200);
      const { keyPackages } = (await res.json()) as Fetched;
      expect(keyPackages).toHaveLength(1);
      expect(keyPackages[0]?.deviceId).toBe(1);
      got.push(`${keyPackages[0]?.lastResort}:${keyPackages[0]?.keyPackage}`);
    }
    expect(got.slice(0, 2).sort()).toEqual([`false:${toB64url(a)}`, `false:${toB64url(b)}`].sort());
    expect(got[2]).toBe(`true:${toB64url(last)}`);
    expect(await counts(app, r)).toEqual({ oneTime: 0, lastResort: true, lastResortServed: 1 });
  });

  it('answers one key package per device of the account', async () => {
    const r = await registered(app);
    await upload(app, r, { oneTime: [toB64url(kp(1))] });
    const second: Registration = { ...r, deviceKeys: r.deviceKeys, device: 2 };
    const keys = generateEd25519(defaultEnv);
    const cert = encodeDeviceCertificate(certifyDevice(defaultEnv, r.identity, deviceId(2), keys.publicKey));
    const body = JSON.stringify({ deviceCertificate: toB64url(cert) });
    const path = '/v1/accounts/self/devices';
    const added = await app.request(path, {
      method: 'POST',
      headers: {
        authorization: await authorization(app, r, { method: 'POST', path, body }),
        'content-type': 'application/json',
      },
      body,
    });
    expect(added.status).toBe(201);
    await upload(app, { ...second, deviceKeys: keys }, { oneTime: [toB64url(kp(2))], lastResort: toB64url(kp(3)) });
    const { keyPackages } = (await (await fetchFor(app, r)).json()) as Fetched;
    expect(keyPackages.map((k) => [k.deviceId, k.lastResort])).toEqual([
      [1, false],
      [2, false],
    ]);
  });

  it('never hands one one-time key package to two concurrent fetches', async () => {
    const limits = { perMinute: 1e9, burst: 1e9 };
    const open = server.app({
      keyPackageOptions: {
        perRequester: new RateLimiter(limits),
        oneTimePerRequester: new RateLimiter(limits),
        oneTimePerTarget: new RateLimiter(limits),
      },
    });
    const r = await registered(open);
    const all = Array.from({ length: 10 }, (_, i) => toB64url(kp(i)));
    await upload(open, r, { oneTime: all, lastResort: toB64url(kp(99)) });
    const answers = await Promise.all(Array.from({ length: 16 }, () => fetchFor(open, r)));
    const got = await Promise.all(answers.map(async (res) => ((await res.json()) as Fetched).keyPackages[0]));
    const oneTime = got.filter((k) => k?.lastResort === false).map((k) => k?.keyPackage);
    expect(new Set(oneTime).size).toBe(oneTime.length);
    expect(oneTime.length).toBeLessThanOrEqual(10);
    expect(got.filter((k) => k?.lastResort).length).toBe(16 - oneTime.length);
    expect(await counts(open, r)).toEqual({
      oneTime: 10 - oneTime.length,
      lastResort: true,
      lastResortServed: 16 - oneTime.length,
    });
  });

  it('budgets fetches per requester: past its share, the last resort; past its rate, 429', async () => {
    const opts = {
      perRequester: new RateLimiter({ perMinute: 1 / 60, burst: 4 }),
      oneTimePerRequester: new RateLimiter({ perMinute: 1 / 60, burst: 2 }),
      oneTimePerTarget: new RateLimiter({ perMinute: 1 / 60, burst: 10 }),
    };
    const limited = server.app({ keyPackageOptions: opts });
    const r = await registered(limited);
    await upload(limited, r, { oneTime: [1, 2, 3].map((i) => toB64url(kp(i))), lastResort: toB64url(kp(9)) });
    const kinds: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetchFor(limited, r);
      expect(res.status).toBe(200);
      kinds.push(((await res.json()) as Fetched).keyPackages[0]?.lastResort ?? false);
    }
    expect(kinds).toEqual([false, false, true, true]);
    const over = await fetchFor(limited, r);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await counts(limited, r)).oneTime).toBe(1);
  });

  it('refuses malformed and oversized uploads, and an unknown or malformed account is 404', async () => {
    const r = await registered(app);
    for (const body of [
      {},
      { oneTime: [] },
      { oneTime: [''] },
      { oneTime: ['!!'] },
      { oneTime: [toB64url(kp(1, MAX_KEY_PACKAGE_BYTES + 1))] },
      { oneTime: Array.from({ length: MAX_KEY_PACKAGE_UPLOAD + 1 }, (_, i) => toB64url(kp(i, 20))) },
      { oneTime: [toB64url(kp(1))], extra: true },
      'nope',
    ]) {
      expect((await upload(app, r, body)).status, JSON.stringify(body).slice(0, 80)).toBe(400);
    }
    const anon = await app.request('/v1/accounts/self/key-packages', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ oneTime: [toB64url(kp(1))] }),
    });
    expect(anon.status).toBe(401);
    expect((await app.request(`/v1/accounts/${toB64url(kp(0, 32))}/key-packages`)).status).toBe(404);
    expect((await app.request('/v1/accounts/not-an-account/key-packages')).status).toBe(404);
    // An account without key packages: 404, as one that does not exist.
    expect((await fetchFor(app, r)).status).toBe(404);
  });

  it('refuses an upload past the bound (409 key-packages-full), storing nothing of it', async () => {
    const r = await registered(app);
    for (let i = 0; i < MAX_ONE_TIME_KEY_PACKAGES; i += MAX_KEY_PACKAGE_UPLOAD) {
      const batch = Array.from({ length: MAX_KEY_PACKAGE_UPLOAD }, () => toB64url(kp(0, 40)));
      expect((await upload(app, r, { oneTime: batch })).status).toBe(204);
    }
    const full = await upload(app, r, { oneTime: [toB64url(kp(0, 40))], lastResort: toB64url(kp(1, 40)) });
    expect(full.status).toBe(409);
    expect(await full.json()).toMatchObject({ reason: 'key-packages-full' });
    expect(await counts(app, r)).toEqual({
      oneTime: MAX_ONE_TIME_KEY_PACKAGES,
      lastResort: false,
      lastResortServed: 0,
    });
  });
});
