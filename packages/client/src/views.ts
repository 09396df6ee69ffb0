/** Records and domain events → the plain views and events apps see (api.ts). */
import type { ClientEvent, ContactView, MessageView, RequestView } from './api.ts';
import type { DomainEvent } from './engine/events.ts';
import { type ContactRecord, type MessageRecord, type RequestRecord, SELF_CONTACT } from './engine/records.ts';

/** A contact's id in an event; null for the self contact (our own account). */
const personOf = (c: ContactRecord): string | null => (c.id === SELF_CONTACT ? null : c.id);

/** `devices`: how many of their devices we encrypt to, when the caller loaded them. */
export const contactView = (c: ContactRecord, devices?: number): ContactView => ({
  id: c.id,
  name: c.name,
  suggestedName: c.suggestedName ?? null,
  keySource: c.keySource,
  verification: c.verification,
  identityChanged: c.replacedIdentity !== null,
  state: c.state,
  createdAt: c.createdAt,
  conversationId: c.conversationId,
  ...(devices === undefined ? {} : { devices }),
});

/**
 * `contactId` is the other person of the 1:1 conversation (for an incoming message, its sender);
 * the facade passes it in because a message names its conversation, not the person.
 */
export const messageView = (m: MessageRecord, contactId: string): MessageView => ({
  id: m.id,
  conversationId: m.conversationId,
  contactId: m.from?.contactId ?? contactId,
  direction: m.direction,
  text: m.text,
  sentAt: m.sentAt,
  storedAt: m.storedAt,
  status: m.status,
});

export const requestView = (r: RequestRecord): RequestView => ({
  id: r.id,
  name: r.name,
  message: r.message,
  receivedAt: r.receivedAt,
});

/** The app's event for a committed domain event. */
export function eventView(e: DomainEvent): ClientEvent {
  switch (e.type) {
    case 'message':
    case 'sent-elsewhere':
      return { type: e.type, message: messageView(e.message, e.contactId) };
    case 'delivered':
    case 'read':
    case 'read-elsewhere':
      return { type: e.type, conversationId: e.conversationId, contactId: e.contactId, messageIds: e.messageIds };
    case 'typing':
      return { type: 'typing', conversationId: e.conversationId, contactId: e.contactId, active: e.active };
    case 'contact-connected':
      return { type: e.type, contact: contactView(e.contact) };
    case 'identity-changed':
      return { type: e.type, contact: contactView(e.contact) };
    case 'name-clash':
      return {
        type: 'name-clash',
        contact: contactView(e.contact),
        suggestedName: e.suggestedName,
        clashesWith: contactView(e.clashesWith),
      };
    case 'contact-request':
      return { type: 'contact-request', request: requestView(e.request) };
    case 'group':
      return { type: 'group', change: e.change, groupId: e.groupId, status: e.status };
    case 'undecryptable':
      return { type: 'undecryptable', conversationId: e.contact.conversationId, contactId: e.contact.id };
    case 'last-resort-used':
      return { type: 'last-resort-used', bundles: e.bundles };
    case 'not-delivered':
      return { ...e };
    case 'missing':
      return { type: 'missing', conversationId: e.contact.conversationId, contactId: e.contact.id, count: e.count };
    case 'device-added':
    case 'device-removed':
      return e.contact.id === SELF_CONTACT
        ? { type: e.type, device: e.device }
        : { type: `contact-${e.type}`, contactId: e.contact.id, device: e.device };
    case 'unknown-device':
      return { type: 'unknown-device', contactId: personOf(e.contact), device: e.device };
    case 'device-list-refused':
      return e.reason === 'invalid'
        ? { type: 'device-list-invalid', contactId: personOf(e.contact) }
        : { type: 'device-list-rollback', contactId: personOf(e.contact), reason: e.reason };
    case 'device-stale':
      return { type: 'device-stale', contactId: personOf(e.contact), device: e.device, dropped: e.dropped };
    case 'removed-from-account':
      return { type: 'removed-from-account' };
  }
}
