/**
 * ML-KEM-768 (FIPS 203) in node:crypto (OpenSSL ≥ 3.5, Node ≥ 24.7), for the Node backend.
 * Keys cross the backend interface in the FIPS 203 byte encodings the protocol stores, the same
 * bytes `@noble/post-quantum` produces (ml-kem.ts), so either backend reads the other's keys:
 *
 * - encapsulation key ek: 1184 bytes (FIPS 203 §7.1 output, Table 3), imported as `raw-public`;
 * - decapsulation key dk: the 2400-byte expanded form dk_PKE ‖ ek ‖ H(ek) ‖ z (§7.1 step 3,
 *   §6.1 Algorithm 16 line 3). node:crypto has no raw format for it (its `raw-private` is refused
 *   for ML-KEM), so it goes in and out as PKCS#8 (RFC 5958) with the ML-KEM private-key CHOICE
 *   of RFC 9935 (ML-KEM in X.509, the ML-KEM-PrivateKey ASN.1 module): `expandedKey` on import,
 *   `both` { seed, expandedKey } as OpenSSL writes it on export;
 * - key generation from the 64-byte seed d ‖ z (§6.1 ML-KEM.KeyGen_internal): imported as
 *   `raw-seed`, from which OpenSSL derives the pair.
 *
 * Encapsulation with caller-chosen randomness m (§6.2 ML-KEM.Encaps_internal, used by seeded
 * tests and the known-answer vectors) is not exposed by node:crypto, so that one path stays on
 * @noble; encapsulation with fresh randomness (§7.2, every real session) is OpenSSL's, whose
 * DRBG draws m.
 *
 * Parsing a key costs more than using it (an import runs OpenSSL's decoder and the §7.2/§7.3
 * input checks), so KeyObjects are cached in WeakMaps keyed by the immutable Uint8Array that
 * holds the key, as node.ts does for the classical keys.
 */
import { createPrivateKey, createPublicKey, decapsulate, encapsulate, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.ts';
import {
  type KemEncapsulation,
  type KemKeyPair,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SECRET_KEY_BYTES,
} from './backend.ts';
import * as noble from './ml-kem.ts';

const ALGORITHM = 'ml-kem-768';
const SEED_BYTES = 64;

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** AlgorithmIdentifier { id-alg-ml-kem-768 } (2.16.840.1.101.3.4.4.2, RFC 9935), parameters absent. */
const ML_KEM_768_ALGORITHM_ID = '300b0609608648016503040402';

/**
 * PKCS#8 OneAsymmetricKey v1 whose privateKey OCTET STRING holds the `expandedKey` choice
 * (OCTET STRING of 2400 bytes): every length below is fixed by the 2400-byte key.
 *   30 82 0978 { 02 01 00 (version 0), <algorithm>, 04 82 0964 { 04 82 0960 <dk> } }
 */
const EXPANDED_PREFIX = hex(`30820978020100${ML_KEM_768_ALGORITHM_ID}0482096404820960`);

/**
 * What OpenSSL writes for a key that kept its seed (the `both` choice, its default output):
 *   30 82 09be { 02 01 00, <algorithm>, 04 82 09aa { 30 82 09a6 { 04 40 <seed>, 04 82 0960 <dk> } } }
 */
const BOTH_PREFIX = hex(`308209be020100${ML_KEM_768_ALGORITHM_ID}048209aa308209a60440`);
const BOTH_DK_TAG = hex('04820960');
const BOTH_BYTES = BOTH_PREFIX.length + SEED_BYTES + BOTH_DK_TAG.length + MLKEM768_SECRET_KEY_BYTES;

/** A Buffer over the same bytes (no copy): node:crypto's key inputs are typed as Buffers. */
function buffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function startsWith(b: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  if (b.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[at + i] !== prefix[i]) return false;
  return true;
}

const secretKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeys = new WeakMap<Uint8Array, KeyObject>();

/** The expanded dk out of OpenSSL's PKCS#8 `both` encoding, or null if it wrote another form. */
function expandedKeyOf(key: KeyObject): Uint8Array | null {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const dkTagAt = BOTH_PREFIX.length + SEED_BYTES;
  if (der.length !== BOTH_BYTES || !startsWith(der, BOTH_PREFIX) || !startsWith(der, BOTH_DK_TAG, dkTagAt)) return null;
  return new Uint8Array(der.subarray(dkTagAt + BOTH_DK_TAG.length));
}

/** FIPS 203 §6.1 ML-KEM.KeyGen_internal(d, z) with seed = d ‖ z, natively. */
export function mlKemKeygen(seed: Uint8Array): KemKeyPair {
  if (seed.length !== SEED_BYTES) throw new ProtocolError('usage', 'ML-KEM seed must be 64 bytes');
  const key = createPrivateKey({ key: buffer(seed), format: 'raw-seed', asymmetricKeyType: ALGORITHM });
  const secretKey = expandedKeyOf(key);
  // An OpenSSL configured to write another PKCS#8 form (ml-kem.output_formats): same bytes, from @noble.
  if (secretKey === null) return noble.mlKemKeygen(seed);
  const pub = createPublicKey(key);
  const publicKey = view(pub.export({ format: 'raw-public' }));
  secretKeys.set(secretKey, key);
  publicKeys.set(publicKey, pub);
  return { publicKey, secretKey };
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  let ko = publicKeys.get(publicKey);
  if (ko === undefined) {
    // FIPS 203 §7.2 input checks: the type check (length) here, the modulus check by OpenSSL's import.
    if (publicKey.length !== MLKEM768_PUBLIC_KEY_BYTES) throw new ProtocolError('decode', 'invalid ML-KEM public key');
    try {
      ko = createPublicKey({ key: buffer(publicKey), format: 'raw-public', asymmetricKeyType: ALGORITHM });
    } catch (cause) {
      throw new ProtocolError('decode', 'invalid ML-KEM public key', { cause });
    }
    publicKeys.set(publicKey, ko);
  }
  return ko;
}

function secretKeyObject(secretKey: Uint8Array): KeyObject {
  let ko = secretKeys.get(secretKey);
  if (ko === undefined) {
    // Lengths are fixed by our decoders; a wrong-length or inconsistent key (§7.3 hash check) is a caller bug.
    if (secretKey.length !== MLKEM768_SECRET_KEY_BYTES) {
      throw new ProtocolError('usage', 'invalid ML-KEM ciphertext or secret key length');
    }
    const der = new Uint8Array(EXPANDED_PREFIX.length + MLKEM768_SECRET_KEY_BYTES);
    der.set(EXPANDED_PREFIX, 0);
    der.set(secretKey, EXPANDED_PREFIX.length);
    try {
      ko = createPrivateKey({ key: buffer(der), format: 'der', type: 'pkcs8' });
    } catch (cause) {
      throw new ProtocolError('usage', 'invalid ML-KEM secret key', { cause });
    } finally {
      der.fill(0);
    }
    secretKeys.set(secretKey, ko);
  }
  return ko;
}

/**
 * FIPS 203 §7.2 ML-KEM.Encaps. Without `randomness`, OpenSSL draws m; with it, §6.2
 * ML-KEM.Encaps_internal(ek, m), which node:crypto cannot do, runs on @noble (same bytes).
 */
export function mlKemEncapsulate(publicKey: Uint8Array, randomness?: Uint8Array): KemEncapsulation {
  if (randomness !== undefined) return noble.mlKemEncapsulate(publicKey, randomness);
  const { sharedKey, ciphertext } = encapsulate(publicKeyObject(publicKey));
  return { ciphertext: view(ciphertext), sharedSecret: view(sharedKey) };
}

/** FIPS 203 §7.3 ML-KEM.Decaps (implicit rejection: a bad ciphertext yields J(z ‖ c), no error). */
export function mlKemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array {
  // §7.3 ciphertext type check: the length; OpenSSL would refuse another length too.
  if (ciphertext.length !== MLKEM768_CIPHERTEXT_BYTES) {
    throw new ProtocolError('usage', 'invalid ML-KEM ciphertext or secret key length');
  }
  return view(decapsulate(secretKeyObject(secretKey), ciphertext));
}
