/**
 * Link frames (docs/protocol-devices.md §14.2 step 5): what the two devices send each other over
 * the link mailboxes once the handshake gave them K_E→N and K_N→E.
 *
 *   frame = u8 version ‖ u8 type (0x09) ‖ u8 kind ‖ u32 index
 *           ‖ AES-256-GCM(K_dir, nonce = u32 0 ‖ u64 index, aad = the 7 bytes before)
 */
import { Reader, Writer } from './codec.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { WIRE_VERSION } from './wire.ts';

export const LINK_FRAME_TYPE = 0x09;
export const LinkFrameKind = { confirm: 1, abort: 2, grant: 3, chunk: 4, end: 5, ack: 6 } as const;
export type LinkFrameKind = (typeof LinkFrameKind)[keyof typeof LinkFrameKind];
const KINDS = new Set<number>(Object.values(LinkFrameKind));

const nonceOf = (index: number) => new Writer(12).u32(0).u53(index).finish();

export function sealLinkFrame(
  env: ProtocolEnv,
  key: Uint8Array,
  kind: LinkFrameKind,
  index: number,
  plaintext: Uint8Array,
): Uint8Array {
  const head = new Writer(7).u8(WIRE_VERSION).u8(LINK_FRAME_TYPE).u8(kind).u32(index).finish();
  const sealed = env.crypto.aesGcmSeal(key, nonceOf(index), plaintext, head);
  return new Writer(7 + sealed.length).bytes(head).bytes(sealed).finish();
}

/** Opens a frame (`decode` if malformed, `decrypt-failed` if it does not authenticate). */
export function openLinkFrame(
  env: ProtocolEnv,
  key: Uint8Array,
  bytes: Uint8Array,
): { kind: LinkFrameKind; index: number; plaintext: Uint8Array } {
  const r = new Reader(bytes, 'link frame');
  if (r.u8() !== WIRE_VERSION || r.u8() !== LINK_FRAME_TYPE) throw new ProtocolError('decode', 'not a link frame');
  const kind = r.u8();
  if (!KINDS.has(kind)) throw new ProtocolError('decode', 'unknown link frame kind');
  const index = r.u32();
  const plaintext = env.crypto.aesGcmOpen(key, nonceOf(index), bytes.subarray(7), bytes.subarray(0, 7));
  if (plaintext === null) throw new ProtocolError('decrypt-failed', 'link frame does not authenticate');
  return { kind: kind as LinkFrameKind, index, plaintext };
}
