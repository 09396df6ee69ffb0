/**
 * The server's side of request-bound proofs (protocol §3.5.1, docs/server.md "Authentication"):
 * the operation it computes from what it received — method, path, canonical query, the body's
 * bytes — and what happens around it: parameter order and escaping do not matter, anything else
 * does; an oversized body is still 413; a failed proof leaves the challenge live.
 */
import { defaultEnv as env, MAX_BODY_BYTES, proveMailboxAccess, utf8 } from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** A mailbox proof made for `signed`, sent with `sent` (by default the same request). */
async function request(box: Box, signed: Op, sent: Op = signed, c?: Uint8Array): Promise<Response> {
  const ch = c ?? (await challenge(app));
  const proof = proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, ch, operationOf(signed));
  return app.request(sent.path, {
    method: sent.method,
    headers: {
      authorization: `Parley-Mailbox challenge=${toB64url(ch)}, proof=${toB64url(proof)}`,
      ...(sent.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(sent.body === undefined ? {} : { body: sent.body }),
  });
}

describe('the operation a proof binds', () => {
  it('ignores the order and escaping of query parameters, and nothing else about them', async () => {
    const box = await newMailbox(app);
    await sendDelivery(app, box, utf8('one'));
    const base = `/v1/mailboxes/${box.id}/messages`;
    const get = (query: string): Op => ({ method: 'GET', path: `${base}${query}` });
    expect((await request(box, get('?limit=5&after=0'), get('?after=0&limit=5'))).status).toBe(200);
    expect((await request(box, get('?after=%30&limit=5'), get('?limit=5&after=0'))).status).toBe(200);
    expect((await request(box, get('?after=0'), get('?after=0&after=1'))).status).toBe(401);
    expect((await request(box, get('?after=0'), get('?after=0&limit=5'))).status).toBe(401);
    expect((await request(box, get(''), get('?after=0'))).status).toBe(401);
    expect((await request(box, get('?after=0'), get(''))).status).toBe(401);
  });

  it('binds the path as received: another spelling of the same route is another operation', async () => {
    const box = await newMailbox(app);
    const path = `/v1/mailboxes/${box.id}/messages`;
    const escaped = path.replace(box.id.slice(0, 1), `%${box.id.charCodeAt(0).toString(16).toUpperCase()}`);
    const refused = await request(box, { method: 'GET', path }, { method: 'GET', path: escaped });
    expect(refused.status).toBe(401);
    // Signed as sent, either spelling is the owner's own request.
    expect((await request(box, { method: 'GET', path: escaped })).status).toBe(200);
    expect((await request(box, { method: 'GET', path })).status).toBe(200);
  });

  it('hashes the body bytes as they arrived: the same JSON spelt otherwise is another body', async () => {
    const box = await newMailbox(app);
    const path = `/v1/mailboxes/${box.id}/ack`;
    const ack = (body: string): Op => ({ method: 'POST', path, body });
    const refused = await request(box, ack('{"seqs":[1]}'), ack('{ "seqs": [1] }'));
    expect(refused.status).toBe(401);
    expect(await errorCode(refused)).toBe('unauthorized');
    expect((await request(box, ack('{ "seqs": [1] }'))).status).toBe(200);
  });

  it('a refusal for another operation leaves the challenge live; a success spends it', async () => {
    const box = await newMailbox(app);
    const read: Op = { method: 'GET', path: `/v1/mailboxes/${box.id}/messages` };
    const del: Op = { method: 'DELETE', path: `/v1/mailboxes/${box.id}` };
    const c = await challenge(app);
    expect((await request(box, read, del, c)).status).toBe(401);
    expect((await request(box, read, del, c)).status).toBe(401);
    expect((await request(box, read, read, c)).status).toBe(200);
    expect((await request(box, read, read, c)).status).toBe(401);
  });

  it('still answers an oversized body with 413, and never reads past the limit', async () => {
    const box = await newMailbox(app);
    const path = `/v1/mailboxes/${box.id}/ack`;
    const body = `{"seqs":[${'1,'.repeat(MAX_BODY_BYTES / 2)}1]}`;
    const res = await request(box, { method: 'POST', path, body });
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe('too-large');
  });
});
