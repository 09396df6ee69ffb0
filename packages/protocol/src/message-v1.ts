/**
 * The version 1 ratchet message (docs/protocol-ratchet.md §6.2):
 *
 *   u8 version ‖ u8 type ‖ nonce (12) ‖ enc_header (40 + 16) ‖ body (padded + 16)
 *   header     = DHs.public (32) ‖ u32 PN ‖ u32 N                 (Double Ratchet §3.1 HEADER)
 *   enc_header = AES-256-GCM(HKs, nonce, header, aad = version ‖ type)   (§4.2 HENCRYPT)
 *   body       = AES-256-GCM(mk,  nonce, padded, aad = AD ‖ version ‖ type ‖ nonce ‖ enc_header)
 *
 * The nonce is random: a header key encrypts a whole chain, so its nonce must not repeat
 * (§4.2 HENCRYPT). The body key mk is used once, and reusing the header's random nonce with it is
 * safe under a different key (§3.1 ENCRYPT allows any nonce scheme for single-use keys); a random
 * rather than fixed nonce also keeps GCM safe if a state is ever rolled back and a key reused.
 */
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { isBucket } from './padding.ts';
import { WIRE_VERSION, WireType } from './wire.ts';

const NONCE = 12;
const ENC_HEADER = 40 + 16;
/** Bytes before the body. */
const PREFIX = 2 + NONCE + ENC_HEADER;
/** Fixed bytes of a version 1 ratchet message besides the padded body: 86. */
export const RATCHET_OVERHEAD = PREFIX + 16;

/** Seals one message; `header` is the 40-byte plaintext header, `padded` the padded plaintext. */
export function sealV1(
  env: ProtocolEnv,
  mk: Uint8Array,
  headerKey: Uint8Array,
  header: Uint8Array,
  padded: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const c = env.crypto;
  const nonce = (env.publicRandom ?? env.random)(NONCE);
  const message = new Uint8Array(PREFIX + padded.length + 16);
  message[0] = WIRE_VERSION;
  message[1] = WireType.ratchetMessage;
  message.set(nonce, 2);
  // enc_header = HENCRYPT(state.HKs, header)
  message.set(c.aesGcmSeal(headerKey, nonce, header, message.subarray(0, 2)), 2 + NONCE);
  // ENCRYPT(mk, plaintext, CONCAT(AD, enc_header))
  message.set(c.aesGcmSeal(mk, nonce, padded, bodyAad(ad, message)), PREFIX);
  return message;
}

function bodyAad(ad: Uint8Array, message: Uint8Array): Uint8Array {
  const aad = new Uint8Array(ad.length + PREFIX);
  aad.set(ad, 0);
  aad.set(message.subarray(0, PREFIX), ad.length);
  return aad;
}

/** Checks the fixed framing of a version 1 ratchet message; `decode` error if it cannot be one. */
export function checkRatchetMessage(message: Uint8Array): void {
  if (message.length < RATCHET_OVERHEAD) throw new ProtocolError('decode', 'malformed ratchet message');
  if (message[0] !== WIRE_VERSION) throw new ProtocolError('unsupported-version', 'unsupported message version');
  if (message[1] !== WireType.ratchetMessage || !isBucket(message.length - RATCHET_OVERHEAD)) {
    throw new ProtocolError('decode', 'malformed ratchet message');
  }
}

export interface ParsedV1 {
  readonly nonce: Uint8Array;
  readonly encHeader: Uint8Array;
  readonly headerAad: Uint8Array;
  readonly body: Uint8Array;
}

/** Checks the framing (§6.2) and splits a message into its parts. */
export function parseV1(message: Uint8Array): ParsedV1 {
  checkRatchetMessage(message);
  return {
    nonce: message.subarray(2, 2 + NONCE),
    encHeader: message.subarray(2 + NONCE, PREFIX),
    headerAad: message.subarray(0, 2),
    body: message.subarray(PREFIX),
  };
}

/** Opens the body under mk and returns the padded plaintext; `decrypt-failed` if it does not authenticate. */
export function openBodyV1(
  env: ProtocolEnv,
  mk: Uint8Array,
  m: ParsedV1,
  message: Uint8Array,
  ad: Uint8Array,
): Uint8Array {
  const padded = env.crypto.aesGcmOpen(mk, m.nonce, m.body, bodyAad(ad, message));
  if (padded === null) throw new ProtocolError('decrypt-failed', 'message authentication failed');
  return padded;
}
