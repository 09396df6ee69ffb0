/**
 * WebSocket push on a real loopback server: a subscribed owner receives stored and new messages
 * in order, acknowledges them over the socket, gets them again after a reconnect until it does,
 * and hostile or broken clients get typed errors or are disconnected while others are served.
 * The same for the binary frames (sends, acks, their answers and pushes), and the hello first.
 */

import { once } from 'node:events';
import {
  decodeServerFrame,
  encodeAckFrame,
  encodeSendFrame,
  defaultEnv as env,
  proveMailboxAccess,
  proveSendingRight,
  signDelivery,
  socketOperation,
  utf8,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { toB64url } from '../src/wire-json.ts';
import { type Box, newMailbox, remote, sendDelivery, type TestServer, testServer } from './api-kit.ts';

let server: TestServer;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  server = await testServer();
  ({ url, close } = await server.listen());
});
afterAll(async () => {
  await close();
  await server.close();
});

async function deliver(box: Box, text: string): Promise<void> {
  expect((await sendDelivery(remote(url), box, utf8(text))).status).toBe(201);
}

type Frame = Record<string, unknown> & { type: string };

const HELLO = { type: 'hello', api: 1, features: ['authorize', 'binary'] };
/** What subscribe and authorize proofs are bound to (protocol §3.5.1). */
const SUBSCRIBE = socketOperation('subscribe');
const AUTHORIZE = socketOperation('authorize');

/**
 * A frame as the tests read it: JSON as it came; a binary one decoded into the same shape (byte
 * strings in base64url, as in JSON) with `binary: true`.
 */
function frameOf(d: Buffer, isBinary: boolean): Frame {
  if (!isBinary) return JSON.parse(d.toString()) as Frame;
  const f: Record<string, unknown> = { ...decodeServerFrame(d), binary: true };
  for (const [k, v] of Object.entries(f)) if (v instanceof Uint8Array) f[k] = toB64url(v);
  return f as Frame;
}

/**
 * A client that queues incoming frames and can wait for the next one matching a predicate. The
 * server's hello (the first frame of every connection) is kept apart, in `hello`.
 */
class Client {
  readonly ws: WebSocket;
  readonly #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  #id = 0;
  /** Every frame in arrival order, hello included. */
  readonly all: Frame[] = [];
  closed: Promise<number>;

  constructor(base = url) {
    this.ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`);
    this.ws.on('message', (d: Buffer, isBinary) => {
      const f = frameOf(d, isBinary);
      this.all.push(f);
      if (f.type !== 'hello') this.#frames.push(f);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => resolve(code)));
  }

  opened(): Promise<void> {
    return new Promise((resolve) => this.ws.once('open', () => resolve()));
  }

  async next(match: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#frames.findIndex(match);
      if (i >= 0) return this.#frames.splice(i, 1)[0] as Frame;
      if (Date.now() > deadline) throw new Error('no matching frame');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async request(frame: object): Promise<Frame> {
    const id = ++this.#id;
    this.ws.send(JSON.stringify({ ...frame, id }));
    return this.next((f) => f.id === id);
  }

  /** A binary request with a fresh id; resolves with the frame (binary or JSON) that repeats it. */
  async requestBinary(encode: (id: number) => Uint8Array): Promise<Frame> {
    const id = ++this.#id;
    this.ws.send(encode(id));
    return this.next((f) => f.id === id);
  }

  /** A binary send, signed by `key` if given, else unsigned. */
  binarySend(box: Box, text: string, key?: Uint8Array): Promise<Frame> {
    const envelope = utf8(text);
    const signature = key === undefined ? undefined : signDelivery(env, key, box.idBytes, envelope);
    return this.requestBinary((id) => encodeSendFrame({ id, mailbox: box.idBytes, signature, envelope }));
  }

  /** A binary ack with an id (answered); `binaryAckQuietly` sends one with id 0. */
  binaryAck(box: Box, seqs: number[]): Promise<Frame> {
    return this.requestBinary((id) => encodeAckFrame({ id, mailbox: box.idBytes, seqs }));
  }

  binaryAckQuietly(box: Box, seqs: number[]): void {
    this.ws.send(encodeAckFrame({ id: 0, mailbox: box.idBytes, seqs }));
  }

  /** A `type` frame for `box` carrying `prove`'s answer to a fresh challenge (or to `reuse`). */
  async #answer(
    type: 'subscribe' | 'authorize',
    box: Box,
    prove: (challenge: Uint8Array) => Uint8Array,
    reuse?: string,
    push?: 'json' | 'binary',
  ): Promise<Frame> {
    const challenge =
      reuse ?? ((await this.request({ type: 'challenge' })) as unknown as { challenge: string }).challenge;
    const proof = prove(new Uint8Array(Buffer.from(challenge, 'base64url')));
    return this.request({ type, mailbox: box.id, challenge, proof: toB64url(proof), ...(push ? { push } : {}) });
  }

  subscribe(box: Box, key = box.recipient.privateKey, push?: 'json' | 'binary'): Promise<Frame> {
    return this.#answer(
      'subscribe',
      box,
      (c) => proveMailboxAccess(env, key, box.idBytes, c, SUBSCRIBE),
      undefined,
      push,
    );
  }

  /** Proves `box`'s sender key (or `key`) on this connection, for sends without signatures. */
  authorize(box: Box, key = box.sender.privateKey, reuse?: string): Promise<Frame> {
    return this.#answer('authorize', box, (c) => proveSendingRight(env, key, box.idBytes, c, AUTHORIZE), reuse);
  }

  /** A send signed by `key` (default: the mailbox's sender key). */
  signedSend(box: Box, text: string, key = box.sender.privateKey): Promise<Frame> {
    const envelope = utf8(text);
    const signature = signDelivery(env, key, box.idBytes, envelope);
    return this.request({
      type: 'send',
      mailbox: box.id,
      envelope: toB64url(envelope),
      signature: toB64url(signature),
    });
  }

  /** An unsigned send. */
  send(box: Box, text: string): Promise<Frame> {
    return this.request({ type: 'send', mailbox: box.id, envelope: toB64url(utf8(text)) });
  }

  async messages(n: number): Promise<Frame[]> {
    const out: Frame[] = [];
    while (out.length < n) out.push(await this.next((f) => f.type === 'message'));
    return out;
  }
}

/**
 * A new mailbox, its owner subscribed to it (unless `subscribed` is false), and another client to
 * write into it, which has authorised it if `authorized`.
 */
async function ownerAndWriter({ subscribed = true, authorized = false } = {}): Promise<{
  box: Box;
  owner: Client;
  writer: Client;
}> {
  const box = await newMailbox(remote(url));
  const owner = new Client();
  const writer = new Client();
  await Promise.all([owner.opened(), writer.opened()]);
  if (subscribed) await owner.subscribe(box);
  if (authorized) await writer.authorize(box);
  return { box, owner, writer };
}

const texts = (frames: Frame[]) => frames.map((f) => Buffer.from(String(f.envelope), 'base64url').toString());

describe('WebSocket push', () => {
  it('delivers stored then new messages in order, and an ack deletes them', async () => {
    const box = await newMailbox(remote(url));
    await deliver(box, 'one');
    await deliver(box, 'two');
    const client = new Client();
    await client.opened();
    expect((await client.subscribe(box)).type).toBe('subscribed');
    expect(texts(await client.messages(2))).toEqual(['one', 'two']);
    await deliver(box, 'three');
    const [third] = await client.messages(1);
    expect(texts([third as Frame])).toEqual(['three']);

    // Not acknowledged yet: a new connection gets all three again (at-least-once).
    const again = new Client();
    await again.opened();
    await again.subscribe(box);
    const redelivered = await again.messages(3);
    expect(texts(redelivered)).toEqual(['one', 'two', 'three']);
    const acked = await again.request({ type: 'ack', mailbox: box.id, seqs: redelivered.map((f) => f.seq) });
    expect(acked).toMatchObject({ type: 'acked', deleted: 3 });

    const third1 = new Client();
    await third1.opened();
    await third1.subscribe(box);
    await deliver(box, 'four');
    expect(texts(await third1.messages(1))).toEqual(['four']);
    for (const c of [client, again, third1]) c.ws.close();
  });

  it('refuses a wrong proof and acks for mailboxes not subscribed', async () => {
    const box = await newMailbox(remote(url));
    const other = await newMailbox(remote(url));
    const client = new Client();
    await client.opened();
    const refused = await client.subscribe(box, other.recipient.privateKey);
    expect(refused).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    const ack = await client.request({ type: 'ack', mailbox: box.id, seqs: [1] });
    expect(ack).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    client.ws.close();
  });

  it('deletes on an ack without an id and answers only a refusal', async () => {
    const box = await newMailbox(remote(url));
    await deliver(box, 'quiet');
    const client = new Client();
    await client.opened();
    await client.subscribe(box);
    const [pushed] = await client.messages(1);
    client.ws.send(JSON.stringify({ type: 'ack', mailbox: box.id, seqs: [pushed?.seq] }));
    // Not subscribed to `other`: the refusal comes, without an id.
    const other = await newMailbox(remote(url));
    client.ws.send(JSON.stringify({ type: 'ack', mailbox: other.id, seqs: [1] }));
    const refusal = await client.next((f) => f.type === 'error');
    expect(refusal).toMatchObject({ error: { code: 'forbidden' } });
    expect(refusal.id).toBeUndefined();
    // An ack with an id, queued after the first: its batch commits no earlier, so when it is
    // answered the first has deleted the message (this one finds nothing left).
    const confirm = await client.request({ type: 'ack', mailbox: box.id, seqs: [pushed?.seq] });
    expect(confirm).toMatchObject({ type: 'acked', deleted: 0 });
    await expect(client.next((f) => f.type === 'acked', 300)).rejects.toThrow('no matching frame');
    const later = new Client();
    await later.opened();
    await later.subscribe(box);
    await deliver(box, 'next');
    expect(texts(await later.messages(1))).toEqual(['next']);
    client.ws.close();
    later.ws.close();
  });

  it('answers malformed frames with errors, disconnects a client that keeps sending them, and serves others', async () => {
    const bad = new Client();
    await bad.opened();
    bad.ws.send('not json');
    expect(await bad.next((f) => f.type === 'error')).toMatchObject({ error: { code: 'bad-request' } });
    // A seq past 2^53 − 1 is malformed (as in a binary ack), not a storage error.
    const unsafe = JSON.stringify({ type: 'ack', id: 1, mailbox: toB64url(new Uint8Array(16)), seqs: [1] });
    bad.ws.send(unsafe.replace('[1]', '[9007199254740993]'));
    expect(await bad.next((f) => f.type === 'error')).toMatchObject({ error: { code: 'bad-request' } });
    for (let i = 0; i < 8; i++) bad.ws.send(JSON.stringify({ type: 'subscribe', id: i }));
    expect(await bad.closed).toBe(1008);

    const big = new Client();
    await big.opened();
    big.ws.send('x'.repeat(200 * 1024));
    expect(await big.closed).toBe(1009);

    const box = await newMailbox(remote(url));
    await deliver(box, 'still serving');
    const good = new Client();
    await good.opened();
    await good.subscribe(box);
    expect(texts(await good.messages(1))).toEqual(['still serving']);
    good.ws.close();
  });

  it('sends over the socket: acknowledged once stored, pushed to the owner, refused when forged', async () => {
    const { box, owner, writer } = await ownerAndWriter();
    const sent = await writer.signedSend(box, 'over the socket');
    expect(sent).toMatchObject({ type: 'sent' });
    const [pushed] = await owner.messages(1);
    expect(texts([pushed as Frame])).toEqual(['over the socket']);
    expect(pushed?.seq).toBe(sent.seq);
    const forged = await writer.signedSend(box, 'over the socket', box.recipient.privateKey);
    expect(forged).toMatchObject({ type: 'error', error: { code: 'not-found' } });
    const unknown = await writer.request({
      type: 'send',
      mailbox: toB64url(new Uint8Array(16)),
      envelope: toB64url(utf8('over the socket')),
      signature: toB64url(new Uint8Array(64)),
    });
    expect(unknown).toMatchObject({ type: 'error', error: { code: 'not-found' } });
    owner.ws.close();
    writer.ws.close();
  });
});

describe('sending proofs', () => {
  it('authorise unsigned sends into one mailbox on one connection only', async () => {
    const { box, owner, writer } = await ownerAndWriter();
    const other = await newMailbox(remote(url));
    const stranger = new Client();
    await stranger.opened();

    expect(await writer.send(box, 'too early')).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    expect(await writer.authorize(box)).toMatchObject({ type: 'authorized', mailbox: box.id });
    const sent = await writer.send(box, 'no signature needed');
    expect(sent).toMatchObject({ type: 'sent' });
    const [pushed] = await owner.messages(1);
    expect(texts([pushed as Frame])).toEqual(['no signature needed']);
    expect(pushed?.seq).toBe(sent.seq);

    // Another mailbox, and the same mailbox from another connection, are not authorised.
    expect(await writer.send(other, 'elsewhere')).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    expect(await stranger.send(box, 'not mine')).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    // A signed send still works on any connection.
    const signed = await stranger.signedSend(box, 'signed');
    expect(signed).toMatchObject({ type: 'sent' });
    for (const c of [owner, writer, stranger]) c.ws.close();
  });

  it('refuses a proof by the wrong key, for an unknown mailbox, or over a used challenge', async () => {
    const box = await newMailbox(remote(url));
    const client = new Client();
    await client.opened();
    // The recipient key is not the sender key, and an access proof is not a sending proof.
    const wrongKey = await client.authorize(box, box.recipient.privateKey);
    expect(wrongKey).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    const { challenge } = (await client.request({ type: 'challenge' })) as unknown as { challenge: string };
    const access = await client.request({
      type: 'authorize',
      mailbox: box.id,
      challenge,
      proof: toB64url(
        proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, Buffer.from(challenge, 'base64url'), AUTHORIZE),
      ),
    });
    expect(access).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    const unknown = await client.authorize({ ...box, id: toB64url(new Uint8Array(16)) });
    expect(unknown).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });

    // A challenge answers once: replaying a good proof on another connection authorises nothing.
    const { challenge: once1 } = (await client.request({ type: 'challenge' })) as unknown as { challenge: string };
    expect(await client.authorize(box, box.sender.privateKey, once1)).toMatchObject({ type: 'authorized' });
    const replayer = new Client();
    await replayer.opened();
    const replayed = await replayer.authorize(box, box.sender.privateKey, once1);
    expect(replayed).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    expect(await replayer.send(box, 'replayed')).toMatchObject({ type: 'error', error: { code: 'unauthorized' } });
    client.ws.close();
    replayer.ws.close();
  });

  it('answers a burst of sends on one connection each with its own seq, pushed in order', async () => {
    const { box, owner, writer } = await ownerAndWriter({ authorized: true });
    // All at once: they share group commits (and the answers of one commit one corked write, which
    // this test does not observe: it checks the seqs and the order).
    const texts200 = Array.from({ length: 200 }, (_, i) => `burst ${i}`);
    const answers = await Promise.all(texts200.map((t) => writer.send(box, t)));
    expect(answers.every((a) => a.type === 'sent')).toBe(true);
    const seqs = answers.map((a) => Number(a.seq));
    expect(new Set(seqs).size).toBe(200);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs); // sent in order, stored in order
    expect(texts(await owner.messages(200))).toEqual(texts200);
    owner.ws.close();
    writer.ws.close();
  });
  it('a subscription made while sends stream in gets each message once, in seq order', async () => {
    const { box, owner, writer } = await ownerAndWriter({ subscribed: false, authorized: true });
    // More than a page (500) is stored before the subscription reads, and more commits while it
    // reads: each must be pushed once, whether it was read back or pushed as it committed.
    const sends = Array.from({ length: 1200 }, (_, i) => writer.send(box, `m${i}`));
    await Promise.all(sends.slice(0, 600));
    const subscribed = owner.subscribe(box);
    const seqs = (await Promise.all(sends)).map((a) => Number(a.seq));
    expect((await subscribed).type).toBe('subscribed');
    const pushed = (await owner.messages(1200)).map((f) => Number(f.seq));
    expect(pushed).toEqual([...seqs].sort((a, b) => a - b));
    // Nothing more comes: no message was pushed twice.
    await expect(owner.next((f) => f.type === 'message', 300)).rejects.toThrow('no matching frame');
    owner.ws.close();
    writer.ws.close();
  });

  it('a push that fails does not fail the send: the sender gets its seq, and later messages still reach the owner', async () => {
    const { box, owner, writer } = await ownerAndWriter({ authorized: true });
    const pushes = server.deps.metrics?.pushes;
    if (pushes === undefined) throw new Error('no metrics');
    const inc = pushes.inc;
    pushes.inc = () => {
      throw new Error('a push that fails');
    };
    try {
      expect(await writer.send(box, 'stored anyway')).toMatchObject({ type: 'sent' });
    } finally {
      pushes.inc = inc;
    }
    // The failed push leaves the subscription behind: the next message comes after an ack, read
    // back from the store.
    const [first] = await owner.messages(1);
    expect(await writer.send(box, 'next')).toMatchObject({ type: 'sent' });
    await owner.request({ type: 'ack', mailbox: box.id, seqs: [Number(first?.seq)] });
    expect(texts(await owner.messages(1))).toEqual(['next']);
    owner.ws.close();
    writer.ws.close();
  });

  it('a store that throws at once is an internal error on that connection, not a crash', async () => {
    const { box, owner, writer } = await ownerAndWriter({ authorized: true });
    const sent = await writer.binarySend(box, 'first');
    await owner.messages(1);
    // The binary path calls the store without an async function around it: a synchronous throw
    // must reach the connection's error answer, not `ws` (the process's uncaught exception).
    const mailboxes = server.deps.mailboxes;
    const ack = mailboxes.ack;
    mailboxes.ack = () => {
      throw new Error('a store that throws');
    };
    try {
      owner.binaryAckQuietly(box, [Number(sent.seq)]);
      const error = await owner.next((f) => f.type === 'error');
      expect(error).toMatchObject({ error: { code: 'internal', message: 'internal error' } });
    } finally {
      mailboxes.ack = ack;
    }
    expect(await owner.binaryAck(box, [Number(sent.seq)])).toMatchObject({ type: 'acked', deleted: 1 });
    expect(await writer.binarySend(box, 'second')).toMatchObject({ type: 'sent' });
    expect(texts(await owner.messages(1))).toEqual(['second']);
    owner.ws.close();
    writer.ws.close();
  });

  it('a message that commits while the subscription reads the store is read back, not lost', async () => {
    const { box, owner, writer } = await ownerAndWriter({ subscribed: false, authorized: true });
    // The subscription's first read finds the mailbox empty, and its answer is held back until a
    // message has committed (and been announced) meanwhile.
    const store = server.deps.mailboxes;
    const fetch = store.fetch.bind(store);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reads = 0;
    store.fetch = async (id, options) => {
      const page = await fetch(id, options);
      if (reads++ === 0) await held;
      return page;
    };
    try {
      const subscribed = owner.subscribe(box);
      while (reads === 0) await new Promise((r) => setTimeout(r, 5));
      expect((await writer.send(box, 'during the read')).type).toBe('sent');
      release();
      expect((await subscribed).type).toBe('subscribed');
      expect(texts(await owner.messages(1))).toEqual(['during the read']);
      expect(reads).toBe(2);
    } finally {
      store.fetch = fetch;
      owner.ws.close();
      writer.ws.close();
    }
  });
});

describe('hello and binary frames', () => {
  it('greets every connection with a hello first, before any answer', async () => {
    const client = new Client();
    await client.opened();
    await client.request({ type: 'challenge' });
    expect(client.all[0]).toEqual(HELLO);
    expect(client.all.filter((f) => f.type === 'hello')).toHaveLength(1);
    client.ws.close();
  });

  it('a binary send is answered with a binary sent, pushed in binary to a binary subscription, and acks delete', async () => {
    const box = await newMailbox(remote(url));
    const owner = new Client();
    const jsonOwner = new Client();
    const writer = new Client();
    await Promise.all([owner.opened(), jsonOwner.opened(), writer.opened()]);
    expect(await owner.subscribe(box, undefined, 'binary')).toMatchObject({ type: 'subscribed' });
    // Subscribed again (as JSON): the subscription keeps its mode.
    expect(await owner.subscribe(box, undefined, 'json')).toMatchObject({ type: 'subscribed' });
    await jsonOwner.subscribe(box);
    await writer.authorize(box);

    const sent = await writer.binarySend(box, 'in binary');
    expect(sent).toEqual({ type: 'sent', id: expect.any(Number), seq: expect.any(Number), binary: true });
    const [pushed] = await owner.messages(1);
    expect(pushed).toMatchObject({ binary: true, mailbox: box.id, seq: sent.seq, receivedAt: expect.any(Number) });
    expect(texts([pushed as Frame])).toEqual(['in binary']);
    const [asJson] = await jsonOwner.messages(1);
    expect(asJson).toMatchObject({ seq: sent.seq, envelope: pushed?.envelope });
    expect(asJson?.binary).toBeUndefined();

    expect(await owner.binaryAck(box, [Number(sent.seq)])).toEqual({
      type: 'acked',
      id: expect.any(Number),
      deleted: 1,
      binary: true,
    });
    const second = await writer.binarySend(box, 'acked quietly');
    const [quiet] = await owner.messages(1);
    expect(quiet?.seq).toBe(second.seq);
    owner.binaryAckQuietly(box, [Number(second.seq)]);
    // Queued after the quiet ack, so answered after it committed: nothing left to delete.
    expect(await owner.binaryAck(box, [Number(second.seq)])).toMatchObject({ type: 'acked', deleted: 0 });
    await expect(owner.next((f) => f.type === 'acked' || f.type === 'error', 300)).rejects.toThrow('no matching frame');
    const later = new Client();
    await later.opened();
    await later.subscribe(box, undefined, 'binary');
    await deliver(box, 'next');
    expect(texts(await later.messages(1))).toEqual(['next']);
    for (const c of [owner, jsonOwner, writer, later]) c.ws.close();
  });

  it('a signed binary send works on any connection; refusals are JSON errors carrying the id', async () => {
    const { box, owner, writer } = await ownerAndWriter();
    const signed = await writer.binarySend(box, 'signed in binary', box.sender.privateKey);
    expect(signed).toMatchObject({ type: 'sent', binary: true });
    expect(texts(await owner.messages(1))).toEqual(['signed in binary']);

    const unsigned = await writer.binarySend(box, 'not authorised');
    expect(unsigned).toEqual({
      type: 'error',
      id: expect.any(Number),
      error: { code: 'unauthorized', message: expect.any(String) },
    });
    const forged = await writer.binarySend(box, 'forged', box.recipient.privateKey);
    const unknown = await writer.requestBinary((id) =>
      encodeSendFrame({ id, mailbox: new Uint8Array(16), signature: new Uint8Array(64), envelope: utf8('x') }),
    );
    // A bad signature and an unknown mailbox get the same answer, apart from the request id.
    expect(unknown).toMatchObject({ type: 'error', error: { code: 'not-found' } });
    expect({ ...forged, id: 0 }).toEqual({ ...unknown, id: 0 });
    await writer.authorize(box);
    const big = await writer.requestBinary((id) =>
      encodeSendFrame({ id, mailbox: box.idBytes, signature: undefined, envelope: new Uint8Array(64 * 1024 + 1) }),
    );
    expect(big).toMatchObject({ type: 'error', error: { code: 'too-large' } });

    // An ack for a mailbox not subscribed on this connection: refused with the id, or without
    // one for an ack with id 0.
    expect(await writer.binaryAck(box, [1])).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    writer.binaryAckQuietly(box, [1]);
    const refusal = await writer.next((f) => f.type === 'error');
    expect(refusal).toMatchObject({ error: { code: 'forbidden' } });
    expect(refusal.id).toBeUndefined();
    owner.ws.close();
    writer.ws.close();
  });

  it('answers malformed binary frames with bad-request, closes after 10 with 1008, and serves others', async () => {
    const box = await newMailbox(remote(url));
    const good = new Client();
    const bad = new Client();
    await Promise.all([good.opened(), bad.opened()]);
    await good.subscribe(box, undefined, 'binary');
    const mailbox = box.idBytes;
    const ackHead = (n: number) => Buffer.concat([Buffer.from([0x02, 0, 0, 0, 1]), mailbox, Buffer.from([n >> 8, n])]);
    const seq = (hi: number, lo: number) =>
      Buffer.from([hi >>> 24, hi >>> 16, hi >>> 8, hi, lo >>> 24, lo >>> 16, lo >>> 8, lo]);
    const frames = [
      Buffer.alloc(0),
      Buffer.from([0x03, 0, 0, 0, 1]),
      Buffer.from(encodeSendFrame({ id: 1, mailbox, signature: undefined, envelope: utf8('x') })).fill(0x02, 21, 22), // bad flags
      Buffer.concat([Buffer.from([0x01, 0, 0, 0, 1]), mailbox, Buffer.from([0])]), // empty envelope
      ackHead(0),
      Buffer.concat([ackHead(1), seq(0, 0)]), // seq 0
      Buffer.concat([ackHead(1), seq(0x200000, 0)]), // seq 2^53
      Buffer.concat([ackHead(1), seq(0, 1), Buffer.from([0])]), // trailing byte
      Buffer.concat([ackHead(2), seq(0, 1)]), // cut short
    ];
    for (const f of frames) {
      bad.ws.send(f);
      const e = await bad.next((x) => x.type === 'error');
      expect(e).toMatchObject({ error: { code: 'bad-request' } });
      expect(e.id).toBeUndefined();
    }
    // Binary and JSON malformed frames count together: the tenth closes the connection.
    bad.ws.send(Buffer.from([0xff]));
    expect(await bad.closed).toBe(1008);

    const writer = new Client();
    await writer.opened();
    const sent = await writer.binarySend(box, 'still serving', box.sender.privateKey);
    expect(sent).toMatchObject({ type: 'sent' });
    expect(texts(await good.messages(1))).toEqual(['still serving']);
    good.ws.close();
    writer.ws.close();
  });
});

describe('metrics', () => {
  it('count deliveries by transport and result, pushes, connections, queued messages and group commits', async () => {
    const fresh = await testServer();
    const served = await fresh.listen();
    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${served.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    };
    try {
      const api = remote(served.url);
      const box = await newMailbox(api);
      expect((await sendDelivery(api, box, utf8('over http'))).status).toBe(201);
      expect((await sendDelivery(api, box, utf8('over http'))).status).toBe(200); // a copy
      const owner = new Client(served.url);
      const writer = new Client(served.url);
      await Promise.all([owner.opened(), writer.opened()]);
      await owner.subscribe(box);
      await writer.authorize(box);
      expect(await writer.send(box, 'over the socket')).toMatchObject({ type: 'sent' });
      const pushed = await owner.messages(2);

      expect(await metric('parley_deliveries_total{transport="http",result="stored"}')).toBe(1);
      expect(await metric('parley_deliveries_total{transport="http",result="duplicate"}')).toBe(1);
      expect(await metric('parley_deliveries_total{transport="websocket",result="stored"}')).toBe(1);
      expect(await metric('parley_delivery_duration_seconds_count{transport="http"}')).toBe(2);
      expect(await metric('parley_pushes_total')).toBe(2);
      expect(await metric('parley_websocket_connections')).toBe(2);
      expect(await metric('parley_queued_messages')).toBe(2);
      // Two stored deliveries at least went through group commits (an ack would add to them).
      expect(await metric('parley_group_commit_operations_sum')).toBeGreaterThanOrEqual(2);

      await owner.request({ type: 'ack', mailbox: box.id, seqs: pushed.map((f) => f.seq) });
      expect(await metric('parley_queued_messages')).toBe(0);
      owner.ws.close();
      await owner.closed;
      const deadline = Date.now() + 5000;
      while ((await metric('parley_websocket_connections')) !== 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(await metric('parley_websocket_connections')).toBe(1);
      writer.ws.close();
    } finally {
      await served.close();
      await fresh.close();
    }
  });
});

describe('half-open connections', () => {
  it('closes a connection that stops answering pings and keeps serving one that answers', async () => {
    const fast = await server.listen({ pingIntervalMs: 100 });
    const wsUrl = `${fast.url.replace('http', 'ws')}/v1/ws`;
    // `autoPong: false` makes the client look like a peer that vanished without closing.
    const silent = new WebSocket(wsUrl, { autoPong: false });
    const healthy = new WebSocket(wsUrl);
    try {
      await Promise.all([once(silent, 'open'), once(healthy, 'open')]);
      const [code] = await once(silent, 'close'); // within two ping intervals
      expect(code).toBe(1006); // terminated, not closed politely
      await new Promise((r) => setTimeout(r, 350)); // more ping rounds, all answered
      expect(healthy.readyState).toBe(WebSocket.OPEN);
      healthy.send(JSON.stringify({ type: 'challenge', id: 1 }));
      const [data] = await once(healthy, 'message');
      expect(JSON.parse(String(data))).toMatchObject({ type: 'challenge', id: 1 });
    } finally {
      healthy.close();
      silent.terminate();
      await fast.close();
    }
  });
});
