/**
 * The JSON frames a server sends on `/v1/ws` (docs/server.md "WebSocket"), validated with zod.
 * Anything else — not text, not JSON, an unknown type, a field of the wrong shape — is `null`:
 * the caller counts it and moves on, never throws.
 */
import { z } from 'zod';
import { b64url } from './base64url.ts';

const id = z.number().int();
const seq = z.number().int().min(1);

const ServerFrame = z.discriminatedUnion('type', [
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

export function parseServerFrame(data: unknown): ServerFrame | null {
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
