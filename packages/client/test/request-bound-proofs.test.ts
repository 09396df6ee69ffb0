/**
 * Issue 16 item 1, tried as an attacker would, over real HTTP and WebSocket connections to a
 * server on loopback: someone who sees a request before the server does (plain http, a
 * TLS-terminating proxy) withholds it and spends its proof on another operation. Every proof is
 * bound to its operation (protocol §3.5.1), so each such attempt is refused — 401, or an
 * `unauthorized` error frame — and, because only a valid proof consumes a challenge, the
 * withheld request itself still succeeds afterwards: the attacker cannot even burn it.
 *
 * The proofs are the real client's (`ServerApi`, `MailboxSocket`), captured by a fetch and a
 * WebSocket that hold back the request or frame they are told to.
 */
import { createHash } from 'node:crypto';
import {
  decodeClientFrame,
  deviceId,
  defaultEnv as env,
  generateEd25519,
  generateIdentity,
  generateOneTimePreKeys,
  oneTimePreKeyPublic,
  utf8,
} from '@parley/protocol';
import { useInProcessServer } from '@parley/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DeviceAuth, MailboxSocket, type OwnedMailbox, ServerApi } from '../src/net/index.ts';
import type { WebSocketConstructor } from '../src/net/websocket-like.ts';

const server = useInProcessServer();
let api: ServerApi;
/** Each test's own account (an attack that succeeded would delete it: no test depends on another). */
let device: DeviceAuth;
const sockets: MailboxSocket[] = [];

beforeAll(() => {
  api = new ServerApi(server.url);
});
beforeEach(async () => {
  const keys = generateEd25519(env);
  const { accountId } = await api.register(generateIdentity(env), deviceId(1), keys);
  device = { account: accountId, device: deviceId(1), devicePrivateKey: keys.privateKey };
});
afterAll(() => {
  for (const s of sockets) s.close();
});

/** A request as it was about to leave the client. */
interface Captured {
  readonly url: string;
  readonly method: string;
  readonly authorization: string;
  readonly body: Uint8Array<ArrayBuffer> | undefined;
}

/**
 * A `ServerApi` whose next request matching `method` and `path` (from the API root, without the
 * query) is withheld and returned instead of sent; every other request goes through.
 */
async function capture(method: string, path: RegExp, call: (api: ServerApi) => Promise<unknown>): Promise<Captured> {
  let captured: Captured | undefined;
  const withholding: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    if (captured === undefined && init?.method === method && path.test(url.pathname)) {
      const headers = new Headers(init.headers);
      captured = {
        url: url.href,
        method,
        authorization: headers.get('authorization') ?? '',
        body: bytesOf(init.body),
      };
      throw new TypeError('withheld by the attacker');
    }
    return fetch(input, init);
  };
  await call(new ServerApi(server.url, { fetch: withholding })).catch(() => undefined);
  const got = captured as Captured | undefined;
  if (got === undefined) throw new Error('the client sent no such request');
  return got;
}

function bytesOf(body: RequestInit['body']): Uint8Array<ArrayBuffer> | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return new Uint8Array(body);
  throw new Error('the client sent a body of an unexpected kind');
}

/** Sends a request with `authorization`, as the attacker (or, last, the withheld original). */
function send(
  method: string,
  path: string,
  authorization: string,
  body?: string | Uint8Array<ArrayBuffer>,
): Promise<Response> {
  return fetch(new URL(path, server.url), {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  });
}

const replay = (c: Captured) => send(c.method, c.url, c.authorization, c.body);

/** The `Parley-Mailbox` header's challenge and proof, as a WebSocket frame carries them. */
function proofOf(authorization: string): { challenge: string; proof: string } {
  const m = /challenge=([A-Za-z0-9_-]+),\s*proof=([A-Za-z0-9_-]+)/.exec(authorization);
  if (m?.[1] === undefined || m[2] === undefined) throw new Error('no proof in the header');
  return { challenge: m[1], proof: m[2] };
}

async function expectRefused(res: Promise<Response>): Promise<void> {
  const r = await res;
  expect(r.status).toBe(401);
  expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
}

/** One raw WebSocket frame exchange: sends `frame`, resolves with the first JSON answer carrying its id. */
async function rawFrame(frame: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`);
  try {
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return await new Promise((resolve) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const f = JSON.parse(String(data)) as Record<string, unknown>;
        if (f.id === frame.id) resolve(f);
      });
      ws.send(JSON.stringify(frame));
    });
  } finally {
    ws.close();
  }
}

interface Box {
  readonly owned: OwnedMailbox;
  readonly b64: string;
  readonly sender: Uint8Array;
}

async function newBox(messages: readonly string[] = []): Promise<Box> {
  const recipient = generateEd25519(env);
  const sender = generateEd25519(env);
  const id = await api.createMailbox(device, recipient.publicKey, sender.publicKey);
  for (const m of messages) await api.deliver(id, sender.privateKey, utf8(m));
  return {
    owned: { id, recipientPrivateKey: recipient.privateKey },
    b64: Buffer.from(id).toString('base64url'),
    sender: sender.privateKey,
  };
}

const otk = (from: number) =>
  generateOneTimePreKeys(env, from, 2).map((k) => {
    const p = oneTimePreKeyPublic(k);
    return { id: p.id, publicKey: Buffer.from(p.publicKey).toString('base64url') };
  });

describe('a device proof serves only the request it was made for', () => {
  it('a prekey-count read cannot upload prekeys, delete the account or read with another query', async () => {
    const c = await capture('GET', /prekey-counts$/, (a) => a.preKeyCounts(device));
    const auth = c.authorization;
    await expectRefused(send('DELETE', '/v1/accounts/self', auth));
    await expectRefused(send('POST', '/v1/devices/self/one-time-prekeys', auth, JSON.stringify({ keys: otk(900) })));
    await expectRefused(send('GET', '/v1/devices/self/prekey-counts?x=1', auth));
    await expectRefused(send('POST', '/v1/mailboxes', auth, '{}'));
    // None of that spent the challenge: the withheld read still works, and nothing was uploaded.
    const original = await replay(c);
    expect(original.status).toBe(200);
    expect(await original.json()).toEqual({ oneTime: 0, kem: 0, lastResortServed: 0 });
    expect(await api.preKeyCounts(device)).toEqual({ oneTime: 0, kem: 0, lastResortServed: 0 });
  });

  it('an upload cannot be replayed with other keys in its body', async () => {
    const keys = generateOneTimePreKeys(env, 100, 2).map(oneTimePreKeyPublic);
    const c = await capture('POST', /one-time-prekeys$/, (a) => a.addOneTimePreKeys(device, keys));
    const path = '/v1/devices/self/one-time-prekeys';
    await expectRefused(send('POST', path, c.authorization, JSON.stringify({ keys: otk(500) })));
    // A body that differs only in its bytes (a space) is another body: the digest is over the bytes.
    const text = new TextDecoder().decode(c.body);
    await expectRefused(send('POST', path, c.authorization, `${text} `));
    expect((await replay(c)).status).toBe(204);
    expect((await api.preKeyCounts(device)).oneTime).toBe(2);
  });
});

describe('a mailbox proof serves only the request or frame it was made for', () => {
  it('a read cannot acknowledge, delete, read another page or subscribe', async () => {
    const box = await newBox(['one', 'two']);
    const c = await capture('GET', /\/messages$/, (a) => a.readMailbox(box.owned));
    const auth = c.authorization;
    const base = `/v1/mailboxes/${box.b64}`;
    await expectRefused(send('POST', `${base}/ack`, auth, JSON.stringify({ seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9] })));
    await expectRefused(send('DELETE', base, auth));
    await expectRefused(send('GET', `${base}/messages?after=0&limit=1000`, auth));
    const frame = await rawFrame({ type: 'subscribe', id: 7, mailbox: box.b64, ...proofOf(auth) });
    expect(frame).toMatchObject({ type: 'error', id: 7, error: { code: 'unauthorized' } });
    const original = await replay(c);
    expect(original.status).toBe(200);
    const { messages } = (await original.json()) as { messages: { envelope: string }[] };
    expect(messages.map((m) => Buffer.from(m.envelope, 'base64url').toString())).toEqual(['one', 'two']);
  });

  it('an acknowledgement of one message cannot acknowledge others', async () => {
    const box = await newBox(['keep', 'drop']);
    const [first, second] = await api.readMailbox(box.owned);
    const c = await capture('POST', /\/ack$/, (a) => a.ackMailbox(box.owned, [second?.seq ?? 0]));
    const all = JSON.stringify({ seqs: [first?.seq, second?.seq] });
    await expectRefused(send('POST', `/v1/mailboxes/${box.b64}/ack`, c.authorization, all));
    expect(await (await replay(c)).json()).toEqual({ deleted: 1 });
    expect((await api.readMailbox(box.owned)).map((m) => m.seq)).toEqual([first?.seq]);
  });

  it("a subscribe frame's proof cannot read or delete the mailbox over HTTP; the subscription still succeeds", async () => {
    const box = await newBox(['pushed']);
    const held: string[] = [];
    let release: (() => void) | undefined;
    // A WebSocket that holds back the first subscribe frame until released (on the same connection).
    class Withholding extends WebSocket {
      override send(data: string | Uint8Array): void {
        if (typeof data === 'string' && release === undefined && data.includes('"subscribe"')) {
          held.push(data);
          release = () => super.send(data);
          return;
        }
        super.send(data);
      }
    }
    const received: string[] = [];
    const socket = new MailboxSocket(server.url, {
      WebSocket: Withholding as unknown as WebSocketConstructor,
      timeoutMs: 30_000,
      onMessage: async (m) => {
        received.push(new TextDecoder().decode(m.envelope));
      },
    });
    sockets.push(socket);
    socket.subscribe(box.owned);
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const frame = JSON.parse(held[0] ?? '{}') as { challenge: string; proof: string };
    const auth = `Parley-Mailbox challenge=${frame.challenge}, proof=${frame.proof}`;
    await expectRefused(send('DELETE', `/v1/mailboxes/${box.b64}`, auth));
    await expectRefused(send('GET', `/v1/mailboxes/${box.b64}/messages`, auth));
    release?.();
    await socket.whenSubscribed();
    await expect.poll(() => received, { timeout: 10_000 }).toEqual(['pushed']);
  });
});

describe('a sending proof serves only the authorize frame', () => {
  it('cannot subscribe; the withheld authorisation still succeeds and sends go unsigned', async () => {
    const box = await newBox();
    const held: string[] = [];
    let release: (() => void) | undefined;
    const sent: { type: string; signature?: Uint8Array | string }[] = [];
    class Withholding extends WebSocket {
      override send(data: string | Uint8Array): void {
        sent.push(typeof data === 'string' ? JSON.parse(data) : decodeClientFrame(data));
        if (typeof data === 'string' && release === undefined && data.includes('"authorize"')) {
          held.push(data);
          release = () => super.send(data);
          return;
        }
        super.send(data);
      }
    }
    const socket = new MailboxSocket(server.url, {
      WebSocket: Withholding as unknown as WebSocketConstructor,
      timeoutMs: 30_000,
      onMessage: async () => {},
    });
    sockets.push(socket);
    const sending = socket.send(box.owned.id, box.sender, utf8('after the authorisation'));
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const frame = JSON.parse(held[0] ?? '{}') as { challenge: string; proof: string };
    const refused = await rawFrame({
      type: 'subscribe',
      id: 9,
      mailbox: box.b64,
      challenge: frame.challenge,
      proof: frame.proof,
    });
    expect(refused).toMatchObject({ type: 'error', id: 9, error: { code: 'unauthorized' } });
    release?.();
    expect((await sending).seq).toBeGreaterThan(0);
    const sends = sent.filter((f) => f.type === 'send');
    expect(sends).toHaveLength(1);
    expect(sends[0]?.signature).toBeUndefined();
  });
});

describe('an address proof serves only the request it was made for', () => {
  it('a listing cannot revoke the address, register tokens or delete requests', async () => {
    const owner = generateEd25519(env);
    const id = await api.createAddress(device, owner.publicKey);
    const address = { id, ownerPrivateKey: owner.privateKey };
    await api.postRequest(id, utf8('hello'));
    const b64 = Buffer.from(id).toString('base64url');
    const c = await capture('GET', /\/requests$/, (a) => a.listRequests(address));
    const auth = c.authorization;
    const hash = createHash('sha256').update('attacker token').digest('base64url');
    await expectRefused(send('DELETE', `/v1/addresses/${b64}`, auth));
    await expectRefused(send('POST', `/v1/addresses/${b64}/tokens`, auth, JSON.stringify({ tokenHashes: [hash] })));
    await expectRefused(send('POST', `/v1/addresses/${b64}/requests/delete`, auth, JSON.stringify({ seqs: [1] })));
    const original = await replay(c);
    expect(original.status).toBe(200);
    expect(((await original.json()) as { requests: unknown[] }).requests).toHaveLength(1);
  });
  it("a token registration cannot be replayed with the attacker's token", async () => {
    const owner = generateEd25519(env);
    const id = await api.createAddress(device, owner.publicKey);
    const address = { id, ownerPrivateKey: owner.privateKey };
    const mine = createHash('sha256').update('a contact token').digest();
    const c = await capture('POST', /\/tokens$/, (a) => a.addTokens(address, [mine]));
    const theirs = createHash('sha256').update('attacker token').digest('base64url');
    const path = `/v1/addresses/${Buffer.from(id).toString('base64url')}/tokens`;
    await expectRefused(send('POST', path, c.authorization, JSON.stringify({ tokenHashes: [theirs] })));
    expect((await replay(c)).status).toBe(204);
    expect(await api.removeTokens(address, [mine])).toBe(1);
  });
});
