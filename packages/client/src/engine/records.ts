/**
 * What the client keeps, as typed records over the byte-level RecordStore (store/record-store.ts).
 * Values are JSON with byte strings as `{"$b": base64url}`; the encrypted store seals each value,
 * so ids are the only thing in the clear — they are random or counters, never names or keys.
 *
 *   kind        id                     value
 *   profile     self                   ProfileRecord: identity, device, current prekeys, counters
 *   otpk        u32 id, 10 digits      a one-time X25519 prekey (private)
 *   kempk       u32 id, 10 digits      a one-time ML-KEM prekey (private)
 *   lrused      kem id . base key      a base key accepted with a last-resort KEM prekey (replays)
 *   contact     random                 ContactRecord: the person (identity, alias, verification)
 *   contact     self                   the self contact: our own other devices (SELF_CONTACT)
 *   device      contact / device id    DeviceRecord: one device of a contact: sessions, mailboxes
 *   conversation random                ConversationRecord: a 1:1 (later group) conversation
 *   invitation  random                 InvitationRecord: the one-time mailbox of an invitation
 *   address     self                   AddressRecord: our contact address
 *   request     random                 RequestRecord: a contact request waiting for an answer
 *   msg.<conversation> message id      MessageRecord: the conversation's history, in order
 *   inbox       message id             InboxRecord: an incoming message not yet handed to the app
 *   outbox      message id / random    OutboxRecord: an envelope not yet accepted by a server
 *   awaiting    message id             AwaitingRecord: a text sent, no receipt yet (resends)
 *   gap         device record id       GapRecord: messages missing from a device's counters
 *   summary     conversation id        SummaryRecord: unread count and last message of a conversation
 *   settings    self                   SettingsRecord: the profile's settings (read receipts, typing)
 */
import { base64url, type KemPreKey, type SignedPreKey } from '@parley/protocol';
import type { RecordWrite } from '../store/record-store.ts';
import { encodeRecord } from './record-json.ts';

export type Verification =
  /** Keys came out of band (invitation) or from a server (address); safety number not compared. */
  | 'unverified'
  /** The user compared the safety number and confirmed it. */
  | 'verified';

export type MessageStatus =
  /** Committed locally, not yet accepted by the contact's server. */
  | 'queued'
  /** Stored by the contact's server. */
  | 'sent'
  /** The contact's device confirmed it (delivery receipt). */
  | 'delivered'
  /** The contact read it (a read receipt, sent only if they allow them). */
  | 'read'
  /** An incoming message. */
  | 'received'
  /**
   * Not delivered: the contact's server refused it for good (their mailbox is gone, say), or no
   * receipt came after every resend (docs/client.md §4.6).
   */
  | 'failed';

export interface KeyPairRecord {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** A mailbox someone else owns that we may deliver into. */
export interface PeerMailbox {
  readonly server: string;
  readonly id: Uint8Array;
  readonly senderPrivateKey: Uint8Array;
}

/** A mailbox we own on our server. */
export interface OwnMailbox {
  readonly id: Uint8Array;
  readonly recipient: KeyPairRecord;
  readonly sender: KeyPairRecord;
  /**
   * Kept for the records' shape only: the server's numbers are hints (docs/client.md §4.6),
   * nothing is skipped or acknowledged because of them.
   */
  readonly lastSeq: number;
}

export interface ProfileRecord {
  readonly v: 2;
  readonly displayName: string;
  readonly server: string;
  readonly accountId: string;
  readonly device: number;
  readonly identity: {
    readonly signing: KeyPairRecord;
    readonly agreement: KeyPairRecord;
    readonly certificate: Uint8Array;
  };
  readonly deviceKeys: KeyPairRecord;
  /** false until the server accepted the account and the first prekeys. */
  readonly registered: boolean;
  readonly signedPreKey: SignedPreKeyRecord;
  /** Kept after a rotation for initial messages still in flight. */
  readonly previousSignedPreKey: SignedPreKeyRecord | null;
  readonly lastResortKem: KemPreKeyRecord;
  readonly previousLastResortKem: KemPreKeyRecord | null;
  readonly nextPreKeyId: number;
  readonly lastMaintenance: number;
  /** The server's count of bundles served with our last-resort KEM key, at the last check. */
  readonly lastResortServed?: number;
  /** The last check saw a drain: the next one comes sooner (engine/prekeys.ts). */
  readonly preKeysDraining?: true;
  /** Set while an identity rotation is unfinished (client §4.4); absent otherwise. */
  readonly retiring?: RetiringIdentity;
  /**
   * Our account's latest signed device list (protocol §14.1), as accepted; absent while the
   * account never had a second device (then it is this device alone).
   */
  readonly deviceList?: Uint8Array;
  /** This device's name, shown on our other devices. */
  readonly deviceName?: string;
}

/**
 * What is left of an identity rotation, committed with the new identity so that a crash or an
 * unreachable server only delays it: the old account to delete and the contacts to reset.
 */
export interface RetiringIdentity {
  readonly account: string;
  readonly device: number;
  /** The old device key, the only credential that can delete the old account. */
  readonly devicePrivateKey: Uint8Array;
  /** Connected contacts not yet sent a reset from the new identity. */
  readonly contacts: readonly string[];
}

/** Prekeys are stored as the protocol's own types (private halves included). */
export type SignedPreKeyRecord = SignedPreKey;
export type KemPreKeyRecord = KemPreKey;

/**
 * A person we talk to: who they are to us (alias, verification, where their keys came from), not
 * how we reach them — that is per device ({@link DeviceRecord}).
 */
export interface ContactRecord {
  readonly v: 2;
  readonly id: string;
  /** The local alias: the user's, or else the name the contact gave. */
  readonly name: string;
  /** Whether the user chose `name` (then the contact's own name does not replace it). */
  readonly aliasSet: boolean;
  /**
   * What the contact calls themselves (their hello, welcome, accept or request), kept apart from
   * `name`: it is only a suggestion, and `name` is made unique from it. Absent in records written
   * before it existed, and until the contact has said it.
   */
  readonly suggestedName?: string;
  readonly keySource: 'invitation' | 'address';
  readonly verification: Verification;
  /** The identity (128 bytes, protocol §3.1) we talk to now. */
  readonly identity: Uint8Array;
  /** Set when a new identity appeared and the user has not accepted it yet: the old one. */
  readonly replacedIdentity: Uint8Array | null;
  readonly state: 'pending' | 'connected';
  readonly createdAt: number;
  /** The 1:1 conversation with this person. */
  readonly conversationId: string;
  /**
   * The person's latest accepted signed device list (protocol §14.1): we encrypt only to devices
   * on it. Absent until they published one (then the device we met is their only one).
   */
  readonly deviceList?: Uint8Array;
}

/**
 * The contact id of our own other devices (docs/client.md §4.9): never listed among contacts or
 * found by name; its devices carry the sessions that sync sent messages, contacts and read state.
 */
export const SELF_CONTACT = 'self';

/**
 * One device of a contact: its sessions and the pair of mailboxes between it and us. Its record
 * id is `<contact id>/<device id>` ({@link deviceRecordId}), so a contact's devices list together
 * (records written before several devices existed keep `<contact id>/0000000000`: look a device
 * up by its `device` field, never by id arithmetic).
 */
export interface DeviceRecord {
  readonly v: 2;
  readonly id: string;
  readonly contactId: string;
  /** The peer's device id (protocol §3.2). */
  readonly device: number;
  /** Where we deliver to this device; null until it told us (pending). */
  readonly theirMailbox: PeerMailbox | null;
  /** Where this device delivers to us. */
  readonly myMailbox: OwnMailbox;
  /** Encoded protocol Session (session-codec), the one we send with. */
  readonly session: Uint8Array;
  /** Earlier sessions, newest first, still tried for decryption (late messages). */
  readonly previousSessions: readonly Uint8Array[];
  /**
   * Digests of the last envelopes opened from this device ({@link SEEN_DIGEST} bytes each, newest
   * last, at most {@link MAX_SEEN}): a replayed copy whose chain keys are gone is recognised as
   * a duplicate, not reported as damaged. Absent in records written before it existed.
   */
  readonly seen?: Uint8Array;
  /**
   * No session with this device yet: `theirMailbox` is an intro mailbox (one this device gave
   * another device of our account) and `session` is empty until the intro flow
   * (flows/device-intro.ts) sends it our hello.
   */
  readonly needsIntro?: true;
  /**
   * We made `myMailbox` for a device of our own account that has not introduced itself yet
   * (linking): `session` is empty and `theirMailbox` null until its hello arrives.
   */
  readonly awaitingIntro?: true;
  /** When an envelope from this device last opened (our clock); stale-device checks. */
  readonly lastHeardAt?: number;
  /** Unheard for the stale period (docs/client.md §4.9); dropped from fan-out after a second one. */
  readonly stale?: true;
  /** Stale for the second period too: no longer sent to (set once the event said so). */
  readonly dropped?: true;
  /** For our own devices: the name the device gave itself. */
  readonly name?: string;
}

export const SEEN_DIGEST = 16;
export const MAX_SEEN = 256;

/** A contact and one of its devices (the one an envelope came from, or one we seal for). */
export interface Peer {
  readonly contact: ContactRecord;
  readonly device: DeviceRecord;
}

/** What history, unread state and events belong to: a 1:1 conversation now, groups later. */
export interface ConversationRecord {
  readonly v: 2;
  readonly id: string;
  readonly kind: 'direct';
  /** For `direct`: the one other person. */
  readonly contactId: string;
  readonly createdAt: number;
}

export interface InvitationRecord {
  readonly v: 2;
  readonly id: string;
  readonly mailbox: OwnMailbox;
  readonly link: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /**
   * Set once someone connected through it: kept only until its one-time mailbox is deleted on
   * the server (retried at every sync), so that a second use of the link is refused.
   */
  readonly used?: true;
}

export interface AddressRecord {
  readonly v: 2;
  readonly id: Uint8Array;
  readonly owner: KeyPairRecord;
  readonly link: string;
  readonly createdAt: number;
  readonly lastSeq: number;
}

export interface RequestRecord {
  readonly v: 2;
  readonly id: string;
  readonly name: string;
  readonly message: string;
  readonly receivedAt: number;
  readonly identity: Uint8Array;
  readonly device: number;
  readonly theirMailbox: PeerMailbox;
  readonly session: Uint8Array;
}

/** Who sent an incoming message: which device of which person. */
export interface MessageSender {
  readonly contactId: string;
  readonly device: number;
}

export interface MessageRecord {
  readonly v: 2;
  readonly id: string;
  readonly conversationId: string;
  readonly direction: 'in' | 'out';
  /** The sender of an incoming message; null for ours. */
  readonly from: MessageSender | null;
  readonly text: string;
  readonly sentAt: number;
  readonly storedAt: number;
  readonly status: MessageStatus;
  /** The sender's id of the message (ours for outgoing), echoed in delivery receipts. */
  readonly wireId: string;
}

export interface OutboxRecord {
  readonly v: 2;
  readonly mailbox: PeerMailbox;
  readonly envelope: Uint8Array;
  /** The message whose status becomes `sent` once the server accepts the envelope. */
  readonly message: { readonly conversationId: string; readonly id: string } | null;
}

/**
 * An outgoing text sent but not yet confirmed by a receipt (id: the message's): resent, same id
 * and a new encryption, until a receipt comes or the attempts run out (docs/client.md §4.6).
 */
export interface AwaitingRecord {
  readonly v: 2;
  readonly conversationId: string;
  readonly contactId: string;
  /** Encryptions sent so far (the first included). */
  readonly attempts: number;
  readonly lastAttemptAt: number;
}

/**
 * Messages missing from a contact device's counters (id: the device record's): since when, and
 * the count last reported (docs/client.md §4.6). Deleted once nothing is missing.
 */
export interface GapRecord {
  readonly v: 2;
  readonly since: number;
  readonly reported: number;
}

/**
 * What a conversation list shows of a conversation (id: the conversation's), kept up to date in
 * the same commit as the messages and inbox entries it counts (flows/summaries.ts), so listing
 * conversations reads one record per conversation instead of its history.
 */
export interface SummaryRecord {
  readonly v: 2;
  /** Incoming messages in the inbox (not yet read). */
  readonly unread: number;
  /** The message stored last (largest `storedAt`); null while there is none. */
  readonly lastId: string | null;
  readonly lastAt: number;
}

/** The profile's settings (id `self`); absent: the defaults ({@link DEFAULT_SETTINGS}). */
export interface SettingsRecord {
  readonly v: 2;
  readonly sendReadReceipts: boolean;
  readonly sendTyping: boolean;
}

export const DEFAULT_SETTINGS: SettingsRecord = { v: 2, sendReadReceipts: true, sendTyping: true };

/** An incoming message not yet handed to the app's reader (id: the message's). */
export interface InboxRecord {
  readonly v: 2;
  readonly conversationId: string;
}

export const put = (kind: string, id: string, value: unknown): RecordWrite => ({
  kind,
  id,
  value: encodeRecord(value),
});
export const del = (kind: string, id: string): RecordWrite => ({ kind, id, value: null });

/** The kind of a conversation's history records. */
export const messageKind = (conversationId: string) => `msg.${conversationId}`;
/** The record id of a contact's device `device` (`0` only in records written before devices). */
export const deviceRecordId = (contactId: string, device: number) => `${contactId}/${keyId(device)}`;
/** The version every record has after the upgrade (upgrade.ts); the profile's `v` says the store's. */
export const RECORD_VERSION = 2;
export const keyId = (n: number) => String(n).padStart(10, '0');
export const mailboxKey = (id: Uint8Array) => base64url(id);

/** How a peer delivers into one of our mailboxes on `server` (what hello/welcome/accept/request carry). */
export const peerMailboxOf = (server: string, m: OwnMailbox): PeerMailbox => ({
  server,
  id: m.id,
  senderPrivateKey: m.sender.privateKey,
});
