/**
 * The frames a server sends on `/v1/ws` (docs/server.md "WebSocket"): JSON ones validated with
 * zod, binary ones (sent, message, acked: "Binary frames") decoded with @parley/protocol's codec
 * into the same shapes, so the rest of the socket does not care how a frame came. Anything else —
 * not JSON, an unknown type, a field of the wrong shape, bytes that do not decode — is `null`:
 * the caller counts it and moves on, never throws.
 */
import { decodeServerFrame, ProtocolError } from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';

const id = z.number().int();
const seq = z.number().int().min(1);

const ServerFrame = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), api: z.number().int(), features: z.array(z.string()).max(100) }),
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
  z.object({ type: z.literal('error'), id: id.optional(), error: z.object({ code: z.string() }) }),
]);

export type ServerFrame = z.output<typeof ServerFrame>;
/** The frames that answer a request (they repeat its id). */
export type AnswerType = 'challenge' | 'subscribed' | 'acked' | 'authorized' | 'sent';
export type Answer<T extends AnswerType> = Extract<ServerFrame, { type: T }>;

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
  const parsed = ServerFrame.safeParse(json);
  return parsed.success ? parsed.data : null;
}

function parseBinary(bytes: Uint8Array): ServerFrame | null {
  try {
    return decodeServerFrame(bytes);
  } catch (e) {
    if (ProtocolError.is(e, 'decode')) return null;
    throw e;
  }
}
