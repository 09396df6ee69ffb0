/**
 * One WebSocket connection without a socket: a Connection fed frames by hand, writing to a fake
 * sink. What a socket makes hard to see is checked here directly — the hello first, the bound on
 * malformed frames, a connection whose send buffer is full holding pushes back until the client
 * catches up, pushes stopping once it closes, and a failing store answered, never thrown.
 */
import {
  decodeServerFrame,
  encodeSendFrame,
  defaultEnv as env,
  proveMailboxAccess,
  signDelivery,
  socketOperation,
  utf8,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Connection, type ConnectionSink, connectionContext } from '../src/websocket/connection.ts';
import { toB64url } from '../src/wire-json.ts';
import { type Box, newMailbox, sendDelivery, type TestServer, testServer } from './api-kit.ts';

class FakeSink implements ConnectionSink {
  open = true;
  bufferedAmount = 0;
  readonly sent: (string | Uint8Array)[] = [];
  closedWith: [number, string] | undefined;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.open = false;
  }
  /** The JSON frames sent, parsed; binary ones decoded. */
  frames(): Record<string, unknown>[] {
    return this.sent.map((d) =>
      typeof d === 'string' ? (JSON.parse(d) as Record<string, unknown>) : { ...decodeServerFrame(d) },
    );
  }
  last(): Record<string, unknown> | undefined {
    return this.frames().at(-1);
  }
}

let server: TestServer;
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  server = await testServer();
});
afterAll(async () => {
  await server.close();
});

function connect(): { conn: Connection; sink: FakeSink } {
  const sink = new FakeSink();
  return { conn: new Connection(connectionContext(server.deps, log), sink), sink };
}

/** Subscribes `conn` to `box` with a fresh challenge and the recipient key's proof. */
async function subscribe(conn: Connection, sink: FakeSink, box: Box, push?: 'binary'): Promise<void> {
  await conn.receive(JSON.stringify({ type: 'challenge', id: 1 }), false);
  const { challenge } = sink.last() as { challenge: string };
  const c = new Uint8Array(Buffer.from(challenge, 'base64url'));
  const proof = proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, c, socketOperation('subscribe'));
  const frame = {
    type: 'subscribe',
    id: 2,
    mailbox: box.id,
    challenge,
    proof: toB64url(proof),
    ...(push ? { push } : {}),
  };
  await conn.receive(JSON.stringify(frame), false);
  expect(sink.frames()).toContainEqual({ type: 'subscribed', id: 2, mailbox: box.id });
}

/** Lets the connection's store reads and pushes run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('a WebSocket connection without a socket', () => {
  it('says hello first', () => {
    const { sink } = connect();
    expect(sink.sent).toEqual(['{"type":"hello","api":1,"features":["authorize","binary"]}']);
  });

  it('answers malformed frames and closes after ten', async () => {
    const { conn, sink } = connect();
    for (let i = 0; i < 9; i++) await conn.receive(i % 2 ? 'not json' : new Uint8Array([0x7f]), i % 2 === 0);
    expect(sink.closedWith).toBeUndefined();
    await conn.receive('{"type":"nope"}', false);
    expect(sink.closedWith).toEqual([1008, 'too many malformed frames']);
    const errors = sink.frames().slice(1);
    expect(errors).toHaveLength(10);
    for (const e of errors)
      expect(e).toEqual({ type: 'error', error: { code: 'bad-request', message: 'malformed frame' } });
  });

  it('refuses an unsigned send into a mailbox it has not authorised, and an ack before subscribing', async () => {
    const box = await newMailbox(server.app());
    const { conn, sink } = connect();
    await conn.receive(JSON.stringify({ type: 'send', id: 4, mailbox: box.id, envelope: toB64url(utf8('x')) }), false);
    expect(sink.last()).toMatchObject({ type: 'error', id: 4, error: { code: 'unauthorized' } });
    await conn.receive(JSON.stringify({ type: 'ack', id: 5, mailbox: box.id, seqs: [1] }), false);
    expect(sink.last()).toMatchObject({ type: 'error', id: 5, error: { code: 'forbidden' } });
  });

  it('stores a signed binary send and answers in binary; a bad signature is answered as an unknown mailbox', async () => {
    const box = await newMailbox(server.app());
    const { conn, sink } = connect();
    const envelope = utf8('signed');
    const signature = signDelivery(env, box.sender.privateKey, box.idBytes, envelope);
    await conn.receive(encodeSendFrame({ id: 9, mailbox: box.idBytes, signature, envelope }), true);
    expect(sink.last()).toEqual({ type: 'sent', id: 9, seq: expect.any(Number) });
    const forged = signDelivery(env, box.recipient.privateKey, box.idBytes, envelope);
    await conn.receive(encodeSendFrame({ id: 10, mailbox: box.idBytes, signature: forged, envelope }), true);
    expect(sink.last()).toMatchObject({ type: 'error', id: 10, error: { code: 'not-found' } });
  });

  it('pushes stored and new messages; holds them back while the send buffer is full, then catches up', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    expect((await sendDelivery(app, box, utf8('one'))).status).toBe(201);
    const { conn, sink } = connect();
    await subscribe(conn, sink, box);
    await settle();
    const pushed = () => sink.frames().filter((f) => f.type === 'message');
    expect(pushed().map((f) => f.envelope)).toEqual([toB64url(utf8('one'))]);

    sink.bufferedAmount = 8 * 1024 * 1024; // the client is not reading
    expect((await sendDelivery(app, box, utf8('two'))).status).toBe(201);
    await settle();
    expect(pushed()).toHaveLength(1);

    sink.bufferedAmount = 0;
    const seq = pushed()[0]?.seq as number;
    await conn.receive(JSON.stringify({ type: 'ack', id: 6, mailbox: box.id, seqs: [seq] }), false);
    await settle();
    expect(sink.frames()).toContainEqual({ type: 'acked', id: 6, deleted: 1 });
    expect(pushed().map((f) => f.envelope)).toEqual([toB64url(utf8('one')), toB64url(utf8('two'))]);
  });

  it('stops pushing once closed', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const { conn, sink } = connect();
    await subscribe(conn, sink, box, 'binary');
    await settle();
    expect((await sendDelivery(app, box, utf8('live'))).status).toBe(201);
    expect(sink.frames().filter((f) => f.type === 'message')).toHaveLength(1);
    conn.closed();
    expect((await sendDelivery(app, box, utf8('after'))).status).toBe(201);
    await settle();
    expect(sink.frames().filter((f) => f.type === 'message')).toHaveLength(1);
  });

  it('answers a store failure with an internal error frame instead of throwing', async () => {
    const deps = {
      ...server.deps,
      challenges: { ...server.deps.challenges, issue: () => Promise.reject(new Error('database down')) },
    };
    const sink = new FakeSink();
    const conn = new Connection(connectionContext(deps, log), sink);
    await conn.receive(JSON.stringify({ type: 'challenge', id: 1 }), false);
    expect(sink.last()).toEqual({ type: 'error', error: { code: 'internal', message: 'internal error' } });
  });
});
