/**
 * Known-answer vectors for the WebSocket's binary frames (src/socket-frames.ts, docs/server.md
 * "Binary frames"): socket-frames.json, written by generate.ts with the others. Each valid frame
 * is given as its fields and its bytes; each malformed one as bytes that a decoder must refuse.
 * No randomness: the fields are fixed below.
 */
import {
  encodeAckedFrame,
  encodeAckFrame,
  encodeMessageFrame,
  encodeSendFrame,
  encodeSentFrame,
  toHex,
} from '../../src/index.ts';

type Hex = string;

/** A frame's fields as JSON: byte strings in hex, absent ones null. */
export interface SocketFrameFields {
  readonly type: 'send' | 'ack' | 'sent' | 'message' | 'acked';
  readonly id?: number;
  readonly mailbox?: Hex;
  readonly signature?: Hex | null;
  readonly envelope?: Hex;
  readonly seqs?: number[];
  readonly seq?: number;
  readonly receivedAt?: number;
  readonly deleted?: number;
}

export interface SocketFramesVector {
  readonly description: string;
  /** `client`: decoded by the server (decodeClientFrame); `server`: by a client (decodeServerFrame). */
  readonly frames: readonly {
    readonly name: string;
    readonly from: 'client' | 'server';
    readonly fields: SocketFrameFields;
    readonly hex: Hex;
  }[];
  readonly malformed: readonly { readonly name: string; readonly from: 'client' | 'server'; readonly hex: Hex }[];
}

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const mailbox = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const signature = Uint8Array.from({ length: 64 }, (_, i) => i);
const envelope = new TextEncoder().encode('parley envelope');
const hex = (b: Uint8Array) => toHex(b);
const u64 = (v: bigint) => v.toString(16).padStart(16, '0');

export function buildSocketFramesVector(): SocketFramesVector {
  const m = hex(mailbox);
  const e = hex(envelope);
  const frames: SocketFramesVector['frames'] = [
    {
      name: 'unsigned send (authorised mailbox)',
      from: 'client',
      fields: { type: 'send', id: 7, mailbox: m, signature: null, envelope: e },
      hex: hex(encodeSendFrame({ id: 7, mailbox, signature: undefined, envelope })),
    },
    {
      name: 'signed send, largest id',
      from: 'client',
      fields: { type: 'send', id: 0xffffffff, mailbox: m, signature: hex(signature), envelope: '00' },
      hex: hex(encodeSendFrame({ id: 0xffffffff, mailbox, signature, envelope: new Uint8Array(1) })),
    },
    {
      name: 'ack without answer (id 0), seqs 1, 2^32 and 2^53 − 1',
      from: 'client',
      fields: { type: 'ack', id: 0, mailbox: m, seqs: [1, 2 ** 32, MAX_SEQ] },
      hex: hex(encodeAckFrame({ id: 0, mailbox, seqs: [1, 2 ** 32, MAX_SEQ] })),
    },
    {
      name: 'ack with id',
      from: 'client',
      fields: { type: 'ack', id: 9, mailbox: m, seqs: [42] },
      hex: hex(encodeAckFrame({ id: 9, mailbox, seqs: [42] })),
    },
    {
      name: 'sent',
      from: 'server',
      fields: { type: 'sent', id: 7, seq: 300 },
      hex: hex(encodeSentFrame(7, 300)),
    },
    {
      name: 'message',
      from: 'server',
      fields: { type: 'message', mailbox: m, seq: 300, receivedAt: 1_767_225_600_000, envelope: e },
      hex: hex(encodeMessageFrame({ mailbox, seq: 300, receivedAt: 1_767_225_600_000, envelope })),
    },
    {
      name: 'acked',
      from: 'server',
      fields: { type: 'acked', id: 9, deleted: 1 },
      hex: hex(encodeAckedFrame(9, 1)),
    },
  ];
  const ackHead = (n: number) => `02${'00000009'}${m}${n.toString(16).padStart(4, '0')}`;
  const malformed: SocketFramesVector['malformed'] = [
    { name: 'empty', from: 'client', hex: '' },
    { name: 'unknown type byte', from: 'client', hex: `03${'00000001'}${m}00${e}` },
    { name: 'a server frame sent by a client', from: 'client', hex: hex(encodeSentFrame(7, 300)) },
    { name: 'send: flag bit 1 set', from: 'client', hex: `01${'00000007'}${m}02${e}` },
    {
      name: 'send: signed, signature cut short',
      from: 'client',
      hex: `01${'00000007'}${m}01${hex(signature).slice(0, 100)}`,
    },
    { name: 'send: empty envelope', from: 'client', hex: `01${'00000007'}${m}00` },
    { name: 'send: signed, empty envelope', from: 'client', hex: `01${'00000007'}${m}01${hex(signature)}` },
    { name: 'send: mailbox cut short', from: 'client', hex: `01${'00000007'}${m.slice(0, 30)}` },
    { name: 'ack: n = 0', from: 'client', hex: ackHead(0) },
    { name: 'ack: n = 1001', from: 'client', hex: ackHead(1001) + u64(1n).repeat(1001) },
    { name: 'ack: fewer seqs than n', from: 'client', hex: ackHead(2) + u64(1n) },
    { name: 'ack: trailing byte', from: 'client', hex: `${ackHead(1) + u64(1n)}00` },
    { name: 'ack: seq 0', from: 'client', hex: ackHead(1) + u64(0n) },
    { name: 'ack: seq 2^53', from: 'client', hex: ackHead(1) + u64(2n ** 53n) },
    { name: 'ack: seq 2^64 − 1', from: 'client', hex: ackHead(1) + u64(2n ** 64n - 1n) },
    { name: 'empty', from: 'server', hex: '' },
    {
      name: 'a client frame sent by the server',
      from: 'server',
      hex: hex(encodeAckedFrame(9, 1)).replace(/^83/, '02'),
    },
    { name: 'sent: trailing byte', from: 'server', hex: `81${'00000007'}${u64(300n)}00` },
    { name: 'sent: seq 0', from: 'server', hex: `81${'00000007'}${u64(0n)}` },
    { name: 'sent: seq 2^53', from: 'server', hex: `81${'00000007'}${u64(2n ** 53n)}` },
    { name: 'message: empty envelope', from: 'server', hex: `82${m}${u64(300n)}${u64(1n)}` },
    { name: 'message: receivedAt 2^53', from: 'server', hex: `82${m}${u64(300n)}${u64(2n ** 53n)}${e}` },
    { name: 'acked: cut short', from: 'server', hex: `83${'00000009'}000000` },
  ];
  return {
    description:
      'Binary WebSocket frames (docs/server.md "Binary frames"; src/socket-frames.ts). Integers are big-endian; ' +
      'u64 values are at most 2^53 − 1. "frames": each decodes (from a client: decodeClientFrame, from the ' +
      'server: decodeServerFrame) to "fields" (bytes in hex, an absent signature null) and re-encodes to "hex". ' +
      '"malformed": each must be refused with a decode error, never crash or partially succeed.',
    frames,
    malformed,
  };
}
