/**
 * What the cluster tests use beside @parley/testkit's processes: a mailbox owner's WebSocket
 * client that subscribes with a proof, records every pushed message and can acknowledge, a
 * sender that retries a delivery on the next process until one acknowledges it, proofs for HTTP
 * reads, and a TCP proxy in front of NATS that a test can cut (a dropped bus connection).
 */
import { createServer, type Server, Socket } from 'node:net';
import { defaultEnv as env, proveMailboxAccess, socketOperation, utf8 } from '@parley/protocol';
import WebSocket from 'ws';
import { toB64url } from '../src/wire-json.ts';
import { type Box, challenge, type Op, operationOf, remote, sendDelivery } from './api-kit.ts';

type Frame = Record<string, unknown> & { type: string };

const SUBSCRIBE = socketOperation('subscribe');

/** Waits until `check` holds, polling; throws `what` after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A mailbox owner's connection to one process: subscribes, records pushes (seq → text), acks. */
export class Owner {
  readonly ws: WebSocket;
  /** Pushed messages in arrival order. */
  readonly pushed: { seq: number; text: string }[] = [];
  readonly closed: Promise<number>;
  readonly #answers = new Map<number, (f: Frame) => void>();
  #id = 0;

  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace('http', 'ws')}/v1/ws`);
    this.ws.on('message', (d: Buffer, isBinary) => {
      if (isBinary) return;
      const f = JSON.parse(d.toString()) as Frame;
      if (f.type === 'message') {
        this.pushed.push({ seq: f.seq as number, text: Buffer.from(f.envelope as string, 'base64url').toString() });
      } else if (typeof f.id === 'number') this.#answers.get(f.id)?.(f);
    });
    this.ws.on('error', () => {});
    this.closed = new Promise((resolve) => this.ws.on('close', (code) => resolve(code)));
  }

  static async connect(url: string, box: Box): Promise<Owner> {
    const owner = new Owner(url);
    await new Promise<void>((resolve, reject) => {
      owner.ws.once('open', () => resolve());
      owner.ws.once('error', reject);
    });
    const answer = await owner.subscribe(box);
    if (answer.type !== 'subscribed') throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
    return owner;
  }

  request(frame: object): Promise<Frame> {
    const id = ++this.#id;
    return new Promise((resolve) => {
      this.#answers.set(id, resolve);
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  async subscribe(box: Box): Promise<Frame> {
    const { challenge } = (await this.request({ type: 'challenge' })) as unknown as { challenge: string };
    const proof = proveMailboxAccess(
      env,
      box.recipient.privateKey,
      box.idBytes,
      new Uint8Array(Buffer.from(challenge, 'base64url')),
      SUBSCRIBE,
    );
    return this.request({ type: 'subscribe', mailbox: box.id, challenge, proof: toB64url(proof) });
  }

  ack(box: Box, seqs: number[]): Promise<Frame> {
    return this.request({ type: 'ack', mailbox: box.id, seqs });
  }

  texts(): Set<string> {
    return new Set(this.pushed.map((p) => p.text));
  }

  close(): void {
    this.ws.close();
  }
}

/**
 * Delivers `text` through the first of `urls` that acknowledges it (201, or 200 for a copy
 * already stored), trying the next on a refused connection or a 5xx, as a client behind a load
 * balancer would; resolves with the seq.
 */
export async function deliverSomewhere(urls: readonly string[], box: Box, text: string, start = 0): Promise<number> {
  for (let attempt = 0; attempt < urls.length * 20; attempt++) {
    const url = urls[(start + attempt) % urls.length] as string;
    try {
      const res = await sendDelivery(remote(url), box, utf8(text));
      if (res.status === 201 || res.status === 200) return ((await res.json()) as { seq: number }).seq;
    } catch {
      // That process is gone: the next one.
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no process acknowledged the delivery');
}

/** An owner's proof for an HTTP request on `box`, answering a challenge issued by `url`. */
export async function mailboxAccess(url: string, box: Box, op: Op): Promise<string> {
  const c = await challenge(remote(url));
  const proof = proveMailboxAccess(env, box.recipient.privateKey, box.idBytes, c, operationOf(op));
  return `Parley-Mailbox challenge=${toB64url(c)}, proof=${toB64url(proof)}`;
}

/** What `box` holds, read through `url` page by page, each with a fresh proof. */
export async function stored(url: string, box: Box): Promise<{ seq: number; text: string }[]> {
  const out: { seq: number; text: string }[] = [];
  for (;;) {
    const path = `/v1/mailboxes/${box.id}/messages?limit=500${out.length ? `&after=${out.at(-1)?.seq}` : ''}`;
    const res = await fetch(url + path, {
      headers: { authorization: await mailboxAccess(url, box, { method: 'GET', path }) },
    });
    if (res.status !== 200) throw new Error(`read answered ${res.status}`);
    const { messages } = (await res.json()) as { messages: { seq: number; envelope: string }[] };
    for (const m of messages) out.push({ seq: m.seq, text: Buffer.from(m.envelope, 'base64url').toString() });
    if (messages.length < 500) return out;
  }
}

/** A TCP proxy in front of NATS; `cut()` drops every connection and refuses new ones until `restore()`. */
export interface BusProxy {
  readonly url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startBusProxy(target: string): Promise<BusProxy> {
  const t = new URL(target);
  const sockets = new Set<Socket>();
  let up = true;
  const server: Server = createServer((client) => {
    if (!up) return client.destroy();
    const upstream = new Socket();
    upstream.connect(Number(t.port || 4222), t.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    cut() {
      up = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      up = true;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
