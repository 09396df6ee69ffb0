/**
 * Parley's MLS ciphersuite and the ts-mls `CiphersuiteImpl` built from a set of primitives.
 *
 * Ciphersuite: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (0x0001, RFC 9420 §17.1), the
 * mandatory-to-implement suite: the same curves as Parley's 1:1 protocol, every primitive in
 * node:crypto and @noble, 32-byte keys in the tree. Why not a post-quantum suite yet:
 * docs/protocol-groups.md §1.
 */
import type { CiphersuiteImpl, CryptoProvider } from 'ts-mls';
import { getCiphersuiteFromName } from 'ts-mls';
import { GroupError } from '../errors.ts';
import { makeHpke } from './hpke.ts';
import { constantTimeEqual, hkdfExtractSha256, type MlsPrimitives } from './primitives.ts';

export const CIPHERSUITE_NAME = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519' as const;
export const CIPHERSUITE_ID = 1;
export const ciphersuite = getCiphersuiteFromName(CIPHERSUITE_NAME);

/**
 * ts-mls's interface is asynchronous (WebCrypto is); ours answer synchronously inside an async
 * function, one microtask each instead of a WebCrypto round trip.
 */
export function makeCiphersuiteImpl(p: MlsPrimitives): CiphersuiteImpl {
  return {
    name: CIPHERSUITE_NAME,
    hash: {
      async digest(data) {
        return p.sha256(data);
      },
      async mac(key, data) {
        return p.hmacSha256(key, data);
      },
      async verifyMac(key, mac, data) {
        return constantTimeEqual(p.hmacSha256(key, data), mac);
      },
    },
    kdf: {
      async extract(salt, ikm) {
        return hkdfExtractSha256(p, salt, ikm);
      },
      async expand(prk, info, length) {
        return p.hkdfExpandSha256(prk, info, length);
      },
      size: 32,
    },
    signature: {
      async sign(signKey, message) {
        if (signKey.length !== 32) throw new GroupError('usage', 'Ed25519 signing keys are 32-byte seeds');
        return p.ed25519Sign(signKey, message);
      },
      async verify(publicKey, message, signature) {
        return p.ed25519Verify(publicKey, message, signature);
      },
      async keygen() {
        const signKey = p.randomBytes(32);
        return { signKey, publicKey: p.ed25519PublicKey(signKey) };
      },
    },
    hpke: makeHpke(p),
    rng: { randomBytes: (n) => p.randomBytes(n) },
  };
}

/**
 * A ts-mls `CryptoProvider` over our primitives; it refuses every ciphersuite but ours, so a
 * group can never be steered onto another.
 */
export function makeCryptoProvider(p: MlsPrimitives): CryptoProvider {
  const impl = makeCiphersuiteImpl(p);
  return {
    async getCiphersuiteImpl(cs) {
      if (cs.name !== CIPHERSUITE_NAME) throw new GroupError('unsupported', 'unsupported ciphersuite');
      return impl;
    },
  };
}
