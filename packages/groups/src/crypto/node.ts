/**
 * node:crypto (OpenSSL) primitives for MLS ciphersuite 1. Selected by the `node` export
 * condition (`#default-group-crypto` in package.json). Every call is synchronous: ts-mls's
 * default provider goes through WebCrypto, whose every call is a promise and a key import
 * (tens of µs each in Node), which is most of a large group's commit time
 * (docs/benchmarks.md, groups).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { nodeBackend } from '@parley/protocol/crypto/node';
import type { MlsPrimitives } from './primitives.ts';

const TAG = 16;

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * A KeyObject for HMAC and AES keys: given raw bytes, Node 24's createHmac and createCipheriv
 * first probe for a KeyObject and a CryptoKey by checks that throw and catch (see
 * @parley/protocol's crypto/node.ts); a KeyObject skips both. HMAC keys of zero length cannot be
 * wrapped; callers never pass one (hkdfExtractSha256 substitutes the RFC 5869 zero salt).
 */
function secretKey(raw: Uint8Array): KeyObject {
  return createSecretKey(raw);
}

function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return view(createHmac('sha256', secretKey(key)).update(data).digest());
}

/**
 * HKDF-Expand (RFC 5869 §2.3): T(0) = empty, T(i) = HMAC-Hash(PRK, T(i-1) ‖ info ‖ i), output
 * the first L bytes of T(1) ‖ T(2) ‖ … node:crypto's hkdfSync always extracts first, and MLS
 * (RFC 9420 §8) calls Extract and Expand separately, so Expand is composed from HMAC here.
 */
function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (length > 255 * 32) throw new RangeError('HKDF-Expand length too large');
  const key = secretKey(prk);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, filled = 0; filled < length; i++) {
    t = view(createHmac('sha256', key).update(t).update(info).update(Uint8Array.of(i)).digest());
    out.set(t.subarray(0, Math.min(32, length - filled)), filled);
    filled += 32;
  }
  return out;
}

export const nodeMlsPrimitives: MlsPrimitives = {
  name: 'node',
  randomBytes: (n) => nodeBackend.randomBytes(n),
  sha256: (data) => view(createHash('sha256').update(data).digest()),
  hmacSha256,
  hkdfExpandSha256,
  aes128GcmSeal(key, nonce, aad, plaintext) {
    const c = createCipheriv('aes-128-gcm', secretKey(key), nonce);
    c.setAAD(aad);
    const out = new Uint8Array(plaintext.length + TAG);
    out.set(c.update(plaintext), 0);
    c.final();
    out.set(c.getAuthTag(), plaintext.length);
    return out;
  },
  aes128GcmOpen(key, nonce, aad, sealed) {
    if (sealed.length < TAG || key.length !== 16 || nonce.length !== 12) return null;
    const n = sealed.length - TAG;
    const d = createDecipheriv('aes-128-gcm', secretKey(key), nonce);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(n));
    const out = d.update(sealed.subarray(0, n));
    try {
      d.final();
    } catch {
      return null;
    }
    return view(out);
  },
  x25519PublicKey: (priv) => nodeBackend.x25519PublicKey(priv),
  x25519: (priv, pub) => nodeBackend.x25519(priv, pub),
  ed25519PublicKey: (seed) => nodeBackend.ed25519PublicKey(seed),
  ed25519Sign: (seed, message) => nodeBackend.ed25519Sign(seed, message),
  ed25519Verify: (pub, message, signature) => nodeBackend.ed25519Verify(pub, message, signature),
};

export default nodeMlsPrimitives;
