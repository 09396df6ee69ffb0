/**
 * Read state (docs/client.md §4.11): an incoming message stays in the inbox — and counts as unread
 * — until the app marks it read (`markRead`) or takes it (`unread({ take: true })`, which is the
 * same thing: what an app hands the user is read). Reading it here is reading it on our other
 * devices (a `read` sync), and — if the profile sends read receipts — the contact's devices get a
 * `read-receipt` naming the texts, in the same commit.
 */

import { fanOutAll } from '../engine/fan-out.ts';
import type { OutgoingPayload } from '../engine/payload.ts';
import { decodeAs } from '../engine/record-schemas.ts';
import { del, SELF_CONTACT } from '../engine/records.ts';
import type { RecordWrite } from '../store/record-store.ts';
import { findContact } from './contact-lookup.ts';
import { type ClientContext, getMessage, getRecord } from './context.ts';
import { flushOutbox, ignoreDeliveryFailure } from './outbox.ts';
import { reachable, syncWrites } from './own-devices.ts';
import { readSettings } from './settings.ts';

const IN_SUFFIX = '.in';

/** Ids per `read` or `read-receipt` payload (docs/client.md §3). */
export const MAX_IDS_PER_PAYLOAD = 100;

/** An inbox entry: the message's record id and its conversation. */
export interface InboxEntry {
  readonly id: string;
  readonly conversationId: string;
}

/** The inbox, in arrival order. */
export async function inboxEntries(ctx: ClientContext): Promise<InboxEntry[]> {
  return (await ctx.store.list('inbox')).map((r) => ({
    id: r.id,
    conversationId: decodeAs('inbox', r.value).conversationId,
  }));
}

/**
 * Marks a contact's incoming messages read: all of them, or those up to and including `upTo` (a
 * message id, in history order).
 */
export async function markRead(ctx: ClientContext, nameOrId: string, options: { upTo?: string }): Promise<void> {
  const c = await findContact(ctx, nameOrId);
  const upTo = options.upTo;
  const queued = await ctx.serial(async () => {
    const entries = (await inboxEntries(ctx)).filter(
      (e) => e.conversationId === c.conversationId && (upTo === undefined || e.id <= upTo),
    );
    return commitRead(ctx, entries);
  });
  if (queued) await flushOutbox(ctx).catch(ignoreDeliveryFailure);
}

/**
 * Commits `entries` read: gone from the inbox, a `read` sync for our other devices, read receipts
 * for the contacts if the settings allow. Returns whether anything was queued to send. Call
 * inside `ctx.serial`.
 */
export async function commitRead(ctx: ClientContext, entries: readonly InboxEntry[]): Promise<boolean> {
  // Still there (a read sync from another device may have taken some meanwhile): one listing.
  const now = new Set((await ctx.store.list('inbox')).map((r) => r.id));
  const present = entries.filter((e) => now.has(e.id));
  if (present.length === 0) return false;
  const ids = present.map((e) => e.id);
  const synced = await syncWrites(ctx, ...chunks(ids).map((c): OutgoingPayload => ({ t: 'read', ids: c })));
  const receipts = (await readSettings(ctx)).sendReadReceipts ? await receiptWrites(ctx, present) : [];
  await ctx.commit([...ids.map((id) => del('inbox', id)), ...synced, ...receipts]);
  return synced.length + receipts.length > 0;
}

/** Read receipts for the texts of `entries`, to every device of each sender we can reach. */
async function receiptWrites(ctx: ClientContext, entries: readonly InboxEntry[]): Promise<RecordWrite[]> {
  /** Contact id → the wire ids of its texts read. */
  const bySender = new Map<string, string[]>();
  /** Conversation id → its contact (a 1:1 conversation's one other person). */
  const contactOf = new Map<string, string | undefined>();
  for (const e of entries) {
    if (!contactOf.has(e.conversationId)) {
      contactOf.set(e.conversationId, (await getRecord(ctx, 'conversation', e.conversationId))?.contactId);
    }
    const contactId = contactOf.get(e.conversationId);
    if (contactId === undefined || contactId === SELF_CONTACT) continue;
    // An incoming text's record id is its sender's id + `.in` (payload-effects.ts incomingId): the
    // message need not be read for it; only one stored under a fresh id is.
    const wireId = e.id.endsWith(IN_SUFFIX)
      ? e.id.slice(0, -IN_SUFFIX.length)
      : (await getMessage(ctx, e.conversationId, e.id))?.wireId;
    if (wireId === undefined) continue;
    const list = bySender.get(contactId) ?? [];
    list.push(wireId);
    bySender.set(contactId, list);
  }
  const writes: RecordWrite[] = [];
  for (const [contactId, wireIds] of bySender) {
    // A verified contact whose key changed gets nothing until the user accepts the new key (as texts).
    const c = await getRecord(ctx, 'contact', contactId);
    if (c === undefined || (c.replacedIdentity !== null && c.verification === 'verified')) continue;
    const payloads = chunks(wireIds).map((ids): OutgoingPayload => ({ t: 'read-receipt', ids }));
    writes.push(...fanOutAll(ctx.env, await reachable(ctx, contactId), payloads, ctx.newId).writes);
  }
  return writes;
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IDS_PER_PAYLOAD) out.push(items.slice(i, i + MAX_IDS_PER_PAYLOAD));
  return out;
}
