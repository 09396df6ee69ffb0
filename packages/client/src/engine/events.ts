/**
 * What the engine and the flows report once a change is committed, in terms of records. The
 * facade (client.ts) turns them into the app's events (api.ts `ClientEvent`, built in views.ts),
 * so nothing below it depends on how the app sees things.
 */
import type { ContactRecord, MessageRecord, RequestRecord } from './records.ts';

export type DomainEvent =
  /** A message arrived in a conversation with contact `contactId`. */
  | { readonly type: 'message'; readonly message: MessageRecord; readonly contactId: string }
  | {
      readonly type: 'delivered';
      readonly conversationId: string;
      readonly contactId: string;
      readonly messageIds: readonly string[];
    }
  | { readonly type: 'contact-connected'; readonly contact: ContactRecord }
  | { readonly type: 'contact-request'; readonly request: RequestRecord }
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
  | { readonly type: 'missing'; readonly contact: ContactRecord; readonly count: number };
