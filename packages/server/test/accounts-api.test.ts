/**
 * Registration through the HTTP app on a real (temporary SQLite) database: an account is created
 * by proving possession of the identity and device keys over a fresh single-use challenge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthPurpose,
  certifyDevice,
  deviceId,
  encodeDeviceCertificate,
  encodeIdentity,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  type IdentityKeyPair,
  proveDevice,
  publicIdentity,
} from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import {
  type Database,
  openDatabase,
  SqlAccountStore,
  SqlChallengeStore,
  SqlDeviceStore,
  SqlPreKeyStore,
} from '../src/storage/index.ts';
import { toB64url } from '../src/wire-json.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-api-'));
let database: Database;
let open: Hono;
let privateServer: Hono;

beforeAll(async () => {
  database = await openDatabase({ sqlitePath: join(dir, 'db.sqlite') });
  const make = (registrationKey: string | null) =>
    createApp({
      version: 'test',
      metrics: createMetrics(),
      log: createLogger({ level: 'silent' }),
      checkDatabase: async () => true,
      api: {
        env,
        accounts: new SqlAccountStore(database),
        devices: new SqlDeviceStore(database),
        prekeys: new SqlPreKeyStore(database),
        challenges: new SqlChallengeStore(database),
        registrationKey,
      },
    });
  open = make(null);
  privateServer = make('s3cret-key');
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (app: Hono, path: string, body?: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });

async function challenge(app: Hono): Promise<Uint8Array> {
  const res = await post(app, '/v1/challenges');
  expect(res.status).toBe(201);
  const { challenge, expiresAt } = (await res.json()) as { challenge: string; expiresAt: number };
  expect(expiresAt).toBeGreaterThan(Date.now());
  return new Uint8Array(Buffer.from(challenge, 'base64url'));
}

interface Registration {
  readonly identity: IdentityKeyPair;
  readonly deviceKeys: { privateKey: Uint8Array; publicKey: Uint8Array };
  readonly device: number;
  readonly body: Record<string, string>;
}

async function registration(app: Hono, device = 1, identity = generateIdentity(env)): Promise<Registration> {
  const deviceKeys = generateEd25519(env);
  const cert = certifyDevice(env, identity, deviceId(device), deviceKeys.publicKey);
  const c = await challenge(app);
  const proof = proveDevice(
    env,
    deviceKeys.privateKey,
    AuthPurpose.register,
    c,
    identity.signing.publicKey,
    deviceId(device),
  );
  return {
    identity,
    deviceKeys,
    device,
    body: {
      identity: toB64url(encodeIdentity(publicIdentity(identity))),
      deviceCertificate: toB64url(encodeDeviceCertificate(cert)),
      challenge: toB64url(c),
      proof: toB64url(proof),
    },
  };
}

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

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

/** An Authorization header answering a fresh challenge with the device key. */
async function authorization(app: Hono, r: Registration, purpose: AuthPurpose = AuthPurpose.connect): Promise<string> {
  const c = await challenge(app);
  const proof = proveDevice(env, r.deviceKeys.privateKey, purpose, c, r.identity.signing.publicKey, deviceId(r.device));
  const account = toB64url(r.identity.signing.publicKey);
  return `Parley account=${account}, device=${r.device}, challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

const del = (app: Hono, path: string, authorization?: string) =>
  app.request(path, { method: 'DELETE', headers: authorization ? { authorization } : {} });

describe('device authentication and DELETE /v1/accounts/self', () => {
  it('deletes the calling account, and the proof cannot be replayed', async () => {
    const r = await registration(open, 2);
    expect((await post(open, '/v1/accounts', r.body)).status).toBe(201);
    const auth = await authorization(open, r);
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
    const good = await authorization(open, r);
    const cases = [
      undefined,
      'Bearer abc',
      'Parley account=x',
      good.replace(/device=\d+/, 'device=0'),
      good.replace(/device=\d+/, 'device=99'),
      good.replace('Parley ', 'Parley account=dup, '),
      await authorization(open, r, AuthPurpose.register),
      (await authorization(open, other)).replace(/account=[^,]+/, `account=${toB64url(r.identity.signing.publicKey)}`),
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
