/**
 * @noble primitives for MLS ciphersuite 1: pure JavaScript, synchronous, for browsers (and for
 * Node under the `parley-noble` condition, which the test suite uses to run both).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { nobleBackend } from '@parley/protocol/crypto/noble';
import type { MlsPrimitives } from './primitives.ts';

export const nobleMlsPrimitives: MlsPrimitives = {
  name: 'noble',
  randomBytes: (n) => nobleBackend.randomBytes(n),
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  // RFC 5869 §2.3.
  hkdfExpandSha256: (prk, info, length) => expand(sha256, prk, info, length),
  aes128GcmSeal: (key, nonce, aad, plaintext) => gcm(key, nonce, aad).encrypt(plaintext),
  aes128GcmOpen(key, nonce, aad, sealed) {
    try {
      return gcm(key, nonce, aad).decrypt(sealed);
    } catch {
      return null;
    }
  },
  x25519PublicKey: (priv) => nobleBackend.x25519PublicKey(priv),
  x25519: (priv, pub) => nobleBackend.x25519(priv, pub),
  ed25519PublicKey: (seed) => nobleBackend.ed25519PublicKey(seed),
  ed25519Sign: (seed, message) => nobleBackend.ed25519Sign(seed, message),
  ed25519Verify: (pub, message, signature) => nobleBackend.ed25519Verify(pub, message, signature),
};

export default nobleMlsPrimitives;
