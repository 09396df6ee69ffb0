/**
 * One schema per kind of record (records.ts), checked on every read: a record that does not
 * match — damaged, or written by another version — is `store-corrupt`, never a half-typed object
 * deeper in the client. The v1 shapes that only the upgrade (upgrade.ts) reads are here too.
 */
import { z } from 'zod';
import { ClientError } from '../errors.ts';
import { type LinkingRecord, linkingSchema } from './link-state.ts';
import { decodeJson } from './record-json.ts';
import type {
  AddressRecord,
  AwaitingRecord,
  ContactRecord,
  ConversationRecord,
  DeviceRecord,
  GapRecord,
  InboxRecord,
  InvitationRecord,
  KemPreKeyRecord,
  MessageRecord,
  OutboxRecord,
  ProfileRecord,
  RequestRecord,
  SettingsRecord,
  SummaryRecord,
} from './records.ts';

const bytes = z.instanceof(Uint8Array);
const count = z.number().int().nonnegative();
const keyPair = z.strictObject({ privateKey: bytes, publicKey: bytes });
const peerMailbox = z.strictObject({ server: z.string(), id: bytes, senderPrivateKey: bytes });
const ownMailbox = z.strictObject({ id: bytes, recipient: keyPair, sender: keyPair, lastSeq: count });
const verification = z.enum(['unverified', 'verified']);
const status = z.enum(['queued', 'sent', 'delivered', 'read', 'received', 'failed']);
const signedPreKey = z.strictObject({ id: count, keyPair, createdAt: z.number(), signature: bytes });
const kemPreKey = z.strictObject({
  id: count,
  keyPair: z.strictObject({ publicKey: bytes, secretKey: bytes }),
  lastResort: z.boolean(),
  createdAt: z.number(),
  signature: bytes,
});
const oneTimePreKey = z.strictObject({ id: count, keyPair });

const profileFields = {
  displayName: z.string(),
  server: z.string(),
  accountId: z.string(),
  device: count,
  identity: z.strictObject({ signing: keyPair, agreement: keyPair, certificate: bytes }),
  deviceKeys: keyPair,
  registered: z.boolean(),
  signedPreKey,
  previousSignedPreKey: signedPreKey.nullable(),
  lastResortKem: kemPreKey,
  previousLastResortKem: kemPreKey.nullable(),
  nextPreKeyId: count,
  lastMaintenance: z.number(),
  lastResortServed: count.optional(),
  preKeysDraining: z.literal(true).optional(),
  retiring: z
    .strictObject({ account: z.string(), device: count, devicePrivateKey: bytes, contacts: z.array(z.string()) })
    .optional(),
};
/** Fields added after version 2 shipped: optional, so older profiles open unchanged. */
const profileDeviceFields = { deviceList: bytes.optional(), deviceName: z.string().optional() };
const invitationFields = {
  id: z.string(),
  mailbox: ownMailbox,
  link: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  used: z.literal(true).optional(),
};
const addressFields = { id: bytes, owner: keyPair, link: z.string(), createdAt: z.number(), lastSeq: count };
const requestFields = {
  id: z.string(),
  name: z.string(),
  message: z.string(),
  receivedAt: z.number(),
  identity: bytes,
  device: count,
  theirMailbox: peerMailbox,
  session: bytes,
};
const messageFields = {
  id: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string(),
  sentAt: z.number(),
  storedAt: z.number(),
  status,
  wireId: z.string(),
};

/** The current shape of each kind; `message` is every `msg.<conversation>` kind. */
const current = {
  profile: z.strictObject({ v: z.literal(2), ...profileFields, ...profileDeviceFields }),
  contact: z.strictObject({
    v: z.literal(2),
    id: z.string(),
    name: z.string(),
    aliasSet: z.boolean(),
    suggestedName: z.string().optional(),
    keySource: z.enum(['invitation', 'address']),
    verification,
    identity: bytes,
    replacedIdentity: bytes.nullable(),
    state: z.enum(['pending', 'connected']),
    createdAt: z.number(),
    conversationId: z.string(),
    deviceList: bytes.optional(),
  }),
  device: z.strictObject({
    v: z.literal(2),
    id: z.string(),
    contactId: z.string(),
    device: count,
    theirMailbox: peerMailbox.nullable(),
    myMailbox: ownMailbox,
    session: bytes,
    previousSessions: z.array(bytes),
    seen: bytes.optional(),
    needsIntro: z.literal(true).optional(),
    awaitingIntro: z.literal(true).optional(),
    lastHeardAt: z.number().optional(),
    stale: z.literal(true).optional(),
    dropped: z.literal(true).optional(),
    name: z.string().optional(),
  }),
  conversation: z.strictObject({
    v: z.literal(2),
    id: z.string(),
    kind: z.literal('direct'),
    contactId: z.string(),
    createdAt: z.number(),
  }),
  invitation: z.strictObject({ v: z.literal(2), ...invitationFields }),
  address: z.strictObject({ v: z.literal(2), ...addressFields }),
  request: z.strictObject({ v: z.literal(2), ...requestFields }),
  message: z.strictObject({
    v: z.literal(2),
    ...messageFields,
    conversationId: z.string(),
    from: z.strictObject({ contactId: z.string(), device: count }).nullable(),
  }),
  inbox: z.strictObject({ v: z.literal(2), conversationId: z.string() }),
  outbox: z.strictObject({
    v: z.literal(2),
    mailbox: peerMailbox,
    envelope: bytes,
    message: z.strictObject({ conversationId: z.string(), id: z.string() }).nullable(),
  }),
  awaiting: z.strictObject({
    v: z.literal(2),
    conversationId: z.string(),
    contactId: z.string(),
    attempts: count,
    lastAttemptAt: z.number(),
  }),
  gap: z.strictObject({ v: z.literal(2), since: z.number(), reported: count }),
  summary: z.strictObject({ v: z.literal(2), unread: count, lastId: z.string().nullable(), lastAt: z.number() }),
  settings: z.strictObject({ v: z.literal(2), sendReadReceipts: z.boolean(), sendTyping: z.boolean() }),
  otpk: oneTimePreKey,
  kempk: kemPreKey,
  linking: linkingSchema,
};

export interface RecordTypes {
  profile: ProfileRecord;
  contact: ContactRecord;
  device: DeviceRecord;
  conversation: ConversationRecord;
  invitation: InvitationRecord;
  address: AddressRecord;
  request: RequestRecord;
  message: MessageRecord;
  inbox: InboxRecord;
  outbox: OutboxRecord;
  awaiting: AwaitingRecord;
  gap: GapRecord;
  summary: SummaryRecord;
  settings: SettingsRecord;
  otpk: z.infer<typeof oneTimePreKey>;
  kempk: KemPreKeyRecord;
  linking: LinkingRecord;
}
export type RecordType = keyof RecordTypes;

/** Decodes and checks a record of `type` in its current shape; `store-corrupt` otherwise. */
export function decodeAs<K extends RecordType>(type: K, value: Uint8Array): RecordTypes[K] {
  return check(current[type], decodeJson(value)) as RecordTypes[K];
}

/** The shapes of version 1 that changed (the others differ only in `v`): read by the upgrade. */
const v1 = {
  profile: z.strictObject({ v: z.literal(1), ...profileFields }),
  invitation: z.strictObject({ v: z.literal(1), ...invitationFields }),
  address: z.strictObject({ v: z.literal(1), ...addressFields }),
  request: z.strictObject({ v: z.literal(1), ...requestFields }),
  contact: z.strictObject({
    v: z.literal(1),
    id: z.string(),
    name: z.string(),
    aliasSet: z.boolean(),
    keySource: z.enum(['invitation', 'address']),
    verification,
    identity: bytes,
    device: count,
    replacedIdentity: bytes.nullable(),
    state: z.enum(['pending', 'connected']),
    createdAt: z.number(),
    theirMailbox: peerMailbox.nullable(),
    myMailbox: ownMailbox,
    session: bytes,
    previousSessions: z.array(bytes),
  }),
  message: z.strictObject({ v: z.literal(1), ...messageFields, contactId: z.string() }),
  inbox: z.strictObject({ contactId: z.string() }),
  outbox: z.strictObject({
    v: z.literal(1),
    mailbox: peerMailbox,
    envelope: bytes,
    message: z.strictObject({ contactId: z.string(), id: z.string() }).nullable(),
  }),
};
export type V1 = { [K in keyof typeof v1]: z.infer<(typeof v1)[K]> };

/** Decodes and checks a record of `type` in its version-1 shape (upgrade.ts). */
export function decodeV1<K extends keyof V1>(type: K, value: Uint8Array): V1[K] {
  return check(v1[type], decodeJson(value)) as V1[K];
}

function check(schema: z.ZodType, value: unknown): unknown {
  const r = schema.safeParse(value);
  // The issues name fields and expectations only; they are not put in the message (no values).
  if (!r.success)
    throw new ClientError('store-corrupt', 'A record of this profile is damaged or of an unknown version.');
  return r.data;
}
