/**
 * The version 2 ratchet message (docs/protocol-v2.md §13.3):
 *
 *   u8 version (0x02) ‖ u8 type (0x03) ‖ enc_header (40 + 16) ‖ body (B + 16)
 *   body       = GCM(mk,  0x00 × 12, u16 L ‖ plaintext (L) ‖ KEM section, aad = AD ‖ 0x02 ‖ 0x03)
 *   enc_header = GCM(HKs, tag[0:12],  header,                         aad = 0x02 ‖ 0x03 ‖ tag)
 *   tag        = the body's last 16 bytes (its GCM tag)
 *
 * No nonce travels. The body key mk is used for one message only, so a fixed nonce is safe
 * (Double Ratchet §5.2 likewise derives the body IV from mk). The header key encrypts a whole
 * chain, so its nonce must not repeat (§4.2 HENCRYPT): it is the body's tag, a GCM tag under a
 * fresh key, which is as unpredictable as the 96 random bits version 1 sent in clear. Taking it
 * from the body also binds header and body: another body gives another nonce and the header
 * does not open. Saving the 12 nonce bytes is what keeps a 100-byte message at 202 bytes with
 * the KEM chunks inside (§13.7).
 *
 * B is the padding bucket (§6.4) of L + 2 + MIN_SECTION: the section is whatever the bucket leaves
 * after the plaintext, at least MIN_SECTION bytes below the largest bucket.
 */
import { readU32 } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { MIN_SECTION } from './kem-ratchet.ts';
import { isBucket, MAX_PADDED, paddedLength } from './padding.ts';
import { WireType } from './wire.ts';

export const V2 = 2;
const HEADER = 40;
const TAG = 16;
/** Bytes before the body: version, type, encrypted header. */
const PREFIX = 2 + HEADER + TAG;
/** Fixed bytes of a version 2 ratchet message besides the padded body: 74. */
export const RATCHET_OVERHEAD_V2 = PREFIX + TAG;
/** The largest plaintext a version 2 message carries (its u16 length field and the largest bucket). */
export const MAX_PLAINTEXT_V2 = MAX_PADDED - 2;

const ZERO_NONCE = new Uint8Array(12);

/** The padded body length B for a plaintext of `length` bytes. */
export function bodyLengthV2(length: number): number {
  const n = length + 2 + MIN_SECTION;
  return n <= MAX_PADDED ? paddedLength(n - 1) : MAX_PADDED;
}

/** Seals one message; `header` is the 40-byte plaintext header, `body` the B-byte body. */
export function sealV2(
  env: ProtocolEnv,
  mk: Uint8Array,
  headerKey: Uint8Array,
  header: Uint8Array,
  body: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const frame = Uint8Array.of(V2, WireType.ratchetMessage);
  const sealed = env.crypto.aesGcmSeal(mk, ZERO_NONCE, body, bodyAad(ad));
  const tag = sealed.subarray(sealed.length - TAG);
  const message = new Uint8Array(PREFIX + sealed.length);
  message.set(frame, 0);
  message.set(env.crypto.aesGcmSeal(headerKey, tag.subarray(0, 12), header, headerAad(tag)), 2);
  message.set(sealed, PREFIX);
  return message;
}

function bodyAad(ad: Uint8Array): Uint8Array {
  const aad = new Uint8Array(ad.length + 2);
  aad.set(ad, 0);
  aad[ad.length] = V2;
  aad[ad.length + 1] = WireType.ratchetMessage;
  return aad;
}

function headerAad(tag: Uint8Array): Uint8Array {
  const aad = new Uint8Array(2 + TAG);
  aad[0] = V2;
  aad[1] = WireType.ratchetMessage;
  aad.set(tag, 2);
  return aad;
}

export interface ParsedV2 {
  readonly encHeader: Uint8Array;
  readonly headerNonce: Uint8Array;
  readonly headerAad: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * Framing check before any decryption, in this order: length < 74 + 64 → `decode`;
 * version ≠ 2 → `unsupported-version`; type ≠ 0x03 or length − 74 not a bucket → `decode`.
 */
export function parseV2(message: Uint8Array): ParsedV2 {
  if (message.length < RATCHET_OVERHEAD_V2 + 64) throw new ProtocolError('decode', 'malformed ratchet message');
  if (message[0] !== V2) throw new ProtocolError('unsupported-version', 'unsupported message version');
  if (message[1] !== WireType.ratchetMessage || !isBucket(message.length - RATCHET_OVERHEAD_V2)) {
    throw new ProtocolError('decode', 'malformed ratchet message');
  }
  const body = message.subarray(PREFIX);
  const tag = body.subarray(body.length - TAG);
  return {
    encHeader: message.subarray(2, PREFIX),
    headerNonce: tag.subarray(0, 12),
    headerAad: headerAad(tag),
    body,
  };
}

/** Opens the body under mk; `decrypt-failed` if it does not authenticate. */
export function openBodyV2(env: ProtocolEnv, mk: Uint8Array, m: ParsedV2, ad: Uint8Array): Uint8Array {
  const plain = env.crypto.aesGcmOpen(mk, ZERO_NONCE, m.body, bodyAad(ad));
  if (plain === null) throw new ProtocolError('decrypt-failed', 'message authentication failed');
  return plain;
}

/** Splits an opened body into the plaintext and the KEM section; a length past the body is `decode`. */
export function splitBodyV2(body: Uint8Array): { readonly plaintext: Uint8Array; readonly section: Uint8Array } {
  const length = ((body[0] as number) << 8) | (body[1] as number);
  if (2 + length > body.length) throw new ProtocolError('decode', 'malformed message body');
  return { plaintext: body.subarray(2, 2 + length), section: body.subarray(2 + length) };
}

/** The version 2 header word holding N and, in bit 31, the KEM flag (§13.4). */
export function readCounterWord(h: Uint8Array): { readonly n: number; readonly mixed: boolean } {
  const word = readU32(h, 36);
  return { n: word & 0x7fffffff, mixed: word >>> 31 === 1 };
}
