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
const IDENTITY_BYTES = 128;
/** A device list of 32 devices is under 3,700 bytes; its base64url well under this. */
const MAX_DEVICE_LIST_B64 = 6_000;
/** A Welcome carries the ratchet tree: about 300 bytes a member; this bounds groups near 1,500. */
const MAX_WELCOME_B64 = 600_000;

const bytes = (n: number) => b64url(n);

const Mailbox = z.strictObject({ server: z.string().min(1).max(512), id: bytes(16), senderKey: bytes(32) });
const Name = z.string().max(MAX_NAME);

const Payload = z.discriminatedUnion('t', [
  /** Invitee → inviter, in the initial message sent to the invitation's one-time mailbox. */
  z.strictObject({
    t: z.literal('hello'),
    name: Name,
    mailbox: Mailbox,
    /** From a device of an account with a signed list: which device starts it (engine/device-proof.ts). */
    proof: bytes(64).optional(),
  }),
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
  /** The contact read these texts of ours (their `text` ids); sent only if they allow read receipts. */
  z.strictObject({ t: z.literal('read-receipt'), ids: z.array(z.string().min(1).max(40)).min(1).max(100) }),
  /** Ephemeral: the contact is typing (or stopped). Never stored, never resent (docs/client.md §4.3). */
  z.strictObject({ t: z.literal('typing'), active: z.boolean() }),
  /** A new session (in an initial message) replacing a broken or lost one. */
  z.strictObject({ t: z.literal('reset'), proof: bytes(64).optional() }),
  /**
   * The sender's new signed device list (protocol §14.1), to every device of every contact and
   * of our own: the receiver checks it against the sender's identity and refuses a rollback.
   */
  z.strictObject({ t: z.literal('devices'), list: z.string().max(MAX_DEVICE_LIST_B64).pipe(b64url()) }),
  // ─── own-device sync: accepted only from the self contact (docs/client.md §4.9) ───
  /** A text we sent from another device, to the person whose identity is `contact`. */
  z.strictObject({
    t: z.literal('sent'),
    contact: bytes(IDENTITY_BYTES),
    id: z.string().min(1).max(40),
    sentAt: z.number().int().min(0),
    body: z.string().max(MAX_TEXT),
  }),
  /** A contact as another device of ours has it now (added, renamed, verified, identity accepted). */
  z.strictObject({
    t: z.literal('contact'),
    identity: bytes(IDENTITY_BYTES),
    name: Name,
    aliasSet: z.boolean(),
    verification: z.enum(['unverified', 'verified']),
    keySource: z.enum(['invitation', 'address']),
    /** Set when the contact was just added there (else it updates a contact we have). */
    added: z.literal(true).optional(),
    /** The contact's devices and the mailbox each gave the sending device (intro mailboxes). */
    devices: z.array(z.strictObject({ device: z.number().int().min(0).max(0xffffffff), mailbox: Mailbox })).max(32),
  }),
  /** Incoming messages read (taken from the inbox) on another device: their record ids. */
  z.strictObject({ t: z.literal('read'), ids: z.array(z.string().min(1).max(44)).min(1).max(100) }),
  /**
   * Another device of ours, `device`, and the mailbox it gave the sender: introduce yourself
   * there (docs/client.md §4.9, devices linked back to back).
   */
  z.strictObject({ t: z.literal('introduce'), device: z.number().int().min(0).max(0xffffffff), mailbox: Mailbox }),
  /** Settings changed on another device of ours: the ones named (at least one) take these values. */
  z
    .strictObject({
      t: z.literal('settings'),
      sendReadReceipts: z.boolean().optional(),
      sendTyping: z.boolean().optional(),
    })
    .refine((p) => p.sendReadReceipts !== undefined || p.sendTyping !== undefined),
  /** The names of our devices. */
  z.strictObject({
    t: z.literal('device-names'),
    names: z.array(z.strictObject({ device: z.number().int().min(0).max(0xffffffff), name: Name })).max(32),
  }),
  /**
   * You were added to a group (docs/client.md §4.12): its MLS Welcome (RFC 9420 §12.4.3.1) and
   * its name and description, from the member that added this device.
   */
  z.strictObject({
    t: z.literal('group-welcome'),
    group: bytes(16),
    /** The server that keeps the group's log. */
    server: z.string().min(1).max(512),
    welcome: z.string().max(MAX_WELCOME_B64).pipe(b64url()),
    name: z.string().min(1).max(MAX_NAME),
    description: z.string().max(1_000),
    /** The account ids allowed to add and remove members (docs/client.md §4.12 "Admins"). */
    admins: z.array(z.string().min(1).max(64)).min(1).max(32),
  }),
]);

/** Sync payload types: accepted only from our own devices. */
export const SYNC_TYPES: ReadonlySet<string> = new Set([
  'sent',
  'contact',
  'read',
  'device-names',
  'introduce',
  'settings',
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
  | { t: 'hello'; name: string; mailbox: PeerMailbox; proof?: Uint8Array }
  | { t: 'welcome' | 'accept'; name: string; mailbox: PeerMailbox }
  | { t: 'request'; body: Uint8Array; signature: Uint8Array }
  | { t: 'text'; id: string; sentAt: number; body: string }
  | { t: 'receipt' | 'read-receipt'; ids: string[] }
  | { t: 'typing'; active: boolean }
  | { t: 'reset'; proof?: Uint8Array }
  | { t: 'devices'; list: Uint8Array }
  | { t: 'sent'; contact: Uint8Array; id: string; sentAt: number; body: string }
  | {
      t: 'contact';
      identity: Uint8Array;
      name: string;
      aliasSet: boolean;
      verification: 'unverified' | 'verified';
      keySource: 'invitation' | 'address';
      added?: true;
      devices: { device: number; mailbox: PeerMailbox }[];
    }
  | { t: 'read'; ids: string[] }
  | { t: 'introduce'; device: number; mailbox: PeerMailbox }
  | { t: 'settings'; sendReadReceipts?: boolean; sendTyping?: boolean }
  | { t: 'device-names'; names: { device: number; name: string }[] }
  | {
      t: 'group-welcome';
      group: Uint8Array;
      server: string;
      welcome: Uint8Array;
      name: string;
      description: string;
      admins: readonly string[];
    };

export function encodePayload(p: OutgoingPayload): Uint8Array {
  let wire: Wire;
  switch (p.t) {
    case 'hello':
      wire = {
        t: p.t,
        name: p.name,
        mailbox: mailboxWire(p.mailbox),
        ...(p.proof === undefined ? {} : { proof: base64url(p.proof) }),
      };
      break;
    case 'welcome':
    case 'accept':
      wire = { t: p.t, name: p.name, mailbox: mailboxWire(p.mailbox) };
      break;
    case 'reset':
      wire = p.proof === undefined ? { t: 'reset' } : { t: 'reset', proof: base64url(p.proof) };
      break;
    case 'request':
      wire = { t: 'request', body: new TextDecoder().decode(p.body), signature: base64url(p.signature) };
      break;
    case 'devices':
      wire = { t: 'devices', list: base64url(p.list) };
      break;
    case 'introduce':
      wire = { t: 'introduce', device: p.device, mailbox: mailboxWire(p.mailbox) };
      break;
    case 'group-welcome':
      wire = { ...p, group: base64url(p.group), welcome: base64url(p.welcome), admins: [...p.admins] };
      break;
    case 'sent':
      wire = { ...p, contact: base64url(p.contact) };
      break;
    case 'contact':
      wire = {
        ...p,
        identity: base64url(p.identity),
        devices: p.devices.map((d) => ({ device: d.device, mailbox: mailboxWire(d.mailbox) })),
      };
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
