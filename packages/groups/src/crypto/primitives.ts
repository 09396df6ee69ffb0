/**
 * The primitives MLS ciphersuite 1 (MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, RFC 9420
 * §17.1) is made of, as synchronous functions over bytes. One implementation per platform:
 * node:crypto (node.ts) and @noble (noble.ts). Everything built on them — HPKE (hpke.ts), the
 * ts-mls CiphersuiteImpl (ciphersuite.ts) — is shared, so both platforms run the same
 * composition and only the primitives differ.
 *
 * The X25519 and Ed25519 operations are @parley/protocol's backends (the same key caching and
 * the same strict Ed25519 key and signature checks as 1:1 messaging, docs/protocol.md §1.1).
 */
export interface MlsPrimitives {
  readonly name: 'node' | 'noble';
  /** CSPRNG output. */
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Expand with SHA-256 (RFC 5869 §2.3); `length` ≤ 255 × 32. */
  hkdfExpandSha256(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** AES-128-GCM (NIST SP 800-38D), 16-byte tag appended. */
  aes128GcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** `null` when the tag does not verify. */
  aes128GcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** Throws on an invalid public key or an all-zero shared secret (RFC 7748 §6.1, RFC 9180 §7.1.4). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  /** `false` for any malformed key or signature, never a throw. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

/** HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM); an absent salt is HashLen zeros. */
export function hkdfExtractSha256(p: MlsPrimitives, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return p.hmacSha256(salt.length === 0 ? ZERO_SALT : salt, ikm);
}

const ZERO_SALT = new Uint8Array(32);

/** Constant-time equality of two byte strings of public length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= (a[i] as number) ^ (b[i] as number);
  return acc === 0;
}
