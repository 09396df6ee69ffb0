/**
 * The SDK's public surface: what an app (the CLI, the web client later) sees. Everything here is
 * plain data; ids are opaque strings. `ParleyClient` (client.ts) implements `ParleyClientApi`.
 */
import type { MessageStatus, Verification } from './engine/records.ts';

export type { MessageStatus, Verification } from './engine/records.ts';

export interface ProfileView {
  /** The profile's label in this client (not sent anywhere). */
  readonly profile: string;
  /** The name shown to contacts when meeting them (sent end-to-end encrypted, never to the server). */
  readonly displayName: string;
  readonly server: string;
  /** The account id on the server (base64url of the identity signing key). */
  readonly accountId: string;
}

export interface ContactView {
  readonly id: string;
  /** The local alias, unique in the profile (defaults to the name the contact gave, made unique). */
  readonly name: string;
  /** What the contact calls themselves, as they said it: a suggestion, not an identity. Null until they said it. */
  readonly suggestedName: string | null;
  /** Where the keys came from: an invitation link (out of band), or the contact's / our address. */
  readonly keySource: 'invitation' | 'address';
  readonly verification: Verification;
  /**
   * The contact's identity key changed and the user has not accepted the new key yet. While true
   * and the contact was verified, sending to it fails with `identity-changed`.
   */
  readonly identityChanged: boolean;
  /** pending: we sent a request or used an invitation and wait for the answer. */
  readonly state: 'pending' | 'connected';
  readonly createdAt: number;
  /** The 1:1 conversation with this contact (what `MessageView.conversationId` names). */
  readonly conversationId: string;
  /**
   * How many of their devices we encrypt to (docs/client.md §4.9); their safety number is one per
   * person whatever this is. Only in views that load devices (contacts(), contact()); else absent.
   */
  readonly devices?: number;
}

/** One device of our own account (`devices()`). */
export interface DeviceView {
  /** The device id (protocol §3.2). */
  readonly id: number;
  /** The name the device gave itself; null if none. */
  readonly name: string | null;
  /** When the account certified it (ms); null for a device that was never on a signed list. */
  readonly linkedAt: number | null;
  /** When we last heard from it (ms); this device: now. Null if never. */
  readonly lastActiveAt: number | null;
  /** Not heard from for the stale period (docs/client.md §4.9). */
  readonly stale: boolean;
  /** Stale for the second period too: no longer sent to. */
  readonly dropped: boolean;
  /** The device this client runs on. */
  readonly current: boolean;
}

export interface MessageView {
  /** Unique per profile, increasing in the order messages were stored locally. */
  readonly id: string;
  /** The conversation it belongs to (a contact's 1:1 conversation today; groups later). */
  readonly conversationId: string;
  /** The contact who sent it (incoming), or to whom it went (outgoing, 1:1). */
  readonly contactId: string;
  readonly direction: 'in' | 'out';
  readonly text: string;
  /** The sender's clock (ms). */
  readonly sentAt: number;
  /** Our clock when stored (ms). */
  readonly storedAt: number;
  readonly status: MessageStatus;
}

/** The profile's settings (`settings()`, `updateSettings()`); both default to true. */
export interface SettingsView {
  /** Tell contacts when we read their texts (read receipts). */
  readonly sendReadReceipts: boolean;
  /** Tell contacts while we type (typing indicators). */
  readonly sendTyping: boolean;
}

/** One conversation of a contact list (`conversations()`), newest activity first. */
export interface ConversationView {
  /** The conversation id (what `MessageView.conversationId` names). */
  readonly id: string;
  readonly contactId: string;
  /** Incoming messages not yet read (`markRead`, or taken with `unread({ take: true })`). */
  readonly unread: number;
  /** The message stored last; null for a conversation without messages. */
  readonly last: MessageView | null;
}

/** A group this device is (or was) in (`groups()`); its `id` is also its conversation id. */
export interface GroupView {
  readonly id: string;
  readonly conversationId: string;
  /** Chosen by its members, end-to-end encrypted (docs/client.md §4.12): a label, not an identity. */
  readonly name: string;
  readonly description: string;
  /** Member devices (a person with two devices counts twice). */
  readonly members: number;
  /** The MLS epoch this device is at. */
  readonly epoch: number;
  /**
   * removed: a member removed this device; left: we left. stalled: a member who is not an admin
   * added or removed someone; every member refused it and the group cannot go on. None of these
   * reads or sends any more.
   */
  readonly status: 'active' | 'removed' | 'left' | 'stalled';
  /** Whether our account is one of the group's admins (who alone add and remove). */
  readonly admin: boolean;
  /** Incoming texts not yet read (as `ConversationView.unread`); only in `groups()`, else absent. */
  readonly unread?: number;
  /** The text stored last; only in `groups()` (null: none yet), else absent. */
  readonly last?: MessageView | null;
}

/** One member device of a group (`groupMembers()`). */
export interface GroupMemberView {
  /** The account (base64url of its identity key), as its leaf's credential binds it. */
  readonly accountId: string;
  readonly device: number;
  /** The contact with that identity key, if we have one. */
  readonly contactId: string | null;
  readonly name: string | null;
  /** self: our own account; stranger: no contact of ours (a friend of a member); else the contact's verification. */
  readonly trust: 'self' | 'stranger' | Verification;
  /** This device. */
  readonly current: boolean;
}

export interface RequestView {
  readonly id: string;
  /** The name the requester gave. */
  readonly name: string;
  readonly message: string;
  readonly receivedAt: number;
}

export interface InvitationView {
  readonly id: string;
  /** `parley://invite/…`: share it through a channel the server does not control. */
  readonly link: string;
  readonly expiresAt: number;
}

export interface AddressView {
  /** `parley://address/…`: publish it; anyone holding it can send a contact request. */
  readonly link: string;
  readonly createdAt: number;
}

export interface SafetyNumberView {
  /** 60 digits in 12 groups of 5, the same on both sides. */
  readonly display: string;
  /** base64url of the QR payload (protocol safety-number QR). */
  readonly qrPayload: string;
}

export type ClientEvent =
  | { readonly type: 'message'; readonly message: MessageView }
  /** A text we sent from another of our devices (docs/client.md §4.9): shown as ours. */
  | { readonly type: 'sent-elsewhere'; readonly message: MessageView }
  | {
      readonly type: 'delivered';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** The contact read these texts of ours (their read receipt); their status is now `read`. */
  | {
      readonly type: 'read';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /**
   * Incoming messages of this conversation were read on another device of ours: they no longer
   * count as unread here either (refresh `conversations()`).
   */
  | {
      readonly type: 'read-elsewhere';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /**
   * The contact is typing (`active`: every one they send, refreshes too), or stopped: they said so,
   * a text from them came, or no refresh for 6 s (the SDK then emits `active: false` itself,
   * docs/client.md §4.11).
   */
  | { readonly type: 'typing'; readonly conversationId: string; readonly contactId: string; readonly active: boolean }
  | { readonly type: 'contact-connected'; readonly contact: ContactView }
  | { readonly type: 'contact-request'; readonly request: RequestView }
  /**
   * We joined a group (`joined`: a Welcome), or it changed (`changed`: members added or removed,
   * its name, or our status — removed, stalled). Read `groups()` / `groupMembers()` again.
   */
  | {
      readonly type: 'group';
      readonly change: 'joined' | 'changed';
      readonly groupId: string;
      readonly status: 'active' | 'removed' | 'left' | 'stalled';
    }
  /** Loud: the contact's identity key changed (reinstall, new device state, or an attack). */
  | { readonly type: 'identity-changed'; readonly contact: ContactView }
  /**
   * Loud: the name `contact` gave themselves (`suggestedName`) is already the name of another
   * contact (`clashesWith`, perhaps a verified one), so it got a distinct name. A stranger may be
   * posing as someone you know.
   */
  | {
      readonly type: 'name-clash';
      readonly contact: ContactView;
      readonly suggestedName: string;
      readonly clashesWith: ContactView;
    }
  /** A message from this contact could not be decrypted; the session was reset. A gap. */
  | { readonly type: 'undecryptable'; readonly conversationId: string; readonly contactId: string }
  /**
   * Our server handed out `bundles` bundles with our last-resort prekey since the last check: our
   * one-time prekeys ran out or were withheld from requesters over their budget — someone may be
   * draining them. Nothing to do (they were refilled); worth telling the user if it persists.
   */
  | { readonly type: 'last-resort-used'; readonly bundles: number }
  /** Our texts with no receipt after every resend: their status is now `failed`. */
  | {
      readonly type: 'not-delivered';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** `count` messages from this contact have not arrived (gaps in the ratchet's counters past a grace period). */
  | { readonly type: 'missing'; readonly conversationId: string; readonly contactId: string; readonly count: number }
  | { readonly type: 'connection'; readonly state: 'online' | 'offline' }
  // ─── several devices (docs/client.md §4.9) ───
  /** Another device of our account introduced itself: it gets what we send and sync from now on. */
  | { readonly type: 'device-added'; readonly device: number }
  /** Our account's signed list no longer has this device of ours: nothing more goes to it. */
  | { readonly type: 'device-removed'; readonly device: number }
  /** A contact linked a device (on their signed list): it now gets what we send them. */
  | { readonly type: 'contact-device-added'; readonly contactId: string; readonly device: number }
  /** A contact removed a device: it gets nothing more, and what it sends is refused. */
  | { readonly type: 'contact-device-removed'; readonly contactId: string; readonly device: number }
  /**
   * Loud: a device not on the person's (null: our own account's) latest valid signed device list
   * tried to introduce itself — refused and never encrypted to. A ghost device, or a device
   * removed from that account.
   */
  | { readonly type: 'unknown-device'; readonly contactId: string | null; readonly device: number }
  /**
   * Loud: a device list older than (or conflicting with) the one we hold came for this contact
   * (null: our own account) — refused; the list we hold stays. Someone replays an old list.
   */
  | { readonly type: 'device-list-rollback'; readonly contactId: string | null; readonly reason: 'older' | 'conflict' }
  /** Loud: a device list whose signature does not verify against the person's identity — refused. */
  | { readonly type: 'device-list-invalid'; readonly contactId: string | null }
  /**
   * A device (`contactId` null: ours) was not heard from for the stale period; `dropped`: for the
   * second one too, so nothing more is sent to it.
   */
  | {
      readonly type: 'device-stale';
      readonly contactId: string | null;
      readonly device: number;
      readonly dropped: boolean;
    }
  /** Another device of our account removed this one: it can no longer send or receive. */
  | { readonly type: 'removed-from-account' }
  /**
   * Linking a device (docs/client.md §4.10): `done` of `total` items (contacts and messages) of
   * the history transfer are stored on the new device — on the existing device, acknowledged.
   */
  | { readonly type: 'history-progress'; readonly done: number; readonly total: number };
