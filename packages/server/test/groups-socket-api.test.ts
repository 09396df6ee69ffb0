/**
 * Group logs on the WebSocket (issue 20; docs/server.md "Groups"), on SQLite and again on
 * PostgreSQL: a `subscribe-group` frame with one epoch's group proof pushes that epoch's stored
 * and new entries, up to and including the commit that closes it, and nothing after; the next
 * epoch's key subscribes again. Refusals: a proof for another frame or epoch, a challenge from
 * another connection, an unknown group, malformed frames, and rejoin when retention went past.
 */
import { defaultEnv as env, proveGroupAccess, socketOperation } from '@parley/protocol';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { toB64url } from '../src/wire-json.ts';
import { challenge, remote, type TestServer, testServer } from './api-kit.ts';
import { newGroup, postApplication, postCommit, type TestGroup, type WriteKey } from './group-kit.ts';

type Frame = Record<string, unknown> & { type: string };
const SUBSCRIBE_GROUP = socketOperation('subscribe-group');

class Client {
  readonly ws: WebSocket;
  readonly #frames: Frame[] = [];
  #id = 0;

  constructor(base: string) {
    this.ws = new WebSocket(`${base.replace('http', 'ws')}/v1/ws`);
    this.ws.on('message', (d: Buffer) => {
      const f = JSON.parse(d.toString()) as Frame;
      if (f.type !== 'hello') this.#frames.push(f);
    });
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
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Frames received so far that match, without waiting. */
  pending(match: (f: Frame) => boolean): Frame[] {
    return this.#frames.filter(match);
  }

  async request(frame: object): Promise<Frame> {
    const id = ++this.#id;
    this.ws.send(JSON.stringify({ ...frame, id }));
    return this.next((f) => f.id === id);
  }

  async challenge(): Promise<Uint8Array> {
    const f = await this.request({ type: 'challenge' });
    return new Uint8Array(Buffer.from(f.challenge as string, 'base64url'));
  }

  /** Subscribes to the group's `epoch` with `key` over a challenge of this connection. */
  async subscribe(g: TestGroup, epoch: number, key: WriteKey, after?: number, operation = SUBSCRIBE_GROUP) {
    const c = await this.challenge();
    const proof = proveGroupAccess(env, key.privateKey, g.id, epoch, c, operation);
    return this.request({
      type: 'subscribe-group',
      group: g.idText,
      epoch,
      ...(after === undefined ? {} : { after }),
      challenge: toB64url(c),
      proof: toB64url(proof),
    });
  }

  close(): void {
    this.ws.close();
  }
}

const isMessage = (g: TestGroup) => (f: Frame) => f.type === 'group-message' && f.group === g.idText;
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const settle = () => new Promise((r) => setTimeout(r, 200));

describe('group subscriptions', () => {
  let server: TestServer;
  let url: string;
  let close: () => Promise<void>;
  let app: Hono;

  beforeAll(async () => {
    server = await testServer();
    ({ url, close } = await server.listen());
    app = remote(url);
  });
  afterAll(async () => {
    await close();
    await server.close();
  });

  it('pushes one epoch’s stored and new entries up to its commit, nothing after; the next key goes on', async () => {
    const g = await newGroup(app);
    await postApplication(app, g, 0, bytes(10, 1));
    await postApplication(app, g, 0, bytes(10, 2));
    const client = new Client(url);
    await client.opened();
    expect(await client.subscribe(g, 0, g.keys[0] as WriteKey)).toMatchObject({
      type: 'group-subscribed',
      group: g.idText,
      epoch: 0,
    });
    expect(await client.next(isMessage(g))).toMatchObject({
      seq: 1,
      epoch: 0,
      kind: 'application',
      message: toB64url(bytes(10, 1)),
    });
    expect(await client.next(isMessage(g))).toMatchObject({ seq: 2 });
    await postApplication(app, g, 0, bytes(10, 3));
    expect(await client.next(isMessage(g))).toMatchObject({ seq: 3, message: toB64url(bytes(10, 3)) });
    expect((await postCommit(app, g, 0)).status).toBe(201);
    const commit = await client.next(isMessage(g));
    expect(commit).toMatchObject({
      seq: 4,
      epoch: 0,
      kind: 'commit',
      nextWriteKey: toB64url((g.keys[1] as WriteKey).publicKey),
    });
    // Epoch 1 is not this key's: nothing of it is pushed.
    await postApplication(app, g, 1, bytes(10, 4));
    await settle();
    expect(client.pending(isMessage(g))).toEqual([]);
    expect(await client.subscribe(g, 1, g.keys[1] as WriteKey, 4)).toMatchObject({
      type: 'group-subscribed',
      epoch: 1,
    });
    expect(await client.next(isMessage(g))).toMatchObject({ seq: 5, epoch: 1, message: toB64url(bytes(10, 4)) });
    client.close();
  });

  it('pushes every entry once and in order to each subscriber, while catching up and after', async () => {
    const g = await newGroup(app);
    for (let i = 1; i <= 10; i++) await postApplication(app, g, 0, bytes(20, i));
    const [one, two] = [new Client(url), new Client(url)];
    await Promise.all([one.opened(), two.opened()]);
    await one.subscribe(g, 0, g.keys[0] as WriteKey);
    // Posts racing the second subscription's catch-up.
    const posting = (async () => {
      for (let i = 11; i <= 40; i++) expect((await postApplication(app, g, 0, bytes(20, i))).status).toBe(201);
    })();
    await two.subscribe(g, 0, g.keys[0] as WriteKey, 5);
    await posting;
    for (const [client, from] of [
      [one, 1],
      [two, 6],
    ] as const) {
      const seqs: unknown[] = [];
      for (let s = from; s <= 40; s++) seqs.push((await client.next(isMessage(g))).seq);
      expect(seqs).toEqual(Array.from({ length: 41 - from }, (_, i) => from + i));
    }
    await settle();
    expect([...one.pending(isMessage(g)), ...two.pending(isMessage(g))]).toEqual([]);
    one.close();
    two.close();
  });

  it('refuses a proof for another frame or epoch, another connection’s challenge, an unknown group', async () => {
    const g = await newGroup(app);
    await postCommit(app, g, 0);
    const client = new Client(url);
    await client.opened();
    const refused = { type: 'error', error: { code: 'unauthorized' } };
    expect(await client.subscribe(g, 0, g.keys[0] as WriteKey, undefined, socketOperation('subscribe'))).toMatchObject(
      refused,
    );
    // Epoch 1's subscription with epoch 0's key.
    expect(await client.subscribe(g, 1, g.keys[0] as WriteKey)).toMatchObject(refused);
    const unknown = { ...g, id: bytes(16, 5), idText: toB64url(bytes(16, 5)) };
    expect(await client.subscribe(unknown, 0, g.keys[0] as WriteKey)).toMatchObject(refused);
    const http = await challenge(app);
    const proof = proveGroupAccess(env, (g.keys[1] as WriteKey).privateKey, g.id, 1, http, SUBSCRIBE_GROUP);
    expect(
      await client.request({
        type: 'subscribe-group',
        group: g.idText,
        epoch: 1,
        challenge: toB64url(http),
        proof: toB64url(proof),
      }),
    ).toMatchObject(refused);
    // The connection still serves a good one.
    expect(await client.subscribe(g, 1, g.keys[1] as WriteKey)).toMatchObject({ type: 'group-subscribed' });
    client.close();
  });

  it('answers malformed group frames as malformed', async () => {
    const client = new Client(url);
    await client.opened();
    const c = toB64url(bytes(32, 1));
    for (const frame of [
      {
        type: 'subscribe-group',
        id: 1,
        group: toB64url(bytes(15, 1)),
        epoch: 0,
        challenge: c,
        proof: toB64url(bytes(64, 1)),
      },
      {
        type: 'subscribe-group',
        id: 2,
        group: toB64url(bytes(16, 1)),
        epoch: -1,
        challenge: c,
        proof: toB64url(bytes(64, 1)),
      },
      {
        type: 'subscribe-group',
        id: 3,
        group: toB64url(bytes(16, 1)),
        epoch: 0,
        challenge: c,
        proof: toB64url(bytes(64, 1)),
        x: 1,
      },
    ]) {
      client.ws.send(JSON.stringify(frame));
      expect(await client.next((f) => f.type === 'error')).toMatchObject({ error: { code: 'bad-request' } });
    }
    client.close();
  });
});

describe('group subscriptions and retention', () => {
  let server: TestServer;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    server = await testServer({
      groupRetention: { ttlMs: 3600_000, maxEntries: 5, maxBytes: 1_000_000, idleMs: 7200_000 },
    });
    ({ url, close } = await server.listen());
  });
  afterAll(async () => {
    await close();
    await server.close();
  });

  it('says gone (rejoin) to a subscriber whose next entries were deleted', async () => {
    const app = remote(url);
    const g = await newGroup(app);
    for (let i = 0; i < 6; i++) await postApplication(app, g, 0, bytes(8, i));
    const client = new Client(url);
    await client.opened();
    expect(await client.subscribe(g, 0, g.keys[0] as WriteKey, 1)).toMatchObject({
      type: 'error',
      error: { code: 'gone' },
    });
    expect(await client.subscribe(g, 0, g.keys[0] as WriteKey, 2)).toMatchObject({ type: 'group-subscribed' });
    expect((await client.next(isMessage(g))).seq).toBe(3);
    client.close();
  });
});
