/**
 * Link frames (docs/protocol-devices.md §14.3): after the handshake, every message between the
 * existing device E and the new device N is one mailbox envelope holding one frame, sealed with the
 * key of its direction (K_E→N or K_N→E, link-handshake.ts):
 *
 *   header = u8 version (0x01) ‖ u8 type (0x0b) ‖ u8 kind ‖ u32 index
 *   frame  = header ‖ AES-256-GCM(K_dir, nonce = u32 0 ‖ u64 index, aad = header, plaintext)
 *
 * The index counts the frames of one direction from 0 and never repeats, so a (key, nonce) pair
 * is never used for two plaintexts; a sender that must send a frame again sends the very same
 * bytes. The receiver ({@link receiveLinkFrame}) keeps the next index it expects
 * ({@link LinkReceiveState}) and accepts only that one: a lower index is a replay or a redelivery (`duplicate-message`, drop it), a higher one
 * means an earlier frame is missing (`out-of-order`, keep it and retry once the gap is filled).
 * Plaintexts (JSON, defined by the client) are at most 48 KiB, so a frame fits a 64 KiB envelope;
 * a longer message is split by the caller over consecutive frames.
 */
import { Reader, Writer } from './codec.ts';
import { AES_GCM_TAG_BYTES } from './crypto/backend.ts';
import type { ProtocolEnv } from './env.ts';
import { ProtocolError } from './errors.ts';
import { readFrame, WIRE_VERSION, WireType } from './wire.ts';

export const LinkFrameKind = {
  /** N → E: the user confirmed the SAS on N (carries N's history choice). */
  confirm: 1,
  /** Either way: the link is abandoned (carries a reason). */
  abort: 2,
  /** E → N: what the new device needs (identity keys, certificate, contacts, …). */
  grant: 3,
  /** E → N: a piece of the history. */
  chunk: 4,
  /** E → N: the history is complete (totals). */
  end: 5,
  /** N → E: the highest contiguous chunk received. */
  ack: 6,
} as const;
export type LinkFrameKind = (typeof LinkFrameKind)[keyof typeof LinkFrameKind];

/** Which way each kind may travel: `toNew` is E → N, `toExisting` is N → E. */
export const LINK_FRAME_DIRECTIONS: Readonly<Record<LinkFrameKind, readonly ('toNew' | 'toExisting')[]>> = {
  [LinkFrameKind.confirm]: ['toExisting'],
  [LinkFrameKind.abort]: ['toNew', 'toExisting'],
  [LinkFrameKind.grant]: ['toNew'],
  [LinkFrameKind.chunk]: ['toNew'],
  [LinkFrameKind.end]: ['toNew'],
  [LinkFrameKind.ack]: ['toExisting'],
};

/** 48 KiB: a frame then stays under the server's 64 KiB envelope limit. */
export const MAX_LINK_FRAME_PLAINTEXT = 48 * 1024;
const HEADER_BYTES = 7;
const MAX_INDEX = 0xffffffff;

export interface LinkFrame {
  readonly kind: LinkFrameKind;
  readonly index: number;
  readonly plaintext: Uint8Array;
}

/** What a receiver keeps per direction: the index of the next frame it will accept. */
export interface LinkReceiveState {
  readonly next: number;
}

export const INITIAL_LINK_RECEIVE_STATE: LinkReceiveState = { next: 0 };

function isKind(k: number): k is LinkFrameKind {
  return k >= LinkFrameKind.confirm && k <= LinkFrameKind.ack;
}

function header(kind: number, index: number): Uint8Array {
  return new Writer(HEADER_BYTES).u8(WIRE_VERSION).u8(WireType.linkFrame).u8(kind).u32(index).finish();
}

function nonce(index: number): Uint8Array {
  return new Writer(12).u32(0).u53(index).finish();
}

/**
 * Seals one frame. The caller numbers the frames of its direction 0, 1, 2, … and never seals two
 * plaintexts under one index.
 *
 * @example
 * ```ts
 * const frame = sealLinkFrame(env, keys.toExisting, LinkFrameKind.confirm, 0, utf8('{"history":true}'));
 * ```
 */
export function sealLinkFrame(
  env: ProtocolEnv,
  key: Uint8Array,
  kind: LinkFrameKind,
  index: number,
  plaintext: Uint8Array,
): Uint8Array {
  if (key.length !== 32) throw new ProtocolError('usage', 'link key must be 32 bytes');
  if (!isKind(kind)) throw new ProtocolError('usage', 'unknown link frame kind');
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) throw new ProtocolError('usage', 'bad frame index');
  if (plaintext.length > MAX_LINK_FRAME_PLAINTEXT) throw new ProtocolError('usage', 'link frame too long');
  const aad = header(kind, index);
  const sealed = env.crypto.aesGcmSeal(key, nonce(index), plaintext, aad);
  return new Writer(HEADER_BYTES + sealed.length).bytes(aad).bytes(sealed).finish();
}

/**
 * Opens one frame: `decode` if it is not a link frame of a known kind, `decrypt-failed` under the
 * wrong key or with any byte changed. Does not check the index against what was already
 * received: {@link receiveLinkFrame} does.
 */
export function openLinkFrame(env: ProtocolEnv, key: Uint8Array, bytes: Uint8Array): LinkFrame {
  if (key.length !== 32) throw new ProtocolError('usage', 'link key must be 32 bytes');
  const r = new Reader(bytes, 'link frame');
  readFrame(r, WireType.linkFrame, 'link frame');
  const kind = r.u8();
  const index = r.u32();
  if (!isKind(kind)) throw new ProtocolError('decode', 'malformed link frame');
  if (r.remaining < AES_GCM_TAG_BYTES || r.remaining > MAX_LINK_FRAME_PLAINTEXT + AES_GCM_TAG_BYTES) r.fail();
  const sealed = r.rest();
  const plaintext = env.crypto.aesGcmOpen(key, nonce(index), sealed, bytes.subarray(0, HEADER_BYTES));
  if (plaintext === null) throw new ProtocolError('decrypt-failed', 'link frame does not open');
  return { kind, index, plaintext };
}

/** Which device is receiving: E (`existing`) opens frames from N, N (`new`) frames from E. */
export type LinkSide = 'existing' | 'new';

/**
 * Receives one frame at `side`: opens it with the key of the direction towards `side` (K_N→E at
 * E, K_E→N at N), refuses a kind that does not travel that way (`decode`), and checks the index
 * against the receiver's state: state in, state out (the given state is left as it was when
 * anything is refused). `duplicate-message` for an index already processed, `out-of-order` for
 * one past the next expected.
 *
 * @example
 * ```ts
 * let state = INITIAL_LINK_RECEIVE_STATE;
 * const got = receiveLinkFrame(env, keys, 'new', state, envelope);
 * state = got.state; // persist with the link's other state
 * ```
 */
export function receiveLinkFrame(
  env: ProtocolEnv,
  keys: { readonly toNew: Uint8Array; readonly toExisting: Uint8Array },
  side: LinkSide,
  state: LinkReceiveState,
  bytes: Uint8Array,
): { state: LinkReceiveState; frame: LinkFrame } {
  const direction = side === 'new' ? 'toNew' : 'toExisting';
  const frame = openLinkFrame(env, keys[direction], bytes);
  if (!LINK_FRAME_DIRECTIONS[frame.kind].includes(direction)) {
    throw new ProtocolError('decode', 'link frame kind not allowed in this direction');
  }
  if (frame.index < state.next) throw new ProtocolError('duplicate-message', 'link frame already received');
  if (frame.index > state.next) throw new ProtocolError('out-of-order', 'an earlier link frame is missing');
  return { state: { next: state.next + 1 }, frame };
}
