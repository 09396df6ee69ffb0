/**
 * Plaintext padding (padding.ts): the bucket sizes, pad/unpad round trips, rejection of bad
 * padding, and what the padding means for message sizes on the wire.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ratchetEncryptBody } from '../src/double-ratchet.ts';
import {
  decryptMessage,
  defaultEnv,
  encodeSession,
  encryptMessage,
  MAX_PADDED,
  MAX_PLAINTEXT,
  ProtocolError,
  paddedLength,
  RATCHET_OVERHEAD,
  toHex,
} from '../src/index.ts';
import { isBucket, MIN_PADDED, pad, unpad } from '../src/padding.ts';
import { codeOf, establish, makeDevice, testEnv } from './kit.ts';

/** 64 … 4096 by powers of two, then multiples of 4096 up to MAX_PADDED. */
const BUCKETS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 64; b <= 4096; b *= 2) out.push(b);
  for (let b = 2 * 4096; b <= MAX_PADDED; b += 4096) out.push(b);
  return out;
})();

describe('padding buckets', () => {
  it('has the documented constants', () => {
    expect(MIN_PADDED).toBe(64);
    expect(MAX_PADDED).toBe(60 * 1024);
    expect(MAX_PLAINTEXT).toBe(MAX_PADDED - 1);
    expect(BUCKETS).toEqual([
      64, 128, 256, 512, 1024, 2048, 4096, 8192, 12288, 16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152,
      53248, 57344, 61440,
    ]);
  });

  it.each([
    [0, 64],
    [1, 64],
    [63, 64],
    [64, 128],
    [127, 128],
    [128, 256],
    [255, 256],
    [256, 512],
    [1023, 1024],
    [2047, 2048],
    [4095, 4096],
    [4096, 8192],
    [8191, 8192],
    [8192, 12288],
    [12287, 12288],
    [57343, 57344],
    [57344, 61440],
    [MAX_PLAINTEXT, MAX_PADDED],
  ])('a %i-byte plaintext pads to %i bytes', (n, expected) => {
    expect(paddedLength(n)).toBe(expected);
    expect(pad(new Uint8Array(n)).length).toBe(expected);
  });

  it('every plaintext length pads to the smallest bucket that holds it and its 0x80 marker', () => {
    const buckets = new Set(BUCKETS);
    const wrong: string[] = [];
    let previous = 0;
    for (let n = 0; n <= MAX_PLAINTEXT; n++) {
      const p = paddedLength(n);
      const smaller = BUCKETS[BUCKETS.indexOf(p) - 1];
      if (!buckets.has(p)) wrong.push(`${n}: ${p} is not a bucket`);
      if (p < n + 1) wrong.push(`${n}: ${p} too small`);
      if (p < previous) wrong.push(`${n}: ${p} not monotone`);
      if (smaller !== undefined && smaller >= n + 1) wrong.push(`${n}: ${smaller} would do`);
      // At most twice the size (up to 4 KiB), at most 4 KiB of slack beyond.
      if (n + 1 > MIN_PADDED && p - (n + 1) >= Math.min(n + 1, 4096)) wrong.push(`${n}: ${p} too much slack`);
      previous = p;
    }
    expect(wrong).toEqual([]);
  });

  it('isBucket holds exactly for the bucket sizes', () => {
    const buckets = new Set(BUCKETS);
    const wrong: number[] = [];
    for (let len = -1; len <= MAX_PADDED + 8192; len++) if (isBucket(len) !== buckets.has(len)) wrong.push(len);
    expect(wrong).toEqual([]);
  });

  it('refuses a plaintext longer than MAX_PLAINTEXT with a usage error', () => {
    expect(codeOf(() => pad(new Uint8Array(MAX_PLAINTEXT + 1)))).toBe('usage');
    expect(codeOf(() => pad(new Uint8Array(MAX_PADDED * 2)))).toBe('usage');
  });
});

describe('pad and unpad', () => {
  const plaintext = fc.oneof(
    fc.uint8Array({ maxLength: 300, size: 'max' }),
    fc.uint8Array({ maxLength: 9000, size: 'max' }),
    // Plaintexts that end like padding must still round-trip.
    fc
      .tuple(fc.uint8Array({ maxLength: 100 }), fc.constantFrom(0x00, 0x80), fc.nat({ max: 70 }))
      .map(([p, b, n]) => Uint8Array.from([...p, ...new Array(n).fill(b)])),
  );

  it('round-trips any plaintext; the padding is 0x80 then zeros up to the bucket (property)', () => {
    fc.assert(
      fc.property(plaintext, (p) => {
        const copy = toHex(p);
        const padded = pad(p);
        expect(toHex(p)).toBe(copy); // input untouched
        expect(padded.length).toBe(paddedLength(p.length));
        expect(isBucket(padded.length)).toBe(true);
        expect(toHex(padded.subarray(0, p.length))).toBe(copy);
        expect(padded[p.length]).toBe(0x80);
        expect(padded.subarray(p.length + 1).every((x) => x === 0)).toBe(true);
        expect(toHex(unpad(padded))).toBe(copy);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the largest plaintext', () => {
    const p = new Uint8Array(MAX_PLAINTEXT).fill(0x80);
    expect(toHex(unpad(pad(p)))).toBe(toHex(p));
  });

  it('unpad rejects an empty or all-zero buffer with decode', () => {
    expect(codeOf(() => unpad(new Uint8Array()))).toBe('decode');
    for (const b of BUCKETS) expect(codeOf(() => unpad(new Uint8Array(b)))).toBe('decode');
  });

  it('unpad rejects a buffer whose last non-zero byte is not 0x80 with decode (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 255 }).filter((b) => b !== 0x80),
        fc.nat({ max: 100 }),
        (head, last, zeros) => {
          const buf = Uint8Array.from([...head, last, ...new Array(zeros).fill(0)]);
          expect(codeOf(() => unpad(buf))).toBe('decode');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('unpad of any buffer either throws decode or returns the bytes before a final 0x80 and zeros (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (buf) => {
        let result: Uint8Array | undefined;
        try {
          result = unpad(buf);
        } catch (e) {
          expect(ProtocolError.is(e, 'decode')).toBe(true);
          return;
        }
        expect(buf[result.length]).toBe(0x80);
        expect(buf.subarray(0, result.length)).toEqual(result);
        expect(buf.subarray(result.length + 1).every((x) => x === 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe(`padding on the wire (${defaultEnv.crypto.name} backend)`, () => {
  const envA = testEnv('pad-a');
  const envB = testEnv('pad-b');
  const pair = establish(envA, envB, makeDevice(envA, 1), makeDevice(envB, 2), true, 1); // version 1 pads (§6.4)

  it('a ratchet message is RATCHET_OVERHEAD plus the padded length, and decrypts to the exact plaintext', () => {
    let { alice, bob } = pair;
    for (const n of [0, 1, 63, 64, 500, 4095, 4096, 20000, MAX_PLAINTEXT]) {
      const p = new Uint8Array(n).fill(n & 0xff);
      const m = encryptMessage(envA, alice, p);
      alice = m.session;
      expect(m.message.length).toBe(RATCHET_OVERHEAD + paddedLength(n));
      const d = decryptMessage(envB, bob, m.message);
      bob = d.session;
      expect(toHex(d.plaintext)).toBe(toHex(p));
    }
  });

  it('encryptMessage refuses a plaintext over MAX_PLAINTEXT with usage and leaves the session unchanged', () => {
    const before = toHex(encodeSession(pair.alice));
    expect(codeOf(() => encryptMessage(envA, pair.alice, new Uint8Array(MAX_PLAINTEXT + 1)))).toBe('usage');
    expect(toHex(encodeSession(pair.alice))).toBe(before);
  });

  it('an authentic message with bad padding throws decode and leaves the receiver unchanged', () => {
    const { alice, bob } = pair;
    for (const bad of [new Uint8Array(64), Uint8Array.from({ length: 64 }, (_, i) => (i === 63 ? 0x01 : 0x80))]) {
      const { message } = ratchetEncryptBody(envA, alice.ratchet, bad, alice.associatedData);
      const before = toHex(encodeSession(bob));
      expect(codeOf(() => decryptMessage(envB, bob, message))).toBe('decode');
      expect(toHex(encodeSession(bob))).toBe(before);
    }
  });
});
