/**
 * What sync payloads from our own other devices do here (docs/client.md §4.9): a text we sent
 * there appears in history as sent by us; a contact added, renamed, verified or whose new
 * identity was accepted there changes here too; messages read there leave our inbox; device
 * names. Accepted only from the self contact (inbound.ts checks). Call inside `ctx.serial`.
 */
import { equalBytes } from '@parley/protocol';
import { isListed } from '../engine/device-list-check.ts';
import type { DomainEvent } from '../engine/events.ts';
import { mailboxOf, type Payload } from '../engine/payload.ts';
import { sentCopyId } from '../engine/payload-effects.ts';
import {
  type ContactRecord,
  type ConversationRecord,
  del,
  type MessageRecord,
  messageKind,
  type OwnMailbox,
  type ProfileRecord,
  put,
  SELF_CONTACT,
} from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { chooseName, contactWithIdentity, identityFrom } from './contact-lookup.ts';
import { type ClientContext, getMessage, getRecord } from './context.ts';
import { introRecord } from './device-intro.ts';
import { devicesOf } from './peers.ts';

export interface SyncOutcome {
  readonly writes: RecordWrite[];
  readonly events: DomainEvent[];
  /** Our profile as it becomes (this device's name), if it changed. */
  readonly profile: ProfileRecord | null;
  /** Mailboxes created for a contact added (subscribe once committed). */
  readonly subscribe?: readonly OwnMailbox[];
  /** A device record waits for our intro: run the intros once committed. */
  readonly introduce?: true;
}

type SyncPayload = Extract<Payload, { t: 'sent' | 'contact' | 'read' | 'device-names' | 'introduce' }>;

export async function applySync(ctx: ClientContext, payload: SyncPayload): Promise<SyncOutcome> {
  const none: SyncOutcome = { writes: [], events: [], profile: null };
  switch (payload.t) {
    case 'sent': {
      const c = await contactWithIdentity(ctx, payload.contact);
      const id = sentCopyId(payload.id);
      if (c === undefined || id === null) return none;
      if ((await getMessage(ctx, c.conversationId, id)) !== undefined) return none; // shown already
      const record: MessageRecord = {
        v: 2,
        id,
        conversationId: c.conversationId,
        direction: 'out',
        from: null,
        text: payload.body,
        sentAt: payload.sentAt,
        storedAt: ctx.env.now(),
        // Our other device's servers took it; the receipts go to that device.
        status: 'sent',
        wireId: payload.id,
      };
      return {
        ...none,
        writes: [put(messageKind(c.conversationId), id, record)],
        events: [{ type: 'sent-elsewhere', message: record, contactId: c.id }],
      };
    }
    case 'read': {
      const writes: RecordWrite[] = [];
      /** Conversation id → the ids read there. */
      const read = new Map<string, string[]>();
      for (const id of new Set(payload.ids)) {
        const entry = await getRecord(ctx, 'inbox', id);
        if (entry === undefined) continue;
        writes.push(del('inbox', id));
        read.set(entry.conversationId, [...(read.get(entry.conversationId) ?? []), id]);
      }
      const events: DomainEvent[] = [];
      for (const [conversationId, messageIds] of read) {
        const conversation = await getRecord(ctx, 'conversation', conversationId);
        if (conversation !== undefined) {
          events.push({ type: 'read-elsewhere', conversationId, contactId: conversation.contactId, messageIds });
        }
      }
      return { ...none, writes, events };
    }
    case 'device-names': {
      const writes: RecordWrite[] = [];
      let profile: ProfileRecord | null = null;
      const own = await devicesOf(ctx, SELF_CONTACT);
      for (const { device, name } of payload.names) {
        if (device === ctx.profile.device) {
          if (ctx.profile.deviceName !== name) profile = { ...ctx.profile, deviceName: name };
          continue;
        }
        const d = own.find((r) => r.device === device);
        if (d !== undefined && d.name !== name) writes.push(put('device', d.id, { ...d, name }));
      }
      if (profile !== null) writes.push(put('profile', 'self', profile));
      return { writes, events: [], profile };
    }
    case 'contact':
      return applyContact(ctx, payload);
    case 'introduce': {
      // Another device of ours we have no record of (linked right after us, docs/client.md §4.9):
      // on our list, it gets an intro record with the mailbox it gave our other device.
      const device = payload.device;
      if (device === ctx.profile.device || !isListed(ctx.profile.deviceList, device)) return none;
      if ((await devicesOf(ctx, SELF_CONTACT)).some((d) => d.device === device)) return none;
      const record = await introRecord(ctx, SELF_CONTACT, device, mailboxOf(payload.mailbox));
      return {
        writes: [put('device', record.id, record)],
        events: [],
        profile: null,
        subscribe: [record.myMailbox],
        introduce: true,
      };
    }
  }
}

async function applyContact(ctx: ClientContext, p: Extract<Payload, { t: 'contact' }>): Promise<SyncOutcome> {
  const known = await contactWithIdentity(ctx, p.identity);
  if (known !== undefined) {
    // The other device accepted (or verified) this identity: so do we — only for the key we hold too.
    if (!equalBytes(known.identity, p.identity)) return { writes: [], events: [], profile: null };
    let next: ContactRecord = { ...known, verification: p.verification, replacedIdentity: null };
    if (p.aliasSet) next = { ...next, name: (await chooseName(ctx, p.name, known.id)).name, aliasSet: true };
    return { writes: [put('contact', next.id, next)], events: [], profile: null };
  }
  // A contact added on another device: ours too, with an intro mailbox for each of their devices.
  // Only then: an identity this device does not know yet (a change it has not seen) is no new person.
  if (p.added !== true || p.devices.length === 0) return { writes: [], events: [], profile: null };
  if (!isIdentity(p.identity)) return { writes: [], events: [], profile: null };
  const id = ctx.newId();
  const conversationId = ctx.newId();
  const now = ctx.env.now();
  const { name } = await chooseName(ctx, p.name, undefined);
  const contact: ContactRecord = {
    v: 2,
    id,
    name,
    aliasSet: p.aliasSet,
    keySource: p.keySource,
    verification: p.verification,
    identity: p.identity,
    replacedIdentity: null,
    state: 'connected',
    createdAt: now,
    conversationId,
  };
  const conversation: ConversationRecord = { v: 2, id: conversationId, kind: 'direct', contactId: id, createdAt: now };
  const writes: RecordWrite[] = [put('contact', id, contact), put('conversation', conversationId, conversation)];
  const subscribe: OwnMailbox[] = [];
  for (const d of p.devices) {
    const record = await introRecord(ctx, id, d.device, {
      server: d.mailbox.server,
      id: d.mailbox.id,
      senderPrivateKey: d.mailbox.senderKey,
    });
    writes.push(put('device', record.id, record));
    subscribe.push(record.myMailbox);
  }
  return { writes, events: [{ type: 'contact-connected', contact, synced: true }], profile: null, subscribe };
}

/** Whether bytes are a well-formed identity (protocol §3.1), as our other device must send. */
function isIdentity(bytes: Uint8Array): boolean {
  try {
    identityFrom(bytes);
    return true;
  } catch {
    return false;
  }
}
