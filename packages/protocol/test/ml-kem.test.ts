/**
 * ML-KEM-768 in the two backends: node:crypto's (OpenSSL, ml-kem-node.ts) and @noble's must be
 * the same function on the same FIPS 203 byte encodings — keys from one seed, shared secrets
 * across backends both ways, the implicit-rejection output for a bad ciphertext (§6.3 step 8,
 * J(z ‖ c)), and the same refusals. The known-answer vectors (vectors.test.ts) pin the bytes.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { nobleBackend } from '../src/crypto/noble.ts';
import { nodeBackend } from '../src/crypto/node.ts';
import { encapsulateKem, envFor, generateKem, ProtocolError, type ProtocolErrorCode } from '../src/index.ts';
import { seededRandom, testEnv } from './kit.ts';

const random = seededRandom('ml-kem');
const seeds = Array.from({ length: 4 }, () => random(64));

function codeOf(f: () => unknown): ProtocolErrorCode | 'none' {
  try {
    f();
  } catch (e) {
    if (ProtocolError.is(e)) return e.code;
    throw e;
  }
  return 'none';
}

const pairs: [string, CryptoBackend, CryptoBackend][] = [
  ['node → noble', nodeBackend, nobleBackend],
  ['noble → node', nobleBackend, nodeBackend],
  ['node → node', nodeBackend, nodeBackend],
];

describe('ML-KEM-768 across backends', () => {
  it('derives the same 1184-byte public key and 2400-byte secret key from a seed (FIPS 203 §6.1)', () => {
    for (const seed of seeds) {
      const a = nodeBackend.mlKemKeygen(seed);
      const b = nobleBackend.mlKemKeygen(seed);
      expect(a.publicKey.length).toBe(1184);
      expect(a.secretKey.length).toBe(2400);
      expect(a).toEqual(b);
    }
  });

  it('encapsulates with given randomness to the same bytes (§6.2 Encaps_internal)', () => {
    const { publicKey } = nobleBackend.mlKemKeygen(seeds[0] as Uint8Array);
    const m = random(32);
    expect(nodeBackend.mlKemEncapsulate(publicKey, m)).toEqual(nobleBackend.mlKemEncapsulate(publicKey, m));
  });

  for (const [name, encapsulator, decapsulator] of pairs) {
    it(`agrees on the shared secret with fresh randomness, ${name} (§7.2, §7.3)`, () => {
      for (const seed of seeds) {
        // Each side works from its own copy of the bytes: no cached key object is shared.
        const keys = encapsulator.mlKemKeygen(seed);
        const sent = encapsulator.mlKemEncapsulate(new Uint8Array(keys.publicKey));
        expect(sent.ciphertext.length).toBe(1088);
        expect(sent.sharedSecret.length).toBe(32);
        expect(decapsulator.mlKemDecapsulate(sent.ciphertext, new Uint8Array(keys.secretKey))).toEqual(
          sent.sharedSecret,
        );
      }
    });
  }

  it('generates fresh pairs without a seed (§7.1) that the other backend uses both ways', () => {
    for (const [generator, other] of [
      [nodeBackend, nobleBackend],
      [nobleBackend, nodeBackend],
    ] as const) {
      const keys = generator.mlKemKeygen();
      expect(keys.publicKey.length).toBe(1184);
      expect(keys.secretKey.length).toBe(2400);
      expect(generator.mlKemKeygen().publicKey).not.toEqual(keys.publicKey);
      const sent = other.mlKemEncapsulate(keys.publicKey);
      expect(generator.mlKemDecapsulate(sent.ciphertext, keys.secretKey)).toEqual(sent.sharedSecret);
      const back = generator.mlKemEncapsulate(keys.publicKey);
      expect(other.mlKemDecapsulate(back.ciphertext, keys.secretKey)).toEqual(back.sharedSecret);
    }
  });

  it('draws fresh randomness for each encapsulation', () => {
    for (const backend of [nodeBackend, nobleBackend]) {
      const { publicKey } = backend.mlKemKeygen(seeds[1] as Uint8Array);
      expect(backend.mlKemEncapsulate(publicKey).ciphertext).not.toEqual(
        backend.mlKemEncapsulate(publicKey).ciphertext,
      );
    }
  });

  it('rejects a bad ciphertext implicitly, with the same pseudo-random secret in both (§6.3 step 8)', () => {
    const { publicKey, secretKey } = nobleBackend.mlKemKeygen(seeds[2] as Uint8Array);
    const { ciphertext, sharedSecret } = nobleBackend.mlKemEncapsulate(publicKey, random(32));
    const flipped = new Uint8Array(ciphertext);
    flipped[100] = (flipped[100] as number) ^ 1;
    const a = nodeBackend.mlKemDecapsulate(flipped, new Uint8Array(secretKey));
    expect(a).toEqual(nobleBackend.mlKemDecapsulate(flipped, secretKey));
    expect(a).not.toEqual(sharedSecret);
  });

  it('refuses an encapsulation key that fails the §7.2 modulus check with decode, on every path', () => {
    const bad = new Uint8Array(1184).fill(0xff); // every coefficient 0xfff ≥ q
    for (const backend of [nodeBackend, nobleBackend]) {
      expect(codeOf(() => backend.mlKemEncapsulate(bad))).toBe('decode');
      expect(codeOf(() => backend.mlKemEncapsulate(bad, random(32)))).toBe('decode');
      expect(codeOf(() => backend.mlKemEncapsulate(bad.subarray(1)))).toBe('decode');
    }
  });

  it('refuses wrong-length ciphertexts, secret keys and seeds with usage', () => {
    const { publicKey, secretKey } = nobleBackend.mlKemKeygen(seeds[3] as Uint8Array);
    const { ciphertext } = nobleBackend.mlKemEncapsulate(publicKey, random(32));
    for (const backend of [nodeBackend, nobleBackend]) {
      expect(codeOf(() => backend.mlKemDecapsulate(ciphertext.subarray(1), secretKey))).toBe('usage');
      expect(codeOf(() => backend.mlKemDecapsulate(ciphertext, secretKey.subarray(1)))).toBe('usage');
    }
    expect(codeOf(() => nodeBackend.mlKemKeygen(random(63)))).toBe('usage');
  });
});

describe('generateKem and encapsulateKem', () => {
  it('let the backend draw the randomness when the random source is its own CSPRNG', () => {
    const given: (Uint8Array | undefined)[] = [];
    const backend: CryptoBackend = {
      ...nobleBackend,
      mlKemKeygen(seed) {
        given.push(seed);
        return nobleBackend.mlKemKeygen(seed);
      },
      mlKemEncapsulate(publicKey, randomness) {
        given.push(randomness);
        return nobleBackend.mlKemEncapsulate(publicKey, randomness);
      },
    };
    const env = envFor(backend);
    encapsulateKem(env, generateKem(env).publicKey);
    expect(given).toEqual([undefined, undefined]);
  });

  it('take the randomness from any other source, reproducibly', () => {
    const onNode = testEnv('kem', nodeBackend);
    const onNoble = testEnv('kem', nobleBackend);
    const keys = generateKem(onNode);
    expect(keys).toEqual(generateKem(onNoble));
    expect(encapsulateKem(onNode, keys.publicKey)).toEqual(encapsulateKem(onNoble, keys.publicKey));
  });
});
