/**
 * The client speaks the wire contract (@parley/protocol wire-contract/): its frame parser accepts
 * exactly the server frames the contract describes, built with the contract's own helpers and
 * types; the error codes map to the contract's statuses; the uploads and acknowledgements are
 * split at the contract's limits. Each test fails if the client and the contract drift apart.
 */
import {
  accountIdFromKey,
  decodeWireBytes,
  deviceId,
  encodeWireBytes,
  defaultEnv as env,
  errorFrame,
  generateEd25519,
  generateOneTimePreKeys,
  type JsonServerFrame,
  MAX_ENVELOPE_BYTES,
  MAX_ONE_TIME_PREKEY_UPLOAD,
  MAX_SEQS_PER_REQUEST,
  oneTimePreKeyPublic,
  SERVER_HELLO,
  WIRE_ERROR_STATUS,
  type WireErrorCode,
} from '@parley/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { b64url } from '../src/codec/base64url.ts';
import { ClientError } from '../src/errors.ts';
import { type DeviceAuth, MailboxSocket, ServerApi, type WebSocketConstructor } from '../src/net/index.ts';
import { serverError, socketError } from '../src/net/server-errors.ts';
import { parseServerFrame } from '../src/net/socket-frames.ts';

const CODES = Object.keys(WIRE_ERROR_STATUS) as WireErrorCode[];
const bytes = (n: number) => encodeWireBytes(env.random(n));

/** One of every server frame the contract has, built with its types and helpers. */
function contractFrames(): JsonServerFrame[] {
  return [
    SERVER_HELLO,
    { type: 'challenge', id: 1, challenge: bytes(32) },
    { type: 'subscribed', id: 2, mailbox: bytes(16) },
    { type: 'message', mailbox: bytes(16), seq: 1, envelope: bytes(MAX_ENVELOPE_BYTES), receivedAt: 0 },
    { type: 'message', mailbox: bytes(16), seq: 2 ** 53 - 1, envelope: bytes(1), receivedAt: Date.now() },
    { type: 'acked', id: 3, deleted: 0 },
    { type: 'authorized', id: 4, mailbox: bytes(16) },
    { type: 'sent', id: 5, seq: 7 },
    ...CODES.flatMap((code) => [errorFrame(6, code, 'a fixed sentence'), errorFrame(undefined, code, '')]),
  ];
}

/** A parsed frame back in wire form: bytes encoded by the contract's rule. */
function toWire(frame: unknown): unknown {
  if (frame instanceof Uint8Array) return encodeWireBytes(frame);
  if (Array.isArray(frame)) return frame.map(toWire);
  if (typeof frame === 'object' && frame !== null) {
    return Object.fromEntries(Object.entries(frame).map(([k, v]) => [k, toWire(v)]));
  }
  return frame;
}

describe("the client's frame parser and the wire contract", () => {
  it("accepts every server frame of the contract, and reads back exactly the contract's fields", () => {
    for (const frame of contractFrames()) {
      const parsed = parseServerFrame(JSON.stringify(frame));
      expect(parsed, frame.type).not.toBeNull();
      expect(toWire(parsed)).toEqual(JSON.parse(JSON.stringify(frame)));
    }
  });

  it('refuses what the contract does not describe', () => {
    const id = 1;
    const bad: unknown[] = [
      { ...SERVER_HELLO, type: 'welcome' },
      { type: 'hello', api: '1', features: [] },
      { type: 'challenge', id, challenge: bytes(31) },
      { type: 'challenge', id, challenge: `${bytes(32)}=` },
      { type: 'subscribed', id, mailbox: bytes(17) },
      { type: 'message', mailbox: bytes(16), seq: 0, envelope: bytes(1), receivedAt: 0 },
      { type: 'message', mailbox: bytes(16), seq: 1, envelope: bytes(1), receivedAt: -1 },
      { type: 'acked', id: 1.5, deleted: 0 },
      { type: 'sent', id },
      { type: 'error', id, error: { code: 'not-found' } }, // no message
      { type: 'error', id: 'x', error: { code: 'not-found', message: '' } },
      { type: 'error', id, error: { code: 7, message: '' } },
    ];
    for (const frame of bad) expect(parseServerFrame(JSON.stringify(frame)), JSON.stringify(frame)).toBeNull();
  });

  it("decodes bytes by the contract's rule: exactly what decodeWireBytes accepts", () => {
    const text = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map(encodeWireBytes),
      fc.string({ unit: fc.constantFrom(...'AQgw_-=+/ .Zz09'), maxLength: 12 }),
    );
    fc.assert(
      fc.property(text, fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }), (s, length) => {
        const ours = b64url(length).safeParse(s);
        const contract = decodeWireBytes(s, length);
        expect(ours.success ? ours.data : null).toEqual(contract);
      }),
    );
  });
});

describe("the client's error codes and the wire contract", () => {
  it("maps every code of an error frame to the contract's status, as the same code over HTTP", () => {
    for (const code of CODES) {
      const frame = parseServerFrame(JSON.stringify(errorFrame(1, code, 'x')));
      if (frame?.type !== 'error') throw new Error('not an error frame');
      const overSocket = socketError(frame.error.code);
      if (code === 'rate-limited') {
        expect(overSocket.code).toBe('rate-limited');
        continue;
      }
      expect(overSocket).toMatchObject({ code: 'server-error', status: WIRE_ERROR_STATUS[code], serverCode: code });
      expect(overSocket.refusal).toBe(serverError(WIRE_ERROR_STATUS[code], code).refusal);
    }
  });

  it("answers a request with a code outside the contract (a newer server's) as an error of no known code", () => {
    const frame = parseServerFrame(JSON.stringify({ type: 'error', id: 9, error: { code: 'brand-new', message: '' } }));
    expect(frame).toMatchObject({ type: 'error', id: 9 });
    if (frame?.type !== 'error') throw new Error('not an error frame');
    expect(socketError(frame.error.code)).toMatchObject({ status: undefined, serverCode: undefined, refusal: 'later' });
  });
});

describe("the client's limits are the contract's", () => {
  /** A fetch that answers like a server and records the JSON bodies per path. */
  function fakeFetch() {
    const bodies: { path: string; body: { keys?: unknown[]; seqs?: unknown[] } }[] = [];
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const path = new URL(String(input)).pathname;
      if (path === '/v1/challenges') return Response.json({ challenge: bytes(32) }, { status: 201 });
      bodies.push({ path, body: JSON.parse(String(init?.body ?? '{}')) });
      if (path.endsWith('/ack')) return Response.json({ deleted: 1 });
      return new Response(null, { status: 204 });
    };
    return { bodies, fetch: fetch as typeof globalThis.fetch };
  }

  it('uploads one-time prekeys in chunks of MAX_ONE_TIME_PREKEY_UPLOAD', async () => {
    const { bodies, fetch } = fakeFetch();
    const api = new ServerApi('http://s.example', { fetch });
    const keys = generateEd25519(env);
    const auth: DeviceAuth = {
      account: accountIdFromKey(env.random(32)),
      device: deviceId(1),
      devicePrivateKey: keys.privateKey,
    };
    const otks = generateOneTimePreKeys(env, 1, MAX_ONE_TIME_PREKEY_UPLOAD + 1).map(oneTimePreKeyPublic);
    await api.addOneTimePreKeys(auth, otks);
    expect(bodies.map((b) => b.body.keys?.length)).toEqual([MAX_ONE_TIME_PREKEY_UPLOAD, 1]);
  });

  it('acknowledges in chunks of MAX_SEQS_PER_REQUEST', async () => {
    const { bodies, fetch } = fakeFetch();
    const api = new ServerApi('http://s.example', { fetch });
    const mailbox = { id: env.random(16), recipientPrivateKey: generateEd25519(env).privateKey };
    const seqs = Array.from({ length: MAX_SEQS_PER_REQUEST + 1 }, (_, i) => i + 1);
    expect(await api.ackMailbox(mailbox, seqs)).toBe(2);
    expect(bodies.map((b) => b.body.seqs?.length)).toEqual([MAX_SEQS_PER_REQUEST, 1]);
  });

  it('refuses to send an envelope over MAX_ENVELOPE_BYTES before touching the network', async () => {
    const NeverOpens = class {
      readyState = 0;
      binaryType = 'arraybuffer';
      onopen = null;
      onmessage = null;
      onclose = null;
      onerror = null;
      send() {}
      close() {}
    } as unknown as WebSocketConstructor;
    const socket = new MailboxSocket('http://s.example', { onMessage: async () => {}, WebSocket: NeverOpens });
    try {
      const key = generateEd25519(env).privateKey;
      const tooLarge = socket.send(env.random(16), key, new Uint8Array(MAX_ENVELOPE_BYTES + 1));
      await expect(tooLarge).rejects.toSatisfy((e) => ClientError.is(e, 'usage'));
    } finally {
      socket.close();
    }
  });
});
