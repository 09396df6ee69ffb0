/** Helpers for API tests: a throwaway database, registration and authenticated requests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthPurpose,
  canonicalTarget,
  certifyDevice,
  deviceId,
  encodeDeviceCertificate,
  encodeIdentity,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  httpOperation,
  type IdentityKeyPair,
  type Operation,
  proveDevice,
  publicIdentity,
  REGISTRATION_OPERATION,
  signDelivery,
  utf8,
} from '@parley/protocol';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import type { ApiDeps } from '../src/api-deps.ts';
import { createServer, serverApi } from '../src/create-server.ts';
import type { AppDeps } from '../src/http/app.ts';
import { createLogger } from '../src/logger.ts';
import { createMetrics } from '../src/metrics.ts';
import { type Database, type GroupRetention, openDatabase } from '../src/storage/index.ts';
import type { WebSocketOptions } from '../src/websocket/ws-adapter.ts';
import { toB64url } from '../src/wire-json.ts';
import { createTestDatabase } from './postgres-kit.ts';

export interface AppOptions {
  registrationKey?: string;
  prekeyOptions?: AppDeps['prekeyOptions'];
  addressOptions?: AppDeps['addressOptions'];
  deviceOptions?: AppDeps['deviceOptions'];
  groupOptions?: AppDeps['groupOptions'];
  keyPackageOptions?: AppDeps['keyPackageOptions'];
}

export interface TestServer {
  readonly database: Database;
  /** The stores and settings the apps use. */
  readonly deps: ApiDeps;
  /** Serves an app and the WebSocket on a loopback port; returns its base URL and a closer. */
  listen(options?: WebSocketOptions): Promise<{ url: string; close(): Promise<void> }>;
  /** An app over the database with the given settings. */
  app(options?: AppOptions): Hono;
  close(): Promise<void>;
}

/**
 * The backend the API suites run on: SQLite, or PostgreSQL when PARLEY_TEST_BACKEND=postgres
 * (the `server-postgres` project in vitest.config.ts runs them again that way).
 */
export const TEST_BACKEND = process.env.PARLEY_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** A throwaway database on the test backend; `remove` deletes it after close. */
async function throwawayDatabase(): Promise<{ database: Database; remove(): Promise<void> }> {
  if (TEST_BACKEND === 'postgres') {
    const pgDb = await createTestDatabase();
    return { database: await openDatabase(pgDb.url), remove: () => pgDb.drop() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-api-'));
  return {
    database: await openDatabase({ sqlitePath: join(dir, 'db.sqlite') }),
    remove: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A server over a throwaway database, removed by close(): the binary's own wiring
 * (create-server.ts), except that challenges are kept in the database on both backends.
 */
export async function testServer(options: { groupRetention?: GroupRetention } = {}): Promise<TestServer> {
  const { database, remove } = await throwawayDatabase();
  // One registry for the server's life, as in main.ts: what the API counts, /metrics shows.
  const metrics = createMetrics();
  const deps = serverApi(database, {
    metrics,
    env,
    challengesInMemory: false,
    ...(options.groupRetention ? { groupRetention: options.groupRetention } : {}),
  });
  const log = createLogger({ level: 'silent' });
  const server = (options: AppOptions = {}, websocket?: WebSocketOptions) =>
    createServer({
      version: 'test',
      metrics,
      log,
      database,
      api: { ...deps, registrationKey: options.registrationKey ?? null },
      ...(options.prekeyOptions ? { prekeyOptions: options.prekeyOptions } : {}),
      ...(options.addressOptions ? { addressOptions: options.addressOptions } : {}),
      ...(options.deviceOptions ? { deviceOptions: options.deviceOptions } : {}),
      ...(options.groupOptions ? { groupOptions: options.groupOptions } : {}),
      ...(options.keyPackageOptions ? { keyPackageOptions: options.keyPackageOptions } : {}),
      ...(websocket ? { websocket } : {}),
    });
  return {
    database,
    deps,
    app: (options) => server(options).app,
    listen: async (options) => {
      const running = server({}, options);
      const { port } = await running.listen({ port: 0, host: '127.0.0.1' });
      return { url: `http://127.0.0.1:${port}`, close: () => running.close() };
    },
    close: async () => {
      await database.close();
      await remove();
    },
  };
}

export const post = (app: Hono, path: string, body?: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });

export async function challenge(app: Hono): Promise<Uint8Array> {
  const res = await post(app, '/v1/challenges');
  expect(res.status).toBe(201);
  const { challenge, expiresAt } = (await res.json()) as { challenge: string; expiresAt: number };
  expect(expiresAt).toBeGreaterThan(Date.now());
  return new Uint8Array(Buffer.from(challenge, 'base64url'));
}

export interface Registration {
  readonly identity: IdentityKeyPair;
  readonly deviceKeys: { privateKey: Uint8Array; publicKey: Uint8Array };
  readonly device: number;
  readonly body: Record<string, string>;
}

export async function registration(app: Hono, device = 1, identity = generateIdentity(env)): Promise<Registration> {
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
    REGISTRATION_OPERATION,
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

export const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

/** A request as a proof binds it: method, path with its query, and the body text sent. */
export interface Op {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
}

/** The operation of a request, as the server computes it (protocol §3.5.1). */
export function operationOf(op: Op): Operation {
  const url = new URL(op.path, 'http://localhost');
  return httpOperation(env, op.method, canonicalTarget(url.pathname, url.search), utf8(op.body ?? ''));
}

/** An Authorization header answering a fresh challenge with the device key, for request `op`. */
export async function authorization(
  app: Hono,
  r: Registration,
  op: Op,
  purpose: AuthPurpose = AuthPurpose.connect,
): Promise<string> {
  const c = await challenge(app);
  const proof = proveDevice(
    env,
    r.deviceKeys.privateKey,
    purpose,
    c,
    r.identity.signing.publicKey,
    deviceId(r.device),
    operationOf(op),
  );
  const account = toB64url(r.identity.signing.publicKey);
  return `Parley account=${account}, device=${r.device}, challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

export const del = (app: Hono, path: string, authorization?: string) =>
  app.request(path, { method: 'DELETE', headers: authorization ? { authorization } : {} });

/** Registers a new account with one device and returns its registration. */
export async function registered(app: Hono, device = 1): Promise<Registration> {
  const r = await registration(app, device);
  expect((await post(app, '/v1/accounts', r.body)).status).toBe(201);
  return r;
}

/** An app-like object whose requests go over HTTP to a running server at `url`. */
export function remote(url: string): Hono {
  return { request: (path: string, init?: RequestInit) => fetch(url + path, init) } as unknown as Hono;
}

/** A mailbox created by a freshly registered device, with its sender and recipient key pairs. */
export interface Box {
  readonly id: string;
  readonly idBytes: Uint8Array;
  readonly sender: ReturnType<typeof generateEd25519>;
  readonly recipient: ReturnType<typeof generateEd25519>;
}

export async function newMailbox(app: Hono): Promise<Box> {
  const owner = await registered(app);
  const sender = generateEd25519(env);
  const recipient = generateEd25519(env);
  const body = JSON.stringify({ recipientKey: toB64url(recipient.publicKey), senderKey: toB64url(sender.publicKey) });
  const authorizationHeader = await authorization(app, owner, { method: 'POST', path: '/v1/mailboxes', body });
  const res = await app.request('/v1/mailboxes', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: authorizationHeader },
    body,
  });
  expect(res.status).toBe(201);
  const { mailboxId } = (await res.json()) as { mailboxId: string };
  return { id: mailboxId, idBytes: new Uint8Array(Buffer.from(mailboxId, 'base64url')), sender, recipient };
}

/** Delivers `envelope` to the mailbox, signed with `key` (the mailbox's sender key by default). */
export function sendDelivery(
  app: Hono,
  box: Box,
  envelope: Uint8Array,
  key = box.sender.privateKey,
): Promise<Response> {
  return Promise.resolve(
    app.request(`/v1/mailboxes/${box.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        envelope: toB64url(envelope),
        signature: toB64url(signDelivery(env, key, box.idBytes, envelope)),
      }),
    }),
  );
}
