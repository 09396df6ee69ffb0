/** Records → the plain views apps see (api.ts). */
import type { ContactView, MessageView, RequestView } from './api.ts';
import type { ContactRecord, MessageRecord, RequestRecord } from './engine/records.ts';

export const contactView = (c: ContactRecord): ContactView => ({
  id: c.id,
  name: c.name,
  keySource: c.keySource,
  verification: c.verification,
  identityChanged: c.replacedIdentity !== null,
  state: c.state,
  createdAt: c.createdAt,
});

export const messageView = (m: MessageRecord): MessageView => ({
  id: m.id,
  contactId: m.contactId,
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
