/**
 * Texts (docs/client.md §4.3): sending one, a conversation's history, and the inbox of incoming
 * messages the app has not taken yet.
 */
import type { MessageView } from '../api.ts';
import { seal } from '../engine/conversation.ts';
import { outboxWrite } from '../engine/outbox-entry.ts';
import { MAX_TEXT } from '../engine/payload.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import { type AwaitingRecord, del, type MessageRecord, messageKind, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { messageView } from '../views.ts';
import { findContact, findPeer } from './contact-lookup.ts';
import { type ClientContext, getMessage, getRecord } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';

/** Sends a text. It is committed (status `queued`) before it leaves, and retried until a server takes it. */
export async function send(ctx: ClientContext, nameOrId: string, text: string): Promise<MessageView> {
  if (text.length === 0) throw new ClientError('usage', 'The message is empty.');
  if (text.length > MAX_TEXT) throw new ClientError('usage', `The message is longer than ${MAX_TEXT} characters.`);
  const message = await ctx.serial(async () => {
    const peer = await findPeer(ctx, nameOrId);
    const c = peer.contact;
    if (c.replacedIdentity !== null && c.verification === 'verified') {
      throw new ClientError(
        'identity-changed',
        `${c.name}'s safety number changed and ${c.name} was verified: compare the new safety number (verify) and accept it before sending.`,
      );
    }
    if (c.state !== 'connected' || peer.device.theirMailbox === null) {
      throw new ClientError(
        'not-connected',
        `${c.name} has not answered yet: wait for them to accept, then try again.`,
      );
    }
    const now = ctx.env.now();
    const id = ctx.newId();
    const { device, envelope } = seal(ctx.env, peer.device, { t: 'text', id, sentAt: now, body: text });
    const conversationId = c.conversationId;
    const record: MessageRecord = {
      v: 2,
      id,
      conversationId,
      direction: 'out',
      from: null,
      text,
      sentAt: now,
      storedAt: now,
      status: 'queued',
      wireId: id,
    };
    const awaiting: AwaitingRecord = { v: 2, conversationId, contactId: c.id, attempts: 1, lastAttemptAt: now };
    await ctx.commit([
      put('device', device.id, device),
      put(messageKind(conversationId), id, record),
      outboxWrite(device, envelope, { conversationId, id }, id),
      put('awaiting', id, awaiting),
    ]);
    return { record, contactId: c.id };
  });
  await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  const { record, contactId } = message;
  return messageView((await getMessage(ctx, record.conversationId, record.id)) ?? record, contactId);
}

/** A conversation's history, oldest first (`limit` newest ones). */
export async function messages(
  ctx: ClientContext,
  nameOrId: string,
  options: { limit?: number },
): Promise<MessageView[]> {
  const c = await findContact(ctx, nameOrId);
  const rows = await ctx.store.list(messageKind(c.conversationId), { reverse: true, limit: options.limit ?? 100 });
  return rows.map((r) => messageView(decodeAs('message', r.value), c.id)).reverse();
}

/**
 * Incoming messages not yet taken by the app, in arrival order. `take` removes them, so each
 * message is handed out once (history keeps them).
 */
export async function unread(ctx: ClientContext, options: { take?: boolean }): Promise<MessageView[]> {
  const rows = await ctx.store.list('inbox');
  const out: MessageView[] = [];
  for (const r of rows) {
    const { conversationId } = decodeAs('inbox', r.value);
    const m = await getMessage(ctx, conversationId, r.id);
    if (m) out.push(messageView(m, m.from?.contactId ?? (await contactOf(ctx, conversationId))));
  }
  if (options.take && rows.length > 0) await ctx.commit(rows.map((r) => del('inbox', r.id)));
  return out;
}

/** The other person of a 1:1 conversation. */
async function contactOf(ctx: ClientContext, conversationId: string): Promise<string> {
  const c = await getRecord(ctx, 'conversation', conversationId);
  if (c === undefined) throw new ClientError('store-corrupt', 'A message of this profile names no conversation.');
  return c.contactId;
}
