/**
 * What contacts say to each other inside the Double Ratchet (docs/client.md §3): UTF-8 JSON,
 * one object per message, validated by a schema before anything acts on it. Unknown types are
 * refused (`bad-message`), so a newer peer's feature cannot be half-understood.
 */
import { base64url } from '@parley/protocol';
import { z } from 'zod';
import { b64url } from '../codec/base64url.ts';
import { ClientError } from '../errors.ts';
import type { PeerMailbox } from './records.ts';

export const MAX_NAME = 100;
export const MAX_TEXT = 16_000;
export const MAX_INTRO = 2_000;

const bytes = (n: number) => b64url(n);

const Mailbox = z.strictObject({ server: z.string().min(1).max(512), id: bytes(16), senderKey: bytes(32) });
const Name = z.string().max(MAX_NAME);

const Payload = z.discriminatedUnion('t', [
  /** Invitee → inviter, in the initial message sent to the invitation's one-time mailbox. */
  z.strictObject({ t: z.literal('hello'), name: Name, mailbox: Mailbox }),
  /** Inviter → invitee: the per-contact mailbox that replaces the one-time one. */
  z.strictObject({ t: z.literal('welcome'), name: Name, mailbox: Mailbox }),
  /** Requester → address owner; `body` is the signed inner request (see RequestBody). */
  z.strictObject({ t: z.literal('request'), body: z.string().max(8000), signature: bytes(64) }),
  /** Address owner → requester, on the requester's mailbox. */
  z.strictObject({ t: z.literal('accept'), name: Name, mailbox: Mailbox }),
  z.strictObject({
    t: z.literal('text'),
    id: z.string().min(1).max(40),
    sentAt: z.number().int().min(0),
    body: z.string().max(MAX_TEXT),
  }),
  z.strictObject({ t: z.literal('receipt'), ids: z.array(z.string().min(1).max(40)).min(1).max(100) }),
  /** A new session (in an initial message) replacing a broken or lost one. */
  z.strictObject({ t: z.literal('reset') }),
]);

const RequestBody = z.strictObject({
  addressId: bytes(16),
  name: Name,
  message: z.string().max(MAX_INTRO),
  mailbox: Mailbox,
});

type Wire = z.input<typeof Payload>;
export type Payload = z.output<typeof Payload>;
export type RequestBody = z.output<typeof RequestBody>;

const mailboxWire = (m: PeerMailbox) => ({
  server: m.server,
  id: base64url(m.id),
  senderKey: base64url(m.senderPrivateKey),
});

export function mailboxOf(m: { server: string; id: Uint8Array; senderKey: Uint8Array }): PeerMailbox {
  return { server: m.server, id: m.id, senderPrivateKey: m.senderKey };
}

export type OutgoingPayload =
  | { t: 'hello' | 'welcome' | 'accept'; name: string; mailbox: PeerMailbox }
  | { t: 'request'; body: Uint8Array; signature: Uint8Array }
  | { t: 'text'; id: string; sentAt: number; body: string }
  | { t: 'receipt'; ids: string[] }
  | { t: 'reset' };

export function encodePayload(p: OutgoingPayload): Uint8Array {
  let wire: Wire;
  switch (p.t) {
    case 'hello':
    case 'welcome':
    case 'accept':
      wire = { t: p.t, name: p.name, mailbox: mailboxWire(p.mailbox) };
      break;
    case 'request':
      wire = { t: 'request', body: new TextDecoder().decode(p.body), signature: base64url(p.signature) };
      break;
    default:
      wire = p;
  }
  return new TextEncoder().encode(JSON.stringify(wire));
}

function parseJson<T>(schema: z.ZodType<T>, bytes: Uint8Array | string): T {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ClientError('bad-message', 'A contact sent a message this version of Parley cannot read.');
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new ClientError('bad-message', 'A contact sent a message this version of Parley cannot read.');
  return r.data;
}

export const decodePayload = (bytes: Uint8Array): Payload => parseJson(Payload, bytes);

export function encodeRequestBody(b: { addressId: Uint8Array; name: string; message: string; mailbox: PeerMailbox }) {
  return new TextEncoder().encode(
    JSON.stringify({
      addressId: base64url(b.addressId),
      name: b.name,
      message: b.message,
      mailbox: mailboxWire(b.mailbox),
    }),
  );
}

export const decodeRequestBody = (body: string): RequestBody => parseJson(RequestBody, body);
