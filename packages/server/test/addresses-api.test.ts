/**
 * Contact addresses through the HTTP app: anyone may leave a request, within a per-address rate
 * limit that a per-contact token bypasses; only the owner key lists, deletes, manages tokens and
 * revokes.
 */
import { createHash } from 'node:crypto';
import { defaultEnv as env, generateEd25519, proveAddressOwnership, utf8 } from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/http/rate-limit.ts';
import { MAX_REQUEST_BYTES } from '../src/http/routes/addresses.ts';
import { toB64url } from '../src/wire-json.ts';
import {
  authorization,
  challenge,
  errorCode,
  type Op,
  operationOf,
  registered,
  type TestServer,
  testServer,
} from './api-kit.ts';

let server: TestServer;
let app: Hono;
let now = 0;

beforeAll(async () => {
  server = await testServer();
  app = server.app({
    addressOptions: {
      // Every request here comes from one requester: only the per-address budget is tight.
      perRequester: new RateLimiter({ perMinute: 60, burst: 1000 }, { now: () => now }),
      perRequesterAddress: new RateLimiter({ perMinute: 60, burst: 1000 }, { now: () => now }),
      perAddress: new RateLimiter({ perMinute: 60, burst: 3 }, { now: () => now }),
    },
  });
});
afterAll(() => server.close());

interface Address {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly owner: ReturnType<typeof generateEd25519>;
}

async function newAddress(): Promise<Address> {
  const device = await registered(app);
  const owner = generateEd25519(env);
  const body = JSON.stringify({ ownerKey: toB64url(owner.publicKey) });
  const res = await app.request('/v1/addresses', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: await authorization(app, device, { method: 'POST', path: '/v1/addresses', body }),
    },
    body,
  });
  expect(res.status).toBe(201);
  const { addressId } = (await res.json()) as { addressId: string };
  return { id: addressId, idBytes: new Uint8Array(Buffer.from(addressId, 'base64url')), owner };
}

async function ownerHeader(a: Address, op: Op, key = a.owner.privateKey): Promise<string> {
  const c = await challenge(app);
  const proof = proveAddressOwnership(env, key, a.idBytes, c, operationOf(op));
  return `Parley-Address challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

const leave = (a: Address, request: Uint8Array, token?: Uint8Array) =>
  app.request(`/v1/addresses/${a.id}/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request: toB64url(request), ...(token ? { token: toB64url(token) } : {}) }),
  });

async function asOwner(a: Address, method: string, path: string, body?: unknown): Promise<Response> {
  const full = `/v1/addresses/${a.id}${path}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const op = { method, path: full, ...(text === undefined ? {} : { body: text }) };
  return app.request(full, {
    method,
    headers: { 'content-type': 'application/json', authorization: await ownerHeader(a, op) },
    ...(text === undefined ? {} : { body: text }),
  });
}

describe('contact addresses', () => {
  it('collect requests that only the owner can list and delete', async () => {
    const a = await newAddress();
    expect((await leave(a, utf8('hello from carol'))).status).toBe(201);
    expect((await leave(a, utf8('hello from dave'))).status).toBe(201);
    expect((await leave(a, utf8('hello from dave'))).status).toBe(200); // a retry is stored once
    const list = (await (await asOwner(a, 'GET', '/requests')).json()) as {
      requests: { seq: number; request: string }[];
    };
    expect(list.requests.map((r) => Buffer.from(r.request, 'base64url').toString())).toEqual([
      'hello from carol',
      'hello from dave',
    ]);
    const del = await asOwner(a, 'POST', '/requests/delete', { seqs: [list.requests[0]?.seq] });
    expect(await del.json()).toEqual({ deleted: 1 });
    const stranger = generateEd25519(env);
    const res = await app.request(`/v1/addresses/${a.id}/requests`, {
      headers: {
        authorization: await ownerHeader(
          a,
          { method: 'GET', path: `/v1/addresses/${a.id}/requests` },
          stranger.privateKey,
        ),
      },
    });
    expect(res.status).toBe(401);
  });

  it('rate-limit strangers per address, but not a contact holding a registered token', async () => {
    const a = await newAddress();
    for (let i = 0; i < 3; i++) expect((await leave(a, utf8(`spam ${i}`))).status).toBe(201);
    const limited = await leave(a, utf8('spam 3'));
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('rate-limited');
    expect(limited.headers.get('retry-after')).not.toBeNull();

    const token = env.random(32);
    const hash = createHash('sha256').update(token).digest();
    expect((await asOwner(a, 'POST', '/tokens', { tokenHashes: [toB64url(hash)] })).status).toBe(204);
    expect((await leave(a, utf8('from a friend'), token)).status).toBe(201);
    expect((await leave(a, utf8('a forged token'), env.random(32))).status).toBe(429);
    const removed = await asOwner(a, 'POST', '/tokens/remove', { tokenHashes: [toB64url(hash)] });
    expect(await removed.json()).toEqual({ removed: 1 });
    expect((await leave(a, utf8('friend, after removal'), token)).status).toBe(429);
    now += 60_000;
    expect((await leave(a, utf8('a minute later'))).status).toBe(201);
  });

  it('keep one requester from spending the budget others have at the same address (docs/server.md, "Contact addresses")', async () => {
    let requester = 'flooder';
    const fair = server.app({
      addressOptions: {
        perRequesterAddress: new RateLimiter({ perMinute: 5, burst: 10 }, { now: () => now }),
        perRequester: new RateLimiter({ perMinute: 30, burst: 30 }, { now: () => now }),
        perAddress: new RateLimiter({ perMinute: 60, burst: 120 }, { now: () => now }),
        requesterOf: () => requester,
      },
    });
    const a = await newAddress();
    const leaveAt = (address: Address, text: string) =>
      fair.request(`/v1/addresses/${address.id}/requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request: toB64url(utf8(text)) }),
      });
    const flooded: number[] = [];
    for (let i = 0; i < 40; i++) flooded.push((await leaveAt(a, `flood ${i}`)).status);
    expect(flooded.filter((s) => s === 201)).toHaveLength(10);
    // Others still get through while the flooder is refused.
    for (const someone of ['alice', 'bob', 'carol']) {
      requester = someone;
      expect((await leaveAt(a, `hello from ${someone}`)).status).toBe(201);
    }
    // Nor can the flooder go on at other addresses beyond its own budget over all of them.
    requester = 'flooder';
    let more = 0;
    for (let i = 0; i < 5; i++) {
      const other = await newAddress();
      for (let j = 0; j < 10; j++) if ((await leaveAt(other, `flood ${i}.${j}`)).status === 201) more++;
    }
    expect(more).toBe(30 - 10);
  });

  it('refuse oversized requests and unknown addresses; revoking deletes everything', async () => {
    const a = await newAddress();
    expect((await leave(a, new Uint8Array(MAX_REQUEST_BYTES + 1))).status).toBe(413);
    expect((await leave(a, utf8('before revocation'))).status).toBe(201);
    expect((await asOwner(a, 'DELETE', '')).status).toBe(204);
    expect((await leave(a, utf8('after revocation'))).status).toBe(404);
    const bogus = { ...a, id: 'not-an-id' };
    expect((await leave(bogus, utf8('x'))).status).toBe(404);
    const anonymous = await app.request('/v1/addresses', { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
  });
});
