/**
 * What a decrypted payload does to a contact's device and conversation (docs/client.md §3, §4.3):
 * the contact and device as they become, the records to write with them and the events to emit
 * once they are committed. Pure: the driver
 * loads what a payload names first (a receipt's outgoing messages, see {@link receiptIds}) and
 * commits the result in the same batch as the session that opened it.
 */
import type { ProtocolEnv } from '@parley/protocol';
import type { RecordWrite } from '../store/record-store.ts';
import { seal } from './conversation.ts';
import type { DomainEvent } from './events.ts';
import type { NewId } from './id-sequence.ts';
import { outboxWrite } from './outbox-entry.ts';
import { mailboxOf, type Payload } from './payload.ts';
import { del, type InboxRecord, type MessageRecord, messageKind, type Peer, put } from './records.ts';

export interface PayloadEffect {
  readonly peer: Peer;
  readonly writes: RecordWrite[];
  readonly events: DomainEvent[];
}

/** The ids of our messages a payload names (a receipt's), whose records {@link applyPayload} needs. */
export function receiptIds(payload: Payload): string[] {
  return payload.t === 'receipt' ? [...new Set(payload.ids)] : [];
}

/**
 * The history record id of an incoming text: the sender's message id, which the server cannot
 * forge (it travels inside the encryption), so a text resent with a new encryption lands on the
 * record it already has and is shown once; and the sender's ids increase in the order they were
 * written (engine/id-sequence.ts), so history lists a contact's texts in the sender's order, not
 * in the order they arrived (docs/client.md §4.6). An id the store cannot take as a record id
 * (outside printable ASCII) gets null: the text is kept under a fresh id.
 */
export function incomingId(wireId: string): string | null {
  return /^[\x21-\x7e]{1,40}$/.test(wireId) ? `${wireId}.in` : null;
}

/**
 * The history record id of a text we sent from another device of ours (its sender's id, kept
 * apart from this device's own ids); null for an id the store cannot take.
 */
export function sentCopyId(wireId: string): string | null {
  return /^[\x21-\x7e]{1,40}$/.test(wireId) ? `${wireId}.out` : null;
}

/**
 * The records a read receipt may name: a text this device sent has the wire id as its record id;
 * one another device of ours sent is here as its {@link sentCopyId} (read receipts go to every
 * device of the sender, docs/client.md §4.11).
 */
export function readReceiptIds(payload: Payload): string[] {
  if (payload.t !== 'read-receipt') return [];
  const out = new Set<string>();
  for (const id of payload.ids) {
    out.add(id);
    const copy = sentCopyId(id);
    if (copy !== null) out.add(copy);
  }
  return [...out];
}

/** Every record of the conversation {@link applyPayload} needs for `payload`, by the id it is read with. */
export function payloadMessageIds(payload: Payload): string[] {
  if (payload.t === 'text') {
    const id = incomingId(payload.id);
    return id === null ? [] : [id];
  }
  if (payload.t === 'read-receipt') return readReceiptIds(payload);
  return receiptIds(payload);
}

/**
 * Applies `payload` from a contact's device (`peer`) to it and its conversation. `messages` holds
 * the records of {@link receiptIds} that exist (by id); `newId` names the records it creates.
 *
 * @example
 * ```ts
 * const ids = receiptIds(payload);
 * const messages = new Map(loaded.map((m) => [m.id, m]));
 * const { peer, writes, events } = applyPayload(env, peer, payload, newId, messages);
 * ```
 */
export function applyPayload(
  env: ProtocolEnv,
  peer: Peer,
  payload: Payload,
  newId: NewId,
  messages: ReadonlyMap<string, MessageRecord>,
): PayloadEffect {
  const { contact: c, device: d } = peer;
  const conversationId = c.conversationId;
  switch (payload.t) {
    case 'welcome':
    case 'accept': {
      if (c.state === 'connected') {
        // A device of a connected person answering our intro (§4.9): deliver where it says.
        if (payload.t === 'welcome' && d.theirMailbox === null) {
          return {
            peer: { contact: c, device: { ...d, theirMailbox: mailboxOf(payload.mailbox) } },
            writes: [],
            events: [],
          };
        }
        return { peer, writes: [], events: [] };
      }
      const next: Peer = {
        contact: { ...c, state: 'connected', name: c.aliasSet ? c.name : payload.name || c.name },
        device: { ...d, theirMailbox: mailboxOf(payload.mailbox) },
      };
      return { peer: next, writes: [], events: [{ type: 'contact-connected', contact: next.contact }] };
    }
    case 'text': {
      const now = env.now();
      const known = incomingId(payload.id);
      const writes: RecordWrite[] = [];
      const events: DomainEvent[] = [];
      if (known === null || !messages.has(known)) {
        const id = known ?? newId();
        const record: MessageRecord = {
          v: 2,
          id,
          conversationId,
          direction: 'in',
          from: { contactId: c.id, device: d.device },
          text: payload.body,
          sentAt: payload.sentAt,
          storedAt: now,
          status: 'received',
          wireId: payload.id,
        };
        const inbox: InboxRecord = { v: 2, conversationId };
        writes.push(put(messageKind(conversationId), id, record), put('inbox', id, inbox));
        events.push({ type: 'message', message: record, contactId: c.id });
      }
      // A text shown before comes again when its receipt was lost: the receipt goes again.
      let device = d;
      if (d.theirMailbox !== null) {
        const sealed = seal(env, d, { t: 'receipt', ids: [payload.id] });
        device = sealed.device;
        writes.push(outboxWrite(device, sealed.envelope, null, newId()));
      }
      return { peer: { contact: c, device }, writes, events };
    }
    case 'receipt': {
      const writes: RecordWrite[] = [];
      const delivered: string[] = [];
      for (const id of receiptIds(payload)) {
        const m = messages.get(id);
        if (m && m.direction === 'out' && m.status !== 'delivered' && m.status !== 'read') {
          // Delivered: no more resends (docs/client.md §4.6).
          writes.push(put(messageKind(conversationId), id, { ...m, status: 'delivered' }), del('awaiting', id));
          delivered.push(id);
        }
      }
      const events: DomainEvent[] =
        delivered.length > 0 ? [{ type: 'delivered', conversationId, contactId: c.id, messageIds: delivered }] : [];
      return { peer, writes, events };
    }
    case 'read-receipt': {
      const writes: RecordWrite[] = [];
      const read: string[] = [];
      for (const id of readReceiptIds(payload)) {
        const m = messages.get(id);
        if (m && m.direction === 'out' && m.status !== 'read') {
          // Read implies delivered: no more resends either.
          writes.push(put(messageKind(conversationId), id, { ...m, status: 'read' }), del('awaiting', id));
          read.push(id);
        }
      }
      const events: DomainEvent[] =
        read.length > 0 ? [{ type: 'read', conversationId, contactId: c.id, messageIds: read }] : [];
      return { peer, writes, events };
    }
    case 'typing':
      // Ephemeral: nothing stored but the session that opened it (the caller commits it).
      return {
        peer,
        writes: [],
        events: [{ type: 'typing', conversationId, contactId: c.id, active: payload.active }],
      };
    default:
      // reset: the new session is the whole point; hello/request do not belong on a contact mailbox.
      return { peer, writes: [], events: [] };
  }
}
