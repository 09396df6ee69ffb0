/**
 * Deliveries over the push connection: a running client sends what goes to its own server over
 * the WebSocket it already holds (one sending proof per connection, no signature or HTTP request
 * per envelope) and falls back to HTTP whenever that connection is not open. The outbox's rules
 * hold on both paths: a refusal for good marks the message failed, an unreachable server keeps it
 * queued, and a socket that fails on the way never stores a message twice. Against this server,
 * whose hello lists them, the socket uses the binary frames.
 */
import { useInProcessServer } from '@parley/testkit';
import { describe, expect, it, vi } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { type ClientOptions, ParleyClient, type PushConnection } from '../src/client.ts';
import { ClientError } from '../src/errors.ts';
import { MailboxSocket } from '../src/net/mailbox-socket.ts';
import type { ServerApiLike } from '../src/net/server-api-types.ts';
import { nodeClientOptions } from '../src/platform/node/index.ts';
import { KeptStore, meet, newClient, ofType, received, recording } from './client-kit.ts';

const server = useInProcessServer();

const eventually = <T>(f: () => T | Promise<T>, timeout = 20_000) => vi.waitFor(f, { timeout, interval: 20 });

/** A client whose push socket records its frames and whose HTTP deliveries are counted. */
async function instrumented(name: string, wrap: (s: MailboxSocket) => PushConnection = (s) => s) {
  const rec = recording();
  const http: Array<{ duplicate: boolean }> = [];
  const base = nodeClientOptions(name.toLowerCase());
  const options: ClientOptions = {
    ...base,
    api: (url) => {
      const api = base.api(url);
      return new Proxy(api, {
        get: (target, prop, receiver) =>
          prop === 'deliver'
            ? async (...args: Parameters<ServerApiLike['deliver']>) => {
                const answer = await target.deliver(...args);
                http.push({ duplicate: answer.duplicate });
                return answer;
              }
            : Reflect.get(target, prop, receiver),
      });
    },
    push: (url, handlers) => wrap(new MailboxSocket(url, { ...handlers, WebSocket: rec.WebSocket })),
  };
  const client = await ParleyClient.create(new KeptStore(), options, { server: server.url, displayName: name });
  return { client, rec, http };
}

/** Starts `c` and resolves once its push connection is online. */
async function online(c: ParleyClient): Promise<void> {
  const up = new Promise<void>((resolve) => {
    const off = c.on((e: ClientEvent) => {
      if (e.type === 'connection' && e.state === 'online') {
        off();
        resolve();
      }
    });
  });
  await c.start();
  await up;
}

describe('deliveries over the push connection', () => {
  it('go to contacts on our own server over the socket, one proof per connection; HTTP when not running', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await instrumented('Bob');
    await meet(alice, bob.client);
    const before = bob.http.length; // the hello went over HTTP: Bob was not running
    await online(bob.client);
    for (const t of ['one', 'two', 'three']) expect((await bob.client.send('Alice', t)).status).toBe('sent');
    const frames = bob.rec.frames[0];
    expect(ofType(frames, 'authorize')).toHaveLength(1);
    expect(ofType(frames, 'send')).toHaveLength(3);
    expect(ofType(frames, 'send').every((f) => f.signature === undefined)).toBe(true);
    // The server's hello lists binary frames: sends, acks and the subscription's pushes use them.
    expect(ofType(frames, 'send').every((f) => f.binary)).toBe(true);
    expect(ofType(frames, 'subscribe').length).toBeGreaterThan(0);
    expect(ofType(frames, 'subscribe').every((f) => f.push === 'binary')).toBe(true);
    expect(bob.http).toHaveLength(before);
    expect(await received(alice)).toEqual(['one', 'two', 'three']);

    await bob.client.stop();
    expect((await bob.client.send('Alice', 'four')).status).toBe('sent');
    expect(bob.http).toHaveLength(before + 1);
    expect(await received(alice)).toEqual(['four']);
    await alice.close();
    await bob.client.close();
  }, 60_000);

  it('a refusal for good over the socket marks the message failed and holds back nothing else', async () => {
    const alice = await instrumented('Alice');
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(server.url, 'Carol');
    await meet(alice.client, bob);
    await meet(alice.client, carol);
    await bob.deleteAccount(); // Alice's mailbox at Bob is gone
    await online(alice.client);
    expect((await alice.client.send('Bob', 'are you there?')).status).toBe('failed');
    expect((await alice.client.send('Carol', 'hi Carol')).status).toBe('sent');
    expect(ofType(alice.rec.frames[0], 'send')).toHaveLength(2);
    expect(ofType(alice.rec.frames[0], 'send')[0]?.signature).toEqual(expect.any(String)); // not authorised: signed
    expect(await received(carol)).toEqual(['hi Carol']);
    await alice.client.close();
    await bob.close();
    await carol.close();
  }, 60_000);

  it('an unreachable server keeps the message queued; it goes over the socket once the server is back', async () => {
    const alice = await instrumented('Alice');
    const bob = await newClient(server.url, 'Bob');
    await meet(alice.client, bob);
    await online(alice.client);
    const offline = new Promise<void>((resolve) =>
      alice.client.on((e) => e.type === 'connection' && e.state === 'offline' && resolve()),
    );
    await server.pause();
    try {
      await offline;
      expect((await alice.client.send('Bob', 'while you were away')).status).toBe('queued');
    } finally {
      await server.resume();
    }
    // The reconnection flushes the outbox, over the new connection.
    await eventually(async () => expect((await alice.client.messages('Bob')).map((m) => m.status)).toEqual(['sent']));
    expect(ofType(alice.rec.frames.at(-1), 'send')).toHaveLength(1);
    expect(await received(bob)).toEqual(['while you were away']);
    await alice.client.close();
    await bob.close();
  }, 90_000);

  it('a socket that fails on the way hands the envelope to HTTP, and the server stores it once', async () => {
    const alice = await newClient(server.url, 'Alice');
    // The socket stores the envelope, then loses the answer: the delivery looks unreachable.
    const bob = await instrumented('Bob', (s) => ({
      subscribe: (m) => s.subscribe(m),
      unsubscribe: (id) => s.unsubscribe(id),
      close: () => s.close(),
      get connected() {
        return s.connected;
      },
      send: async (id, key, envelope) => {
        await s.send(id, key, envelope);
        throw new ClientError('server-unreachable', 'lost on the way');
      },
    }));
    await meet(alice, bob.client);
    const before = bob.http.length;
    await online(bob.client);
    expect((await bob.client.send('Alice', 'exactly once')).status).toBe('sent');
    expect(bob.http.slice(before)).toEqual([{ duplicate: true }]);
    expect(await received(alice)).toEqual(['exactly once']);
    expect(await received(alice)).toEqual([]);
    await alice.close();
    await bob.client.close();
  }, 60_000);
});
