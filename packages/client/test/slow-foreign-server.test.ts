/**
 * A contact's server that answers slowly must not hold up what arrives at our own server: no flow
 * holds the client's one-at-a-time queue across a call to another server (docs/client.md §4.3).
 * Carol's "server" here is a proxy in front of the real one that, once told to, answers each
 * delivery into a mailbox only after several seconds.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useInProcessServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '../src/api.ts';
import { meet, newClient, received } from './client-kit.ts';

const server = useInProcessServer();
const SLOW_MS = 6_000;

/** An HTTP proxy to the test server; while `slow`, mailbox deliveries wait SLOW_MS first. */
const proxy = { url: '', slow: false, held: 0 };
let http: Server;

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const data = await body(req);
    if (proxy.slow && req.method === 'POST' && /^\/v1\/mailboxes\/[^/]+\/messages$/.test(req.url ?? '')) {
      proxy.held++;
      await new Promise((r) => setTimeout(r, SLOW_MS));
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers[k] = v;
    const answer = await fetch(`${server.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(data.length > 0 ? { body: new Uint8Array(data) } : {}),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding') out[k] = v;
    });
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  proxy.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});

describe('a slow contact server', () => {
  it('does not delay the messages that arrive at our own server meanwhile', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const carol = await newClient(proxy.url, 'Carol'); // Carol's server is the proxy
    await meet(alice, bob);
    await meet(alice, carol);
    expect((await alice.contacts()).map((c) => c.state)).toEqual(['connected', 'connected']);
    await received(alice); // nothing pending before the measurement

    await alice.start();
    const arrived = new Promise<number>((resolve) => {
      alice.on((e: ClientEvent) => {
        if (e.type === 'message' && e.message.text === 'from Bob') resolve(Date.now());
      });
    });
    proxy.slow = true;
    const toCarol = alice.send('Carol', 'to Carol, slowly'); // its delivery now takes SLOW_MS
    await waitFor(() => proxy.held > 0);
    const sentAt = Date.now();
    await bob.send('Alice', 'from Bob');
    const latency = (await arrived) - sentAt;
    expect(latency).toBeLessThan(SLOW_MS / 2);

    expect((await toCarol).status).toBe('sent');
    proxy.slow = false;
    expect(await received(carol)).toEqual(['to Carol, slowly']);
    for (const c of [alice, bob, carol]) await c.close();
  }, 60_000);
});

describe('a slow inviter server', () => {
  it('does not delay the messages that arrive at our own server while we connect through it', async () => {
    const alice = await newClient(server.url, 'Alice');
    const bob = await newClient(server.url, 'Bob');
    const dave = await newClient(proxy.url, 'Dave'); // Dave's server is the proxy
    await meet(alice, bob);
    await received(alice);
    const { link } = await dave.createInvitation();

    await alice.start();
    const arrived = new Promise<number>((resolve) => {
      alice.on((e: ClientEvent) => {
        if (e.type === 'message' && e.message.text === 'while you connect') resolve(Date.now());
      });
    });
    const held = proxy.held;
    proxy.slow = true;
    const connecting = alice.connect(link); // its hello now takes SLOW_MS to be delivered
    await waitFor(() => proxy.held > held);
    const sentAt = Date.now();
    await bob.send('Alice', 'while you connect');
    expect((await arrived) - sentAt).toBeLessThan(SLOW_MS / 2);

    expect((await connecting).state).toBe('pending');
    proxy.slow = false;
    await dave.sync();
    await alice.sync();
    expect((await alice.contact('Dave')).state).toBe('connected');
    for (const c of [alice, bob, dave]) await c.close();
  }, 60_000);
});

async function waitFor(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!f()) throw new Error('timed out');
}
