/**
 * Registration and device authentication through the HTTP app on a real (temporary SQLite)
 * database: an account is created by proving possession of the identity and device keys over a
 * fresh single-use challenge.
 */
import { AuthPurpose } from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toB64url } from '../src/wire-json.ts';
import {
  authorization,
  del,
  errorCode,
  post,
  registration,
  TEST_BACKEND,
  type TestServer,
  testServer,
} from './api-kit.ts';

let server: TestServer;
let open: Hono;
let privateServer: Hono;

beforeAll(async () => {
  server = await testServer();
  open = server.app();
  privateServer = server.app({ registrationKey: 's3cret-key' });
});
afterAll(() => server.close());

it(`runs on the backend its project asks for (${TEST_BACKEND})`, () => {
  expect(server.database.dialect).toBe(TEST_BACKEND);
});

describe('POST /v1/accounts', () => {
  it('creates an account from a valid proof, once', async () => {
    const r = await registration(open, 3);
    const res = await post(open, '/v1/accounts', r.body);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ accountId: toB64url(r.identity.signing.publicKey), deviceId: 3 });
    // The same request again: its challenge is spent.
    const again = await post(open, '/v1/accounts', r.body);
    expect(again.status).toBe(401);
    // A fresh proof for an identity that already has an account.
    const second = await registration(open, 1, r.identity);
    const dup = await post(open, '/v1/accounts', second.body);
    expect(dup.status).toBe(409);
    expect(await errorCode(dup)).toBe('conflict');
  });

  it('refuses a proof made for another purpose, device or challenge, and keeps the challenge', async () => {
    const r = await registration(open);
    const wrongDevice = { ...r.body, proof: (await registration(open)).body.proof };
    expect((await post(open, '/v1/accounts', wrongDevice)).status).toBe(401);
    // The challenge was not burned by the bad proof: the genuine request still succeeds.
    expect((await post(open, '/v1/accounts', r.body)).status).toBe(201);
  });

  it('refuses a device certificate not signed by the identity', async () => {
    const r = await registration(open);
    const other = await registration(open);
    const res = await post(open, '/v1/accounts', { ...r.body, deviceCertificate: other.body.deviceCertificate });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('bad-request');
  });

  it('refuses an unknown challenge', async () => {
    const r = await registration(open);
    const res = await post(open, '/v1/accounts', { ...r.body, challenge: toB64url(new Uint8Array(32).fill(9)) });
    expect(res.status).toBe(401);
  });

  it.each([
    ['malformed JSON', '{"identity":'],
    ['a missing field', { identity: 'AAAA' }],
    ['a wrong type', { identity: 5, deviceCertificate: 'x', challenge: 'x', proof: 'x' }],
    ['non-canonical base64url', { identity: 'AB', deviceCertificate: 'x', challenge: 'x', proof: 'x' }],
    ['an unknown field', { extra: 1 }],
  ])('answers %s with a typed 400', async (_what, body) => {
    const res = await post(open, '/v1/accounts', body);
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe('bad-request');
  });

  it('a private server requires its registration key', async () => {
    const r = await registration(privateServer);
    const without = await post(privateServer, '/v1/accounts', r.body);
    expect(without.status).toBe(403);
    expect(await errorCode(without)).toBe('forbidden');
    const wrong = await post(privateServer, '/v1/accounts', { ...r.body, registrationKey: 's3cret-kex' });
    expect(wrong.status).toBe(403);
    const right = await post(privateServer, '/v1/accounts', { ...r.body, registrationKey: 's3cret-key' });
    expect(right.status).toBe(201);
  });
});

const SELF_DELETE = { method: 'DELETE', path: '/v1/accounts/self' };

describe('device authentication and DELETE /v1/accounts/self', () => {
  it('deletes the calling account, and the proof cannot be replayed', async () => {
    const r = await registration(open, 2);
    expect((await post(open, '/v1/accounts', r.body)).status).toBe(201);
    const auth = await authorization(open, r, SELF_DELETE);
    expect((await del(open, '/v1/accounts/self', auth)).status).toBe(204);
    expect((await del(open, '/v1/accounts/self', auth)).status).toBe(401);
    // The identity can register again: everything of the old account is gone.
    expect((await post(open, '/v1/accounts', (await registration(open, 2, r.identity)).body)).status).toBe(201);
  });

  it('refuses missing, malformed, wrong-purpose and foreign proofs with 401', async () => {
    const r = await registration(open);
    expect((await post(open, '/v1/accounts', r.body)).status).toBe(201);
    const other = await registration(open, 5);
    expect((await post(open, '/v1/accounts', other.body)).status).toBe(201);
    const good = await authorization(open, r, SELF_DELETE);
    const cases = [
      undefined,
      'Bearer abc',
      'Parley account=x',
      good.replace(/device=\d+/, 'device=0'),
      good.replace(/device=\d+/, 'device=99'),
      good.replace('Parley ', 'Parley account=dup, '),
      await authorization(open, r, SELF_DELETE, AuthPurpose.register),
      (await authorization(open, other, SELF_DELETE)).replace(
        /account=[^,]+/,
        `account=${toB64url(r.identity.signing.publicKey)}`,
      ),
      'Parley '.padEnd(5000, 'a'),
    ];
    for (const header of cases) {
      const res = await del(open, '/v1/accounts/self', header);
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe('unauthorized');
    }
    // None of that touched the account: a genuine proof still works.
    expect((await del(open, '/v1/accounts/self', good)).status).toBe(204);
  });
});
