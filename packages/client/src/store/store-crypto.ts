/**
 * The cryptographic primitives the encrypted store needs, injected so that the store itself is
 * platform-neutral: `node-crypto.ts` implements them over node:crypto (OpenSSL), and a browser
 * build can pass @noble/ciphers (`gcm`) and @noble/hashes (`scryptAsync`) behind the same shape.
 *
 * Contract: byte strings in and out, inputs never mutated, outputs freshly allocated (the caller
 * may zero them). Only `scrypt` is asynchronous: it is the one slow primitive (hundreds of
 * milliseconds by design) and must not block the event loop; AES-GCM over one record is fast
 * enough that an await per record would cost more than the work.
 */
import { ClientError } from '../errors.ts';

/** scrypt's cost parameters (RFC 7914 §2): CPU/memory cost N (a power of two), block size r, parallelism p. */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export interface StoreCrypto {
  /** Cryptographically secure random bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** AES-256-GCM (NIST SP 800-38D): 32-byte key, 12-byte nonce; returns ciphertext ‖ 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Opens ciphertext ‖ tag; `null` when authentication fails (never throws for a bad tag). */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null;
  /**
   * scrypt (RFC 7914) of `password` with `salt`, `length` bytes of output, off the event loop.
   * `onProgress`, when the backend can tell (the browser's), hears the fraction done (0 to 1).
   */
  scrypt(
    password: Uint8Array,
    salt: Uint8Array,
    params: ScryptParams,
    length: number,
    onProgress?: KdfProgress,
  ): Promise<Uint8Array>;
}

/** Hears how much of a key derivation is done, 0 to 1 (for a progress bar while unlocking). */
export type KdfProgress = (fraction: number) => void;

export const AES_GCM_KEY_BYTES = 32;
export const AES_GCM_NONCE_BYTES = 12;
export const AES_GCM_TAG_BYTES = 16;

/** What every StoreCrypto's AES-GCM checks first: a 32-byte key and a 12-byte nonce (`usage`). */
export function checkAesGcmKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AES_GCM_KEY_BYTES || nonce.length !== AES_GCM_NONCE_BYTES) {
    throw new ClientError('usage', 'AES-256-GCM needs a 32-byte key and a 12-byte nonce.');
  }
}
