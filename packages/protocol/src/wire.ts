/**
 * Framing shared by every Parley protocol object (docs/protocol.md §2): each encoding starts with
 * a version byte and a type byte, so a decoder can reject a foreign or future object at once.
 */
import type { Reader } from './codec.ts';
import { ProtocolError } from './errors.ts';

export const WIRE_VERSION = 1;

export const WireType = {
  bundle: 0x01,
  initialMessage: 0x02,
  ratchetMessage: 0x03,
  sessionState: 0x04,
  safetyNumberQr: 0x05,
  deviceCertificate: 0x06,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** Reads and checks the two framing bytes. */
export function readFrame(r: Reader, type: WireType, what: string): void {
  const version = r.u8();
  if (version !== WIRE_VERSION) throw new ProtocolError('unsupported-version', `unsupported ${what} version`);
  if (r.u8() !== type) throw new ProtocolError('decode', `not a ${what}`);
}
