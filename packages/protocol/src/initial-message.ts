/**
 * The initial message (docs/protocol-ratchet.md §6.1): the PQXDH fields Bob needs to derive the shared
 * secret, followed by the first ratchet message. An initiator attaches the same PQXDH fields to
 * every message until it receives a reply, so Bob can start the session from whichever arrives
 * first (the same rule as Signal's PreKeySignalMessage).
 *
 *   u8 version ‖ u8 type (0x02) ‖ identity_A (128) ‖ u32 device_A ‖ EK_A (32)
 *   ‖ u32 spkId ‖ u8 hasOpk [‖ u32 opkId] ‖ u32 kemId ‖ kemCiphertext (1088) ‖ ratchet message
 */
import { deviceId } from './address.ts';
import { Reader, Writer } from './codec.ts';
import { MLKEM768_CIPHERTEXT_BYTES } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { readIdentity, writeIdentity } from './identity.ts';
import type { PqxdhHeader } from './pqxdh.ts';
import { decodeSealedInitialMessage, type SealedInitialMessage } from './sealed-initial-message.ts';
import { readSessionFrame, type SessionVersion, WireType } from './wire.ts';

/** The initial message of §6.1, with the initiator's identity and device in clear. */
export interface PlainInitialMessage {
  /** The session version (docs/protocol-v2.md §13.1); absent means 1. The embedded message has it too. */
  readonly version?: SessionVersion;
  readonly sealed?: false;
  readonly header: PqxdhHeader;
  /** The embedded ratchet message, with its own framing. */
  readonly ratchetMessage: Uint8Array;
}

/** Either form of initial message: plain (§6.1, type 0x02) or sealed (§6.5, type 0x07). */
export type InitialMessage = PlainInitialMessage | SealedInitialMessage;

/** Whether `bytes` is framed as an initial message of either form (type byte 0x02 or 0x07). */
export function isInitialMessageFrame(bytes: Uint8Array): boolean {
  return bytes.length > 1 && (bytes[1] === WireType.initialMessage || bytes[1] === WireType.sealedInitialMessage);
}

/** Parses an initial message of either form, by its type byte. */
export function decodeAnyInitialMessage(bytes: Uint8Array): InitialMessage {
  if (bytes.length > 1 && bytes[1] === WireType.sealedInitialMessage) return decodeSealedInitialMessage(bytes);
  return decodeInitialMessage(bytes);
}

export function writePqxdhHeader(w: Writer, h: PqxdhHeader): void {
  writeIdentity(w, h.initiator);
  w.u32(h.initiatorDevice).bytes(h.baseKey).u32(h.signedPreKeyId);
  if (h.oneTimePreKeyId === null) w.u8(0);
  else w.u8(1).u32(h.oneTimePreKeyId);
  w.u32(h.kemPreKeyId).bytes(h.kemCiphertext);
}

/** Bytes of a PQXDH header digest kept in session state (§8). */
export const HEADER_DIGEST_BYTES = 32;

/**
 * SHA-512 of the encoded PQXDH header, truncated to 32 bytes: what a session remembers of the
 * header it was created from, so a repeated initial message must carry exactly that header
 * (docs/protocol-identities.md §6.1, "every field is bound").
 */
export function pqxdhHeaderDigest(env: ProtocolEnv, h: PqxdhHeader): Uint8Array {
  const w = new Writer(1300);
  writePqxdhHeader(w, h);
  return headerDigestOf(env, w.finish());
}

/** SHA-512 of header bytes, truncated to 32 bytes (§6.1; for a sealed header, §6.5). */
export function headerDigestOf(env: ProtocolEnv, bytes: Uint8Array): Uint8Array {
  return env.crypto.sha512(bytes).slice(0, HEADER_DIGEST_BYTES);
}

export function readPqxdhHeader(r: Reader): PqxdhHeader {
  const initiator = readIdentity(r);
  const device = r.device();
  const baseKey = r.x25519Public();
  const signedPreKeyId = r.u32();
  const oneTimePreKeyId = r.bool() ? r.u32() : null;
  const kemPreKeyId = r.u32();
  const kemCiphertext = r.bytes(MLKEM768_CIPHERTEXT_BYTES);
  return {
    initiator,
    initiatorDevice: deviceId(device),
    baseKey,
    signedPreKeyId,
    oneTimePreKeyId,
    kemPreKeyId,
    kemCiphertext,
  };
}

export function encodeInitialMessage(m: PlainInitialMessage): Uint8Array {
  const w = new Writer(1300 + m.ratchetMessage.length).u8(m.version ?? 1).u8(WireType.initialMessage);
  writePqxdhHeader(w, m.header);
  return w.bytes(m.ratchetMessage).finish();
}

/** Parses an initial message; the embedded ratchet message is checked when it is decrypted. */
export function decodeInitialMessage(bytes: Uint8Array): PlainInitialMessage {
  const r = new Reader(bytes, 'initial message');
  const version = readSessionFrame(r, WireType.initialMessage, 'initial message');
  const header = readPqxdhHeader(r);
  return { version, header, ratchetMessage: r.rest() };
}
