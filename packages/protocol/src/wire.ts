/**
 * Framing shared by every Parley protocol object (docs/protocol.md §2): each encoding starts with
 * a version byte and a type byte, so a decoder can reject a foreign or future object at once.
 */
import type { Reader } from './codec.ts';
import { ProtocolError } from './errors.ts';

export const WIRE_VERSION = 1;

/**
 * Session versions (docs/protocol-v2.md §13.1): 1 is the Double Ratchet of §6–§8; 2 adds the KEM
 * ratchet. Bundles, initial messages, ratchet messages and session states carry one of them in
 * their version byte; every other object stays at version 1.
 */
export type SessionVersion = 1 | 2;
/** The version new sessions use when the peer's bundle advertises it (§13.1). */
export const LATEST_SESSION_VERSION: SessionVersion = 2;

export const WireType = {
  bundle: 0x01,
  initialMessage: 0x02,
  ratchetMessage: 0x03,
  sessionState: 0x04,
  safetyNumberQr: 0x05,
  deviceCertificate: 0x06,
  /** docs/protocol-ratchet.md §6.5: an initial message whose sender is sealed to the responder. */
  sealedInitialMessage: 0x07,
  /** docs/protocol-devices.md §14.1: an account's signed, versioned list of devices. */
  deviceList: 0x08,
  /** §14.2: the new device's first handshake message (N → E). */
  linkRequest: 0x09,
  /** §14.2: the existing device's answer, opening its commitment (E → N). */
  linkReply: 0x0a,
  /** §14.3: an encrypted frame after the handshake, either way. */
  linkFrame: 0x0b,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** Reads and checks the two framing bytes. */
export function readFrame(r: Reader, type: WireType, what: string): void {
  const version = r.u8();
  if (version !== WIRE_VERSION) throw new ProtocolError('unsupported-version', `unsupported ${what} version`);
  if (r.u8() !== type) throw new ProtocolError('decode', `not a ${what}`);
}

/** Reads the two framing bytes of an object that exists in both session versions. */
export function readSessionFrame(r: Reader, type: WireType, what: string): SessionVersion {
  const version = r.u8();
  if (version !== 1 && version !== 2) throw new ProtocolError('unsupported-version', `unsupported ${what} version`);
  if (r.u8() !== type) throw new ProtocolError('decode', `not a ${what}`);
  return version;
}
