/**
 * Safety numbers (safety-number.ts): both sides see the same 60 digits, the digits follow the
 * documented iterated-SHA-512 construction, and the QR payload matches only the right peer.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CryptoBackend,
  compareSafetyQr,
  concatBytes,
  defaultEnv,
  generateIdentity,
  type PublicIdentity,
  publicIdentity,
  SAFETY_NUMBER_ITERATIONS,
  SAFETY_NUMBER_VERSION,
  safetyNumber,
  toHex,
  WIRE_VERSION,
  WireType,
} from '../src/index.ts';
import { backends, codeOf, testEnv } from './kit.ts';

/** An independent implementation of the documented construction, on node:crypto. */
function referenceFingerprint(id: PublicIdentity): Uint8Array {
  const key = concatBytes(id.signingKey, id.agreementKey);
  const sha512 = (b: Uint8Array) => new Uint8Array(createHash('sha512').update(b).digest());
  let h = sha512(concatBytes(Uint8Array.of(0, 1), key));
  for (let i = 0; i < 5200; i++) h = sha512(concatBytes(h, key));
  return h;
}

function referenceDigits(h: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    const v = Number(BigInt(`0x${toHex(h.subarray(i, i + 5))}`) % 100000n);
    out += String(v).padStart(5, '0');
  }
  return out;
}

const crypto = defaultEnv.crypto;

describe(`safety numbers (${crypto.name} backend)`, () => {
  const env = testEnv('safety', crypto);
  const alice = publicIdentity(generateIdentity(env));
  const bob = publicIdentity(generateIdentity(env));
  const carol = publicIdentity(generateIdentity(env));
  const ab = safetyNumber(env, alice, bob);
  const ba = safetyNumber(env, bob, alice);

  it('uses the documented parameters', () => {
    expect(SAFETY_NUMBER_VERSION).toBe(1);
    expect(SAFETY_NUMBER_ITERATIONS).toBe(5200);
  });

  it('both sides compute the same 60 digits, displayed as 12 groups of 5', () => {
    expect(ab.digits).toMatch(/^\d{60}$/);
    expect(ba.digits).toBe(ab.digits);
    expect(ab.display).toBe(ba.display);
    expect(ab.display).toMatch(/^\d{5}( \d{5}){11}$/);
    expect(ab.display.replaceAll(' ', '')).toBe(ab.digits);
  });

  it('matches an independent implementation of the construction, smaller half first', () => {
    const a = referenceDigits(referenceFingerprint(alice));
    const b = referenceDigits(referenceFingerprint(bob));
    expect(ab.digits).toBe(a < b ? a + b : b + a);
  });

  it('the QR payload is version ‖ type ‖ safety-number version ‖ our fingerprint ‖ theirs (32 bytes each)', () => {
    const q = ab.qrPayload;
    expect(q.length).toBe(3 + 32 + 32);
    expect([...q.subarray(0, 3)]).toEqual([WIRE_VERSION, WireType.safetyNumberQr, SAFETY_NUMBER_VERSION]);
    expect(toHex(q.subarray(3, 35))).toBe(toHex(referenceFingerprint(alice).subarray(0, 32)));
    expect(toHex(q.subarray(35, 67))).toBe(toHex(referenceFingerprint(bob).subarray(0, 32)));
    // Bob's payload is Alice's with the halves swapped.
    expect(toHex(ba.qrPayload.subarray(3))).toBe(toHex(concatBytes(q.subarray(35, 67), q.subarray(3, 35))));
  });

  it('different identity pairs give different numbers', () => {
    const numbers = [ab, safetyNumber(env, alice, carol), safetyNumber(env, bob, carol)].map((s) => s.digits);
    expect(new Set(numbers).size).toBe(3);
    // Replacing only the agreement key (a MITM keeping the signing key) changes the number too.
    const mitm = { ...bob, agreementKey: carol.agreementKey };
    expect(safetyNumber(env, alice, mitm).digits).not.toBe(ab.digits);
    const mitmSigning = { ...bob, signingKey: carol.signingKey };
    expect(safetyNumber(env, alice, mitmSigning).digits).not.toBe(ab.digits);
  });

  it('the certificate is not part of the number (only the two public keys are)', () => {
    const recertified = { ...bob, certificate: new Uint8Array(64) };
    expect(safetyNumber(env, alice, recertified).digits).toBe(ab.digits);
  });

  it("one side's QR payload compares true on the other side", () => {
    expect(compareSafetyQr(ba, ab.qrPayload)).toBe(true);
    expect(compareSafetyQr(ab, ba.qrPayload)).toBe(true);
  });

  it('a QR payload compares false on a third party, under a MITM key, and when reflected back', () => {
    // Carol, talking to Bob, scans Alice's code.
    expect(compareSafetyQr(safetyNumber(env, carol, bob), ab.qrPayload)).toBe(false);
    expect(compareSafetyQr(safetyNumber(env, carol, alice), ab.qrPayload)).toBe(false);
    // Bob's session is with a MITM (here Carol's identity) instead of Alice.
    expect(compareSafetyQr(safetyNumber(env, bob, carol), ab.qrPayload)).toBe(false);
    // Alice's session is with a MITM instead of Bob: Bob's code does not match hers.
    expect(compareSafetyQr(safetyNumber(env, alice, carol), ba.qrPayload)).toBe(false);
    // Alice's own code shown back to her.
    expect(compareSafetyQr(ab, ab.qrPayload)).toBe(false);
  });

  it('a QR payload whose fingerprints differ in one bit compares false', () => {
    for (let byte = 3; byte < ab.qrPayload.length; byte++) {
      const bad = ab.qrPayload.slice();
      bad[byte] = (bad[byte] as number) ^ 0x80;
      expect(compareSafetyQr(ba, bad)).toBe(false);
    }
  });

  it('a malformed QR payload throws decode (unsupported-version for another wire version)', () => {
    const q = ab.qrPayload;
    const withByte = (i: number, v: number) => {
      const out = q.slice();
      out[i] = v;
      return out;
    };
    expect(codeOf(() => compareSafetyQr(ba, new Uint8Array()))).toBe('decode');
    for (let len = 0; len < q.length; len++)
      expect(codeOf(() => compareSafetyQr(ba, q.subarray(0, len)))).toBe('decode');
    expect(codeOf(() => compareSafetyQr(ba, concatBytes(q, Uint8Array.of(0))))).toBe('decode');
    expect(codeOf(() => compareSafetyQr(ba, withByte(1, WireType.bundle)))).toBe('decode');
    expect(codeOf(() => compareSafetyQr(ba, withByte(2, SAFETY_NUMBER_VERSION + 1)))).toBe('decode');
    expect(codeOf(() => compareSafetyQr(ba, withByte(0, WIRE_VERSION + 1)))).toBe('unsupported-version');
  });

  it('is symmetric and QR-consistent for random public keys (property)', () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const ident = fc.record({ signingKey: key, agreementKey: key, certificate: fc.constant(new Uint8Array(64)) });
    fc.assert(
      fc.property(ident, ident, (x, y) => {
        fc.pre(toHex(concatBytes(x.signingKey, x.agreementKey)) !== toHex(concatBytes(y.signingKey, y.agreementKey)));
        const xy = safetyNumber(env, x, y);
        const yx = safetyNumber(env, y, x);
        expect(xy.digits).toBe(yx.digits);
        expect(xy.digits).toMatch(/^\d{60}$/);
        expect(compareSafetyQr(yx, xy.qrPayload)).toBe(true);
        expect(compareSafetyQr(xy, xy.qrPayload)).toBe(false);
      }),
      { numRuns: crypto.name === 'node' ? 10 : 5 },
    );
  });
});

describe('safety numbers across backends', () => {
  it('node and noble compute identical numbers and payloads', () => {
    const env = testEnv('safety-x');
    const a = publicIdentity(generateIdentity(env));
    const b = publicIdentity(generateIdentity(env));
    const [x, y] = (backends as readonly CryptoBackend[]).map((c) => safetyNumber(testEnv('s', c), a, b));
    expect(y?.digits).toBe(x?.digits);
    expect(toHex(y?.qrPayload ?? new Uint8Array())).toBe(toHex(x?.qrPayload ?? Uint8Array.of(1)));
  });
});
