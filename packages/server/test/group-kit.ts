/**
 * Helpers for the group API suites: a group created by a registered device, with write keys made
 * directly with node:crypto's Ed25519 (standing for the keys members derive from the MLS exporter:
 * the server never sees anything of MLS), and requests carrying group proofs.
 */
import { defaultEnv as env, generateEd25519, proveGroupAccess } from '@parley/protocol';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { toB64url } from '../src/wire-json.ts';
import { authorization, challenge, operationOf, type Registration, registered } from './api-kit.ts';

export type WriteKey = ReturnType<typeof generateEd25519>;

export interface TestGroup {
  readonly id: Uint8Array;
  readonly idText: string;
  /** Write keys by epoch, as the members would derive them. */
  readonly keys: WriteKey[];
  readonly creator: Registration;
}

export const writeKey = (): WriteKey => generateEd25519(env);

/** `Authorization: Parley-Group epoch=…, challenge=…, proof=…` for `op` with `key` (a fresh challenge). */
export async function groupAuthorization(
  app: Hono,
  group: Uint8Array,
  epoch: number,
  key: WriteKey,
  op: { method: string; path: string; body?: string },
): Promise<string> {
  const c = await challenge(app);
  const proof = proveGroupAccess(env, key.privateKey, group, epoch, c, operationOf(op));
  return `Parley-Group epoch=${epoch}, challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

/** A request with a group proof over exactly what it sends. */
export async function asMember(
  app: Hono,
  group: Uint8Array,
  epoch: number,
  key: WriteKey,
  op: { method: 'GET' | 'POST'; path: string; body?: string },
): Promise<Response> {
  const auth = await groupAuthorization(app, group, epoch, key, op);
  return app.request(op.path, {
    method: op.method,
    headers: { authorization: auth, ...(op.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(op.body === undefined ? {} : { body: op.body }),
  });
}

/** Creates a group (by a fresh account unless one is given) with a new epoch-0 write key. */
export async function newGroup(app: Hono, creator?: Registration): Promise<TestGroup> {
  const by = creator ?? (await registered(app));
  const id = new Uint8Array(crypto.getRandomValues(new Uint8Array(16)));
  const key = writeKey();
  const body = JSON.stringify({ groupId: toB64url(id), writeKey: toB64url(key.publicKey) });
  const auth = await authorization(app, by, { method: 'POST', path: '/v1/groups', body });
  const res = await app.request('/v1/groups', {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body,
  });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ epoch: 0 });
  return { id, idText: toB64url(id), keys: [key], creator: by };
}

export const applicationBody = (message: Uint8Array) =>
  JSON.stringify({ kind: 'application', message: toB64url(message) });

export const commitBody = (message: Uint8Array, next: WriteKey) =>
  JSON.stringify({ kind: 'commit', message: toB64url(message), nextWriteKey: toB64url(next.publicKey) });

/** Posts an application message with the epoch's key. */
export function postApplication(app: Hono, g: TestGroup, epoch: number, message: Uint8Array, key = g.keys[epoch]) {
  return asMember(app, g.id, epoch, key as WriteKey, {
    method: 'POST',
    path: `/v1/groups/${g.idText}/messages`,
    body: applicationBody(message),
  });
}

/** Posts a commit moving the group from `epoch`; on success records the next key in `g.keys`. */
export async function postCommit(app: Hono, g: TestGroup, epoch: number, next = writeKey()): Promise<Response> {
  const res = await asMember(app, g.id, epoch, g.keys[epoch] as WriteKey, {
    method: 'POST',
    path: `/v1/groups/${g.idText}/messages`,
    body: commitBody(new Uint8Array(64).fill(epoch), next),
  });
  if (res.status === 201) g.keys[epoch + 1] = next;
  return res;
}

/** Reads the epoch's entries after `after` with the epoch's key. */
export function readGroup(app: Hono, g: TestGroup, epoch: number, query = '', key = g.keys[epoch]) {
  return asMember(app, g.id, epoch, key as WriteKey, {
    method: 'GET',
    path: `/v1/groups/${g.idText}/messages${query}`,
  });
}
