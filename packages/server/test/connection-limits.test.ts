/**
 * What one WebSocket connection can make the server do (issue 16, items 3 and 4): subscribes
 * raced for one mailbox leave one listener, none after close; control frames are rate-limited
 * per connection; a connection's challenges evict only its own; a connection whose send buffer
 * is full is not read from until it drains.
 */
import { decodeServerFrame, defaultEnv as env, proveMailboxAccess, utf8 } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { Connection, type ConnectionSink, connectionContext } from '../src/websocket/connection.ts';
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

function connect(): { conn: Connection; sink: FakeSink } {
  const sink = new FakeSink();
  return { conn: new Connection(connectionContext(server.deps, log), sink), sink };
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
      // Challenges from the store itself: the connection's own challenge quota is another test.
      const { challenge } = await server.deps.challenges.issue(60_000);
      const proof = proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, challenge);
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
      const { challenge } = await server.deps.challenges.issue(60_000);
      const proof = proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, challenge);
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
