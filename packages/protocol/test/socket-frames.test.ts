/**
 * The WebSocket's binary frames: the committed vectors (test/vectors/socket-frames.json) decode to
 * their fields and re-encode byte for byte, the malformed ones are refused, and no input — random
 * bytes, every truncation and every one-byte change of a valid frame — makes a decoder throw
 * anything but a `decode` ProtocolError, or return something that does not re-encode to its input.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientSocketFrame,
  decodeClientFrame,
  decodeServerFrame,
  encodeAckedFrame,
  encodeAckFrame,
  encodeMessageFrame,
  encodeSendFrame,
  encodeSentFrame,
  fromHex,
  ProtocolError,
  type ServerSocketFrame,
  toHex,
} from '../src/index.ts';
import { buildSocketFramesVector, type SocketFrameFields, type SocketFramesVector } from './vectors/socket-frames.ts';

const vector = JSON.parse(
  readFileSync(new URL('./vectors/socket-frames.json', import.meta.url), 'utf8'),
) as SocketFramesVector;

type Frame = ClientSocketFrame | ServerSocketFrame;
const decode = (from: 'client' | 'server', b: Uint8Array): Frame =>
  from === 'client' ? decodeClientFrame(b) : decodeServerFrame(b);

function encode(f: Frame): Uint8Array {
  switch (f.type) {
    case 'send':
      return encodeSendFrame(f);
    case 'ack':
      return encodeAckFrame(f);
    case 'sent':
      return encodeSentFrame(f.id, f.seq);
    case 'message':
      return encodeMessageFrame(f);
    case 'acked':
      return encodeAckedFrame(f.id, f.deleted);
  }
}

/** A decoded frame as the vector writes its fields. */
function fieldsOf(f: Frame): SocketFrameFields {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) out[k] = v instanceof Uint8Array ? toHex(v) : v === undefined ? null : v;
  return out as unknown as SocketFrameFields;
}

function expectDecodeError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(ProtocolError.is(e, 'decode'), String(e)).toBe(true);
    return;
  }
  throw new Error('decoded');
}

/** Decodes or throws `decode`; what decodes re-encodes to the same bytes (one encoding per frame). */
function decodesCanonicallyOrRefuses(from: 'client' | 'server', b: Uint8Array): void {
  let f: Frame;
  try {
    f = decode(from, b);
  } catch (e) {
    if (!ProtocolError.is(e, 'decode')) throw e;
    return;
  }
  expect(toHex(encode(f))).toBe(toHex(b));
}

describe('socket-frames.json', () => {
  it('is what the builder writes', () => {
    expect(buildSocketFramesVector()).toEqual(vector);
  });

  it.each(vector.frames.map((v) => [v.name, v] as const))('%s: decodes to its fields and re-encodes', (_n, v) => {
    const bytes = fromHex(v.hex);
    const frame = decode(v.from, bytes);
    expect(fieldsOf(frame)).toEqual(v.fields);
    expect(toHex(encode(frame))).toBe(v.hex);
  });

  it.each(vector.malformed.map((v) => [`${v.from}: ${v.name}`, v] as const))('%s is refused', (_n, v) => {
    expectDecodeError(() => decode(v.from, fromHex(v.hex)));
  });

  it('decodes copies: the frame does not alias the input', () => {
    const v = vector.frames.find((f) => f.fields.type === 'message');
    const bytes = fromHex(v?.hex ?? '');
    const frame = decodeServerFrame(bytes) as Extract<ServerSocketFrame, { type: 'message' }>;
    bytes.fill(0);
    expect(toHex(frame.envelope)).toBe(v?.fields.envelope);
  });

  it('refuses to encode values out of range (usage)', () => {
    const mailbox = new Uint8Array(16);
    for (const f of [
      () => encodeSentFrame(1, 0),
      () => encodeSentFrame(1, 2 ** 53),
      () => encodeSentFrame(-1, 1),
      () => encodeAckedFrame(2 ** 32, 0),
      () => encodeAckFrame({ id: 1, mailbox, seqs: [] }),
      () => encodeAckFrame({ id: 1, mailbox, seqs: new Array(1001).fill(1) }),
      () => encodeSendFrame({ id: 1, mailbox, signature: undefined, envelope: new Uint8Array(0) }),
      () => encodeSendFrame({ id: 1, mailbox: new Uint8Array(15), signature: undefined, envelope: new Uint8Array(1) }),
      () => encodeSendFrame({ id: 1, mailbox, signature: new Uint8Array(63), envelope: new Uint8Array(1) }),
    ]) {
      expect(f).toThrow(expect.objectContaining({ code: 'usage' }));
    }
  });
});

describe('socket frame decoders on bad input', () => {
  const valid = vector.frames.map((v) => ({ from: v.from, bytes: fromHex(v.hex) }));

  it('every truncation of a valid frame is refused with decode (or, for a shorter envelope, decodes)', () => {
    for (const { from, bytes } of valid) {
      for (let n = 0; n < bytes.length; n++) decodesCanonicallyOrRefuses(from, bytes.subarray(0, n));
    }
  });

  it('every one-byte change of a valid frame decodes canonically or is refused with decode', () => {
    for (const { from, bytes } of valid) {
      for (let i = 0; i < bytes.length; i++) {
        for (const x of [0x00, 0x01, 0x02, 0x80, 0xff]) {
          const b = bytes.slice();
          b[i] = x;
          decodesCanonicallyOrRefuses(from, b);
        }
      }
    }
  });

  it('random bytes, and random bytes behind a valid type byte, never throw anything else', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0x01, 0x02, 0x81, 0x82, 0x83, 0x00, 0x7f),
        fc.uint8Array({ maxLength: 200 }),
        (type, rest) => {
          const b = new Uint8Array([type, ...rest]);
          decodesCanonicallyOrRefuses('client', b);
          decodesCanonicallyOrRefuses('server', b);
          decodesCanonicallyOrRefuses('client', rest);
          decodesCanonicallyOrRefuses('server', rest);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('acks of any valid length round-trip', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 1000 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (seqs, id) => {
          const bytes = encodeAckFrame({ id, mailbox: new Uint8Array(16).fill(7), seqs });
          expect(decodeClientFrame(bytes)).toEqual({ type: 'ack', id, mailbox: new Uint8Array(16).fill(7), seqs });
        },
      ),
      { numRuns: 100 },
    );
  });
});
