/**
 * What the engine and the flows report once a change is committed, in terms of records. The
 * facade (client.ts) turns them into the app's events (api.ts `ClientEvent`, built in views.ts),
 * so nothing below it depends on how the app sees things.
 */
import type { ContactRecord, MessageRecord, RequestRecord } from './records.ts';

export type DomainEvent =
  /** A message arrived in a conversation with contact `contactId`. */
  | { readonly type: 'message'; readonly message: MessageRecord; readonly contactId: string }
  /** A text we sent to contact `contactId` from another of our devices, now in history here too. */
  | { readonly type: 'sent-elsewhere'; readonly message: MessageRecord; readonly contactId: string }
  | {
      readonly type: 'delivered';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** The contact read these texts of ours (a read receipt); `messageIds` are our record ids. */
  | {
      readonly type: 'read';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** Incoming messages of this conversation were read on another device of ours (`read` sync). */
  | {
      readonly type: 'read-elsewhere';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** The contact is typing (or stopped): ephemeral, from a live push only (docs/client.md §4.11). */
  | { readonly type: 'typing'; readonly conversationId: string; readonly contactId: string; readonly active: boolean }
  /** `synced`: the contact came from another device of ours (not to be synced back). */
  | { readonly type: 'contact-connected'; readonly contact: ContactRecord; readonly synced?: true }
  | { readonly type: 'contact-request'; readonly request: RequestRecord }
  /** We joined a group, or it changed: members (a commit read), name, our status (docs/client.md §4.12). */
  | {
      readonly type: 'group';
      readonly change: 'joined' | 'changed';
      readonly groupId: string;
      readonly status: 'active' | 'removed' | 'left' | 'stalled';
    }
  /** The contact's identity key changed. */
  | { readonly type: 'identity-changed'; readonly contact: ContactRecord }
  /**
   * A contact's own name for themselves (`suggestedName`) was already a contact's name here
   * (`clashesWith`), so `contact` got a distinct one.
   */
  | {
      readonly type: 'name-clash';
      readonly contact: ContactRecord;
      readonly suggestedName: string;
      readonly clashesWith: ContactRecord;
    }
  /** A message from this contact could not be decrypted. */
  | { readonly type: 'undecryptable'; readonly contact: ContactRecord }
  /** The server handed out `bundles` bundles with our last-resort KEM prekey since the last check. */
  | { readonly type: 'last-resort-used'; readonly bundles: number }

  /** Our texts that got no receipt after every resend: marked `failed` (docs/client.md §4.6). */
  | {
      readonly type: 'not-delivered';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  /** `count` messages from this contact are missing from the ratchet's counters past the grace period. */
  | { readonly type: 'missing'; readonly contact: ContactRecord; readonly count: number }
  // ─── several devices (docs/client.md §4.9) ───
  /** A device of `contact` (ours: the self contact) introduced itself and is now encrypted to. */
  | { readonly type: 'device-added'; readonly contact: ContactRecord; readonly device: number }
  /** A device is no longer on `contact`'s (ours: the self contact's) signed list: nothing more goes to it. */
  | { readonly type: 'device-removed'; readonly contact: ContactRecord; readonly device: number }
  /**
   * A device that is not on `contact`'s latest valid signed device list tried to introduce itself:
   * refused, and never encrypted to (a ghost device, or a list not published yet).
   */
  | { readonly type: 'unknown-device'; readonly contact: ContactRecord; readonly device: number }
  /** A device list for `contact` was refused: older than the one we have, a second list of the same version, or invalid. */
  | {
      readonly type: 'device-list-refused';
      readonly contact: ContactRecord;
      readonly reason: 'older' | 'conflict' | 'invalid';
    }
  /** A device of `contact` was not heard from for the stale period (`dropped`: for the second one too). */
  | {
      readonly type: 'device-stale';
      readonly contact: ContactRecord;
      readonly device: number;
      readonly dropped: boolean;
    }
  /** Our account's signed list no longer has this device: another device of ours removed it. */
  | { readonly type: 'removed-from-account' };
