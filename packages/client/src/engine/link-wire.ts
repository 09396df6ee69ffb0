/**
 * What linked devices say to each other inside link frames (docs/client.md §4.10, protocol
 * §14.2 step 5): UTF-8 JSON with byte strings as `{"$b": base64url}`, one schema per frame kind,
 * checked before anything acts on it. A body that does not match is `link-tampered`: it passed
 * the frame's AEAD, so only a device holding the link keys wrote it — still, nothing half-parsed
 * goes further.
 */
import { LinkFrameKind, MAX_LINK_FRAME_PLAINTEXT } from '@parley/protocol';
import { z } from 'zod';
import { ClientError } from '../errors.ts';
import { MAX_NAME } from './payload.ts';
import { decodeJson, encodeRecord } from './record-json.ts';

/**
 * A chunk's JSON stays within a link frame's 48 KiB of plaintext (protocol §14.3), so that its
 * envelope stays under the server's 64 KiB; 64 bytes are kept for `{"n":…,"items":[…]}`.
 */
export const CHUNK_TARGET_BYTES = MAX_LINK_FRAME_PLAINTEXT - 64;
/**
 * The most one item may take: alone in its chunk. Only a message whose JSON escapes swell it past
 * this (16,000 control characters, say) is larger; it is skipped and counted in `end`.
 */
export const MAX_ITEM_BYTES = CHUNK_TARGET_BYTES;
/** Chunks sent and not yet acknowledged, at most. */
export const MAX_IN_FLIGHT = 64;
/** History bounds (docs/client.md §4.10): the newest messages up to both. */
export const MAX_HISTORY_MESSAGES = 100_000;
export const MAX_HISTORY_BYTES = 64 * 1024 * 1024;
/** A device link expires after 10 minutes. */
export const LINK_TTL_MS = 10 * 60_000;

const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array);
const count = z.number().int().nonnegative();
const keyPair = z.strictObject({ privateKey: bytes, publicKey: bytes });
const peerMailbox = z.strictObject({ server: z.string().max(512), id: bytes, senderPrivateKey: bytes });
const deviceNo = z.number().int().min(1).max(0xffffffff);
const Name = z.string().max(MAX_NAME);

export const HistoryChoice = z.union([
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('days'), days: z.number().int().min(1).max(36_500) }),
]);
export type HistoryChoice = z.infer<typeof HistoryChoice>;

/** N → E: the user confirmed the code on the new device. */
const Confirm = z.strictObject({ history: HistoryChoice, deviceName: Name });
/** Either way: the linking ends. */
export const ABORT_REASONS = ['rejected', 'code-mismatch', 'expired', 'tampered', 'cancelled', 'failed'] as const;
const Abort = z.strictObject({ reason: z.enum(ABORT_REASONS) });
export type AbortReason = (typeof ABORT_REASONS)[number];

const IntroDevice = z.strictObject({ device: deviceNo, theirMailbox: peerMailbox, name: Name.optional() });

/** E → N: what the new device needs (md-design §1.3), contacts and history follow in chunks. */
const Grant = z.strictObject({
  identity: z.strictObject({ signing: keyPair, agreement: keyPair, certificate: bytes }),
  accountId: z.string().max(100),
  device: deviceNo,
  certificate: bytes,
  deviceList: bytes,
  displayName: Name,
  /** Our other devices (E included): the mailbox each gave E, where the new device introduces itself. */
  ownDevices: z.array(IntroDevice).max(32),
  /** Items the chunks will carry: contacts, then messages. */
  total: count,
});

const ContactItem = z.strictObject({
  t: z.literal('contact'),
  id: z.string().min(1).max(40),
  name: Name,
  aliasSet: z.boolean(),
  suggestedName: Name.optional(),
  keySource: z.enum(['invitation', 'address']),
  verification: z.enum(['unverified', 'verified']),
  identity: bytes,
  createdAt: z.number(),
  conversationId: z.string().min(1).max(40),
  deviceList: bytes.optional(),
  devices: z.array(IntroDevice).min(1).max(32),
});
const MessageItem = z.strictObject({
  t: z.literal('message'),
  id: z.string().min(1).max(40),
  conversationId: z.string().min(1).max(40),
  direction: z.enum(['in', 'out']),
  fromDevice: z.number().int().nonnegative().nullable(),
  text: z.string(),
  sentAt: z.number(),
  storedAt: z.number(),
  status: z.enum(['queued', 'sent', 'delivered', 'read', 'received', 'failed']),
  wireId: z.string().max(40),
});
export type ContactItem = z.infer<typeof ContactItem>;
export type MessageItem = z.infer<typeof MessageItem>;
export type HistoryItem = ContactItem | MessageItem;

/** E → N: chunk `n` (1, 2, …) of the items; re-sent after a restart with the same numbers. */
const Chunk = z.strictObject({
  n: z.number().int().min(1),
  items: z.array(z.discriminatedUnion('t', [ContactItem, MessageItem])),
});
/** E → N: every item sent (`skipped`: messages too large for one frame). */
const End = z.strictObject({ chunks: count, skipped: count });
/**
 * N → E: the highest chunk number stored, counting from 1 without a gap; `end`: the answer to
 * `end` — N has everything and is done with the link.
 */
const Ack = z.strictObject({ n: count, end: z.literal(true).optional() });

const bodies = {
  [LinkFrameKind.confirm]: Confirm,
  [LinkFrameKind.abort]: Abort,
  [LinkFrameKind.grant]: Grant,
  [LinkFrameKind.chunk]: Chunk,
  [LinkFrameKind.end]: End,
  [LinkFrameKind.ack]: Ack,
} as const;
type Bodies = { [K in keyof typeof bodies]: z.infer<(typeof bodies)[K]> };
export type GrantBody = Bodies[typeof LinkFrameKind.grant];
export type ChunkBody = Bodies[typeof LinkFrameKind.chunk];
export type ConfirmBody = Bodies[typeof LinkFrameKind.confirm];

/** A frame's plaintext: the body of its kind, as JSON. */
export function encodeLinkBody<K extends LinkFrameKind>(_kind: K, body: Bodies[K]): Uint8Array {
  return encodeRecord(body);
}

/** Parses and checks the body of a frame of `kind`; `link-tampered` if it does not match. */
export function decodeLinkBody<K extends LinkFrameKind>(kind: K, plaintext: Uint8Array): Bodies[K] {
  let value: unknown;
  try {
    value = decodeJson(plaintext);
  } catch {
    throw tampered();
  }
  const r = bodies[kind].safeParse(value);
  if (!r.success) throw tampered();
  return r.data as Bodies[K];
}

export const tampered = () =>
  new ClientError(
    'link-tampered',
    'The linking was tampered with (a message between the devices did not authenticate): nothing was linked. Start again, and if it happens again, your server may be interfering.',
  );

/** Parses `none`, `all` or `days:N` (the CLI's `--history`); `usage` otherwise. */
export function parseHistoryChoice(s: string): HistoryChoice {
  if (s === 'none' || s === 'all') return { kind: s };
  const m = /^days:([1-9][0-9]{0,4})$/.exec(s);
  if (m?.[1] !== undefined) return { kind: 'days', days: Number(m[1]) };
  throw new ClientError('usage', 'History is none, all, or days:N (the last N days).');
}
