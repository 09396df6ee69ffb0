/**
 * What a decrypted payload does to a contact (docs/client.md §3, §4.3): the contact as it becomes,
 * the records to write with it and the events to emit once they are committed. Pure: the driver
 * loads what a payload names first (a receipt's outgoing messages, see {@link receiptIds}) and
 * commits the result in the same batch as the session that opened it.
 */
import type { ProtocolEnv } from '@parley/protocol';
import type { ClientEvent } from '../api.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { contactView, messageView } from '../views.ts';
import { seal } from './conversation.ts';
import type { NewId } from './id-sequence.ts';
import { outboxWrite } from './outbox-entry.ts';
import { mailboxOf, type Payload } from './payload.ts';
import { type ContactRecord, type MessageRecord, messageKind, put } from './records.ts';

export interface PayloadEffect {
  readonly contact: ContactRecord;
  readonly writes: RecordWrite[];
  readonly events: ClientEvent[];
}

/** The ids of our messages a payload names (a receipt's), whose records {@link applyPayload} needs. */
export function receiptIds(payload: Payload): string[] {
  return payload.t === 'receipt' ? [...new Set(payload.ids)] : [];
}

/**
 * Applies `payload` to contact `c`. `messages` holds the records of {@link receiptIds} that exist
 * (by id); `newId` names the records it creates.
 *
 * @example
 * ```ts
 * const ids = receiptIds(payload);
 * const messages = new Map(loaded.map((m) => [m.id, m]));
 * const { contact, writes, events } = applyPayload(env, c, payload, newId, messages);
 * ```
 */
export function applyPayload(
  env: ProtocolEnv,
  c: ContactRecord,
  payload: Payload,
  newId: NewId,
  messages: ReadonlyMap<string, MessageRecord>,
): PayloadEffect {
  switch (payload.t) {
    case 'welcome':
    case 'accept': {
      if (c.state === 'connected' && c.theirMailbox !== null) return { contact: c, writes: [], events: [] };
      const contact: ContactRecord = {
        ...c,
        state: 'connected',
        theirMailbox: mailboxOf(payload.mailbox),
        name: c.aliasSet ? c.name : payload.name || c.name,
      };
      return { contact, writes: [], events: [{ type: 'contact-connected', contact: contactView(contact) }] };
    }
    case 'text': {
      const now = env.now();
      const id = newId();
      const record: MessageRecord = {
        v: 1,
        id,
        contactId: c.id,
        direction: 'in',
        text: payload.body,
        sentAt: payload.sentAt,
        storedAt: now,
        status: 'received',
        wireId: payload.id,
      };
      const writes: RecordWrite[] = [put(messageKind(c.id), id, record), put('inbox', id, { contactId: c.id })];
      let contact = c;
      if (c.theirMailbox !== null) {
        const sealed = seal(env, c, { t: 'receipt', ids: [payload.id] });
        contact = sealed.contact;
        writes.push(outboxWrite(contact, sealed.envelope, null, newId()));
      }
      return { contact, writes, events: [{ type: 'message', message: messageView(record) }] };
    }
    case 'receipt': {
      const writes: RecordWrite[] = [];
      const delivered: string[] = [];
      for (const id of receiptIds(payload)) {
        const m = messages.get(id);
        if (m && m.direction === 'out' && m.status !== 'delivered') {
          writes.push(put(messageKind(c.id), id, { ...m, status: 'delivered' }));
          delivered.push(id);
        }
      }
      const events: ClientEvent[] =
        delivered.length > 0 ? [{ type: 'delivered', contactId: c.id, messageIds: delivered }] : [];
      return { contact: c, writes, events };
    }
    default:
      // reset: the new session is the whole point; hello/request do not belong on a contact mailbox.
      return { contact: c, writes: [], events: [] };
  }
}
