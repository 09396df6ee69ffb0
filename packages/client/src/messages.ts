/**
 * Texts (docs/client.md §4.3): sending one, a conversation's history, and the inbox of incoming
 * messages the app has not taken yet.
 */
import type { MessageView } from './api.ts';
import { findContact } from './contact-lookup.ts';
import { type ClientContext, getRecord } from './context.ts';
import { seal } from './engine/conversation.ts';
import { outboxWrite } from './engine/outbox-entry.ts';
import { MAX_TEXT } from './engine/payload.ts';
import { decodeRecord, del, type MessageRecord, messageKind, put } from './engine/records.ts';
import { ClientError } from './errors.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { messageView } from './views.ts';

/** Sends a text. It is committed (status `queued`) before it leaves, and retried until a server takes it. */
export async function send(ctx: ClientContext, nameOrId: string, text: string): Promise<MessageView> {
  if (text.length === 0) throw new ClientError('usage', 'The message is empty.');
  if (text.length > MAX_TEXT) throw new ClientError('usage', `The message is longer than ${MAX_TEXT} characters.`);
  const message = await ctx.serial(async () => {
    const c = await findContact(ctx, nameOrId);
    if (c.replacedIdentity !== null && c.verification === 'verified') {
      throw new ClientError(
        'identity-changed',
        `${c.name}'s safety number changed and ${c.name} was verified: compare the new safety number (verify) and accept it before sending.`,
      );
    }
    if (c.state !== 'connected' || c.theirMailbox === null) {
      throw new ClientError(
        'not-connected',
        `${c.name} has not answered yet: wait for them to accept, then try again.`,
      );
    }
    const now = ctx.env.now();
    const id = ctx.newId();
    const { contact, envelope } = seal(ctx.env, c, { t: 'text', id, sentAt: now, body: text });
    const record: MessageRecord = {
      v: 1,
      id,
      contactId: c.id,
      direction: 'out',
      text,
      sentAt: now,
      storedAt: now,
      status: 'queued',
      wireId: id,
    };
    await ctx.commit([
      put('contact', c.id, contact),
      put(messageKind(c.id), id, record),
      outboxWrite(contact, envelope, { contactId: c.id, id }, id),
    ]);
    return record;
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  return messageView((await getRecord<MessageRecord>(ctx, messageKind(message.contactId), message.id)) ?? message);
}

/** A conversation's history, oldest first (`limit` newest ones). */
export async function messages(
  ctx: ClientContext,
  nameOrId: string,
  options: { limit?: number },
): Promise<MessageView[]> {
  const c = await findContact(ctx, nameOrId);
  const rows = await ctx.store.list(messageKind(c.id), { reverse: true, limit: options.limit ?? 100 });
  return rows.map((r) => messageView(decodeRecord<MessageRecord>(r.value))).reverse();
}

/**
 * Incoming messages not yet taken by the app, in arrival order. `take` removes them, so each
 * message is handed out once (history keeps them).
 */
export async function unread(ctx: ClientContext, options: { take?: boolean }): Promise<MessageView[]> {
  const rows = await ctx.store.list('inbox');
  const out: MessageView[] = [];
  for (const r of rows) {
    const { contactId } = decodeRecord<{ contactId: string }>(r.value);
    const m = await getRecord<MessageRecord>(ctx, messageKind(contactId), r.id);
    if (m) out.push(messageView(m));
  }
  if (options.take && rows.length > 0) await ctx.commit(rows.map((r) => del('inbox', r.id)));
  return out;
}
