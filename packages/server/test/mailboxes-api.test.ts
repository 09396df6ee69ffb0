/**
 * Mailboxes through the HTTP app: created by a registered device, written by anyone holding the
 * sender key (sealed sender), read and acknowledged only with recipient-key proofs, in order,
 * exactly the messages that were stored.
 */
import { CHALLENGE_BYTES, defaultEnv as env, proveMailboxAccess, toHex, utf8 } from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENVELOPE_BYTES } from '../src/mailboxes/delivery.ts';
import { StorageError } from '../src/storage/index.ts';
import { toB64url } from '../src/wire-json.ts';
import {
  type Box,
  challenge,
  errorCode,
  newMailbox,
  type Op,
  operationOf,
  sendDelivery,
  type TestServer,
  testServer,
} from './api-kit.ts';

let server: TestServer;
let app: Hono;

beforeAll(async () => {
  server = await testServer();
  app = server.app();
});
afterAll(() => server.close());

const send = (box: Box, envelope: Uint8Array, key?: Uint8Array) => sendDelivery(app, box, envelope, key);

async function access(box: Box, op: Op, key = box.recipient.privateKey): Promise<string> {
  const c = await challenge(app);
  expect(c.length).toBe(CHALLENGE_BYTES);
  const proof = proveMailboxAccess(env, key, box.idBytes, c, operationOf(op));
  return `Parley-Mailbox challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

const readOp = (box: Box, query = ''): Op => ({ method: 'GET', path: `/v1/mailboxes/${box.id}/messages${query}` });

async function read(box: Box, query = ''): Promise<{ seq: number; envelope: string }[]> {
  const res = await app.request(`/v1/mailboxes/${box.id}/messages${query}`, {
    headers: { authorization: await access(box, readOp(box, query)) },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { messages: { seq: number; envelope: string }[] }).messages;
}

async function ack(box: Box, seqs: number[]): Promise<number> {
  const body = JSON.stringify({ seqs });
  const path = `/v1/mailboxes/${box.id}/ack`;
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await access(box, { method: 'POST', path, body }) },
    body,
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deleted: number }).deleted;
}

const text = (b64: string) => Buffer.from(b64, 'base64url').toString();

describe('mailboxes', () => {
  it('deliver in order, page with after, and delete what the owner acknowledges', async () => {
    const box = await newMailbox(app);
    for (let i = 0; i < 5; i++) expect((await send(box, utf8(`m${i}`))).status).toBe(201);
    const all = await read(box);
    expect(all.map((m) => text(m.envelope))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const seqs = all.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect((await read(box, `?after=${seqs[1]}&limit=2`)).map((m) => text(m.envelope))).toEqual(['m2', 'm3']);
    expect(await ack(box, seqs.slice(0, 3))).toBe(3);
    expect((await read(box)).map((m) => text(m.envelope))).toEqual(['m3', 'm4']);
  });

  it('store a retried envelope once', async () => {
    const box = await newMailbox(app);
    const first = await send(box, utf8('same'));
    const again = await send(box, utf8('same'));
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(await first.json());
    expect(await read(box)).toHaveLength(1);
  });

  it('refuse deliveries not signed with the mailbox sender key, and oversized envelopes', async () => {
    const box = await newMailbox(app);
    const other = await newMailbox(app);
    const forged = await send(box, utf8('x'), other.sender.privateKey);
    expect(forged.status).toBe(404);
    expect(await errorCode(forged)).toBe('not-found');
    expect((await send(box, new Uint8Array(MAX_ENVELOPE_BYTES + 1))).status).toBe(413);
    expect((await send(box, new Uint8Array(MAX_ENVELOPE_BYTES))).status).toBe(201);
    expect(await read(box)).toHaveLength(1);
  });

  it('answer a delivery with a bad signature exactly as one to an unknown mailbox: a prober learns nothing', async () => {
    const box = await newMailbox(app);
    const other = await newMailbox(app);
    const unknown = { ...box, id: toB64url(new Uint8Array(16).fill(7)), idBytes: new Uint8Array(16).fill(7) };
    const forged = await send(box, utf8('x'), other.sender.privateKey);
    const nowhere = await send(unknown, utf8('x'));
    expect(forged.status).toBe(nowhere.status);
    expect(await forged.text()).toBe(await nowhere.text());
    expect(nowhere.status).toBe(404);
    expect(await read(box)).toHaveLength(0);
  });

  it('answer a store that refuses at once as one that rejects: a full mailbox is 429', async () => {
    const box = await newMailbox(app);
    const mailboxes = server.deps.mailboxes;
    const enqueue = mailboxes.enqueue;
    mailboxes.enqueue = () => {
      throw new StorageError('mailbox-full', 'full');
    };
    try {
      const refused = await send(box, utf8('no room'));
      expect(refused.status).toBe(429);
      expect(await errorCode(refused)).toBe('rate-limited');
    } finally {
      mailboxes.enqueue = enqueue;
    }
    expect((await send(box, utf8('room again'))).status).toBe(201);
  });

  it('let only the recipient key read, acknowledge or delete, and never across mailboxes', async () => {
    const box = await newMailbox(app);
    const other = await newMailbox(app);
    await send(box, utf8('private'));
    await send(other, utf8('theirs'));
    const [theirs] = await read(other);
    for (const authorizationHeader of [
      undefined,
      'Parley-Mailbox challenge=x, proof=y',
      await access(box, readOp(box), other.recipient.privateKey),
      await access(box, readOp(box), box.sender.privateKey),
    ]) {
      const res = await app.request(`/v1/mailboxes/${box.id}/messages`, {
        headers: authorizationHeader ? { authorization: authorizationHeader } : {},
      });
      expect(res.status).toBe(401);
    }
    // Acknowledging another mailbox's message through this one deletes nothing.
    expect(await ack(box, [theirs?.seq ?? 0])).toBe(0);
    expect(await read(other)).toHaveLength(1);
    const del = await app.request(`/v1/mailboxes/${box.id}`, {
      method: 'DELETE',
      headers: { authorization: await access(box, { method: 'DELETE', path: `/v1/mailboxes/${box.id}` }) },
    });
    expect(del.status).toBe(204);
    expect((await send(box, utf8('late'))).status).toBe(404);
  });

  it('answer unknown and malformed mailbox ids with 404, and need a device proof to create one', async () => {
    const box = await newMailbox(app);
    const unknown = { ...box, id: toB64url(new Uint8Array(16).fill(1)), idBytes: new Uint8Array(16).fill(1) };
    expect((await send(unknown, utf8('x'))).status).toBe(404);
    expect((await app.request('/v1/mailboxes/short/messages', { method: 'POST', body: '{}' })).status).toBe(404);
    const anonymous = await app.request('/v1/mailboxes', { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(toHex(box.idBytes)).toHaveLength(32);
  });
});
