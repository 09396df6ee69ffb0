/**
 * The sealed initial message (docs/protocol-ratchet.md §6.5): the initial message of §6.1 with
 * the initiator's identity and device id encrypted to the responder, so that no envelope the
 * server stores names its sender. Type 0x07, version byte = session version (§13.1):
 *
 *   u8 version ‖ u8 type (0x07) ‖ EK_A (32) ‖ u32 spkId ‖ u8 hasOpk [‖ u32 opkId] ‖ u32 kemId
 *   ‖ kemCiphertext (1088) ‖ sealed sender (148) ‖ ratchet message
 *   sealed sender = AES-256-GCM(K_seal, 0x00 × 12, identity_A (128) ‖ u32 device_A,
 *                               aad = every byte before it)
 *   K_seal = HKDF-SHA256(F ‖ DH(EK_A, IK_B) ‖ DH(EK_A, SPK_B) ‖ SS, salt 0x00 × 32,
 *                        "Parley_seal_CURVE25519_SHA-256_ML-KEM-768", 32)
 *
 * DH2, DH3 and SS are values PQXDH computes anyway (§5.2, §5.3), so the seal costs one HKDF and
 * one GCM on each side, and 16 bytes (the tag) on the wire. It is post-quantum (SS) and only the
 * holder of IK_B, SPK_B and the PQPK can open it. K_seal is the same for every repeat of one
 * header (same EK_A and CT), and so is the plaintext: the zero nonce gives the same ciphertext each
 * time, never two plaintexts under one (key, nonce).
 */
import { deviceId } from './address.ts';
import { concatBytes } from './bytes.ts';
import { Reader, Writer } from './codec.ts';
import { MLKEM768_CIPHERTEXT_BYTES } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { PUBLIC_IDENTITY_BYTES, readIdentity, writeIdentity } from './identity.ts';
import type { PqxdhHeader } from './pqxdh.ts';
import { readSessionFrame, type SessionVersion, WireType } from './wire.ts';

/** identity (128) ‖ u32 device, plus the GCM tag: 148 bytes. */
export const SEALED_SENDER_BYTES = PUBLIC_IDENTITY_BYTES + 4 + 16;

const SEAL_INFO = new TextEncoder().encode('Parley_seal_CURVE25519_SHA-256_ML-KEM-768');
const F = new Uint8Array(32).fill(0xff);
const ZERO_SALT = new Uint8Array(32);
const ZERO_NONCE = new Uint8Array(12);

/** The PQXDH fields a sealed initial message carries in clear, and its sealed sender. */
export interface SealedPqxdhHeader {
  readonly baseKey: Uint8Array;
  readonly signedPreKeyId: number;
  readonly oneTimePreKeyId: number | null;
  readonly kemPreKeyId: number;
  readonly kemCiphertext: Uint8Array;
  readonly sealedSender: Uint8Array;
}

export interface SealedInitialMessage {
  readonly version: SessionVersion;
  readonly sealed: true;
  readonly header: SealedPqxdhHeader;
  readonly ratchetMessage: Uint8Array;
}

/** K_seal from DH(EK_A, IK_B), DH(EK_A, SPK_B) and the KEM secret SS (§6.5). */
export function sealKey(env: ProtocolEnv, dh2: Uint8Array, dh3: Uint8Array, ss: Uint8Array): Uint8Array {
  return env.crypto.hkdfSha256(concatBytes(F, dh2, dh3, ss), ZERO_SALT, SEAL_INFO, 32);
}

type ClearFields = Omit<SealedPqxdhHeader, 'sealedSender'>;

function writeClear(w: Writer, version: SessionVersion, h: ClearFields): Writer {
  w.u8(version).u8(WireType.sealedInitialMessage).bytes(h.baseKey).u32(h.signedPreKeyId);
  if (h.oneTimePreKeyId === null) w.u8(0);
  else w.u8(1).u32(h.oneTimePreKeyId);
  return w.u32(h.kemPreKeyId).bytes(h.kemCiphertext);
}

function clearBytes(version: SessionVersion, h: ClearFields): Uint8Array {
  return writeClear(new Writer(1140), version, h).finish();
}

/** The initiator's side: seals its identity and device under K_seal, bound to the clear fields. */
export function sealSender(env: ProtocolEnv, version: SessionVersion, key: Uint8Array, h: PqxdhHeader): Uint8Array {
  const sender = new Writer(PUBLIC_IDENTITY_BYTES + 4);
  writeIdentity(sender, h.initiator);
  sender.u32(h.initiatorDevice);
  return env.crypto.aesGcmSeal(key, ZERO_NONCE, sender.finish(), clearBytes(version, h));
}

/**
 * The responder's side: opens the sealed sender and returns the whole PQXDH header. A sealed
 * sender that does not open under K_seal (another key, a changed clear field) is
 * `decrypt-failed`; one that opens to a malformed identity or device id is `decode`.
 */
export function openSender(
  env: ProtocolEnv,
  version: SessionVersion,
  key: Uint8Array,
  h: SealedPqxdhHeader,
): PqxdhHeader {
  const plain = env.crypto.aesGcmOpen(key, ZERO_NONCE, h.sealedSender, clearBytes(version, h));
  if (plain === null) throw new ProtocolError('decrypt-failed', 'sealed sender authentication failed');
  const r = new Reader(plain, 'sealed sender');
  const initiator = readIdentity(r);
  const device = deviceId(r.device());
  r.end();
  return {
    initiator,
    initiatorDevice: device,
    baseKey: h.baseKey,
    signedPreKeyId: h.signedPreKeyId,
    oneTimePreKeyId: h.oneTimePreKeyId,
    kemPreKeyId: h.kemPreKeyId,
    kemCiphertext: h.kemCiphertext,
  };
}

export function encodeSealedInitialMessage(m: SealedInitialMessage): Uint8Array {
  const w = writeClear(new Writer(1300 + m.ratchetMessage.length), m.version, m.header);
  return w.bytes(m.header.sealedSender).bytes(m.ratchetMessage).finish();
}

/** Parses a sealed initial message; the sealed sender is opened by `acceptInitialMessage`. */
export function decodeSealedInitialMessage(bytes: Uint8Array): SealedInitialMessage {
  const r = new Reader(bytes, 'initial message');
  const version = readSessionFrame(r, WireType.sealedInitialMessage, 'initial message');
  const baseKey = r.x25519Public();
  const signedPreKeyId = r.u32();
  const oneTimePreKeyId = r.bool() ? r.u32() : null;
  const kemPreKeyId = r.u32();
  const kemCiphertext = r.bytes(MLKEM768_CIPHERTEXT_BYTES);
  const sealedSender = r.bytes(SEALED_SENDER_BYTES);
  return {
    version,
    sealed: true,
    header: { baseKey, signedPreKeyId, oneTimePreKeyId, kemPreKeyId, kemCiphertext, sealedSender },
    ratchetMessage: r.rest(),
  };
}

/** The digest a session keeps of the sealed header it came from (§6.1, §6.5): clear fields and sealed sender. */
export function sealedHeaderBytes(version: SessionVersion, h: SealedPqxdhHeader): Uint8Array {
  return writeClear(new Writer(1300), version, h).bytes(h.sealedSender).finish();
}
