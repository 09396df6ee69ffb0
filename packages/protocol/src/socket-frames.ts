/**
 * The binary frames of the server's WebSocket (`/v1/ws`, docs/server.md "WebSocket", "Binary
 * frames"): the hot path — sends, their answers, pushes and acknowledgements — without JSON or
 * base64. Every other frame on the connection is JSON. All integers are big-endian; a u64 is
 * read only up to 2^53 − 1 (Number.MAX_SAFE_INTEGER), anything above is malformed.
 *
 *   client → server  send    0x01 ‖ u32 id ‖ mailbox (16) ‖ u8 flags ‖ signature (64, iff flags bit 0) ‖ envelope (≥ 1)
 *                    ack     0x02 ‖ u32 id ‖ mailbox (16) ‖ u16 n (1..1000) ‖ n × u64 seq (≥ 1)
 *   server → client  sent    0x81 ‖ u32 id ‖ u64 seq (≥ 1)
 *                    message 0x82 ‖ mailbox (16) ‖ u64 seq (≥ 1) ‖ u64 receivedAt ‖ envelope (≥ 1)
 *                    acked   0x83 ‖ u32 id ‖ u32 deleted
 *
 * Decoding copies what it returns (never aliasing the input) and fails only with a `decode`
 * {@link ProtocolError}: an unknown type byte, a wrong length, a flag bit other than bit 0, a
 * count or a seq out of range, trailing bytes. Encoding allocates the frame once, at its exact
 * size (`alloc` lets a Node caller pass `Buffer.allocUnsafe`), and fails with `usage` on
 * arguments out of range.
 *
 * @example
 * ```ts
 * const bytes = encodeSendFrame({ id: 7, mailbox, envelope });       // unsigned (authorised mailbox)
 * const frame = decodeClientFrame(bytes); // { type: 'send', id: 7, mailbox, signature: undefined, envelope }
 * decodeServerFrame(encodeSentFrame(7, 42)); // { type: 'sent', id: 7, seq: 42 }
 * ```
 */
import { Reader, writeU32, writeU53 } from './codec.ts';
import { ED25519_SIGNATURE_BYTES } from './crypto/backend.ts';
import { ProtocolError } from './errors.ts';
import { MAILBOX_ID_BYTES } from './mailbox-proof.ts';
import { MAX_SEQS_PER_REQUEST } from './wire-contract/limits.ts';

export const SocketFrameType = {
  send: 0x01,
  ack: 0x02,
  sent: 0x81,
  message: 0x82,
  acked: 0x83,
} as const;

/** Bytes of a mailbox id and of a delivery signature in a frame. */
const MAILBOX = MAILBOX_ID_BYTES;
const SIGNATURE = ED25519_SIGNATURE_BYTES;
/** flags bit 0: a signature follows. */
const SIGNED = 0x01;
/** The most seqs one ack frame carries (as the JSON `ack`: wire-contract/limits.ts). */
export const MAX_ACK_SEQS = MAX_SEQS_PER_REQUEST;

export interface SendFrame {
  readonly type: 'send';
  readonly id: number;
  readonly mailbox: Uint8Array;
  /** The delivery signature (64 bytes), or none on a connection that authorised the mailbox. */
  readonly signature: Uint8Array | undefined;
  readonly envelope: Uint8Array;
}

export interface AckFrame {
  readonly type: 'ack';
  /** 0: no answer unless the ack is refused. */
  readonly id: number;
  readonly mailbox: Uint8Array;
  readonly seqs: readonly number[];
}

export interface SentFrame {
  readonly type: 'sent';
  readonly id: number;
  readonly seq: number;
}

export interface MessageFrame {
  readonly type: 'message';
  readonly mailbox: Uint8Array;
  readonly seq: number;
  readonly receivedAt: number;
  readonly envelope: Uint8Array;
}

export interface AckedFrame {
  readonly type: 'acked';
  readonly id: number;
  readonly deleted: number;
}

export type ClientSocketFrame = SendFrame | AckFrame;
export type ServerSocketFrame = SentFrame | MessageFrame | AckedFrame;

/** Allocates a frame's bytes (default `new Uint8Array`; every byte is written). */
export type Alloc = (size: number) => Uint8Array;
const newBytes: Alloc = (n) => new Uint8Array(n);

// --- encoding ---

export function encodeSendFrame(f: Omit<SendFrame, 'type'>, alloc: Alloc = newBytes): Uint8Array {
  need(f.mailbox.length === MAILBOX, 'a mailbox id is 16 bytes');
  need(f.signature === undefined || f.signature.length === SIGNATURE, 'a signature is 64 bytes');
  need(f.envelope.length >= 1, 'an envelope is not empty');
  const sig = f.signature === undefined ? 0 : SIGNATURE;
  const out = alloc(1 + 4 + MAILBOX + 1 + sig + f.envelope.length);
  out[0] = SocketFrameType.send;
  writeU32(out, 1, u32(f.id));
  out.set(f.mailbox, 5);
  out[21] = sig === 0 ? 0 : SIGNED;
  if (f.signature !== undefined) out.set(f.signature, 22);
  out.set(f.envelope, 22 + sig);
  return out;
}

export function encodeAckFrame(f: Omit<AckFrame, 'type'>, alloc: Alloc = newBytes): Uint8Array {
  need(f.mailbox.length === MAILBOX, 'a mailbox id is 16 bytes');
  need(f.seqs.length >= 1 && f.seqs.length <= MAX_ACK_SEQS, 'an ack carries 1 to 1000 seqs');
  const out = alloc(1 + 4 + MAILBOX + 2 + 8 * f.seqs.length);
  out[0] = SocketFrameType.ack;
  writeU32(out, 1, u32(f.id));
  out.set(f.mailbox, 5);
  out[21] = f.seqs.length >>> 8;
  out[22] = f.seqs.length & 0xff;
  for (let i = 0; i < f.seqs.length; i++) writeU53(out, 23 + 8 * i, seq(f.seqs[i] as number));
  return out;
}

export function encodeSentFrame(id: number, seqNo: number, alloc: Alloc = newBytes): Uint8Array {
  const out = alloc(13);
  out[0] = SocketFrameType.sent;
  writeU32(out, 1, u32(id));
  writeU53(out, 5, seq(seqNo));
  return out;
}

export function encodeMessageFrame(f: Omit<MessageFrame, 'type'>, alloc: Alloc = newBytes): Uint8Array {
  need(f.mailbox.length === MAILBOX, 'a mailbox id is 16 bytes');
  need(f.envelope.length >= 1, 'an envelope is not empty');
  need(Number.isSafeInteger(f.receivedAt) && f.receivedAt >= 0, 'receivedAt out of range');
  const out = alloc(1 + MAILBOX + 8 + 8 + f.envelope.length);
  out[0] = SocketFrameType.message;
  out.set(f.mailbox, 1);
  writeU53(out, 17, seq(f.seq));
  writeU53(out, 25, f.receivedAt);
  out.set(f.envelope, 33);
  return out;
}

export function encodeAckedFrame(id: number, deleted: number, alloc: Alloc = newBytes): Uint8Array {
  const out = alloc(9);
  out[0] = SocketFrameType.acked;
  writeU32(out, 1, u32(id));
  writeU32(out, 5, u32(deleted));
  return out;
}

// --- decoding ---

/** A frame a client sent (what the server reads). */
export function decodeClientFrame(bytes: Uint8Array): ClientSocketFrame {
  const r = new Reader(bytes, 'socket frame');
  const type = r.u8();
  if (type === SocketFrameType.send) {
    const id = r.u32();
    const mailbox = r.bytes(MAILBOX);
    const flags = r.u8();
    if ((flags & ~SIGNED) !== 0) r.fail();
    const signature = flags & SIGNED ? r.bytes(SIGNATURE) : undefined;
    if (r.remaining < 1) r.fail();
    return { type: 'send', id, mailbox, signature, envelope: r.rest() };
  }
  if (type === SocketFrameType.ack) {
    const id = r.u32();
    const mailbox = r.bytes(MAILBOX);
    const n = r.u16();
    if (n < 1 || n > MAX_ACK_SEQS || r.remaining !== 8 * n) r.fail();
    const seqs = new Array<number>(n);
    for (let i = 0; i < n; i++) seqs[i] = readSeq(r);
    return { type: 'ack', id, mailbox, seqs };
  }
  return r.fail();
}

/** A frame the server sent (what a client reads). */
export function decodeServerFrame(bytes: Uint8Array): ServerSocketFrame {
  const r = new Reader(bytes, 'socket frame');
  const type = r.u8();
  let frame: ServerSocketFrame;
  if (type === SocketFrameType.sent) frame = { type: 'sent', id: r.u32(), seq: readSeq(r) };
  else if (type === SocketFrameType.acked) frame = { type: 'acked', id: r.u32(), deleted: r.u32() };
  else if (type === SocketFrameType.message) {
    const mailbox = r.bytes(MAILBOX);
    const seqNo = readSeq(r);
    const receivedAt = r.u53();
    if (r.remaining < 1) r.fail();
    return { type: 'message', mailbox, seq: seqNo, receivedAt, envelope: r.rest() };
  } else return r.fail();
  r.end();
  return frame;
}

// --- helpers ---

function readSeq(r: Reader): number {
  const v = r.u53();
  if (v === 0) r.fail();
  return v;
}

function u32(v: number): number {
  need(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'u32 out of range');
  return v;
}

function seq(v: number): number {
  need(Number.isSafeInteger(v) && v >= 1, 'a seq is 1 to 2^53 − 1');
  return v;
}

function need(ok: boolean, message: string): void {
  if (!ok) throw new ProtocolError('usage', message);
}
