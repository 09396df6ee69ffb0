/**
 * What one WebSocket connection can make the server do (issue 16, items 3 and 4): subscribes
 * raced for one mailbox leave one listener, none after close; control frames are rate-limited
 * per connection; a connection's challenges evict only its own; a connection whose send buffer
 * is full is not read from until it drains.
 */
import { decodeServerFrame, defaultEnv as env, proveMailboxAccess, socketOperation, utf8 } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../src/logger.ts';
import { MemoryChallengeStore } from '../src/storage/index.ts';
import { Connection, type ConnectionSink, connectionContext } from '../src/websocket/connection.ts';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from '../src/websocket/frame-budget.ts';
import { toB64url } from '../src/wire-json.ts';
import { newMailbox, sendDelivery, type TestServer, testServer } from './api-kit.ts';

class FakeSink implements ConnectionSink {
  open = true;
  bufferedAmount = 0;
  paused = false;
  readonly sent: (string | Uint8Array)[] = [];
  closedWith: [number, string] | undefined;
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
    this.open = false;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  frames(): Record<string, unknown>[] {
    return this.sent.map((d) =>
      typeof d === 'string' ? (JSON.parse(d) as Record<string, unknown>) : { ...decodeServerFrame(d) },
    );
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

function connect(limits: Partial<ConnectionLimits> = {}, deps = server.deps): { conn: Connection; sink: FakeSink } {
  const sink = new FakeSink();
  const cx = connectionContext(deps, log, { ...DEFAULT_CONNECTION_LIMITS, ...limits });
  return { conn: new Connection(cx, sink), sink };
}

const challengeFrame = (id: number) => JSON.stringify({ type: 'challenge', id });
const challengeOf = (frame: Record<string, unknown> | undefined) =>
  new Uint8Array(Buffer.from(frame?.challenge as string, 'base64url'));

/** A challenge asked for on `conn` (frame id `id`): subscribe and authorize take only those. */
async function askChallenge(conn: Connection, sink: FakeSink, id: number): Promise<Uint8Array> {
  await conn.receive(challengeFrame(id), false);
  return challengeOf(sink.frames().find((f) => f.type === 'challenge' && f.id === id));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
const messages = (sink: FakeSink) => sink.frames().filter((f) => f.type === 'message');

describe('subscribes raced for one mailbox (issue 16 item 4)', () => {
  it('leave one listener: one push per delivery, none after the connection closes', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const { conn, sink } = connect();
    const frames: string[] = [];
    for (let i = 0; i < 50; i++) {
      const challenge = await askChallenge(conn, sink, 1 + i);
      const proof = proveMailboxAccess(
        env,
        box.recipient.privateKey,
        box.idBytes,
        challenge,
        socketOperation('subscribe'),
      );
      frames.push(
        JSON.stringify({
          type: 'subscribe',
          id: 100 + i,
          mailbox: box.id,
          challenge: toB64url(challenge),
          proof: toB64url(proof),
        }),
      );
    }
    await Promise.all(frames.map((f) => conn.receive(f, false)));
    const answers = sink.frames().filter((f) => typeof f.id === 'number' && (f.id as number) >= 100);
    expect(answers).toHaveLength(50);
    for (const a of answers) expect(a.type).toBe('subscribed');
    await settle();
    expect((await sendDelivery(app, box, utf8('once'))).status).toBe(201);
    await settle();
    expect(messages(sink)).toHaveLength(1);
    conn.closed();
    const after = sink.sent.length;
    sink.open = true; // a sink that would still take frames: nothing may be written to it
    expect((await sendDelivery(app, box, utf8('after close'))).status).toBe(201);
    await settle();
    expect(sink.sent.length).toBe(after);
  });

  it('a subscribe whose proof is checked after the connection closed adds no listener', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const { conn, sink } = connect();
    const pending: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const challenge = await askChallenge(conn, sink, 60 + i);
      const proof = proveMailboxAccess(
        env,
        box.recipient.privateKey,
        box.idBytes,
        challenge,
        socketOperation('subscribe'),
      );
      const frame = {
        type: 'subscribe',
        id: 200 + i,
        mailbox: box.id,
        challenge: toB64url(challenge),
        proof: toB64url(proof),
      };
      pending.push(conn.receive(JSON.stringify(frame), false));
    }
    conn.closed(); // while the proofs are being checked
    await Promise.all(pending);
    const before = sink.sent.length;
    expect((await sendDelivery(app, box, utf8('nobody listens'))).status).toBe(201);
    await settle();
    expect(sink.sent.length).toBe(before);
  });
});

describe('control frames, challenges and backpressure per connection (issue 16 item 3)', () => {
  it('refuses control frames past the rate, and closes a connection that keeps sending them', async () => {
    const { conn, sink } = connect({ controlBurst: 5, controlPerSecond: 0.001, maxRefused: 3 });
    for (let i = 1; i <= 5; i++) await conn.receive(challengeFrame(i), false);
    expect(sink.frames().filter((f) => f.type === 'challenge')).toHaveLength(5);
    await conn.receive(challengeFrame(6), false);
    expect(sink.frames().at(-1)).toEqual({
      type: 'error',
      id: 6,
      error: { code: 'rate-limited', message: 'too many control frames' },
    });
    expect(sink.closedWith).toBeUndefined();
    await conn.receive(challengeFrame(7), false);
    await conn.receive(challengeFrame(8), false);
    expect(sink.closedWith).toEqual([1008, 'too many frames over the rate limit']);
    expect(sink.frames().filter((f) => f.type === 'challenge')).toHaveLength(5);
    conn.closed();
  });

  it("a connection asking for challenges forgets its own oldest, never another connection's", async () => {
    // A store that keeps few challenges, as a flood makes a big one look.
    const deps = { ...server.deps, challenges: new MemoryChallengeStore({ maxLive: 50 }) };
    const victim = connect({}, deps);
    await victim.conn.receive(challengeFrame(1), false);
    const kept = challengeOf(victim.sink.frames().at(-1));
    const flooder = connect({ challengesPerConnection: 4, controlBurst: 1000 }, deps);
    for (let i = 1; i <= 200; i++) await flooder.conn.receive(challengeFrame(i), false);
    const issued = flooder.sink.frames().filter((f) => f.type === 'challenge');
    expect(issued).toHaveLength(200);
    await settle(); // the revocations run
    expect(deps.challenges.holds(kept)).toBe(true);
    // The flooder holds its last four only.
    const held = issued.map((f) => deps.challenges.holds(challengeOf(f)));
    expect(held.filter(Boolean)).toHaveLength(4);
    expect(held.slice(-4)).toEqual([true, true, true, true]);
    // Its challenges go when it does.
    flooder.conn.closed();
    await settle();
    expect(issued.some((f) => deps.challenges.holds(challengeOf(f)))).toBe(false);
    expect(deps.challenges.holds(kept)).toBe(true);
    victim.conn.closed();
  });

  it('a challenge named in a subscribe is used up whatever the answer', async () => {
    const deps = { ...server.deps, challenges: new MemoryChallengeStore() };
    const box = await newMailbox(server.app());
    const { conn, sink } = connect({}, deps);
    await conn.receive(challengeFrame(1), false);
    const c = challengeOf(sink.frames().at(-1));
    const wrongProof = new Uint8Array(64);
    const frame = { type: 'subscribe', id: 2, mailbox: box.id, challenge: toB64url(c), proof: toB64url(wrongProof) };
    await conn.receive(JSON.stringify(frame), false);
    expect(sink.frames().at(-1)).toMatchObject({ type: 'error', id: 2, error: { code: 'unauthorized' } });
    await settle();
    expect(deps.challenges.holds(c)).toBe(false);
    conn.closed();
  });

  it('stops reading a connection whose send buffer is full, and reads again once it drains', async () => {
    const { conn, sink } = connect({ maxBufferedBytes: 1000 });
    sink.bufferedAmount = 5000; // the client is not reading
    await conn.receive(challengeFrame(1), false);
    expect(sink.paused).toBe(true);
    sink.bufferedAmount = 0;
    conn.drained();
    expect(sink.paused).toBe(false);
    conn.closed();
  });

  it('stops reading a connection with too many requests being handled, until they are', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store = server.deps.challenges;
    const slow = {
      issue: async (ttl: number) => {
        await gate;
        return store.issue(ttl);
      },
      consume: (c: Uint8Array) => store.consume(c),
      purgeExpired: () => store.purgeExpired(),
    };
    const { conn, sink } = connect({ maxInFlight: 3 }, { ...server.deps, challenges: slow });
    const handled = [1, 2].map((i) => conn.receive(challengeFrame(i), false));
    expect(sink.paused).toBe(false);
    handled.push(conn.receive(challengeFrame(3), false));
    expect(sink.paused).toBe(true);
    release();
    await Promise.all(handled);
    expect(sink.paused).toBe(false);
    conn.closed();
  });

  it('refuses a source its connections past the per-source bound', async () => {
    const running = await server.listen({ maxConnectionsPerSource: 2 });
    const url = `${running.url.replace('http', 'ws')}/v1/ws`;
    const open = (): Promise<WebSocket | number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url);
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(-1));
      });
    const first = await open();
    const second = await open();
    expect(first).toBeInstanceOf(WebSocket);
    expect(second).toBeInstanceOf(WebSocket);
    expect(await open()).toBe(429);
    (first as WebSocket).close();
    await new Promise((resolve) => (first as WebSocket).once('close', resolve));
    await settle();
    const again = await open();
    expect(again).toBeInstanceOf(WebSocket);
    (second as WebSocket).close();
    (again as WebSocket).close();
    await running.close();
  });

  it('paces control frames per source: a connection opened again gets no fresh budget', async () => {
    const running = await server.listen({
      limits: { ...DEFAULT_CONNECTION_LIMITS, controlBurst: 3, controlPerSecond: 0.001 },
    });
    const url = `${running.url.replace('http', 'ws')}/v1/ws`;
    const answers = async (n: number): Promise<string[]> => {
      const ws = new WebSocket(url);
      const got: string[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (d) => {
          const f = JSON.parse(d.toString()) as { type: string; error?: { code: string } };
          if (f.type === 'hello') return;
          got.push(f.error?.code ?? f.type);
          if (got.length === n) resolve();
        });
        ws.once('open', () => {
          for (let i = 1; i <= n; i++) ws.send(challengeFrame(i));
        });
        ws.once('error', reject);
      });
      ws.close();
      return got;
    };
    expect(await answers(2)).toEqual(['challenge', 'challenge']);
    // A refusal is answered at once, before the challenge is issued: compare as a set.
    expect((await answers(2)).sort()).toEqual(['challenge', 'rate-limited']);
    await running.close();
  });
});

describe('challenges are bound to the connection that asked (docs/server.md, WebSocket)', () => {
  it('a subscribe proof over a challenge asked elsewhere is refused, and spends nothing there', async () => {
    const app = server.app();
    const box = await newMailbox(app);
    const subscribe = (challenge: Uint8Array, id: number) =>
      JSON.stringify({
        type: 'subscribe',
        id,
        mailbox: box.id,
        challenge: toB64url(challenge),
        proof: toB64url(
          proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, challenge, socketOperation('subscribe')),
        ),
      });
    const owner = connect();
    const thief = connect();
    const ownersChallenge = await askChallenge(owner.conn, owner.sink, 1);
    const fromStore = (await server.deps.challenges.issue(60_000)).challenge; // as POST /v1/challenges
    // The owner's frame, withheld and sent on the thief's connection; a store-issued challenge too.
    await thief.conn.receive(subscribe(ownersChallenge, 10), false);
    await thief.conn.receive(subscribe(fromStore, 11), false);
    const refused = thief.sink.frames().filter((f) => f.id === 10 || f.id === 11);
    expect(refused.map((f) => (f.error as { code: string } | undefined)?.code)).toEqual([
      'unauthorized',
      'unauthorized',
    ]);
    // The withheld frame still works where it was meant to go.
    await owner.conn.receive(subscribe(ownersChallenge, 12), false);
    expect(owner.sink.frames().find((f) => f.id === 12)?.type).toBe('subscribed');
    owner.conn.closed();
    thief.conn.closed();
  });
});
