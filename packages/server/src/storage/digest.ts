/**
 * SHA-256 (FIPS 180-4) of a stored body — a mailbox envelope, a contact request — the digest that
 * makes a resent body a no-op. One call of node:crypto's one-shot `hash`, which creates no Hash
 * object (a native handle each, for the garbage collector to finalise) and returns the 32 bytes
 * in a buffer of their own, read here through a plain Uint8Array view without copying.
 */
import { hash } from 'node:crypto';

export function sha256(bytes: Uint8Array): Uint8Array {
  const digest = hash('sha256', bytes, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}
