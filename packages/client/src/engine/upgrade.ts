/**
 * Upgrading a profile's records to the current version (docs/client.md §7, "Record kinds"). Pure:
 * the driver lists what the upgrade reads and commits the writes it returns in ONE batch, so a
 * profile is either wholly in the old shapes or wholly in the new ones. The profile record's `v`
 * is the store's version: the upgrade runs when it is older than {@link RECORD_VERSION}.
 *
 * v1 → v2: a contact (person, one device's session and mailboxes, history keyed by contact)
 * becomes a contact (the person), a device (`<contact>/0000000000`: sessions and mailboxes) and a
 * direct conversation whose id is the contact's id, so history keeps its kind (`msg.<id>`).
 * Messages name their conversation and, when incoming, the device of the person who sent them;
 * inbox and outbox entries name the conversation. Every other record only moves to `v: 2`.
 */
import type { RecordWrite } from '../store/record-store.ts';
import { decodeV1 } from './record-schemas.ts';
import {
  type ContactRecord,
  type ConversationRecord,
  type DeviceRecord,
  deviceRecordId,
  type InboxRecord,
  type MessageRecord,
  messageKind,
  type OutboxRecord,
  put,
} from './records.ts';

/** A record as listed from the store. */
export interface StoredV1 {
  readonly id: string;
  readonly value: Uint8Array;
}

/** Everything the v1 → v2 upgrade reads: the records of the kinds that change, and the rest. */
export interface ProfileV1 {
  readonly profile: Uint8Array;
  readonly contacts: readonly StoredV1[];
  /** History by contact id (kind `msg.<contact>`). */
  readonly messages: ReadonlyMap<string, readonly StoredV1[]>;
  readonly inbox: readonly StoredV1[];
  readonly outbox: readonly StoredV1[];
  readonly invitations: readonly StoredV1[];
  readonly address: Uint8Array | undefined;
  readonly requests: readonly StoredV1[];
}

/** The writes that turn a v1 profile into v2; throws `store-corrupt` if any record is not v1. */
export function upgradeV1(old: ProfileV1): RecordWrite[] {
  const writes: RecordWrite[] = [];
  const devices = new Map<string, number>();
  for (const r of old.contacts) {
    const c = decodeV1('contact', r.value);
    devices.set(c.id, c.device);
    const contact: ContactRecord = {
      v: 2,
      id: c.id,
      name: c.name,
      aliasSet: c.aliasSet,
      keySource: c.keySource,
      verification: c.verification,
      identity: c.identity,
      replacedIdentity: c.replacedIdentity,
      state: c.state,
      createdAt: c.createdAt,
      conversationId: c.id,
    };
    const device: DeviceRecord = {
      v: 2,
      id: deviceRecordId(c.id, 0),
      contactId: c.id,
      device: c.device,
      theirMailbox: c.theirMailbox,
      myMailbox: c.myMailbox,
      session: c.session,
      previousSessions: c.previousSessions,
    };
    const conversation: ConversationRecord = {
      v: 2,
      id: c.id,
      kind: 'direct',
      contactId: c.id,
      createdAt: c.createdAt,
    };
    writes.push(
      put('contact', c.id, contact),
      put('device', device.id, device),
      put('conversation', c.id, conversation),
    );
  }
  for (const [contactId, rows] of old.messages) {
    for (const r of rows) {
      const { contactId: _, ...m } = decodeV1('message', r.value);
      const device = devices.get(contactId);
      const message: MessageRecord = {
        ...m,
        v: 2,
        conversationId: contactId,
        from: m.direction === 'in' && device !== undefined ? { contactId, device } : null,
      };
      writes.push(put(messageKind(contactId), r.id, message));
    }
  }
  for (const r of old.inbox) {
    const inbox: InboxRecord = { v: 2, conversationId: decodeV1('inbox', r.value).contactId };
    writes.push(put('inbox', r.id, inbox));
  }
  for (const r of old.outbox) {
    const o = decodeV1('outbox', r.value);
    const outbox: OutboxRecord = {
      v: 2,
      mailbox: o.mailbox,
      envelope: o.envelope,
      message: o.message && { conversationId: o.message.contactId, id: o.message.id },
    };
    writes.push(put('outbox', r.id, outbox));
  }
  for (const r of old.invitations) writes.push(put('invitation', r.id, { ...decodeV1('invitation', r.value), v: 2 }));
  for (const r of old.requests) writes.push(put('request', r.id, { ...decodeV1('request', r.value), v: 2 }));
  if (old.address !== undefined) writes.push(put('address', 'self', { ...decodeV1('address', old.address), v: 2 }));
  // Last: the profile's version says the upgrade is done (the batch is atomic either way).
  writes.push(put('profile', 'self', { ...decodeV1('profile', old.profile), v: 2 }));
  return writes;
}
