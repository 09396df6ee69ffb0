/**
 * A fault-injecting HTTP proxy in front of a real server (issue 15), for end-to-end runs of real
 * clients (the CLI) against a misbehaving network or server. Loopback only. Seeded: the same
 * seed and the same requests give the same faults.
 *
 * While `faults` is on, mailbox reads (`GET /v1/mailboxes/{id}/messages`) come back shuffled
 * within small windows, thinned, with duplicates, with positions raised by 2^31 and with
 * envelopes altered (one character of the base64url flipped); deliveries may be stored twice.
 * Everything else passes unchanged. No WebSocket: clients behind it read over HTTP.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultRates {
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly renumber: number;
  readonly alter: number;
}

export interface FaultProxy {
  readonly url: string;
  /** Faults are injected only while this is true. */
  faults: boolean;
  /** How many faults were injected, by kind. */
  readonly injected: Record<keyof FaultRates, number>;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (a server's base URL) on a free loopback port. */
export async function startFaultProxy(target: string, seed: number, rates: FaultRates): Promise<FaultProxy> {
  const random = seeded(seed);
  const injected = { drop: 0, duplicate: 0, reorder: 0, renumber: 0, alter: 0 };
  const hit = (kind: keyof FaultRates) => {
    const yes = random() < rates[kind];
    if (yes) injected[kind]++;
    return yes;
  };
  const proxy: { faults: boolean } = { faults: false };

  const forward = async (req: IncomingMessage, body: Buffer) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = v;
    }
    return fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 && { body: new Uint8Array(body) }),
    });
  };

  const tamperRead = (text: string): string => {
    let doc: { messages?: Array<{ seq: number; envelope: string; receivedAt: number }> };
    try {
      doc = JSON.parse(text);
    } catch {
      return text;
    }
    if (!Array.isArray(doc.messages)) return text;
    let out = doc.messages.filter(() => !hit('drop'));
    out = out.flatMap((m) => (hit('duplicate') ? [m, m] : [m]));
    for (let i = out.length - 1; i > 0; i--) {
      if (!hit('reorder')) continue;
      const j = Math.max(0, i - 1 - Math.floor(random() * 4));
      [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
    }
    out = out.map((m) => {
      if (hit('renumber')) return { ...m, seq: m.seq + 2 ** 31 };
      if (hit('alter') && m.envelope.length > 8) {
        const i = 4 + Math.floor(random() * (m.envelope.length - 8));
        const c = m.envelope[i] === 'A' ? 'B' : 'A';
        return { ...m, envelope: m.envelope.slice(0, i) + c + m.envelope.slice(i + 1) };
      }
      return m;
    });
    return JSON.stringify({ ...doc, messages: out });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const mailboxMessages = /^\/v1\/mailboxes\/[^/]+\/messages$/.test(path);
    let answer = await forward(req, body);
    if (proxy.faults && mailboxMessages && req.method === 'POST' && hit('duplicate')) {
      await answer.arrayBuffer();
      answer = await forward(req, body);
    }
    let text = await answer.text();
    if (proxy.faults && mailboxMessages && req.method === 'GET' && answer.status === 200) text = tamperRead(text);
    const headers: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection')
        headers[k] = v;
    });
    res.writeHead(answer.status, headers);
    res.end(text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get faults() {
      return proxy.faults;
    },
    set faults(on: boolean) {
      proxy.faults = on;
    },
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded generator (mulberry32): the same seed, the same faults. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
