/**
 * The one interface between Parley's protocol core and cryptographic primitives. It is
 * synchronous on purpose: every primitive here is fast enough that an async boundary would cost
 * more than the work (docs/protocol.md §1.2). Two implementations exist, chosen by package export
 * conditions (`#default-crypto` in package.json): `node.ts` (node:crypto, OpenSSL) and `noble.ts`
 * (the audited @noble libraries, for browsers). ML-KEM-768 is node:crypto's in the first
 * (OpenSSL 3.5, Node ≥ 24.7) and @noble/post-quantum's in the second; both read and write the
 * same FIPS 203 byte encodings.
 *
 * Contract: keys are raw byte strings (RFC 7748 / RFC 8032 / FIPS 203 encodings) and are never
 * mutated once created; backends may cache parsed key objects keyed by the array's identity.
 * Methods throw a `ProtocolError` only where documented; `verify` and `open` return a result.
 */
export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface KemEncapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

export interface CryptoBackend {
  readonly name: 'node' | 'noble';

  /** Cryptographically secure random bytes from the platform CSPRNG (for secrets). */
  randomBytes(length: number): Uint8Array;
  /**
   * Random bytes for values that are public once used (nonces). Same CSPRNG, but a backend may
   * draw them ahead of time into a pool; never use them for keys.
   */
  publicRandomBytes(length: number): Uint8Array;

  /** RFC 7748 §5: the public key of a 32-byte X25519 private key. */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * RFC 7748 §6.1: X25519(privateKey, publicKey). Throws `ProtocolError('decode')` when the
   * result is all zeros (a low-order public key), as RFC 7748 §6.1 allows and X3DH expects.
   */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  /** RFC 8032 §5.1.5: the public key of a 32-byte Ed25519 private key (seed). */
  ed25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** RFC 8032 §5.1.6 (pure Ed25519, deterministic). */
  ed25519Sign(privateKey: Uint8Array, message: Uint8Array): Uint8Array;
  /**
   * RFC 8032 §5.1.7 with canonical encodings required (no ZIP-215 leniency), S < L, and A and R
   * torsion-free, A not the neutral point (docs/protocol.md §1.1 and §1.4 note 2): under those conditions the
   * cofactored and the cofactorless equation agree, so every backend accepts exactly the same
   * signatures (test/vectors/ed25519-edge.json).
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /** AES-256-GCM (NIST SP 800-38D), 12-byte nonce, returns ciphertext ‖ 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Opens ciphertext ‖ tag; `null` when authentication fails. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;

  /** RFC 2104 HMAC with SHA-512 (64-byte output). */
  hmacSha512(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 5869 HKDF with SHA-256 (extract then expand). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** FIPS 180-4 SHA-512 (used by safety numbers). */
  sha512(data: Uint8Array): Uint8Array;
  /** FIPS 180-4 SHA-256 (used by the request digest that proofs are bound to, §3.5). */
  sha256(data: Uint8Array): Uint8Array;

  /**
   * FIPS 203 ML-KEM-768 key generation. With a 64-byte `seed` (d ‖ z), §6.1
   * ML-KEM.KeyGen_internal(d, z): deterministic, for seeded tests and vectors. Without, §7.1
   * ML-KEM.KeyGen: the backend draws d and z from the platform CSPRNG (natively where it can,
   * which is faster in node:crypto than deriving from a given seed). Use `generateKem` (keys.ts),
   * which chooses.
   */
  mlKemKeygen(seed?: Uint8Array): KemKeyPair;
  /**
   * FIPS 203 ML-KEM-768 Encaps. Without `randomness`, §7.2 ML-KEM.Encaps: the backend draws m
   * from the platform CSPRNG (natively where it can). With 32 bytes of `randomness`, §6.2
   * ML-KEM.Encaps_internal(ek, m): deterministic, for seeded tests and known-answer vectors, and
   * possibly slower (node:crypto cannot take m). Use `encapsulateKem` (keys.ts), which chooses.
   */
  mlKemEncapsulate(publicKey: Uint8Array, randomness?: Uint8Array): KemEncapsulation;
  /** FIPS 203 ML-KEM-768 Decaps (implicit rejection: never throws on a bad ciphertext). */
  mlKemDecapsulate(ciphertext: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

/** Sizes fixed by the primitives (RFC 7748, RFC 8032, FIPS 203 Table 3). */
export const X25519_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const AES_GCM_NONCE_BYTES = 12;
export const AES_GCM_TAG_BYTES = 16;
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
export const MLKEM768_SECRET_KEY_BYTES = 2400;
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
