/**
 * Texts (docs/client.md §4.3): sending one, a conversation's history, and the inbox of incoming
 * messages the app has not taken yet.
 */
import type { MessageView } from '../api.ts';
import { canSendTo, fanOut } from '../engine/fan-out.ts';
import { MAX_TEXT } from '../engine/payload.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import { type AwaitingRecord, type MessageRecord, messageKind, put } from '../engine/records.ts';
import { ClientError } from '../errors.ts';
import { messageView } from '../views.ts';
import { findContact } from './contact-lookup.ts';
import { type ClientContext, getMessage, getRecord } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { deviceTimes, syncWrites } from './own-devices.ts';
import { devicesOf } from './peers.ts';
import { commitRead, inboxEntries } from './read-state.ts';

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
    const now = ctx.env.now();
    // Fan-out (§4.9): every device of theirs we can reach, each in its own session.
    const times = deviceTimes(ctx);
    const targets = (await devicesOf(ctx, c.id)).filter((d) => canSendTo(d, now, times));
    if (c.state !== 'connected' || targets.length === 0) {
      throw new ClientError(
        'not-connected',
        `${c.name} has not answered yet: wait for them to accept, then try again.`,
      );
    }
    const id = ctx.newId();
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
    const sealed = fanOut(
      ctx.env,
      targets,
      { t: 'text', id, sentAt: now, body: text },
      { conversationId, id },
      ctx.newId,
      id,
    );
    // Our other devices show it as sent by us.
    const synced = await syncWrites(ctx, { t: 'sent', contact: c.identity, id, sentAt: now, body: text });
    await ctx.commit([
      ...sealed.writes,
      put(messageKind(conversationId), id, record),
      put('awaiting', id, awaiting),
      ...synced,
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
 * Incoming messages not yet taken by the app, in arrival order. `take` marks them read
 * (read-state.ts): each message is handed out once (history keeps them).
 */
export async function unread(ctx: ClientContext, options: { take?: boolean }): Promise<MessageView[]> {
  const entries = await inboxEntries(ctx);
  const out: MessageView[] = [];
  for (const e of entries) {
    const m = await getMessage(ctx, e.conversationId, e.id);
    if (m) out.push(messageView(m, m.from?.contactId ?? (await contactOf(ctx, e.conversationId))));
  }
  if (options.take && entries.length > 0) {
    const queued = await ctx.serial(() => commitRead(ctx, entries));
    if (queued) await flushOutbox(ctx).catch(ignoreDeliveryFailure);
  }
  return out;
}

/** The other person of a 1:1 conversation. */
async function contactOf(ctx: ClientContext, conversationId: string): Promise<string> {
  const c = await getRecord(ctx, 'conversation', conversationId);
  if (c === undefined) throw new ClientError('store-corrupt', 'A message of this profile names no conversation.');
  return c.contactId;
}
