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
import { type InboxRecord, type MessageRecord, messageKind, type Peer, put } from './records.ts';

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
      if (c.state === 'connected' && d.theirMailbox !== null) return { peer, writes: [], events: [] };
      const next: Peer = {
        contact: { ...c, state: 'connected', name: c.aliasSet ? c.name : payload.name || c.name },
        device: { ...d, theirMailbox: mailboxOf(payload.mailbox) },
      };
      return { peer: next, writes: [], events: [{ type: 'contact-connected', contact: next.contact }] };
    }
    case 'text': {
      const now = env.now();
      const id = newId();
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
      const writes: RecordWrite[] = [put(messageKind(conversationId), id, record), put('inbox', id, inbox)];
      let device = d;
      if (d.theirMailbox !== null) {
        const sealed = seal(env, d, { t: 'receipt', ids: [payload.id] });
        device = sealed.device;
        writes.push(outboxWrite(device, sealed.envelope, null, newId()));
      }
      return { peer: { contact: c, device }, writes, events: [{ type: 'message', message: record, contactId: c.id }] };
    }
    case 'receipt': {
      const writes: RecordWrite[] = [];
      const delivered: string[] = [];
      for (const id of receiptIds(payload)) {
        const m = messages.get(id);
        if (m && m.direction === 'out' && m.status !== 'delivered') {
          writes.push(put(messageKind(conversationId), id, { ...m, status: 'delivered' }));
          delivered.push(id);
        }
      }
      const events: DomainEvent[] =
        delivered.length > 0 ? [{ type: 'delivered', conversationId, contactId: c.id, messageIds: delivered }] : [];
      return { peer, writes, events };
    }
    default:
      // reset: the new session is the whole point; hello/request do not belong on a contact mailbox.
      return { peer, writes: [], events: [] };
  }
}
