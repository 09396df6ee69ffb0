/**
 * Plaintext padding before encryption (docs/protocol-ratchet.md §6.4). The padded length is a bucket:
 *
 *   64, 128, 256, 512, 1024, 2048, 4096 bytes, then multiples of 4096 up to MAX_PADDED (60 KiB).
 *
 * Most chat messages are short, so everything up to 63 bytes looks the same on the wire, and a
 * longer one reveals only its power-of-two size class up to 4 KiB (at most 2× in size), and above
 * that only its 4 KiB step (at most 4095 bytes of slack).
 * Encoding (ISO/IEC 7816-4): plaintext ‖ 0x80 ‖ 0x00…, so unpadding is unambiguous.
 */
import { ProtocolError } from './errors.ts';

export const MIN_PADDED = 64;
export const MAX_PADDED = 60 * 1024;
/** The largest plaintext one message can carry. */
export const MAX_PLAINTEXT = MAX_PADDED - 1;

export function paddedLength(plaintextLength: number): number {
  const n = plaintextLength + 1;
  if (n <= MIN_PADDED) return MIN_PADDED;
  if (n <= 4096) return 2 ** Math.ceil(Math.log2(n));
  return Math.ceil(n / 4096) * 4096;
}

export function isBucket(length: number): boolean {
  return length >= MIN_PADDED && length <= MAX_PADDED && paddedLength(length - 1) === length;
}

export function pad(plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > MAX_PLAINTEXT) throw new ProtocolError('usage', 'plaintext too large for one message');
  const out = new Uint8Array(paddedLength(plaintext.length));
  out.set(plaintext);
  out[plaintext.length] = 0x80;
  return out;
}

/** Returns a view of the plaintext inside the padded buffer; `decode` error on bad padding. */
export function unpad(padded: Uint8Array): Uint8Array {
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0) i--;
  if (i < 0 || padded[i] !== 0x80) throw new ProtocolError('decode', 'malformed padding');
  return padded.subarray(0, i);
}
