/**
 * The frames a server sends on `/v1/ws` (docs/server.md "WebSocket"), validated at the client's
 * edge: JSON ones against the wire contract's shapes (@parley/protocol json-frames.ts — this
 * schema's input type is checked to equal `JsonServerFrame` at compile time), with byte fields
 * decoded; binary ones (sent, message, acked: "Binary frames") decoded with @parley/protocol's
 * codec into the same shapes, so the rest of the socket does not care how a frame came. One
 * tolerance beyond the contract: an error frame whose code the contract lacks (a newer server's)
 * still answers its request, as an error without a known code (server-errors.ts `socketError`).
 * Anything else — not JSON, an unknown type, a field of the wrong shape, bytes that do not
 * decode — is `null`: the caller counts it and moves on, never throws.
 */
import {
  decodeServerFrame,
  type JsonAnswerType,
  type JsonClientFrame,
  type JsonServerFrame,
  ProtocolError,
  WIRE_ERROR_STATUS,
  type WireErrorCode,
} from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';

const id = z.number().int();
const seq = z.number().int().min(1);
const codes = Object.keys(WIRE_ERROR_STATUS) as [WireErrorCode, ...WireErrorCode[]];

const ServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), api: z.number().int(), features: z.array(z.string()).max(100).readonly() }),
  z.object({ type: z.literal('challenge'), id, challenge: b64url(32) }),
  z.object({ type: z.literal('subscribed'), id, mailbox: b64url(16) }),
  z.object({
    type: z.literal('message'),
    mailbox: b64url(16),
    seq,
    envelope: b64url(),
    receivedAt: z.number().int().min(0),
  }),
  z.object({ type: z.literal('acked'), id, deleted: z.number().int().min(0) }),
  z.object({ type: z.literal('authorized'), id, mailbox: b64url(16) }),
  z.object({ type: z.literal('sent'), id, seq }),
  z.object({
    type: z.literal('error'),
    id: id.exactOptional(),
    error: z.object({ code: z.enum(codes), message: z.string() }),
  }),
]);

/** True when `A` and `B` are assignable to each other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Fails to compile when this schema and the contract disagree on what a server frame is. */
const schemaIsTheContract: Same<z.input<typeof ServerFrameSchema>, JsonServerFrame> = true;
void schemaIsTheContract;

/** An error frame of a newer server, with a code this contract does not have. */
const NewerErrorFrameSchema = z.object({
  type: z.literal('error'),
  id: id.exactOptional(),
  error: z.object({ code: z.string(), message: z.string() }),
});

/** A server frame, parsed: byte fields as bytes; an error frame's code may be outside the contract. */
export type ServerFrame = z.output<typeof ServerFrameSchema> | z.output<typeof NewerErrorFrameSchema>;
export type AnswerType = JsonAnswerType;
export type Answer<T extends AnswerType> = Extract<ServerFrame, { type: T }>;

/** A JSON frame a request sends, without its `id` (the connection numbers it). */
export type ClientFrameBody = JsonClientFrame extends infer F ? (F extends unknown ? Omit<F, 'id'> : never) : never;

/** `event.data` of a message: a string (text frame), or an ArrayBuffer or a view (binary frame). */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (data instanceof ArrayBuffer) return parseBinary(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return parseBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (typeof data !== 'string') return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = ServerFrameSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const newer = NewerErrorFrameSchema.safeParse(json);
  return newer.success ? newer.data : null;
}

function parseBinary(bytes: Uint8Array): ServerFrame | null {
  try {
    return decodeServerFrame(bytes);
  } catch (e) {
    if (ProtocolError.is(e, 'decode')) return null;
    throw e;
  }
}
