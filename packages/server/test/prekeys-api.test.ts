/**
 * The prekey directory through the HTTP app: a registered device publishes signed prekeys; anyone
 * fetches bundles that start real PQXDH sessions, one one-time key each, within rate limits.
 */
import {
  createInitiatorSession,
  decodeBundle,
  deviceId,
  defaultEnv as env,
  generateIdentity,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  type IdentityKeyPair,
  type KemPreKey,
  kemPreKeyPublic,
  oneTimePreKeyPublic,
  prekeyGrantHash,
  prekeyGrantOf,
  publicIdentity,
  signedPreKeyPublic,
  toHex,
  verifyBundle,
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

const send = async (method: string, path: string, r: Registration | null, body?: unknown) => {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return app.request(path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(r
        ? {
            authorization: await authorization(app, r, { method, path, ...(text === undefined ? {} : { body: text }) }),
          }
        : {}),
    },
    ...(text === undefined ? {} : { body: text }),
  });
};

const spkJson = (identity: IdentityKeyPair, id: number) => {
  const k = signedPreKeyPublic(generateSignedPreKey(env, identity, id));
  return { id: k.id, publicKey: toB64url(k.publicKey), createdAt: k.createdAt, signature: toB64url(k.signature) };
};
const kemJson = (k: KemPreKey) => {
  const p = kemPreKeyPublic(k);
  return { id: p.id, publicKey: toB64url(p.publicKey), createdAt: p.createdAt, signature: toB64url(p.signature) };
};
const otkJson = (first: number, n: number) =>
  generateOneTimePreKeys(env, first, n).map((k) => {
    const p = oneTimePreKeyPublic(k);
    return { id: p.id, publicKey: toB64url(p.publicKey) };
  });

async function publish(r: Registration, oneTime = 2, kem = 1): Promise<void> {
  expect((await send('PUT', '/v1/devices/self/signed-prekey', r, spkJson(r.identity, 1))).status).toBe(204);
  expect((await send('POST', '/v1/devices/self/one-time-prekeys', r, { keys: otkJson(100, oneTime) })).status).toBe(
    204,
  );
  const kems = Array.from({ length: kem }, (_, i) => kemJson(generateKemPreKey(env, r.identity, 200 + i, false)));
  expect((await send('POST', '/v1/devices/self/kem-prekeys', r, { keys: kems })).status).toBe(204);
  const lastResort = kemJson(generateKemPreKey(env, r.identity, 300, true));
  expect((await send('PUT', '/v1/devices/self/last-resort-kem-prekey', r, lastResort)).status).toBe(204);
}

const bundlePath = (r: Registration) =>
  `/v1/accounts/${toB64url(r.identity.signing.publicKey)}/devices/${r.device}/bundle`;

describe('prekey directory', () => {
  it('serves bundles that verify and start a session, one one-time key each, then the last-resort KEM key', async () => {
    const bob = await registered(app, 4);
    await publish(bob, 2, 1);
    const counts = await send('GET', '/v1/devices/self/prekey-counts', bob);
    expect(await counts.json()).toEqual({ oneTime: 2, kem: 1, lastResortServed: 0 });

    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await send('GET', bundlePath(bob), null);
      expect(res.status).toBe(200);
      const bundle = decodeBundle(Buffer.from(((await res.json()) as { bundle: string }).bundle, 'base64url'));
      expect(toHex(bundle.identity.signingKey)).toBe(toHex(bob.identity.signing.publicKey));
      expect(bundle.deviceId).toBe(4);
      verifyBundle(env, bundle, publicIdentity(bob.identity));
      createInitiatorSession(env, generateIdentity(env), deviceId(1), bundle);
      seen.push(`${bundle.oneTimePreKey?.id ?? '-'}/${bundle.kemPreKey.id}`);
    }
    // Two one-time X25519 keys, one one-time KEM key, then the last-resort KEM key.
    expect(seen).toEqual(['100/200', '101/300', '-/300']);
    expect(await (await send('GET', '/v1/devices/self/prekey-counts', bob)).json()).toEqual({
      oneTime: 0,
      kem: 0,
      lastResortServed: 2,
    });
  });

  it('refuses prekeys signed by another identity, duplicates and oversized batches', async () => {
    const bob = await registered(app);
    const mallory = generateIdentity(env);
    const forged = await send('PUT', '/v1/devices/self/signed-prekey', bob, spkJson(mallory, 1));
    expect(forged.status).toBe(400);
    const forgedKem = await send('POST', '/v1/devices/self/kem-prekeys', bob, {
      keys: [kemJson(generateKemPreKey(env, mallory, 1, false))],
    });
    expect(forgedKem.status).toBe(400);
    const keys = otkJson(1, 3);
    expect((await send('POST', '/v1/devices/self/one-time-prekeys', bob, { keys })).status).toBe(204);
    const dup = await send('POST', '/v1/devices/self/one-time-prekeys', bob, { keys: otkJson(3, 1) });
    expect(dup.status).toBe(409);
    expect(await errorCode(dup)).toBe('conflict');
    const tooMany = await send('POST', '/v1/devices/self/one-time-prekeys', bob, { keys: otkJson(1000, 501) });
    expect(tooMany.status).toBe(400);
    expect(await (await send('GET', '/v1/devices/self/prekey-counts', bob)).json()).toEqual({
      oneTime: 3,
      kem: 0,
      lastResortServed: 0,
    });
  });

  it('accepts a full batch of 50 ML-KEM prekeys within the body limit', async () => {
    const bob = await registered(app);
    const keys = Array.from({ length: 50 }, (_, i) => kemJson(generateKemPreKey(env, bob.identity, 1 + i, false)));
    expect((await send('POST', '/v1/devices/self/kem-prekeys', bob, { keys })).status).toBe(204);
    expect(await (await send('GET', '/v1/devices/self/prekey-counts', bob)).json()).toEqual({
      oneTime: 0,
      kem: 50,
      lastResortServed: 0,
    });
  });

  it('requires a device proof for every upload', async () => {
    const res = await send('POST', '/v1/devices/self/one-time-prekeys', null, { keys: otkJson(1, 1) });
    expect(res.status).toBe(401);
  });

  it('answers 404 for unknown or malformed targets and devices without keys', async () => {
    const bob = await registered(app);
    expect((await send('GET', bundlePath(bob), null)).status).toBe(404); // no prekeys yet
    expect((await send('GET', '/v1/accounts/not-an-account/devices/1/bundle', null)).status).toBe(404);
    expect((await send('GET', bundlePath({ ...bob, device: 9 }), null)).status).toBe(404);
    expect((await send('GET', bundlePath(bob).replace(/devices\/\d+/, 'devices/0'), null)).status).toBe(404);
  });
});

describe('bundle budgets (docs/server.md, "Bundle budgets")', () => {
  /** An app whose budgets run on a clock the test moves, and whose requester the test names. */
  function budgeted(limits: { perRequester?: number; oneTimePerRequester?: number; oneTimePerTarget?: number } = {}) {
    const state = { now: 0, requester: 'a' };
    const clock = { now: () => state.now };
    const limited = server.app({
      prekeyOptions: {
        perRequester: new RateLimiter({ perMinute: 60, burst: limits.perRequester ?? 30 }, clock),
        oneTimePerRequester: new RateLimiter({ perMinute: 6 / 60, burst: limits.oneTimePerRequester ?? 3 }, clock),
        oneTimePerTarget: new RateLimiter({ perMinute: 20 / 60, burst: limits.oneTimePerTarget ?? 10 }, clock),
        requesterOf: () => state.requester,
      },
    });
    return { limited, state };
  }
  const countsOf = async (a: Hono, r: Registration) => {
    const res = await a.request('/v1/devices/self/prekey-counts', {
      headers: { authorization: await authorization(a, r, { method: 'GET', path: '/v1/devices/self/prekey-counts' }) },
    });
    return (await res.json()) as { oneTime: number; kem: number; lastResortServed: number };
  };
  const bundleOf = async (res: Response) =>
    decodeBundle(Buffer.from(((await res.json()) as { bundle: string }).bundle, 'base64url'));

  it('limit fetches per requester, with Retry-After, without spending anyone else’s', async () => {
    const { limited, state } = budgeted({ perRequester: 3 });
    const bob = await registered(limited);
    await publish(bob, 1, 1);
    const fetchBundle = () => limited.request(bundlePath(bob));
    for (let i = 0; i < 3; i++) expect((await fetchBundle()).status).toBe(200);
    const blocked = await fetchBundle();
    expect(blocked.status).toBe(429);
    expect(await errorCode(blocked)).toBe('rate-limited');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    state.requester = 'b';
    for (let i = 0; i < 3; i++) expect((await fetchBundle()).status).toBe(200);
    state.now += 60_000; // a minute later the first requester's bucket has refilled
    state.requester = 'a';
    expect((await fetchBundle()).status).toBe(200);
  });

  it('give one drainer no more one-time keys than its own budget, and then last-resort bundles', async () => {
    const { limited } = budgeted();
    const bob = await registered(limited);
    await publish(bob, 50, 20);
    const served = [];
    for (let i = 0; i < 25; i++) {
      const res = await limited.request(bundlePath(bob));
      expect(res.status).toBe(200);
      served.push(await bundleOf(res));
    }
    expect(served.filter((b) => b.oneTimePreKey !== null)).toHaveLength(3);
    expect(served.filter((b) => !b.kemPreKey.lastResort)).toHaveLength(3);
    // The withheld bundles are complete ones: the signed prekey and the last-resort KEM key.
    for (const b of served.slice(3)) {
      expect(b.kemPreKey.lastResort).toBe(true);
      verifyBundle(env, b, publicIdentity(bob.identity));
    }
    expect(await countsOf(limited, bob)).toEqual({ oneTime: 47, kem: 17, lastResortServed: 22 });
  });

  it('give many drainers together no more than the target’s budget, and refuse none of them', async () => {
    const { limited, state } = budgeted();
    const bob = await registered(limited);
    await publish(bob, 50, 20);
    const drainAll = async () => {
      for (let r = 0; r < 15; r++) {
        state.requester = `drainer-${r}`;
        for (let i = 0; i < 4; i++) expect((await limited.request(bundlePath(bob))).status).toBe(200);
      }
    };
    await drainAll();
    const counts = await countsOf(limited, bob);
    expect(counts.oneTime).toBe(40);
    expect(counts.kem).toBe(10);
    // Half an hour later the target's budget has refilled by 10 (20 an hour), and no more.
    state.now += 1800_000;
    await drainAll();
    expect((await countsOf(limited, bob)).oneTime).toBe(30);
  }, 30_000);

  it('do not starve a legitimate requester while a drainer runs', async () => {
    const { limited, state } = budgeted();
    const bob = await registered(limited);
    await publish(bob, 100, 20);
    const statuses: number[] = [];
    let withOneTime = 0;
    for (let i = 0; i < 12; i++) {
      state.requester = 'drainer';
      for (let j = 0; j < 10; j++) await limited.request(bundlePath(bob));
      state.requester = 'alice';
      const res = await limited.request(bundlePath(bob));
      statuses.push(res.status);
      if (res.status === 200 && (await bundleOf(res)).oneTimePreKey !== null) withOneTime++;
      state.now += 5_000;
    }
    expect(statuses).toEqual(Array(12).fill(200));
    // Alice's own budget of one-time keys is hers: the drainer spent only its own 3 of the target's.
    expect(withOneTime).toBe(3);
  });

  it('serve one-time keys to the holder of a registered grant while anonymous fetches are past their budget', async () => {
    const { limited, state } = budgeted({ oneTimePerTarget: 3 });
    const bob = await registered(limited);
    await publish(bob, 50, 20);
    const grant = prekeyGrantOf(env, env.random(32));
    const unauthenticated = (body: unknown) =>
      limited.request('/v1/devices/self/prekey-grants', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const register = async (hashes: Uint8Array[], expiresAt: number) => {
      const body = JSON.stringify({ grantHashes: hashes.map(toB64url), expiresAt });
      const op = { method: 'POST', path: '/v1/devices/self/prekey-grants', body };
      return limited.request('/v1/devices/self/prekey-grants', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: await authorization(limited, bob, op) },
        body,
      });
    };
    // Only the device itself registers grants.
    expect(
      (await unauthenticated({ grantHashes: [toB64url(prekeyGrantHash(env, grant))], expiresAt: Date.now() + 1 }))
        .status,
    ).toBe(401);
    expect((await register([prekeyGrantHash(env, grant)], Date.now() + 3600_000)).status).toBe(204);
    const withGrant = (g: Uint8Array | string) =>
      limited.request(bundlePath(bob), { headers: { 'parley-prekey-grant': typeof g === 'string' ? g : toB64url(g) } });
    // Drainers spend the target's anonymous budget.
    for (let r = 0; r < 5; r++) {
      state.requester = `drainer-${r}`;
      await limited.request(bundlePath(bob));
    }
    state.requester = 'invitee';
    expect((await bundleOf(await limited.request(bundlePath(bob)))).oneTimePreKey).toBeNull();
    const granted = await bundleOf(await withGrant(grant));
    expect(granted.oneTimePreKey).not.toBeNull();
    expect(granted.kemPreKey.lastResort).toBe(false);
    // A grant nobody registered, the grant's hash itself, or another device's grant: anonymous.
    expect((await bundleOf(await withGrant(prekeyGrantOf(env, env.random(32))))).oneTimePreKey).toBeNull();
    expect((await bundleOf(await withGrant(prekeyGrantHash(env, grant)))).oneTimePreKey).toBeNull();
    // A malformed grant is refused with a typed error.
    const malformed = await withGrant('not base64url!');
    expect(malformed.status).toBe(400);
    expect(await errorCode(malformed)).toBe('bad-request');
    // The grant has a budget of its own (3), not an open door.
    const more = [];
    for (let i = 0; i < 5; i++) more.push((await bundleOf(await withGrant(grant))).oneTimePreKey !== null);
    expect(more).toEqual([true, true, false, false, false]);
    // An expired grant is anonymous.
    const short = prekeyGrantOf(env, env.random(32));
    expect((await register([prekeyGrantHash(env, short)], Date.now() - 1)).status).toBe(204);
    expect((await bundleOf(await withGrant(short))).oneTimePreKey).toBeNull();
  });

  it('count last-resort bundles for the owner, whether the one-time keys ran out or were withheld', async () => {
    const { limited, state } = budgeted({ oneTimePerRequester: 100, oneTimePerTarget: 100 });
    const bob = await registered(limited);
    await publish(bob, 2, 2);
    expect(await countsOf(limited, bob)).toEqual({ oneTime: 2, kem: 2, lastResortServed: 0 });
    for (let i = 0; i < 2; i++)
      expect((await bundleOf(await limited.request(bundlePath(bob)))).kemPreKey.lastResort).toBe(false);
    expect((await countsOf(limited, bob)).lastResortServed).toBe(0);
    const drained = await bundleOf(await limited.request(bundlePath(bob)));
    expect(drained.kemPreKey.lastResort).toBe(true);
    expect(drained.oneTimePreKey).toBeNull();
    expect(await countsOf(limited, bob)).toEqual({ oneTime: 0, kem: 0, lastResortServed: 1 });
    state.requester = 'b';
    await limited.request(bundlePath(bob));
    expect((await countsOf(limited, bob)).lastResortServed).toBe(2);
  });
});
