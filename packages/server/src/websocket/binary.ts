/**
 * The WebSocket's binary frames on the server side (docs/server.md "Binary frames"; the codec is
 * @parley/protocol's socket-frames.ts): requests parsed from what `ws` hands over, answers and
 * pushes encoded straight into one Buffer of their exact size each (the envelope is copied once,
 * into the frame), and the hello that tells a client which frames this server understands.
 */
import {
  type ClientSocketFrame,
  decodeClientFrame,
  encodeAckedFrame,
  encodeMessageFrame,
  encodeSentFrame,
  ProtocolError,
  SERVER_HELLO,
} from '@parley/protocol';
import type { MailboxMessage } from '../storage/index.ts';

/** The first frame of every connection: the API version and the optional frames it serves. */
export const HELLO = JSON.stringify(SERVER_HELLO);

const alloc = (n: number) => Buffer.allocUnsafe(n);

/** A binary frame as a socket library hands it over: bytes, or fragments of them (ws's RawData). */
export type BinaryData = Uint8Array | ArrayBuffer | Uint8Array[];

/** A binary request, or null if it does not parse (a malformed frame, like bad JSON). */
export function parseBinaryFrame(data: BinaryData): ClientSocketFrame | null {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  try {
    return decodeClientFrame(bytes);
  } catch (e) {
    if (ProtocolError.is(e, 'decode')) return null;
    throw e;
  }
}

export function binarySent(id: number, seq: number): Buffer {
  return encodeSentFrame(id, seq, alloc) as Buffer;
}

export function binaryAcked(id: number, deleted: number): Buffer {
  return encodeAckedFrame(id, deleted, alloc) as Buffer;
}

export function binaryPush(mailbox: Uint8Array, m: MailboxMessage): Buffer {
  return encodeMessageFrame({ mailbox, seq: m.seq, receivedAt: m.receivedAt, envelope: m.envelope }, alloc) as Buffer;
}
