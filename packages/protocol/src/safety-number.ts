/**
 * Safety numbers (docs/protocol-ratchet.md §9), after Signal's numeric fingerprint (libsignal
 * `NumericFingerprintGenerator`, 5200 iterations of SHA-512):
 *
 *   key  = signingKey (32) ‖ agreementKey (32)
 *   h0   = SHA-512(u16 version=1 ‖ key)
 *   hi   = SHA-512(h(i-1) ‖ key)            for i = 1 … 5200
 *   part = for each of the six 5-byte chunks c of h5200[0:30]: (u40 c mod 100000) as 5 digits
 *
 * The displayed number is both 30-digit parts with the smaller first, so both sides show the
 * same 60 digits. The QR payload carries 32-byte fingerprints of both sides (h5200[0:32]) so a
 * scan compares far more than the ~100 bits the digits hold.
 */
import { compareBytes, concatBytes, equalBytes } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import type { PublicIdentity } from './identity.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

export const SAFETY_NUMBER_VERSION = 1;
export const SAFETY_NUMBER_ITERATIONS = 5200;

function fingerprint(env: ProtocolEnv, id: PublicIdentity): Uint8Array {
  const key = concatBytes(id.signingKey, id.agreementKey);
  let h = env.crypto.sha512(concatBytes(Uint8Array.of(0, SAFETY_NUMBER_VERSION), key));
  const buf = new Uint8Array(64 + key.length);
  buf.set(key, 64);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) {
    buf.set(h, 0);
    h = env.crypto.sha512(buf);
  }
  return h;
}

function digits(h: Uint8Array): string {
  let out = '';
  for (let i = 0; i < 30; i += 5) {
    let v = 0;
    for (let j = 0; j < 5; j++) v = v * 256 + (h[i + j] as number);
    out += String(v % 100000).padStart(5, '0');
  }
  return out;
}

export interface SafetyNumber {
  /** 60 digits, identical on both sides. */
  readonly digits: string;
  /** The same digits in 12 groups of 5, for display. */
  readonly display: string;
  /** Bytes to show as a QR code for the other side to scan. */
  readonly qrPayload: Uint8Array;
}

/**
 * @example
 * ```ts
 * const mine = safetyNumber(env, publicIdentity(me), theirIdentity);
 * show(mine.display, qr(mine.qrPayload)); // they scan it: compareSafetyQr(theirs, scanned) === true
 * ```
 */
export function safetyNumber(env: ProtocolEnv, local: PublicIdentity, remote: PublicIdentity): SafetyNumber {
  const l = fingerprint(env, local);
  const r = fingerprint(env, remote);
  const ld = digits(l);
  const rd = digits(r);
  const all = ld < rd || (ld === rd && compareBytes(l, r) <= 0) ? ld + rd : rd + ld;
  const qrPayload = new Writer(70)
    .u8(WIRE_VERSION)
    .u8(WireType.safetyNumberQr)
    .u8(SAFETY_NUMBER_VERSION)
    .bytes(l.subarray(0, 32))
    .bytes(r.subarray(0, 32))
    .finish();
  return { digits: all, display: all.match(/.{5}/g)?.join(' ') ?? all, qrPayload };
}

/**
 * Compares a QR payload scanned from the other device with our own: it matches when the
 * scanned "local" fingerprint is our remote one and vice versa. Malformed input throws `decode`.
 */
export function compareSafetyQr(ours: SafetyNumber, scanned: Uint8Array): boolean {
  const r = new Reader(scanned, 'safety number QR payload');
  readFrame(r, WireType.safetyNumberQr, 'safety number QR payload');
  if (r.u8() !== SAFETY_NUMBER_VERSION) r.fail();
  const theirLocal = r.bytes(32);
  const theirRemote = r.bytes(32);
  r.end();
  const mine = ours.qrPayload;
  return equalBytes(theirLocal, mine.subarray(35, 67)) && equalBytes(theirRemote, mine.subarray(3, 35));
}
