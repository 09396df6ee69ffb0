/**
 * Node backend: node:crypto (OpenSSL) for every primitive, ML-KEM-768 included (ml-kem-node.ts;
 * Node ≥ 24.7). Selected by the `node` export condition.
 *
 * Performance notes (measured on the 2-core CI machine, docs/benchmarks.md):
 * - Importing a raw key into a KeyObject costs more than the DH it is used for, so parsed
 *   KeyObjects are cached in WeakMaps keyed by the (immutable) Uint8Array that holds the key.
 * - Raw keys are imported as JWK: OpenSSL 3's DER decoder path is ~10× slower here.
 * - Key generation draws random bytes from the environment and imports them, which keeps
 *   randomness injectable (seeded tests, vectors). (It also avoided a deadlock of Node 20, where
 *   exporting a key made by generateKeyPairSync could block on a GC finalizer; Node 24 is not
 *   affected, but injectable randomness is reason enough.)
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  randomFillSync,
  sign,
  verify,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ProtocolError } from '../errors.ts';
import { AES_GCM_TAG_BYTES, type CryptoBackend } from './backend.ts';
import { mlKemDecapsulate, mlKemEncapsulate, mlKemKeygen } from './ml-kem-node.ts';

type Curve = 'X25519' | 'Ed25519';

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

/** A plain Uint8Array view of a Buffer (no copy), so callers never see Buffer semantics. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const privateKeys = { X25519: new WeakMap<Uint8Array, KeyObject>(), Ed25519: new WeakMap<Uint8Array, KeyObject>() };
const publicKeys = { X25519: new WeakMap<Uint8Array, KeyObject>(), Ed25519: new WeakMap<Uint8Array, KeyObject>() };

function privateKey(crv: Curve, raw: Uint8Array): KeyObject {
  let ko = privateKeys[crv].get(raw);
  if (ko === undefined) {
    if (raw.length !== 32) throw new ProtocolError('usage', 'private key must be 32 bytes');
    // OpenSSL derives the public half from `d`; `x` is required by Node's JWK parser but unused.
    ko = createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(raw), x: '' }, format: 'jwk' });
    privateKeys[crv].set(raw, ko);
  }
  return ko;
}

/**
 * OpenSSL's Ed25519 verify checks R and S but not A: with a small-order or non-canonical A,
 * (R = identity, S = 0) verifies for every message. RFC 8032 §5.1.7 with strict decoding and
 * @noble's strict mode both refuse those keys, so we refuse them here too, using @noble's point
 * decoding (once per key object: ~150 µs, cached with it).
 */
function assertStrictEd25519Key(raw: Uint8Array): void {
  let smallOrder: boolean;
  try {
    smallOrder = ed25519.Point.fromBytes(raw, false).isSmallOrder();
  } catch (cause) {
    throw new ProtocolError('decode', 'invalid public key', { cause });
  }
  if (smallOrder) throw new ProtocolError('decode', 'invalid public key');
}

function publicKey(crv: Curve, raw: Uint8Array): KeyObject {
  let ko = publicKeys[crv].get(raw);
  if (ko === undefined) {
    if (raw.length !== 32) throw new ProtocolError('decode', 'invalid public key');
    if (crv === 'Ed25519') assertStrictEd25519Key(raw);
    try {
      ko = createPublicKey({ key: { kty: 'OKP', crv, x: b64url(raw) }, format: 'jwk' });
    } catch (cause) {
      throw new ProtocolError('decode', 'invalid public key', { cause });
    }
    publicKeys[crv].set(raw, ko);
  }
  return ko;
}

/**
 * randomFillSync costs ~3 µs per call whatever the size, and every message needs a nonce; so
 * public random values (nonces) are served from a 4 KiB pool filled by one call, as Node itself
 * does for randomUUID. Secrets never come from the pool: its unserved bytes are future output,
 * and a memory snapshot holding future private keys would delay post-compromise recovery.
 * Served bytes are zeroed in the pool.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

function randomBytes(n: number): Uint8Array {
  return view(randomFillSync(Buffer.allocUnsafeSlow(n)));
}

function publicRandomBytes(n: number): Uint8Array {
  if (n > 256) return randomBytes(n);
  if (poolOffset + n > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  const copy = new Uint8Array(out);
  out.fill(0);
  poolOffset += n;
  return copy;
}

function publicOf(crv: Curve, priv: Uint8Array): Uint8Array {
  // A private key's JWK carries its public half in `x` (one export, no second KeyObject).
  const jwk = privateKey(crv, priv).export({ format: 'jwk' });
  return view(Buffer.from(jwk.x as string, 'base64url'));
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes,
  publicRandomBytes,
  x25519PublicKey: (priv) => publicOf('X25519', priv),
  x25519(priv, pub) {
    try {
      return view(diffieHellman({ privateKey: privateKey('X25519', priv), publicKey: publicKey('X25519', pub) }));
    } catch (cause) {
      // OpenSSL refuses an all-zero shared secret (low-order point), RFC 7748 §6.1.
      if (ProtocolError.is(cause)) throw cause;
      throw new ProtocolError('decode', 'invalid X25519 public key', { cause });
    }
  },
  ed25519PublicKey: (priv) => publicOf('Ed25519', priv),
  ed25519Sign: (priv, msg) => view(sign(null, msg, privateKey('Ed25519', priv))),
  ed25519Verify(pub, msg, sig) {
    if (sig.length !== 64 || pub.length !== 32) return false;
    let ko: KeyObject;
    try {
      ko = publicKey('Ed25519', pub);
    } catch {
      return false;
    }
    return verify(null, msg, ko, sig);
  },
  aesGcmSeal(key, nonce, pt, aad) {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const out = new Uint8Array(pt.length + AES_GCM_TAG_BYTES);
    out.set(c.update(pt), 0);
    c.final();
    out.set(c.getAuthTag(), pt.length);
    return out;
  },
  aesGcmOpen(key, nonce, sealed, aad) {
    if (sealed.length < AES_GCM_TAG_BYTES) return null;
    const n = sealed.length - AES_GCM_TAG_BYTES;
    const d = createDecipheriv('aes-256-gcm', key, nonce);
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
  hmacSha512: (key, data) => view(createHmac('sha512', key).update(data).digest()),
  hkdfSha256: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
  sha512: (data) => view(createHash('sha512').update(data).digest()),
  mlKemKeygen,
  mlKemEncapsulate,
  mlKemDecapsulate,
};

export default nodeBackend;
