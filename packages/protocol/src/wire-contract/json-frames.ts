/**
 * The JSON text frames of the server's WebSocket (`/v1/ws`, docs/server.md "WebSocket"): their
 * shapes on the wire, with bytes as canonical base64url strings (base64url.ts). The hot-path
 * frames also have binary forms (../socket-frames.ts); everything else on the connection is JSON.
 *
 *                                                                 ← hello {"type","api","features"} first
 *   → {"type":"challenge","id"}                                   ← {"type":"challenge","id","challenge"}
 *   → {"type":"subscribe","id","mailbox","challenge","proof",    ← {"type":"subscribed","id","mailbox"}
 *      "push"?:"json"|"binary"}                                   ← {"type":"message","mailbox","seq","envelope","receivedAt"}…
 *   → {"type":"ack","id"?,"mailbox","seqs"}                       ← {"type":"acked","id","deleted"} (with an id)
 *   → {"type":"authorize","id","mailbox","challenge","proof"}    ← {"type":"authorized","id","mailbox"}
 *   → {"type":"send","id","mailbox","envelope","signature"?}      ← {"type":"sent","id","seq"} once stored
 *                                                                 ← {"type":"error","id"?,"error":{"code","message"}}
 *
 * Only shapes and constants live here: each side validates what it receives at its own edge
 * (both use zod schemas typed against these shapes), and builds what it sends with the helpers
 * below so that the bytes stay exactly these.
 *
 * Used by: packages/server (websocket/: parsing client frames, building server frames);
 * packages/client (net/: parsing server frames, building requests).
 *
 * @example
 * ```ts
 * JSON.stringify(SERVER_HELLO);   // '{"type":"hello","api":1,"features":["authorize","binary"]}'
 * JSON.stringify(errorFrame(7, 'not-found', 'no such mailbox'));
 * // '{"type":"error","id":7,"error":{"code":"not-found","message":"no such mailbox"}}'
 * ```
 */
import { type WireErrorCode, wireErrorBody } from './errors.ts';
import type { JsonSubscribeGroupFrame } from './groups.ts';

/** The WebSocket endpoint. */
export const SOCKET_PATH = '/v1/ws';

/** The API version a hello announces. */
export const SOCKET_API_VERSION = 1;

/** The optional frames this server understands: sending proofs (`authorize`) and binary frames. */
export const SOCKET_FEATURES = ['authorize', 'binary'] as const;
export type SocketFeature = (typeof SOCKET_FEATURES)[number];

/**
 * Bytes as canonical unpadded base64url (base64url.ts). An optional field may be absent or
 * `undefined` (which JSON.stringify drops).
 */
export type WireBytes = string;

// Client → server.

export interface JsonChallengeRequestFrame {
  readonly type: 'challenge';
  readonly id: number;
}

export interface JsonSubscribeFrame {
  readonly type: 'subscribe';
  readonly id: number;
  /** 16 bytes. */
  readonly mailbox: WireBytes;
  /** 32 bytes, from a `challenge` answer. */
  readonly challenge: WireBytes;
  /** 64 bytes: the recipient key's mailbox-access proof (protocol §3.6). */
  readonly proof: WireBytes;
  /** How this subscription's messages are pushed (default JSON). */
  readonly push?: 'json' | 'binary' | undefined;
}

export interface JsonAuthorizeFrame {
  readonly type: 'authorize';
  readonly id: number;
  readonly mailbox: WireBytes;
  readonly challenge: WireBytes;
  /** 64 bytes: the sender key's sending-right proof (protocol §3.6). */
  readonly proof: WireBytes;
}

export interface JsonSendFrame {
  readonly type: 'send';
  readonly id: number;
  readonly mailbox: WireBytes;
  /** 1 to MAX_ENVELOPE_BYTES bytes (limits.ts). */
  readonly envelope: WireBytes;
  /** 64 bytes; none on a connection that authorised the mailbox. */
  readonly signature?: WireBytes | undefined;
}

export interface JsonAckFrame {
  readonly type: 'ack';
  /** Without an id only a refusal is answered. */
  readonly id?: number | undefined;
  readonly mailbox: WireBytes;
  /** 1 to MAX_SEQS_PER_REQUEST seqs, each ≥ 1 (limits.ts). */
  readonly seqs: readonly number[];
}

export type JsonClientFrame =
  | JsonChallengeRequestFrame
  | JsonSubscribeFrame
  | JsonAuthorizeFrame
  | JsonSendFrame
  | JsonAckFrame
  /** A group's log (groups.ts): its own answer and push frames, outside {@link JsonServerFrame}. */
  | JsonSubscribeGroupFrame;

// Server → client.

export interface JsonHelloFrame {
  readonly type: 'hello';
  readonly api: number;
  readonly features: readonly string[];
}

export interface JsonChallengeFrame {
  readonly type: 'challenge';
  readonly id: number;
  readonly challenge: WireBytes;
}

export interface JsonSubscribedFrame {
  readonly type: 'subscribed';
  readonly id: number;
  readonly mailbox: WireBytes;
}

export interface JsonMessageFrame {
  readonly type: 'message';
  readonly mailbox: WireBytes;
  readonly seq: number;
  readonly envelope: WireBytes;
  /** Milliseconds since the epoch. */
  readonly receivedAt: number;
}

export interface JsonAckedFrame {
  readonly type: 'acked';
  readonly id: number;
  readonly deleted: number;
}

export interface JsonAuthorizedFrame {
  readonly type: 'authorized';
  readonly id: number;
  readonly mailbox: WireBytes;
}

export interface JsonSentFrame {
  readonly type: 'sent';
  readonly id: number;
  readonly seq: number;
}

export interface JsonErrorFrame {
  readonly type: 'error';
  /** The id of the request refused; none for a frame that did not parse or an internal error. */
  readonly id?: number;
  readonly error: { readonly code: WireErrorCode; readonly message: string };
}

export type JsonServerFrame =
  | JsonHelloFrame
  | JsonChallengeFrame
  | JsonSubscribedFrame
  | JsonMessageFrame
  | JsonAckedFrame
  | JsonAuthorizedFrame
  | JsonSentFrame
  | JsonErrorFrame;

/** The frames that answer a request (they repeat its id). */
export type JsonAnswerType = 'challenge' | 'subscribed' | 'acked' | 'authorized' | 'sent';

/** The first frame of every connection. */
export const SERVER_HELLO: JsonHelloFrame = { type: 'hello', api: SOCKET_API_VERSION, features: SOCKET_FEATURES };

/** An error frame, answering request `id` (or none). */
export function errorFrame(id: number | undefined, code: WireErrorCode, message: string): JsonErrorFrame {
  return { type: 'error', ...(id === undefined ? {} : { id }), ...wireErrorBody(code, message) };
}
